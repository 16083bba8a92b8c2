"""Test set-up: import seqshape first, so Keras starts on the JAX backend by default.

The suite compiles without JAX's persistent compilation cache, in this process and in
the fits it starts: many tests stop fits on purpose (signals, kill -9), and JAX writes a
cache entry in place, so a fit stopped while writing one leaves a truncated entry that
aborts the next process reading it. ``tests/test_backend.py`` tests the cache in
processes of its own, with folders of their own.
"""

import os

os.environ["SEQSHAPE_COMPILATION_CACHE"] = "off"

import seqshape  # noqa: F401


def pytest_configure(config):
    from checks import on_accelerator

    if on_accelerator():
        import jax

        # full float32 matrix products on GPUs (TF32 otherwise), so comparisons stay tight
        jax.config.update("jax_default_matmul_precision", "highest")
