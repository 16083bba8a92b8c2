"""Choose Keras' backend before Keras is imported: JAX unless the user chose one."""

import os


def use_jax_unless_chosen() -> None:
    """Set ``KERAS_BACKEND=jax`` when the user has not set a backend.

    JAX trains these recurrent models several times faster per epoch than the
    TensorFlow and torch backends on CPU. ``KERAS_BACKEND`` set by the user wins.
    """
    os.environ.setdefault("KERAS_BACKEND", "jax")
