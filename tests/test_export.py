"""ONNX export: onnxruntime alone gives seqshape's predictions (to 1e-5) for every
registered topology and strategy, each normalisation, classifiers, tokens and padded
sequences; the file says what it needs in its metadata and uses no custom operator.

Needs the ``export`` extra (``pip install -e '.[export]'``); skipped without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import seqshape
from seqshape import SequenceClassifier, SequenceRegressor
from seqshape.builders import infer_spec_from_arrays
from seqshape.cli import main
from seqshape.errors import ExportError, NotFittedYetError
from seqshape.windowing import sliding_windows

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("jax2onnx")
onnx = pytest.importorskip("onnx")

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
SMALL = {"units": (4,), "epochs": 1, "batch_size": 16, "validation": "none"}


def _walk_windows(input_steps: int, output_steps: int, features: int = 2, samples: int = 48):
    """Windows of random walks: y continues X (window normalisation applies)."""
    steps = samples + input_steps + output_steps - 1
    walk = 50 + np.cumsum(np.random.default_rng(1).normal(1.0, 1.0, (steps, features)), axis=0)
    X, y = sliding_windows(walk, input_steps, output_steps)
    return np.array(X), np.array(y)


def _noise(*shape: int, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def _labels(X: np.ndarray, classes: int) -> np.ndarray:
    level = X.reshape(len(X), -1).mean(axis=1)
    return np.digitize(level, np.quantile(level, np.linspace(0, 1, classes + 1)[1:-1]))


def _cases():
    """(id, estimator, X, y) covering every registered (topology, strategy)."""
    long_X, long_y = _walk_windows(9, 4)
    short_X, short_y = _walk_windows(4, 9)
    frames = _noise(32, 5, 6, 6, 1)
    cases = [
        ("one_to_one-dense", SequenceRegressor(**SMALL), _noise(40, 3), _noise(40, seed=3)),
        (
            "one_to_one-recurrent",
            SequenceRegressor(**SMALL),
            _noise(40, 1, 3),
            _noise(40, 2, seed=3),
        ),
        (
            "one_to_many-repeat_vector",
            SequenceRegressor(**SMALL),
            _noise(40, 3),
            _noise(40, 7, 2, seed=3),
        ),
        (
            "many_to_one-last_state-window",
            SequenceRegressor(**SMALL, strategy="last_state"),
            long_X,
            long_y[:, 0, 0],
        ),
        (
            "many_to_one-last_state-outputs",
            SequenceRegressor(**SMALL, normalization="global"),
            long_X,
            long_y[:, :, 0],
        ),
        (
            "many_to_one-lstm_fcn-binary",
            SequenceClassifier(**SMALL),
            long_X,
            np.where(_labels(long_X, 2) == 1, "up", "down"),
        ),
        (
            "many_to_one-last_state-multiclass",
            SequenceClassifier(**SMALL, strategy="last_state"),
            long_X,
            _labels(long_X, 3),
        ),
        (
            "many_to_one-tokens",
            SequenceClassifier(**SMALL, vocabulary_size=12, embedding_dim=3),
            np.random.default_rng(4).integers(0, 12, (40, 9)),
            np.arange(40) % 2,
        ),
        (
            "many_to_many_aligned-time_distributed",
            SequenceRegressor(**SMALL),
            long_X,
            long_X[..., :1] * 2.0,
        ),
        (
            "many_to_many_aligned-per-step-labels",
            SequenceClassifier(**SMALL),
            long_X,
            (long_X[..., :1] > long_X.mean()).astype(int),
        ),
        (
            "cell-gru-bidirectional",
            SequenceRegressor(**SMALL, cell="gru", bidirectional=True),
            long_X,
            long_y,
        ),
        ("cell-simple_rnn", SequenceRegressor(**SMALL, cell="simple_rnn"), long_X, long_y),
    ]
    for normalization in ("window", "global", "none"):  # each, on one strategy
        cases.append(
            (
                f"many_to_many-encoder_decoder-{normalization}",
                SequenceRegressor(**SMALL, normalization=normalization),
                long_X,
                long_y,
            )
        )
    for strategy in ("last_steps", "dense_head"):
        cases.append(
            (
                f"many_to_many-{strategy}",
                SequenceRegressor(**SMALL, strategy=strategy),
                long_X,
                long_y,
            )
        )
    for strategy in ("pad", "encoder_decoder"):  # more output steps than input steps
        cases.append(
            (
                f"many_to_many-{strategy}-longer",
                SequenceRegressor(**SMALL, strategy=strategy),
                short_X,
                short_y,
            )
        )
    for strategy in ("dense_head", "encoder_decoder", "last_steps"):
        cases.append(
            (
                f"channel_independent-{strategy}",
                SequenceRegressor(**SMALL, topology="channel_independent", strategy=strategy),
                long_X,
                long_y,
            )
        )
    for strategy in ("pad", "encoder_decoder"):
        cases.append(
            (
                f"channel_independent-{strategy}-longer",
                SequenceRegressor(**SMALL, topology="channel_independent", strategy=strategy),
                short_X,
                short_y,
            )
        )
    for strategy in ("cnn_lstm", "conv_lstm"):
        cases.append(
            (
                f"spatio_temporal-{strategy}-multiclass",
                SequenceClassifier(**SMALL, strategy=strategy, filters=(4,)),
                frames,
                _labels(frames, 3),
            )
        )
        cases.append(
            (
                f"spatio_temporal-{strategy}-sequence",
                SequenceRegressor(**SMALL, strategy=strategy, filters=(4,)),
                frames,
                _noise(32, 3, 2, seed=5),
            )
        )
    return cases


CASES = _cases()


def _seqshape_answer(model, X):
    return model.predict_proba(X) if model.spec_.is_classifier else model.predict(X)


def _session(path):
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(session, X):
    dtype = np.int32 if session.get_inputs()[0].type == "tensor(int32)" else np.float32
    return session.run(None, {"x": np.asarray(X).astype(dtype)})[0]


def test_every_registered_topology_and_strategy_is_exported():
    exported = set()
    for _, estimator, X, y in CASES:
        params = estimator.get_params()
        classify = isinstance(estimator, SequenceClassifier)
        codes = np.unique(y, return_inverse=True)[1].reshape(y.shape) if classify else y
        spec = infer_spec_from_arrays(
            X,
            codes,
            topology=params["topology"],
            strategy=params["strategy"],
            task="auto" if classify else "regression",
            vocabulary_size=params["vocabulary_size"],
        )
        exported.add((spec.topology, spec.strategy))
    registered = {(t, s) for t in seqshape.topologies() for s in seqshape.strategies(t)}
    assert exported == registered


@pytest.mark.parametrize(
    ("estimator", "X", "y"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_onnxruntime_gives_seqshape_predictions(estimator, X, y, tmp_path):
    model = estimator.fit(X, y)
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx")
    session = _session(path)
    for rows in (X[:3], X):  # a small batch (a compiled call), a large one (predict)
        np.testing.assert_allclose(_run(session, rows), _seqshape_answer(model, rows), **TOLERANCE)
    proto = onnx.load(path)
    assert {node.domain for node in proto.graph.node} <= {"", "ai.onnx"}  # no custom ops
    batch = session.get_inputs()[0].shape[0]
    assert isinstance(batch, str)  # dynamic batch axis


def test_metadata_holds_labels_feature_names_and_steps(tmp_path):
    X, _ = _walk_windows(9, 4)
    labels = np.where(_labels(X, 2) == 1, "up", "down")
    model = SequenceClassifier(**SMALL).fit(X, labels)
    path = tmp_path / "classifier.onnx"
    model.export(path)
    meta = {
        key.removeprefix("seqshape."): json.loads(value)
        for key, value in _session(path).get_modelmeta().custom_metadata_map.items()
    }
    assert meta["labels"] == ["down", "up"]
    assert (meta["input_steps"], meta["input_shape"], meta["task"]) == (9, [9, 2], "binary")
    probabilities = _run(_session(path), X[:6])
    predicted = np.asarray(meta["labels"])[probabilities.argmax(axis=-1)]
    np.testing.assert_array_equal(predicted, model.predict(X[:6]))

    frame = pd.DataFrame(_noise(40, 3), columns=["price", "volume", "spread"])
    regressor = SequenceRegressor(**SMALL).fit(frame, _noise(40, seed=3))
    regressor.export(tmp_path / "regressor.onnx")
    meta = _session(tmp_path / "regressor.onnx").get_modelmeta().custom_metadata_map
    assert json.loads(meta["seqshape.feature_names"]) == ["price", "volume", "spread"]
    assert json.loads(meta["seqshape.labels"]) is None


def test_padded_sequences_of_any_length(tmp_path):
    rng = np.random.default_rng(6)
    sequences = [rng.normal(size=(length, 2)) for length in rng.integers(4, 10, 40)]
    model = SequenceRegressor(**SMALL).fit(sequences, rng.normal(size=40))
    path = tmp_path / "padded.onnx"
    model.export(path)
    session = _session(path)
    assert json.loads(session.get_modelmeta().custom_metadata_map["seqshape.input_steps"]) is None
    X = np.full((3, 12, 2), np.nan)  # longer than any training sequence, NaN-padded
    X[0, :12], X[1, :5], X[2, :8] = rng.normal(size=(12, 2)), 1.0, rng.normal(size=(8, 2))
    np.testing.assert_allclose(_run(session, X), model.predict(X), **TOLERANCE)


def test_a_seasonal_base_with_its_weights_and_ridge_is_exported(tmp_path):
    t = np.arange(400)
    rng = np.random.default_rng(0)
    season = (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.3, 400)
    X, y = (np.array(part) for part in sliding_windows(season[:, None], 36, 6)[:2])
    model = SequenceRegressor(units=(4,), epochs=2).fit(X, y)
    assert model.spec_.seasonal_base == seqshape.SeasonalBase(12, drift=True, weights=True)
    assert model.spec_.ridge_share > 0  # a RidgeCombination after the restore, in use
    path = tmp_path / "seasonal.onnx"
    model.export(path)
    np.testing.assert_allclose(_run(_session(path), X[:8]), model.predict(X[:8]), **TOLERANCE)


def test_unknown_format_and_unfitted_model_are_clear_errors(tmp_path):
    with pytest.raises(ExportError, match="format"):
        SequenceRegressor(**SMALL).fit(_noise(20, 3), _noise(20)).export(tmp_path / "m", "tflite")
    with pytest.raises(NotFittedYetError):
        SequenceRegressor().export(tmp_path / "m.onnx")


def test_a_failed_check_leaves_no_file(tmp_path, monkeypatch):
    model = SequenceRegressor(**SMALL).fit(_noise(20, 3), _noise(20))
    monkeypatch.setattr(
        "seqshape.export.expected_outputs", lambda state, X: np.zeros((len(X),)) + 1e3
    )
    path = tmp_path / "model.onnx"
    with pytest.raises(ExportError, match="predictions equal seqshape's"):
        model.export(path)
    assert list(tmp_path.iterdir()) == []


def test_cli_exports_a_run_folder(tmp_path, capsys):
    walk = 100 + np.cumsum(np.random.default_rng(7).normal(0.5, 1.0, 160))
    data = tmp_path / "data.csv"
    pd.DataFrame({"price": walk}).to_csv(data, index=False)
    run = tmp_path / "run"
    fit = ["fit", str(data), "--target", "price", "--input-steps", "12", "--output-steps", "3"]
    assert main([*fit, "--epochs", "2", "--verbose", "0", "--out", str(run)]) == 0
    out = tmp_path / "model.onnx"
    assert main(["export", str(run), "--format", "onnx", "--out", str(out)]) == 0
    assert "written to" in capsys.readouterr().out
    model = seqshape.load(run / "model.seqshape")
    X = np.array(sliding_windows(walk[:, None], 12, 3)[0][-4:])
    np.testing.assert_allclose(_run(_session(out), X), model.predict(X), **TOLERANCE)
    assert main(["export", str(run), "--format", "pmml", "--out", str(out)]) == 2
    assert "format" in capsys.readouterr().err


def _request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_example_server_answers_json_requests(tmp_path):
    X, _ = _walk_windows(9, 4)
    labels = np.where(_labels(X, 2) == 1, "up", "down")
    model = SequenceClassifier(**SMALL).fit(X, labels)
    path = tmp_path / "classifier.onnx"
    model.export(path)
    script = Path(__file__).parent.parent / "examples" / "serve_onnx.py"
    server = subprocess.Popen(
        [sys.executable, str(script), str(path), "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline()  # "serving ... on http://127.0.0.1:PORT"
        assert "http://127.0.0.1:" in line, line
        url = line.split()[-1]
        status, metadata = _request(f"{url}/metadata")
        assert status == 200 and metadata["labels"] == ["down", "up"]
        status, answer = _request(f"{url}/predict", {"x": X[:5].tolist()})
        assert status == 200
        assert answer["labels"] == model.predict(X[:5]).tolist()
        np.testing.assert_allclose(
            answer["probabilities"], model.predict_proba(X[:5]), **TOLERANCE
        )
        status, answer = _request(f"{url}/predict", {"x": X[:1, :5].tolist()})  # 5 steps, not 9
        assert status == 400 and "shape [9, 2]" in answer["error"]
        status, answer = _request(f"{url}/predict", {"samples": []})
        assert status == 400 and '"x"' in answer["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
