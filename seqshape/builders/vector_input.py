"""Builders for one vector per sample: one-to-one and one-to-many."""

from __future__ import annotations

import keras

from seqshape.builders.blocks import recurrent_stack, sample_head, step_head
from seqshape.builders.registry import register_builder


def _needs_vector_to_one(spec) -> str | None:
    if spec.per_step:
        return f"it gives one output per sample, but y has {spec.output_steps} steps per sample"
    if spec.input_kind not in ("vector", "sequence") or (spec.input_steps or 1) != 1:
        return (
            f"it needs one vector (or one step) per sample, but X samples are {spec.input_shape}"
        )
    return None


def _as_single_step(inputs, spec):
    if spec.input_kind == "vector":
        return keras.layers.Reshape((1, spec.input_features), name="single_step")(inputs)
    return inputs


@register_builder(
    "one_to_one",
    "dense",
    unsupported=_needs_vector_to_one,
    default_for=("vector",),
    summary="Layers: Dense(units, relu) per size in units, then the output Dense.",
)
def one_to_one_dense(inputs, spec, options):
    x = inputs if spec.input_kind == "vector" else keras.layers.Flatten()(inputs)
    for size in options.units:
        x = keras.layers.Dense(size, activation="relu")(x)
    return sample_head(x, spec)


@register_builder(
    "one_to_one",
    "recurrent",
    unsupported=_needs_vector_to_one,
    default_for=("sequence",),
    summary="Layers: the recurrent stack over one step, then the output Dense.",
)
def one_to_one_recurrent(inputs, spec, options):
    x = recurrent_stack(_as_single_step(inputs, spec), options.units, options, sequences=False)
    return sample_head(x, spec)


def _needs_vector_to_sequence(spec) -> str | None:
    if spec.input_kind != "vector":
        return f"it needs one vector per sample, but X samples are {spec.input_shape}"
    if not spec.per_step:
        return f"it needs a sequence per sample in y, but y samples are {spec.output_shape}"
    return None


@register_builder(
    "one_to_many",
    "repeat_vector",
    unsupported=_needs_vector_to_sequence,
    summary="Layers: RepeatVector(T_out) -> recurrent stack (every step) -> "
    "TimeDistributed(Dense).",
)
def one_to_many_repeat_vector(inputs, spec, options):
    x = keras.layers.RepeatVector(spec.output_steps, name="repeat")(inputs)
    x = recurrent_stack(x, options.units, options, sequences=True)
    return step_head(x, spec)
