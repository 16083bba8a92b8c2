"""Builders: every topology and strategy, registered with what seqshape knows about it.

``spec_from_shapes`` and ``infer_spec`` choose a registered topology and strategy for
the shapes of X and y (``choice.py``); ``build_model`` builds its plain Keras model
(``build.py``); ``register_topology`` and ``register_builder`` add your own
(``registry.py``). Importing this package registers the built-in ones.

Example:
    >>> from seqshape.builders import ArchitectureOptions, build_model, spec_from_shapes
    >>> spec = spec_from_shapes((40, 1), (10,))
    >>> build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params()
    2398
"""

from __future__ import annotations

# Importing a module registers its topologies and builders.
from seqshape.builders import (  # noqa: F401
    channel_independent,
    lstm_fcn,
    sequence_input,
    spatio_temporal,
    vector_input,
)
from seqshape.builders.build import build_model
from seqshape.builders.choice import infer_spec, infer_spec_from_arrays, spec_from_shapes
from seqshape.builders.options import CELLS, ArchitectureOptions
from seqshape.builders.registry import (
    Builder,
    Topology,
    default_strategy,
    get_builder,
    get_topology,
    register_builder,
    register_topology,
    strategies,
    temporary_registrations,
    topologies,
    unregister_builder,
    unregister_topology,
)

__all__ = [
    "CELLS",
    "ArchitectureOptions",
    "Builder",
    "Topology",
    "build_model",
    "default_strategy",
    "get_builder",
    "get_topology",
    "infer_spec",
    "infer_spec_from_arrays",
    "register_builder",
    "register_topology",
    "spec_from_shapes",
    "strategies",
    "temporary_registrations",
    "topologies",
    "unregister_builder",
    "unregister_topology",
]
