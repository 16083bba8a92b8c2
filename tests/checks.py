"""Assertions shared by the tests."""

from __future__ import annotations

import keras
import numpy as np


def on_accelerator() -> bool:
    """True when Keras computes on a GPU or TPU (JAX backend)."""
    if keras.backend.backend() != "jax":
        return False
    import jax

    return jax.devices()[0].platform != "cpu"


def assert_same_predictions(first, second) -> None:
    """Bit-identical on CPU. On a GPU two separately compiled programs may pick other
    matrix-multiply algorithms (TF32 by default on recent NVIDIA cards): differences of
    about 1e-5 absolute, 3e-3 relative, were seen on an H100."""
    if on_accelerator():
        np.testing.assert_allclose(first, second, rtol=1e-2, atol=1e-4)
    else:
        np.testing.assert_array_equal(first, second)
