"""Test set-up: import seqshape first, so Keras starts on the JAX backend by default."""

import seqshape  # noqa: F401
