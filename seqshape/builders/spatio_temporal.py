"""Spatio-temporal builders: a sequence of frames, encoded per step, then recurrent layers.

The frame encoder turns ``(T, H, W, C)`` into ``(T, D)`` frame features; the rest is
the sequence builder that y calls for (many-to-one, aligned, or encoder-decoder).
"""

from __future__ import annotations

import dataclasses

import keras

from seqshape.builders.registry import default_strategy, get_builder, register_builder
from seqshape.spec import sequence_topology


def _needs_frames(spec) -> str | None:
    if spec.input_kind != "frames":
        return (
            "it needs a sequence of images per sample (5D X: samples, steps, height, "
            f"width, channels), but X samples are {spec.input_shape}"
        )
    return None


def _sequence_body(features, spec, options):
    """Hand the per-step frame features to the sequence builder that y calls for."""
    width = features.shape[-1]
    topology = sequence_topology(spec.input_steps, spec.output_steps)
    sequence_spec = dataclasses.replace(
        spec,
        topology=topology,
        strategy=default_strategy(topology, "sequence"),
        input_kind="sequence",
        input_shape=(spec.input_steps, width),
        input_features=width,
    )
    return get_builder(topology, sequence_spec.strategy).body(features, sequence_spec, options)


@register_builder(
    "spatio_temporal",
    "cnn_lstm",
    unsupported=_needs_frames,
    summary="Layers: TimeDistributed(Conv2D -> MaxPooling2D) per filter size -> "
    "TimeDistributed(GlobalAveragePooling2D) -> the recurrent layers y calls for.",
)
def cnn_lstm(inputs, spec, options):
    x = inputs
    height, width = spec.input_shape[1:3]
    for filters in options.filters:
        conv = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        x = keras.layers.TimeDistributed(conv)(x)
        if min(height, width) >= 2:
            x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2))(x)
            height, width = height // 2, width // 2
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
)
def conv_lstm(inputs, spec, options):
    x = inputs
    for filters in options.filters:
        x = keras.layers.ConvLSTM2D(filters, 3, padding="same", return_sequences=True)(x)
    x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="frame_features")(
        x
    )
    return _sequence_body(x, spec, options)
