"""Channel-independent many-to-many: one shared univariate model applied to every channel.

An input of ``(T_in, C)`` is turned into C univariate series ``(T_in, 1)``; one
univariate model (any many-to-many strategy) maps each to ``(T_out, 1)`` through
``TimeDistributed``; the results are put back as ``(T_out, C)``. The parameter count is
the univariate model's, whatever C is.
"""

from __future__ import annotations

import dataclasses

import keras

from seqshape.builders import sequence_input  # noqa: F401  (registers many_to_many first)
from seqshape.builders.registry import get_builder, register_builder, strategies


def _univariate_spec(spec):
    return dataclasses.replace(
        spec,
        topology="many_to_many",
        input_shape=(spec.input_steps, 1),
        output_shape=(spec.output_steps, 1),
        input_features=1,
        output_features=1,
        reasons=(),
    )


def _needs_matching_channels(spec) -> str | None:
    if spec.input_kind != "sequence" or not spec.per_step:
        return (
            f"it needs a numeric sequence in and out per sample, but X samples are "
            f"{spec.input_shape} and y samples are {spec.output_shape}"
        )
    if spec.input_features != spec.output_features:
        return (
            f"it forecasts each input channel itself, so X and y need the same number of "
            f"channels, but X has {spec.input_features} and y has {spec.output_features}"
        )
    if spec.is_classifier:
        return "it forecasts numeric channels (regression), but y holds class labels"
    return get_builder("many_to_many", spec.strategy).unsupported(_univariate_spec(spec))


def _channel_independent(inputs, spec, options):
    from seqshape.builders import build_model

    univariate = build_model(_univariate_spec(spec), options, name="univariate")
    channels = spec.input_features
    x = keras.layers.Permute((2, 1), name="channels_first")(inputs)
    x = keras.layers.Reshape((channels, spec.input_steps, 1), name="split_channels")(x)
    x = keras.layers.TimeDistributed(univariate, name="per_channel")(x)
    x = keras.layers.Reshape((channels, spec.output_steps), name="merge_channels")(x)
    return keras.layers.Permute((2, 1), name="steps_first")(x)


for _strategy in strategies("many_to_many"):
    register_builder(
        "channel_independent",
        _strategy,
        unsupported=_needs_matching_channels,
        default_for=("sequence",) if _strategy == "dense_head" else (),
        summary=f"Layers: Permute + Reshape to one series per channel -> "
        f"TimeDistributed(univariate {_strategy} model) -> Reshape + Permute back.",
    )(_channel_independent)
