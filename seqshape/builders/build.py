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
from seqshape.layers import normalized_model
from seqshape.spec import TopologySpec

# Masked strategies whose layers read a sequence of any length: the recurrent state (or
# masked pooling) summarises however many steps come; per-step outputs follow the input.
# The others need a fixed T (Cropping1D, ZeroPadding1D, Reshape by steps).
ANY_LENGTH = {
    ("many_to_one", "last_state"),
    ("many_to_one", "lstm_fcn"),
    ("many_to_many_aligned", "time_distributed"),
    ("many_to_many", "encoder_decoder"),
    ("many_to_many", "dense_head"),
}


def takes_any_length(spec: TopologySpec) -> bool:
    """True when the model of ``spec`` takes sequences of any number of steps: padded
    sequences (``spec.mask_value`` set) into a strategy of ``ANY_LENGTH``.

    Example:
        >>> from seqshape.builders import spec_from_shapes
        >>> takes_any_length(spec_from_shapes((26, 2), (), mask_value=float("nan")))
        True
        >>> takes_any_length(spec_from_shapes((26, 2), ()))
        False
    """
    return (
        spec.mask_value is not None
        and spec.input_kind in ("sequence", "tokens")
        and (spec.topology, spec.strategy) in ANY_LENGTH
        and getattr(spec, "normalization", "global") != "window"
    )


def model_input_shape(spec: TopologySpec) -> tuple[int | None, ...]:
    """The Keras ``Input`` shape of ``spec``: its X sample shape, the time axis ``None``
    where the model takes any number of steps (``takes_any_length``).

    Example:
        >>> from seqshape.builders import spec_from_shapes
        >>> model_input_shape(spec_from_shapes((26, 2), (), mask_value=-1.0))
        (None, 2)
    """
    if takes_any_length(spec):
        return (None, *spec.input_shape[1:])
    return spec.input_shape


def build_model(
    spec: TopologySpec, options: ArchitectureOptions | None = None, *, name: str | None = None
) -> keras.Model:
    """Build the uncompiled Keras model that ``spec`` describes.

    The model is a plain ``keras.Model``: it can be compiled and trained by hand.
    """
    options = options or ArchitectureOptions()
    builder = get_builder(spec.topology, spec.strategy)
    dtype = "int32" if spec.input_kind == "tokens" else "float32"
    # (batch, *X sample), steps None for padded sequences of any length
    inputs = keras.Input(model_input_shape(spec), dtype=dtype, name="X")
    if spec.normalization == "window":
        # each window's level and scale removed here and restored on the targets
        outputs = normalized_model(
            inputs,
            lambda normalised: builder.body(normalised, spec, options),
            target_features=spec.target_features,
            location="last",
            mask_value=spec.mask_value,
            season=spec.season,
            seasons=spec.base_seasons,
            drift=spec.base_drift,
            season_weights=spec.base_weights,
            ridge=spec.ridge_share is not None,
        )
    else:
        outputs = builder.body(inputs, spec, options)  # (batch, *target_shape)
    return keras.Model(inputs, outputs, name=name or f"{spec.topology}_{spec.strategy}")
