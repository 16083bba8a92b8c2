"""Small generated tasks, one per topology, each needing that topology to be solved."""

from __future__ import annotations

import numpy as np

from seqshape.datasets import coupled_series


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def vector_to_value(samples: int = 600, single_step: bool = False):
    """One-to-one: y = sin(2 x0) + x1 x2 from a vector of 3 features."""
    X = rng(1).uniform(-1, 1, (samples, 3))
    y = np.sin(2 * X[:, 0]) + X[:, 1] * X[:, 2]
    return (X[:, None, :] if single_step else X), y


def sine_from_parameters(samples: int = 600, steps: int = 20):
    """One-to-many: amplitude and frequency -> the sine they describe."""
    parameters = rng(2).uniform([0.5, 0.2], [2.0, 0.6], (samples, 2))
    t = np.arange(steps)
    y = parameters[:, :1] * np.sin(parameters[:, 1:] * t)
    return parameters, y[..., None]


def sequence_sum(samples: int = 600, steps: int = 20):
    """Many-to-one regression: the sum of a noisy sequence."""
    X = rng(3).normal(size=(samples, steps, 1))
    return X, X.sum(axis=(1, 2))


def trend_direction(samples: int = 600, steps: int = 20, labels=(0, 1)):
    """Many-to-one binary: does a noisy sine drift up or down?"""
    generator = rng(4)
    up = generator.integers(0, 2, samples)
    t = np.arange(steps)
    slope = np.where(up, 1, -1)[:, None] * generator.uniform(0.05, 0.15, (samples, 1))
    X = np.sin(0.5 * t + generator.uniform(0, 6, (samples, 1))) + slope * t
    X += generator.normal(0, 0.2, X.shape)
    return X[..., None], np.asarray(labels)[up]


def frequency_class(samples: int = 600, steps: int = 30, labels=(10, 20, 30)):
    """Many-to-one multiclass: which of three frequencies a noisy sine has."""
    generator = rng(5)
    which = generator.integers(0, 3, samples)
    frequency = np.array([0.2, 0.6, 1.2])[which][:, None]
    t = np.arange(steps)
    X = np.sin(frequency * t + generator.uniform(0, 6, (samples, 1)))
    X += generator.normal(0, 0.2, X.shape)
    return X[..., None], np.asarray(labels)[which]


def token_presence(samples: int = 600, steps: int = 15, vocabulary: int = 50):
    """Many-to-one over token ids: does token 7 occur in the sequence?"""
    generator = rng(6)
    X = generator.integers(8, vocabulary, (samples, steps))
    present = generator.integers(0, 2, samples)
    positions = generator.integers(0, steps, samples)
    X[present == 1, positions[present == 1]] = 7
    return X, present


def running_sign(samples: int = 600, steps: int = 15):
    """Aligned many-to-many: label each step 1 when the running sum so far is positive."""
    X = rng(7).normal(size=(samples, steps, 1))
    return X, (np.cumsum(X, axis=1) > 0).astype(np.int64)


def running_sum_padded(samples: int = 600, steps_in: int = 5, steps_out: int = 8):
    """5 steps -> 8 steps: the running sum of the input, held after the input ends."""
    X = rng(8).normal(size=(samples, steps_in, 1))
    padded = np.concatenate([X, np.zeros((samples, steps_out - steps_in, 1))], axis=1)
    return X, np.cumsum(padded, axis=1)


def seed_forecast(samples: int = 600):
    """The seed question's shapes: (40, 2) -> (10, 2), two coupled series."""
    return coupled_series(n_samples=samples, seed=9)


def independent_channels(samples: int = 600, steps_in: int = 40, steps_out: int = 10):
    """Two unrelated sines per sample (channel-independent forecasting)."""
    generator = rng(10)
    t = np.arange(steps_in + steps_out)
    frequency = generator.uniform(0.15, 0.45, (samples, 1, 2))
    phase = generator.uniform(0, 6.3, (samples, 1, 2))
    series = np.sin(frequency * t[None, :, None] + phase)
    series += generator.normal(0, 0.05, series.shape)
    return series[:, :steps_in], series[:, steps_in:]


def moving_dot(samples: int = 400, steps: int = 6, size: int = 8):
    """Spatio-temporal: does a dot move left or right across the frames?"""
    generator = rng(11)
    rightwards = generator.integers(0, 2, samples)
    frames = np.zeros((samples, steps, size, size, 1))
    rows = generator.integers(0, size, samples)
    starts = generator.integers(0, size - steps + 1, samples)
    for sample in range(samples):
        for step in range(steps):
            offset = step if rightwards[sample] else steps - 1 - step
            frames[sample, step, rows[sample], starts[sample] + offset, 0] = 1.0
    frames += generator.normal(0, 0.05, frames.shape)
    return frames, rightwards


def split(X, y, test_fraction: float = 0.25):
    cut = len(X) - int(len(X) * test_fraction)
    return X[:cut], y[:cut], X[cut:], y[cut:]
