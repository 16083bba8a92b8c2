"""Builders for one vector per sample: one-to-one and one-to-many.

Example:
    >>> from seqshape.builders import spec_from_shapes
    >>> spec_from_shapes((3,), (20, 1)).title
    'one-to-many, repeat_vector'
"""

from __future__ import annotations

import keras

from seqshape.builders.blocks import recurrent_stack, sample_head, step_head
from seqshape.builders.diagrams import chain, labels, links, row
from seqshape.builders.registry import register_builder, register_topology
from seqshape.spec import TopologySpec

register_topology(
    "one_to_one",
    title="one-to-one",
    reason=lambda spec: "One input, one output per sample: one-to-one.",
    # One vector in, one output; a single-step sequence too, ahead of many-to-one.
    chooses=lambda draft: (
        not draft.per_step
        and (
            draft.input_kind == "vector"
            or (draft.input_kind == "sequence" and draft.input_steps == 1)
        )
    ),
    priority=1,
)
register_topology(
    "one_to_many",
    title="one-to-many",
    reason=lambda spec: (
        f"One input vector, a sequence of {spec.output_steps} steps out: "
        "one-to-many (the vector is repeated for each output step)."
    ),
    chooses=lambda draft: draft.input_kind == "vector" and draft.per_step,
)


def _needs_vector_to_one(spec: TopologySpec) -> str | None:
    if spec.per_step:
        return f"it gives one output per sample, but y has {spec.output_steps} steps per sample"
    if spec.input_kind not in ("vector", "sequence") or (spec.input_steps or 1) != 1:
        return (
            f"it needs one vector (or one step) per sample, but X samples are {spec.input_shape}"
        )
    return None


def _as_single_step(inputs, spec: TopologySpec):
    if spec.input_kind == "vector":
        # (batch, F) -> (batch, 1, F)
        return keras.layers.Reshape((1, spec.input_features), name="single_step")(inputs)
    return inputs  # already (batch, 1, F)


def _one_to_one_diagram(box: str):
    def draw(spec: TopologySpec) -> list[str]:
        return [
            row("X", ["x"]),
            row("", ["|"]),
            row("model", [box]),
            row("", ["|"]),
            row("y", ["y"]),
        ]

    return draw


@register_builder(
    "one_to_one",
    "dense",
    unsupported=_needs_vector_to_one,
    default_for=("vector",),
    summary="Layers: Dense(units, relu) per size in units, then the output Dense.",
    reason="Strategy dense: a feed-forward network, since there is no sequence to recur over.",
    diagram=_one_to_one_diagram("[D]"),
)
def one_to_one_dense(inputs, spec, options):
    # (batch, F) or (batch, 1, F) -> (batch, F)
    x = inputs if spec.input_kind == "vector" else keras.layers.Flatten()(inputs)
    for size in options.units:
        x = keras.layers.Dense(size, activation="relu")(x)  # -> (batch, size)
    return sample_head(x, spec)  # -> (batch, K)


@register_builder(
    "one_to_one",
    "recurrent",
    unsupported=_needs_vector_to_one,
    default_for=("sequence",),
    summary="Layers: the recurrent stack over one step, then the output Dense.",
    reason="Strategy recurrent: the recurrent layer runs over the single step, then a Dense "
    "layer.",
    diagram=_one_to_one_diagram("[R]"),
)
def one_to_one_recurrent(inputs, spec, options):
    # (batch, 1, F) -> (batch, units[-1])
    x = recurrent_stack(_as_single_step(inputs, spec), options.units, options, sequences=False)
    return sample_head(x, spec)  # -> (batch, K)


def _needs_vector_to_sequence(spec: TopologySpec) -> str | None:
    if spec.input_kind != "vector":
        return f"it needs one vector per sample, but X samples are {spec.input_shape}"
    if not spec.per_step:
        return f"it needs a sequence per sample in y, but y samples are {spec.output_shape}"
    return None


def _repeat_vector_diagram(spec: TopologySpec) -> list[str]:
    steps = spec.output_steps
    return [
        row("X", ["x"]),
        row("", ["|"]) + f"  repeated {steps} times",
        row("repeat", labels("x", steps)),
        links(steps),
        chain("decoder", steps),
        links(steps),
        row("y", labels("y", steps)),
    ]


@register_builder(
    "one_to_many",
    "repeat_vector",
    unsupported=_needs_vector_to_sequence,
    summary="Layers: RepeatVector(T_out) -> recurrent stack (every step) -> "
    "TimeDistributed(Dense).",
    diagram=_repeat_vector_diagram,
)
def one_to_many_repeat_vector(inputs, spec, options):
    # (batch, F) -> (batch, T_out, F)
    x = keras.layers.RepeatVector(spec.output_steps, name="repeat")(inputs)
    x = recurrent_stack(x, options.units, options, sequences=True)  # -> (batch, T_out, units)
    return step_head(x, spec)  # -> (batch, T_out, K)
