"""Builders for a sequence per sample: many-to-one, aligned and different-length outputs.

Example:
    >>> from seqshape.builders import spec_from_shapes
    >>> spec_from_shapes((40, 2), (40, 1)).title
    'many-to-many (aligned), time_distributed'
"""

from __future__ import annotations

import keras

from seqshape.builders.blocks import recurrent_stack, sample_head, sequence_front, step_head
from seqshape.builders.diagrams import chain, labels, links, row
from seqshape.builders.registry import register_builder, register_topology
from seqshape.spec import TopologySpec

SEQUENCE_KINDS = ("sequence", "tokens")


def sequence_topology(input_steps: int, output_steps: int | None) -> str:
    """The topology of a sequence input against an output: per sample, aligned or not.

    Example:
        >>> sequence_topology(40, None), sequence_topology(40, 40), sequence_topology(40, 10)
        ('many_to_one', 'many_to_many_aligned', 'many_to_many')
    """
    if output_steps is None:
        return "many_to_one"
    return "many_to_many_aligned" if output_steps == input_steps else "many_to_many"


def _chooses(topology: str):
    def chooses(draft: TopologySpec) -> bool:
        return draft.input_kind in SEQUENCE_KINDS and topology == sequence_topology(
            draft.input_steps, draft.output_steps
        )

    return chooses


register_topology(
    "many_to_one",
    title="many-to-one",
    reason=lambda spec: (
        "A sequence in, one output per sample: many-to-one (the recurrent "
        "layer's last state feeds the output)."
    ),
    chooses=_chooses("many_to_one"),
)
register_topology(
    "many_to_many_aligned",
    title="many-to-many (aligned)",
    reason=lambda spec: (
        f"A sequence in and out, both {spec.input_steps} steps: many-to-many "
        "aligned (one output per input step)."
    ),
    chooses=_chooses("many_to_many_aligned"),
)
register_topology(
    "many_to_many",
    title="many-to-many (different lengths)",
    reason=lambda spec: (
        f"A sequence of {spec.input_steps} steps in and {spec.output_steps} "
        "steps out: many-to-many with different lengths."
    ),
    chooses=_chooses("many_to_many"),
)


def _sequence_in(spec: TopologySpec) -> str | None:
    if spec.input_kind not in SEQUENCE_KINDS:
        return f"it needs a sequence per sample in X, but X samples are {spec.input_shape}"
    return None


def _needs_sequence_to_one(spec: TopologySpec) -> str | None:
    if spec.per_step:
        return f"it gives one output per sample, but y samples are {spec.output_shape}"
    return _sequence_in(spec)


def _needs_sequence_to_sequence(spec: TopologySpec) -> str | None:
    if not spec.per_step:
        return f"it gives a sequence per sample, but y samples are {spec.output_shape}"
    return _sequence_in(spec)


