"""Builders: from a ``TopologySpec`` to a plain Keras model, one registered per topology.

Example:
    >>> from seqshape.builders import ArchitectureOptions, build_model
    >>> from seqshape.spec import spec_from_shapes
    >>> spec = spec_from_shapes((40, 1), (10,))
    >>> build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params()
    2398
"""

from __future__ import annotations

import keras

# Importing a module registers its builders.
from seqshape.builders import (  # noqa: F401
    channel_independent,
    sequence_input,
    spatio_temporal,
    vector_input,
)
from seqshape.builders.options import CELLS, ArchitectureOptions
from seqshape.builders.registry import (
    Builder,
    default_strategy,
    get_builder,
    register_builder,
    strategies,
    topologies,
)
from seqshape.spec import TopologySpec

__all__ = [
    "CELLS",
    "ArchitectureOptions",
    "Builder",
    "build_model",
    "default_strategy",
    "get_builder",
    "register_builder",
    "strategies",
    "topologies",
]


def build_model(
    spec: TopologySpec, options: ArchitectureOptions | None = None, *, name: str | None = None
) -> keras.Model:
    """Build the uncompiled Keras model that ``spec`` describes.

    The model is a plain ``keras.Model``: it can be compiled and trained by hand.
    """
    options = options or ArchitectureOptions()
    builder = get_builder(spec.topology, spec.strategy)
    dtype = "int32" if spec.input_kind == "tokens" else "float32"
    inputs = keras.Input(spec.input_shape, dtype=dtype, name="X")
    outputs = builder.body(inputs, spec, options)
    return keras.Model(inputs, outputs, name=name or f"{spec.topology}_{spec.strategy}")
