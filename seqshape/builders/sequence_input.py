"""Builders for a sequence per sample: many-to-one, aligned and different-length outputs."""

from __future__ import annotations

import keras

from seqshape.builders.blocks import recurrent_stack, sample_head, sequence_front, step_head
from seqshape.builders.registry import register_builder


def _sequence_in(spec) -> str | None:
    if spec.input_kind not in ("sequence", "tokens"):
        return f"it needs a sequence per sample in X, but X samples are {spec.input_shape}"
    return None


def _needs_sequence_to_one(spec) -> str | None:
    if spec.per_step:
        return f"it gives one output per sample, but y samples are {spec.output_shape}"
    return _sequence_in(spec)


def _needs_sequence_to_sequence(spec) -> str | None:
    if not spec.per_step:
        return f"it gives a sequence per sample, but y samples are {spec.output_shape}"
    return _sequence_in(spec)


def _needs_aligned(spec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps != spec.input_steps:
        problem = (
            f"it needs as many output steps as input steps, but X has {spec.input_steps} "
            f"and y has {spec.output_steps}"
        )
    return problem


def _needs_fewer_outputs(spec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps > spec.input_steps:
        problem = (
            f"it keeps the last T_out of T_in steps, so it needs T_out <= T_in, but "
            f"T_out={spec.output_steps} > T_in={spec.input_steps} (use 'pad' or "
            "'encoder_decoder')"
        )
    return problem


def _needs_more_outputs(spec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps < spec.input_steps:
        problem = (
            f"it pads the input up to T_out steps, so it needs T_out >= T_in, but "
            f"T_out={spec.output_steps} < T_in={spec.input_steps} (use 'last_steps' or "
            "'encoder_decoder')"
        )
    return problem


def _read_sequence(inputs, spec, options, *, sequences: bool):
    """The sequence front (embedding or masking) followed by the recurrent stack."""
    return recurrent_stack(
        sequence_front(inputs, spec, options), options.units, options, sequences=sequences
    )


@register_builder(
    "many_to_one",
    "last_state",
    unsupported=_needs_sequence_to_one,
    summary="Layers: recurrent stack (last state) -> Dense.",
)
def many_to_one_last_state(inputs, spec, options):
    x = _read_sequence(inputs, spec, options, sequences=False)
    return sample_head(x, spec)


@register_builder(
    "many_to_many_aligned",
    "time_distributed",
    unsupported=_needs_aligned,
    summary="Layers: recurrent stack (every step) -> TimeDistributed(Dense).",
)
def aligned_time_distributed(inputs, spec, options):
    x = _read_sequence(inputs, spec, options, sequences=True)
    return step_head(x, spec)


@register_builder(
    "many_to_many",
    "encoder_decoder",
    unsupported=_needs_sequence_to_sequence,
    default_for=("sequence", "tokens"),
    summary="Layers: encoder stack (last state) -> RepeatVector(T_out) -> decoder stack "
    "(the units reversed, every step) -> TimeDistributed(Dense).",
)
def many_to_many_encoder_decoder(inputs, spec, options):
    state = _read_sequence(inputs, spec, options, sequences=False)
    x = keras.layers.RepeatVector(spec.output_steps, name="repeat")(state)
    x = recurrent_stack(x, options.units[::-1], options, sequences=True)
    return step_head(x, spec)


@register_builder(
    "many_to_many",
    "last_steps",
    unsupported=_needs_fewer_outputs,
    summary="Layers: recurrent stack (every step) -> Cropping1D keeps the last T_out "
    "steps -> TimeDistributed(Dense).",
)
def many_to_many_last_steps(inputs, spec, options):
    x = _read_sequence(inputs, spec, options, sequences=True)
    dropped = spec.input_steps - spec.output_steps
    x = keras.layers.Cropping1D((dropped, 0), name="last_steps")(x)
    return step_head(x, spec)


@register_builder(
    "many_to_many",
    "pad",
    unsupported=_needs_more_outputs,
    summary="Layers: ZeroPadding1D to T_out steps -> recurrent stack (every step) -> "
    "TimeDistributed(Dense).",
)
def many_to_many_pad(inputs, spec, options):
    x = sequence_front(inputs, spec, options)
    added = spec.output_steps - spec.input_steps
    x = keras.layers.ZeroPadding1D((0, added), name="pad_steps")(x)
    x = recurrent_stack(x, options.units, options, sequences=True)
    return step_head(x, spec)


@register_builder(
    "many_to_many",
    "dense_head",
    unsupported=_needs_sequence_to_sequence,
    summary="Layers: recurrent stack (last state) -> Dense(T_out * outputs) -> "
    "Reshape((T_out, outputs)).",
)
def many_to_many_dense_head(inputs, spec, options):
    x = _read_sequence(inputs, spec, options, sequences=False)
    x = keras.layers.Dense(spec.output_steps * spec.head_units, name="head")(x)
    x = keras.layers.Reshape((spec.output_steps, spec.head_units), name="steps")(x)
    if spec.head_activation != "linear":
        x = keras.layers.Activation(spec.head_activation, name="step_activation")(x)
    return x
