"""Test set-up: import seqshape first, so Keras starts on the JAX backend by default."""

import seqshape  # noqa: F401


def pytest_configure(config):
    from checks import on_accelerator

    if on_accelerator():
        import jax

        # full float32 matrix products on GPUs (TF32 otherwise), so comparisons stay tight
        jax.config.update("jax_default_matmul_precision", "highest")
