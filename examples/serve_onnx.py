"""Serve an exported seqshape model over HTTP with onnxruntime and the standard library.

The server needs numpy and onnxruntime only (not seqshape, not Keras): the ONNX file
holds the scaling, the network and the output restoring, and says in its metadata which
inputs it takes and, for classifiers, which labels its probabilities belong to.

    seqshape export runs/demand --format onnx --out demand.onnx
    python examples/serve_onnx.py demand.onnx --port 8000

    curl localhost:8000/metadata
    curl -d '{"x": [[[1.0, 2.0], ...40 steps...]]}' localhost:8000/predict

Requests and answers are JSON:

- ``GET /metadata``: what the model takes and gives (shapes, feature names, labels).
- ``POST /predict`` with ``{"x": samples}``: a list of samples, each of the per-sample
  shape in the metadata (``null`` in a padded step of a model fitted on padded
  sequences). The answer is ``{"predictions": ...}`` in y's units, or for a classifier
  ``{"labels": [...], "probabilities": [...]}``, probabilities ordered as the metadata's
  labels.
- A bad request gets status 400 and ``{"error": "..."}`` saying what was expected.

The first line printed is ``serving MODEL on http://HOST:PORT`` (``--port 0`` picks a
free port).
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import onnxruntime

MAX_BODY_BYTES = 16 * 2**20
MAX_SAMPLES = 10_000


class Model:
    """An ONNX file exported by seqshape, its metadata read once."""

    def __init__(self, path: str) -> None:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            path, options, providers=["CPUExecutionProvider"]
        )
        props = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {
            key.removeprefix("seqshape."): json.loads(value)
            for key, value in props.items()
            if key.startswith("seqshape.")
        }
        if "input_shape" not in self.metadata:
            raise ValueError(f"{path} is not an ONNX file exported by seqshape")
        self.input = self.session.get_inputs()[0]
        self.dtype = np.int32 if self.input.type == "tensor(int32)" else np.float32

    def check(self, samples: object) -> np.ndarray:
        """The request's samples as the model's input array, or ValueError saying why."""
        if not isinstance(samples, list) or not samples:
            raise ValueError('expected {"x": [sample, ...]}, a non-empty list of samples')
        if len(samples) > MAX_SAMPLES:
            raise ValueError(f"at most {MAX_SAMPLES} samples a request; got {len(samples)}")
        try:
            X = np.array(samples, dtype=np.float64)  # null -> NaN (padding)
        except (TypeError, ValueError):
            raise ValueError(
                "samples must be numbers (null for padded steps), all of one shape"
            ) from None
        expected = self.metadata["input_shape"]  # per sample; None: any number of steps
        received = list(X.shape[1:])
        if len(received) != len(expected) or any(
            size is not None and size != got for size, got in zip(expected, received, strict=True)
        ):
            raise ValueError(f"expected samples of shape {expected}; got {received}")
        if self.dtype == np.int32:
            if np.isnan(X).any() or (np.round(X) != X).any():
                raise ValueError("expected integer token ids")
        elif self.metadata["mask_value"] is None and np.isnan(X).any():
            raise ValueError("null or NaN values: this model was not fitted on padded data")
        return X.astype(self.dtype)

    def answer(self, X: np.ndarray) -> dict:
        outputs = self.session.run(None, {self.input.name: X})[0]
        labels = self.metadata["labels"]
        if labels is None:
            return {"predictions": outputs.tolist()}
        chosen = np.asarray(labels, dtype=object)[outputs.argmax(axis=-1)]
        return {"labels": chosen.tolist(), "probabilities": outputs.tolist()}


def handler_for(model: Model) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/metadata":
                self._send(200, model.metadata)
            elif self.path == "/health":
                self._send(200, {"status": "ok"})
            else:
                self._send(404, {"error": "GET /metadata or /health; POST /predict"})

        def do_POST(self) -> None:
            if self.path != "/predict":
                self._send(404, {"error": "POST /predict"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY_BYTES:
                self._send(400, {"error": f"expected a JSON body of 1 to {MAX_BODY_BYTES} bytes"})
                return
            try:
                request = json.loads(self.rfile.read(length))
                if not isinstance(request, dict) or "x" not in request:
                    raise ValueError('expected a JSON object {"x": [sample, ...]}')
                X = model.check(request["x"])
            except ValueError as error:  # json.JSONDecodeError is a ValueError
                self._send(400, {"error": str(error)})
                return
            self._send(200, model.answer(X))

        def log_message(self, format: str, *args) -> None:  # quiet: one line a request
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve an exported seqshape ONNX model.")
    parser.add_argument("model", help="the .onnx file from `seqshape export` or model.export")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    model = Model(args.model)
    server = ThreadingHTTPServer((args.host, args.port), handler_for(model))
    host, port = server.server_address[:2]
    print(f"serving {args.model} on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
