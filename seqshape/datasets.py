"""Small generated data sets: the seed question's shapes, reproducible from a seed.

Example:
    >>> from seqshape.datasets import coupled_series
    >>> X, y = coupled_series(n_samples=8)
    >>> X.shape, y.shape
    ((8, 40, 2), (8, 10, 2))
"""

from __future__ import annotations

import numpy as np


def coupled_series(
    n_samples: int = 1200,
    input_steps: int = 40,
    output_steps: int = 10,
    noise: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two coupled oscillating series per sample: forecast both, ``output_steps`` ahead.

    The first series is a sine of random frequency, phase and amplitude; the second
    mixes a lagged copy of the first with a cosine, so each series helps forecast the
    other. Returns X of shape ``(n, input_steps, 2)`` and y of ``(n, output_steps, 2)``.
    """
    rng = np.random.default_rng(seed)
    steps = np.arange(input_steps + output_steps)
    frequency = rng.uniform(0.15, 0.45, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    amplitude = rng.uniform(0.5, 2.0, (n_samples, 1))
    first = amplitude * np.sin(frequency * steps + phase)
    second = 0.6 * amplitude * np.sin(frequency * (steps - 3) + phase) + 0.4 * np.cos(
        frequency * steps + phase
    )
    series = np.stack([first, second], axis=-1)
    series += rng.normal(0.0, noise, series.shape)
    return series[:, :input_steps].copy(), series[:, input_steps:].copy()
