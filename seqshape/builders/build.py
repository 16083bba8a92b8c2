"""``build_model``: from a ``TopologySpec`` to a plain Keras model, by its registered builder.

Example:
    >>> from seqshape.builders import ArchitectureOptions, spec_from_shapes
    >>> spec = spec_from_shapes((40, 1), (10,))
    >>> build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params()
    2398
"""

from __future__ import annotations

import keras

from seqshape.builders.options import ArchitectureOptions
from seqshape.builders.registry import get_builder
from seqshape.spec import TopologySpec


def build_model(
    spec: TopologySpec, options: ArchitectureOptions | None = None, *, name: str | None = None
) -> keras.Model:
    """Build the uncompiled Keras model that ``spec`` describes.

    The model is a plain ``keras.Model``: it can be compiled and trained by hand.
    """
    options = options or ArchitectureOptions()
    builder = get_builder(spec.topology, spec.strategy)
    dtype = "int32" if spec.input_kind == "tokens" else "float32"
    inputs = keras.Input(spec.input_shape, dtype=dtype, name="X")  # (batch, *X sample)
    outputs = builder.body(inputs, spec, options)  # (batch, *target_shape)
    return keras.Model(inputs, outputs, name=name or f"{spec.topology}_{spec.strategy}")
