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

from dataclasses import dataclass

import keras

from seqshape.builders.registry import diagram_lines, topology_title
from seqshape.spec import TopologySpec


def diagram(spec: TopologySpec) -> str:
    """A small text picture of how input steps flow to output steps.

    Drawn by the spec's registered strategy, else its topology, else a generic picture
    of the steps (``seqshape.builders.registry.diagram_lines``).
    """
    return "\n".join(diagram_lines(spec))


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
    title: str = ""  # the registered topology's title and the strategy; else spec.title
    notes: tuple[str, ...] = ()  # what training found, e.g. the model against baselines

    def __str__(self) -> str:
        spec = self.spec
        lines = [f"Topology: {self.title or spec.title}", f"Task: {spec.task}", "", "Why:"]
        lines += [f"  - {reason}" for reason in spec.reasons]
        if self.notes:
            lines += ["", "Training:", *[f"  - {note}" for note in self.notes]]
        lines += ["", "Diagram:", *[f"  {line}" for line in self.diagram.splitlines()]]
        lines += ["", "Layers:", f"  {'layer':<26}{'kind':<34}{'output shape':<22}{'params':>9}"]
        for layer in self.layers:
            shape = str(layer.output_shape).replace("None", "batch", 1).replace("None", "steps")
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


def _output_shape(layer) -> tuple:
    """The layer's output shape; the first output's for layers with several."""
    output = layer.output
    return tuple((output[0] if isinstance(output, (list, tuple)) else output).shape)


def explain_model(
    spec: TopologySpec, model: keras.Model, notes: tuple[str, ...] = ()
) -> Explanation:
    """Explain ``model`` built for ``spec``; ``notes`` add what training found."""
    layers = tuple(
        LayerTrace(layer.name, _kind(layer), _output_shape(layer), layer.count_params())
        for layer in model.layers
    )
    title = f"{topology_title(spec)}, {spec.strategy}"
    return Explanation(spec, diagram(spec), layers, model.count_params(), title, notes)
