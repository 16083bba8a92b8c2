"""``python -m benchmarks.export_latency [--quick]``: onnxruntime beside seqshape's predict.

For each workload, one model is fitted, exported (``model.export(path, format="onnx")``)
and then timed both ways, interleaved round by round in this one process:

- *one-sample latency*: ``model.predict(x[None])`` against ``session.run`` on the same
  sample, many calls each, median and 99th percentile;
- *batch throughput*: samples per second on one batch of ``--batch`` samples.

The ratios (seqshape / onnxruntime for latency, onnxruntime / seqshape for throughput)
are what to compare across machines; the absolute figures depend on this one. Needs the
export extra (``make install-export``). Writes ``benchmarks/results/export-*.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _workloads(quick: bool) -> dict:
    import seqshape
    from seqshape.datasets import coupled_series

    X, y = coupled_series(n_samples=600 if quick else 1200)  # the seed question
    labels = np.where(X[:, -1, 0] > X[:, 0, 0], "rising", "falling")
    return {
        "seed question (40, 2) -> (10, 2), encoder-decoder": (
            seqshape.SequenceRegressor(epochs=2, random_state=0),
            X,
            y,
        ),
        "classifier (40, 2) -> label, LSTM-FCN": (
            seqshape.SequenceClassifier(epochs=2, random_state=0),
            X,
            labels,
        ),
    }


def _latencies(call, rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(model, X: np.ndarray, *, calls: int, batch: int, rounds: int) -> dict:
    import onnxruntime

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        started = time.perf_counter()
        model.export(path, format="onnx")
        export_seconds = time.perf_counter() - started
        size = path.stat().st_size
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(path), options)
    one = X[:1]
    many = np.resize(X, (batch, *X.shape[1:]))
    feed_one, feed_many = {"x": one.astype(np.float32)}, {"x": many.astype(np.float32)}
    # warm both (compilation, allocation) before any clock runs
    model.predict(one), model.predict(many), session.run(None, feed_one)
    session.run(None, feed_many)
    seqshape_one, onnx_one, seqshape_batch, onnx_batch = [], [], [], []
    for _ in range(rounds):  # interleaved, so both see the same machine
        seqshape_one += _latencies(lambda: model.predict(one), calls)
        onnx_one += _latencies(lambda: session.run(None, feed_one), calls)
        seqshape_batch += _latencies(lambda: model.predict(many), 1)
        onnx_batch += _latencies(lambda: session.run(None, feed_many), 1)
    result = {
        "export_seconds": export_seconds,
        "onnx_bytes": size,
        "seqshape_one_p50_ms": 1e3 * statistics.median(seqshape_one),
        "seqshape_one_p99_ms": 1e3 * _percentile(seqshape_one, 99),
        "onnx_one_p50_ms": 1e3 * statistics.median(onnx_one),
        "onnx_one_p99_ms": 1e3 * _percentile(onnx_one, 99),
        "seqshape_batch_samples_per_s": batch / statistics.median(seqshape_batch),
        "onnx_batch_samples_per_s": batch / statistics.median(onnx_batch),
    }
    result["latency_ratio"] = result["seqshape_one_p50_ms"] / result["onnx_one_p50_ms"]
    result["throughput_ratio"] = (
        result["onnx_batch_samples_per_s"] / result["seqshape_batch_samples_per_s"]
    )
    return result


def table(results: dict) -> str:
    lines = [
        "| workload | one sample p50 (p99), seqshape | onnxruntime | latency ratio "
        "| batch samples/s, seqshape | onnxruntime | throughput ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results["workloads"].items():
        lines.append(
            f"| {name} | {r['seqshape_one_p50_ms']:.2f} ms ({r['seqshape_one_p99_ms']:.2f}) "
            f"| {r['onnx_one_p50_ms']:.3f} ms ({r['onnx_one_p99_ms']:.3f}) "
            f"| {r['latency_ratio']:.1f}x "
            f"| {r['seqshape_batch_samples_per_s']:,.0f} | {r['onnx_batch_samples_per_s']:,.0f} "
            f"| {r['throughput_ratio']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export_latency")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--batch", type=int, default=1024, help="samples in the batch")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    calls, rounds = (50, 3) if args.quick else (200, 5)
    results = {
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "calls_per_round": calls,
        "rounds": rounds,
        "batch": args.batch,
        "workloads": {},
    }
    for name, (model, X, y) in _workloads(args.quick).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        results["workloads"][name] = measure(
            model, X, calls=calls, batch=args.batch, rounds=rounds
        )
        print(f"{name}: done", flush=True)
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = args.out / f"export-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