def _needs_aligned(spec: TopologySpec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps != spec.input_steps:
        problem = (
            f"it needs as many output steps as input steps, but X has {spec.input_steps} "
            f"and y has {spec.output_steps}"
        )
    return problem


def _needs_fewer_outputs(spec: TopologySpec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps > spec.input_steps:
        problem = (
            f"it keeps the last T_out of T_in steps, so it needs T_out <= T_in, but "
            f"T_out={spec.output_steps} > T_in={spec.input_steps} (use 'pad' or "
            "'encoder_decoder')"
        )
    return problem


def _needs_more_outputs(spec: TopologySpec) -> str | None:
    problem = _needs_sequence_to_sequence(spec)
    if problem is None and spec.output_steps < spec.input_steps:
        problem = (
            f"it pads the input up to T_out steps, so it needs T_out >= T_in, but "
            f"T_out={spec.output_steps} < T_in={spec.input_steps} (use 'last_steps' or "
            "'encoder_decoder')"
        )
    return problem


def _read_sequence(inputs, spec: TopologySpec, options, *, sequences: bool):
    """The sequence front (embedding or masking) followed by the recurrent stack.

    ``(batch, T, F)`` (or token ids ``(batch, T)``) -> ``(batch, T, units[-1])`` when
    ``sequences``, else the last state ``(batch, units[-1])``.
    """
    return recurrent_stack(
        sequence_front(inputs, spec, options), options.units, options, sequences=sequences
    )


def _last_state_diagram(spec: TopologySpec) -> list[str]:
    """Every input step into the recurrent layer, its last state to one output."""
    steps = spec.input_steps
    width = len(labels("", steps))
    return [
        row("X", labels("x", steps)),
        links(steps),
        chain("encoder", steps),
        row("", ["|"], width - 1),
        row("y", ["y"], width - 1),
    ]


@register_builder(
    "many_to_one",
    "last_state",
    unsupported=_needs_sequence_to_one,
    default_for=SEQUENCE_KINDS,
    summary="Layers: recurrent stack (last state) -> Dense.",
    diagram=_last_state_diagram,
)
def many_to_one_last_state(inputs, spec, options):
    x = _read_sequence(inputs, spec, options, sequences=False)  # (batch, T, F) -> (batch, units)
    return sample_head(x, spec)  # -> (batch, K)


def _time_distributed_diagram(spec: TopologySpec) -> list[str]:
    """One output per input step."""
    steps = spec.input_steps
    return [
        row("X", labels("x", steps)),
        links(steps),
        chain("model", steps),
        links(steps),
        row("y", labels("y", steps)),
    ]


@register_builder(
    "many_to_many_aligned",
    "time_distributed",
    unsupported=_needs_aligned,
    default_for=SEQUENCE_KINDS,
    summary="Layers: recurrent stack (every step) -> TimeDistributed(Dense).",
    diagram=_time_distributed_diagram,
)
def aligned_time_distributed(inputs, spec, options):
    # (batch, T, F) -> (batch, T, units)
    x = _read_sequence(inputs, spec, options, sequences=True)
    return step_head(x, spec)  # -> (batch, T, K)


def _encoder_decoder_diagram(spec: TopologySpec) -> list[str]:
    """The encoder's last state, repeated once per output step and decoded."""
    steps_in, steps_out = spec.input_steps, spec.output_steps
    state_column = len(chain("encoder", steps_in)) + 6
    return [
        row("X", labels("x", steps_in)),
        links(steps_in),
        chain("encoder", steps_in, tail="--> state"),
        " " * state_column + f"|  repeated {steps_out} times",
        chain("decoder", steps_out),
        links(steps_out),
        row("y", labels("y", steps_out)),
    ]


@register_builder(
    "many_to_many",
    "encoder_decoder",
    unsupported=_needs_sequence_to_sequence,
    default_for=SEQUENCE_KINDS,
    summary="Layers: encoder stack (last state) -> RepeatVector(T_out) -> decoder stack "
    "(the units reversed, every step) -> TimeDistributed(Dense).",
    reason="Strategy encoder_decoder (the default for different lengths): an encoder reads "
    "all input steps into a state, which is repeated once per output step and decoded. "
    "Alternatives: last_steps, pad, dense_head.",
    diagram=_encoder_decoder_diagram,
)
def many_to_many_encoder_decoder(inputs, spec, options):
    # (batch, T_in, F) -> (batch, units[-1])
    state = _read_sequence(inputs, spec, options, sequences=False)
    # -> (batch, T_out, units[-1])
    x = keras.layers.RepeatVector(spec.output_steps, name="repeat")(state)
    # -> (batch, T_out, units[0])
    x = recurrent_stack(x, options.units[::-1], options, sequences=True)
    return step_head(x, spec)  # -> (batch, T_out, K)


def _last_steps_diagram(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    kept = min(len(labels("", steps_out)), len(labels("", steps_in)))
    offset = len(labels("", steps_in)) - kept
    return [
        row("X", labels("x", steps_in)),
        links(steps_in),
        chain("model", steps_in),
        links(steps_out, offset) + f"   last {steps_out} of {steps_in} steps kept",
        row("y", labels("y", steps_out), offset),
    ]


@register_builder(
    "many_to_many",
    "last_steps",
    unsupported=_needs_fewer_outputs,
    summary="Layers: recurrent stack (every step) -> Cropping1D keeps the last T_out "
    "steps -> TimeDistributed(Dense).",
    reason="Strategy last_steps: the recurrent layer returns every step and the last T_out "
    "steps are kept (Cropping1D, no Lambda).",
    diagram=_last_steps_diagram,
)
def many_to_many_last_steps(inputs, spec, options):
    # (batch, T_in, F) -> (batch, T_in, units)
    x = _read_sequence(inputs, spec, options, sequences=True)
    dropped = spec.input_steps - spec.output_steps
    x = keras.layers.Cropping1D((dropped, 0), name="last_steps")(x)  # -> (batch, T_out, units)
    return step_head(x, spec)  # -> (batch, T_out, K)


def _pad_diagram(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    inputs = [*labels("x", steps_in), *["0"] * min(steps_out - steps_in, 2)]
    return [
        row("X", inputs) + f"   zero-padded to {steps_out} steps",
        links(steps_out),
        chain("model", steps_out),
        links(steps_out),
        row("y", labels("y", steps_out)),
    ]


@register_builder(
    "many_to_many",
    "pad",
    unsupported=_needs_more_outputs,
    summary="Layers: ZeroPadding1D to T_out steps -> recurrent stack (every step) -> "
    "TimeDistributed(Dense).",
    reason="Strategy pad: the input is padded with zeros to T_out steps (ZeroPadding1D), "
    "then treated as aligned.",
    diagram=_pad_diagram,
)
def many_to_many_pad(inputs, spec, options):
    x = sequence_front(inputs, spec, options)  # (batch, T_in, F) (tokens: embedded)
    added = spec.output_steps - spec.input_steps
    x = keras.layers.ZeroPadding1D((0, added), name="pad_steps")(x)  # -> (batch, T_out, F)
    x = recurrent_stack(x, options.units, options, sequences=True)  # -> (batch, T_out, units)
    return step_head(x, spec)  # -> (batch, T_out, K)


def _dense_head_diagram(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    return [
        row("X", labels("x", steps_in)),
        links(steps_in),
        chain("encoder", steps_in, tail="--> state --> Dense --> Reshape"),
        " " * 10 + f"all {steps_out} output steps at once",
        row("y", labels("y", steps_out)),
    ]


@register_builder(
    "many_to_many",
    "dense_head",
    unsupported=_needs_sequence_to_sequence,
    summary="Layers: recurrent stack (last state) -> Dense(T_out * outputs) -> "
    "Reshape((T_out, outputs)).",
    reason="Strategy dense_head: the last state feeds Dense(T_out * outputs), reshaped to "
    "(T_out, outputs).",
    diagram=_dense_head_diagram,
)
def many_to_many_dense_head(inputs, spec, options):
    # (batch, T_in, F) -> (batch, units)
    x = _read_sequence(inputs, spec, options, sequences=False)
    # -> (batch, T_out * K)
    x = keras.layers.Dense(spec.output_steps * spec.head_units, name="head")(x)
    # -> (batch, T_out, K)
    x = keras.layers.Reshape((spec.output_steps, spec.head_units), name="steps")(x)
    if spec.head_activation != "linear":
        x = keras.layers.Activation(spec.head_activation, name="step_activation")(x)
    return x
