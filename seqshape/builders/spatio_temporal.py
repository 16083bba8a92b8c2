"""Spatio-temporal builders: a sequence of frames, encoded per step, then recurrent layers.

The frame encoder turns ``(T, H, W, C)`` into ``(T, D)`` frame features; the rest is
the sequence builder that y calls for (many-to-one, aligned, or encoder-decoder).

Example:
    >>> from seqshape.builders import spec_from_shapes
    >>> spec_from_shapes((6, 8, 8, 1), ()).title
    'spatio-temporal, cnn_lstm'
"""

from __future__ import annotations

import dataclasses

import keras

from seqshape.builders.diagrams import labels, links, row
from seqshape.builders.registry import (
    default_strategy,
    diagram_lines,
    get_builder,
    register_builder,
    register_topology,
)
from seqshape.builders.sequence_input import sequence_topology
from seqshape.spec import TopologySpec

register_topology(
    "spatio_temporal",
    title="spatio-temporal",
    reason=lambda spec: (
        "Frames are encoded by a CNN per step, then a recurrent layer reads "
        "the sequence of frame features (spatio-temporal)."
    ),
    chooses=lambda draft: draft.input_kind == "frames",
)


def _needs_frames(spec: TopologySpec) -> str | None:
    if spec.input_kind != "frames":
        return (
            "it needs a sequence of images per sample (5D X: samples, steps, height, "
            f"width, channels), but X samples are {spec.input_shape}"
        )
    return None


def _sequence_spec(spec: TopologySpec, width: int) -> TopologySpec:
    """The spec of the sequence builder that reads ``width`` features per frame."""
    topology = sequence_topology(spec.input_steps, spec.output_steps)
    sequence = dataclasses.replace(
        spec,
        topology=topology,
        input_kind="sequence",
        input_shape=(spec.input_steps, width),
        input_features=width,
    )
    # the spec given, so that a default that cannot serve it (LSTM-FCN, a classifier,
    # for regression) is passed over
    return dataclasses.replace(sequence, strategy=default_strategy(topology, "sequence", sequence))


def _sequence_body(features, spec: TopologySpec, options):
    """Hand the per-step frame features ``(batch, T, D)`` to the sequence builder that y
    calls for: -> ``(batch, K)`` or ``(batch, T_out, K)``."""
    sequence_spec = _sequence_spec(spec, features.shape[-1])
    builder = get_builder(sequence_spec.topology, sequence_spec.strategy)
    return builder.body(features, sequence_spec, options)


def _frames_diagram(frame_encoder: str):
    """The frames, their encoder per step, then the sequence builder's own diagram."""

    def draw(spec: TopologySpec) -> list[str]:
        steps = spec.input_steps
        encoders = [frame_encoder if label != "..." else "..." for label in labels("", steps)]
        frames = [
            row("X", labels("f", steps)) + "   (frames)",
            links(steps),
            row(frame_encoder[:8], encoders),
            links(steps),
        ]
        # The sequence diagram without its own X row and links.
        return frames + diagram_lines(_sequence_spec(spec, spec.input_features))[2:]

    return draw


@register_builder(
    "spatio_temporal",
    "cnn_lstm",
    unsupported=_needs_frames,
    summary="Layers: TimeDistributed(Conv2D -> MaxPooling2D) per filter size -> "
    "TimeDistributed(GlobalAveragePooling2D) -> the recurrent layers y calls for.",
    diagram=_frames_diagram("CNN"),
)
def cnn_lstm(inputs, spec, options):
    x = inputs  # (batch, T, H, W, C)
    height, width = spec.input_shape[1:3]
    for filters in options.filters:
        conv = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        x = keras.layers.TimeDistributed(conv)(x)  # -> (batch, T, H, W, filters)
        if min(height, width) >= 2:
            # -> (batch, T, H // 2, W // 2, filters)
            x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2))(x)
            height, width = height // 2, width // 2
    # -> (batch, T, filters[-1])
    x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="frame_features")(
        x
    )
    return _sequence_body(x, spec, options)


@register_builder(
    "spatio_temporal",
    "conv_lstm",
    unsupported=_needs_frames,
    summary="Layers: ConvLSTM2D per filter size (every step) -> "
    "TimeDistributed(GlobalAveragePooling2D) -> the recurrent layers y calls for.",
    diagram=_frames_diagram("ConvLSTM"),
)
def conv_lstm(inputs, spec, options):
    x = inputs  # (batch, T, H, W, C)
    for filters in options.filters:
        # -> (batch, T, H, W, filters)
        x = keras.layers.ConvLSTM2D(filters, 3, padding="same", return_sequences=True)(x)
    # -> (batch, T, filters[-1])
    x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="frame_features")(
        x
    )
    return _sequence_body(x, spec, options)
