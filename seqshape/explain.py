"""Explaining a spec and its model: the topology, the reasons, a diagram, the layer trace.

Example:
    >>> from seqshape import build_model, spec_from_shapes, ArchitectureOptions
    >>> from seqshape.explain import explain_model
    >>> spec = spec_from_shapes((40, 2), (10, 2))
    >>> report = explain_model(spec, build_model(spec, ArchitectureOptions(units=(8,))))
    >>> report.total_params
    914
    >>> print(report.diagram)
    X        x1    x2    x3   ...   x40
             |     |     |           |
    encoder [R]-->[R]-->[R]-->...-->[R]--> state
                                            |  repeated 10 times
    decoder [R]-->[R]-->[R]-->...-->[R]
             |     |     |           |
    y        y1    y2    y3   ...   y10
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from seqshape.spec import TopologySpec

_CELL = 6  # characters per drawn step


def _labels(prefix: str, steps: int) -> list[str]:
    """``x1 x2 x3 ... x40``: at most four steps drawn, an ellipsis between."""
    if steps <= 4:
        return [f"{prefix}{step}" for step in range(1, steps + 1)]
    return [f"{prefix}1", f"{prefix}2", f"{prefix}3", "...", f"{prefix}{steps}"]


def _row(name: str, cells: list[str], offset: int = 0) -> str:
    text = "".join(cell.center(_CELL) for cell in cells)
    return (f"{name:<8}" + " " * (offset * _CELL) + text).rstrip()


def _chain(name: str, steps: int, offset: int = 0, tail: str = "") -> str:
    boxes = ["[R]" if label != "..." else "..." for label in _labels("", steps)]
    return (f"{name:<8} " + " " * (offset * _CELL) + "-->".join(boxes) + tail).rstrip()


def _links(steps: int, offset: int = 0) -> str:
    return _row("", ["|" if label != "..." else "" for label in _labels("", steps)], offset)


def _one_to_one(spec: TopologySpec) -> list[str]:
    box = "[D]" if spec.strategy == "dense" else "[R]"
    return [
        _row("X", ["x"]),
        _row("", ["|"]),
        _row("model", [box]),
        _row("", ["|"]),
        _row("y", ["y"]),
    ]


def _one_to_many(spec: TopologySpec) -> list[str]:
    steps = spec.output_steps
    return [
        _row("X", ["x"]),
        _row("", ["|"]) + f"  repeated {steps} times",
        _row("repeat", _labels("x", steps)),
        _links(steps),
        _chain("decoder", steps),
        _links(steps),
        _row("y", _labels("y", steps)),
    ]


def _many_to_one(spec: TopologySpec) -> list[str]:
    steps = spec.input_steps
    width = len(_labels("", steps))
    return [
        _row("X", _labels("x", steps)),
        _links(steps),
        _chain("encoder", steps),
        _row("", ["|"], width - 1),
        _row("y", ["y"], width - 1),
    ]


def _aligned(spec: TopologySpec) -> list[str]:
    steps = spec.input_steps
    return [
        _row("X", _labels("x", steps)),
        _links(steps),
        _chain("model", steps),
        _links(steps),
        _row("y", _labels("y", steps)),
    ]


def _encoder_decoder(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    state_column = len(_chain("encoder", steps_in)) + 6
    return [
        _row("X", _labels("x", steps_in)),
        _links(steps_in),
        _chain("encoder", steps_in, tail="--> state"),
        " " * state_column + f"|  repeated {steps_out} times",
        _chain("decoder", steps_out),
        _links(steps_out),
        _row("y", _labels("y", steps_out)),
    ]


def _last_steps(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    kept = min(len(_labels("", steps_out)), len(_labels("", steps_in)))
    offset = len(_labels("", steps_in)) - kept
    return [
        _row("X", _labels("x", steps_in)),
        _links(steps_in),
        _chain("model", steps_in),
        _links(steps_out, offset) + f"   last {steps_out} of {steps_in} steps kept",
        _row("y", _labels("y", steps_out), offset),
    ]


def _pad(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    inputs = [*_labels("x", steps_in), *["0"] * min(steps_out - steps_in, 2)]
    return [
        _row("X", inputs) + f"   zero-padded to {steps_out} steps",
        _links(steps_out),
        _chain("model", steps_out),
        _links(steps_out),
        _row("y", _labels("y", steps_out)),
    ]


def _dense_head(spec: TopologySpec) -> list[str]:
    steps_in, steps_out = spec.input_steps, spec.output_steps
    return [
        _row("X", _labels("x", steps_in)),
        _links(steps_in),
        _chain("encoder", steps_in, tail="--> state --> Dense --> Reshape"),
        " " * 10 + f"all {steps_out} output steps at once",
        _row("y", _labels("y", steps_out)),
    ]


def _channel_independent(spec: TopologySpec) -> list[str]:
    inner = _MANY_TO_MANY[spec.strategy](spec)
    return [
        f"for each of the {spec.input_features} channels, one shared univariate model:",
        *inner,
    ]


def _spatio_temporal(spec: TopologySpec) -> list[str]:
    steps = spec.input_steps
    frame_encoder = "CNN" if spec.strategy == "cnn_lstm" else "ConvLSTM"
    lines = [
        _row("X", _labels("f", steps)) + "   (frames)",
        _links(steps),
        _row(
            frame_encoder[:8],
            [frame_encoder if label != "..." else "..." for label in _labels("", steps)],
        ),
        _links(steps),
    ]
    if not spec.per_step:
        return lines + _many_to_one(spec)[2:]
    if spec.output_steps == steps:
        return lines + _aligned(spec)[2:]
    return lines + _encoder_decoder(spec)[2:]


_MANY_TO_MANY: dict[str, Callable[[TopologySpec], list[str]]] = {
    "encoder_decoder": _encoder_decoder,
    "last_steps": _last_steps,
    "pad": _pad,
    "dense_head": _dense_head,
}

_DIAGRAMS: dict[str, Callable[[TopologySpec], list[str]]] = {
    "one_to_one": _one_to_one,
    "one_to_many": _one_to_many,
    "many_to_one": _many_to_one,
    "many_to_many_aligned": _aligned,
    "many_to_many": lambda spec: _MANY_TO_MANY[spec.strategy](spec),
    "channel_independent": _channel_independent,
    "spatio_temporal": _spatio_temporal,
}


def diagram(spec: TopologySpec) -> str:
    """A small text picture of how input steps flow to output steps."""
    return "\n".join(_DIAGRAMS[spec.topology](spec))


@dataclass(frozen=True)
class LayerTrace:
    """One layer of the built model: its name, kind, output shape and parameters."""

    name: str
    kind: str
    output_shape: tuple
    params: int


@dataclass(frozen=True)
class Explanation:
    """What ``SequenceModel.explain()`` and ``seqshape explain`` show."""

    spec: TopologySpec
    diagram: str
    layers: tuple[LayerTrace, ...]
    total_params: int

    def __str__(self) -> str:
        spec = self.spec
        lines = [f"Topology: {spec.title}", f"Task: {spec.task}", "", "Why:"]
        lines += [f"  - {reason}" for reason in spec.reasons]
        lines += ["", "Diagram:", *[f"  {line}" for line in self.diagram.splitlines()]]
        lines += ["", "Layers:", f"  {'layer':<26}{'kind':<34}{'output shape':<22}{'params':>9}"]
        for layer in self.layers:
            shape = str(layer.output_shape).replace("None", "batch")
            lines.append(f"  {layer.name:<26}{layer.kind:<34}{shape:<22}{layer.params:>9,}")
        lines.append(f"  {'total':<82}{self.total_params:>9,}")
        return "\n".join(lines)


def _kind(layer) -> str:
    inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
    name = type(layer).__name__
    if inner is None:
        return name
    inner_name = "Model" if isinstance(inner, keras.Model) else type(inner).__name__
    return f"{name}({inner_name})"


def explain_model(spec: TopologySpec, model: keras.Model) -> Explanation:
    """Explain ``model`` built for ``spec``."""
    layers = tuple(
        LayerTrace(layer.name, _kind(layer), tuple(layer.output.shape), layer.count_params())
        for layer in model.layers
    )
    return Explanation(spec, diagram(spec), layers, model.count_params())
