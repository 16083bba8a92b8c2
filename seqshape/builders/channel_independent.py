"""Channel-independent many-to-many: one shared univariate model applied to every channel.

An input of ``(T_in, C)`` is turned into C univariate series ``(T_in, 1)``; one
univariate model (any many-to-many strategy) maps each to ``(T_out, 1)`` through
``TimeDistributed``; the results are put back as ``(T_out, C)``. The parameter count is
the univariate model's, whatever C is.

Example:
    >>> from seqshape.builders import spec_from_shapes
    >>> spec_from_shapes((40, 2), (10, 2), topology="channel_independent").title
    'channel-independent many-to-many, dense_head'
"""

from __future__ import annotations

import dataclasses

import keras

from seqshape.builders import sequence_input  # noqa: F401  (registers many_to_many first)
from seqshape.builders.build import build_model
from seqshape.builders.registry import (
    diagram_lines,
    get_builder,
    register_builder,
    register_topology,
    strategies,
)
from seqshape.spec import TopologySpec


def _univariate_spec(spec: TopologySpec) -> TopologySpec:
    return dataclasses.replace(
        spec,
        topology="many_to_many",
        input_shape=(spec.input_steps, 1),
        output_shape=(spec.output_steps, 1),
        input_features=1,
        output_features=1,
        reasons=(),
        normalization="global",  # any window normalisation wraps the whole model
        target_features=None,
    )


def _diagram(spec: TopologySpec) -> list[str]:
    """The univariate model's own diagram, under a line saying it is shared."""
    return [
        f"for each of the {spec.input_features} channels, one shared univariate model:",
        *diagram_lines(_univariate_spec(spec)),
    ]


register_topology(
    "channel_independent",
    title="channel-independent many-to-many",
    reason=lambda spec: (
        "Each input channel is forecast by one shared univariate model (channel-independent)."
    ),
    diagram=_diagram,
    chooses=None,  # only by name: topology="channel_independent"
)


def _needs_matching_channels(spec: TopologySpec) -> str | None:
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
    # the univariate model: (batch, T_in, 1) -> (batch, T_out, 1)
    univariate = build_model(_univariate_spec(spec), options, name="univariate")
    channels = spec.input_features
    # (batch, T_in, C) -> (batch, C, T_in)
    x = keras.layers.Permute((2, 1), name="channels_first")(inputs)
    # -> (batch, C, T_in, 1): C univariate series
    x = keras.layers.Reshape((channels, spec.input_steps, 1), name="split_channels")(x)
    # -> (batch, C, T_out, 1)
    x = keras.layers.TimeDistributed(univariate, name="per_channel")(x)
    # -> (batch, C, T_out)
    x = keras.layers.Reshape((channels, spec.output_steps), name="merge_channels")(x)
    return keras.layers.Permute((2, 1), name="steps_first")(x)  # -> (batch, T_out, C)


for _strategy in strategies("many_to_many"):
    register_builder(
        "channel_independent",
        _strategy,
        unsupported=_needs_matching_channels,
        default_for=("sequence",) if _strategy == "dense_head" else (),
        summary=f"Layers: Permute + Reshape to one series per channel -> "
        f"TimeDistributed(univariate {_strategy} model) -> Reshape + Permute back.",
    )(_channel_independent)
