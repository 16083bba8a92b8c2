"""Measurements every contender takes the same way (NumPy and the standard library only,
so each contender's own virtual environment can import it)."""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np


def load(data_path: str):
    with np.load(data_path) as data:
        return {name: data[name] for name in data.files}


def latency(predict_one, repeats: int = 200) -> dict:
    """p50 and p99 of single-sample prediction, in milliseconds, after a warm-up."""
    for _ in range(10):
        predict_one()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict_one()
        times.append(time.perf_counter() - started)
    return {
        "predict_p50_ms": 1e3 * float(np.percentile(times, 50)),
        "predict_p99_ms": 1e3 * float(np.percentile(times, 99)),
    }


def throughput(predict_all, samples: int) -> float:
    """Samples per second of batch prediction (best of three)."""
    predict_all()
    best = min(_timed(predict_all) for _ in range(3))
    return samples / best


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def mae(truth, predicted) -> float:
    return float(np.mean(np.abs(np.asarray(truth) - np.asarray(predicted))))


def time_to_target(epoch_ends: list[float], val_errors: list[float], target: float):
    """Seconds from the start of training until validation MAE first reaches ``target``."""
    for seconds, error in zip(epoch_ends, val_errors, strict=True):
        if error <= target:
            return seconds
    return None


def standardisation(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of each feature (the last axis) over samples and steps."""
    flat = values.reshape(-1, values.shape[-1])
    return flat.mean(0), flat.std(0) + 1e-12


def prediction_result(predict_one, predict_all, samples: int, repeats: int = 200) -> dict:
    """One-sample latency and batch throughput, as every contender reports them."""
    return {
        **latency(predict_one, repeats),
        "batch_predict_samples_per_second": throughput(predict_all, samples),
    }


def training_result(
    import_seconds: float,
    samples: int,
    epoch_ends: list[float],
    val_error: float,
    test_error: float,
    seconds_to_target,
) -> dict:
    """The figures every contender reports about its training run."""
    epoch_seconds = np.diff([0.0, *epoch_ends])
    median = float(np.median(epoch_seconds[1:]))
    return {
        "import_seconds": import_seconds,
        "first_epoch_seconds": float(epoch_seconds[0]),
        "median_epoch_seconds": median,
        "samples_per_second": samples / median,
        "val_error": val_error,
        "test_error": test_error,
        "seconds_to_target": seconds_to_target,
    }


def task_error(truth, predicted, config: dict) -> float:
    """The error every contender is scored by: the error rate for classification, else
    the mean absolute error."""
    if config["task"] == "classification":
        return float(np.mean(np.asarray(predicted) != np.asarray(truth)))
    return mae(truth, predicted)


def checked_val_error(data: dict, config: dict, predict, val_errors: list[float]) -> float:
    """The validation error from ``predict``, checked against the last per-epoch error a
    contender's own network gave (Darts, NeuralForecast), to 0.1%."""
    val_error = task_error(data["y_val"], predict(data["X_val"]), config)
    if abs(val_error - val_errors[-1]) > 1e-3 * max(val_error, 1e-9):
        raise RuntimeError(
            f"per-epoch validation ({val_errors[-1]}) differs from predict ({val_error})"
        )
    return val_error


def report_run(
    import_seconds: float,
    data: dict,
    config: dict,
    predict,
    epoch_ends: list[float],
    val_errors: list[float],
    *,
    predict_one=None,
    repeats: int = 200,
) -> None:
    """Report a contender's training (per-epoch ends and validation errors) and its
    prediction figures (``predict_one`` defaults to ``predict`` on one test sample)."""
    X_test = data["X_test"]
    report(
        {
            **training_result(
                import_seconds,
                len(data["X_train"]),
                epoch_ends,
                val_errors[-1],
                task_error(data["y_test"], predict(X_test), config),
                time_to_target(epoch_ends, val_errors, config["target"]),
            ),
            **prediction_result(
                predict_one or (lambda: predict(X_test[:1])),
                lambda: predict(X_test),
                len(X_test),
                repeats,
            ),
        }
    )


def report(result: dict) -> None:
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def config() -> dict:
    return json.loads(sys.argv[2])
