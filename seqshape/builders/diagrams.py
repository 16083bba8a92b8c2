"""Drawing helpers for the text diagrams of ``explain()``, and the generic diagram.

A diagram is a list of lines. Each drawn step takes six characters; at most four steps
are drawn, with an ellipsis before the last.

Example:
    >>> print("\\n".join([row("X", labels("x", 40)), links(40), chain("model", 40)]))
    X        x1    x2    x3   ...   x40
             |     |     |           |
    model   [R]-->[R]-->[R]-->...-->[R]
"""

from __future__ import annotations

from collections.abc import Callable

from seqshape.spec import TopologySpec

# diagram(spec) -> the lines of a small text picture of the model for that spec.
Diagram = Callable[[TopologySpec], list[str]]

CELL = 6  # characters per drawn step


def labels(prefix: str, steps: int) -> list[str]:
    """``x1 x2 x3 ... x40``: at most four steps drawn, an ellipsis between.

    Example:
        >>> labels("y", 3), labels("y", 10)
        (['y1', 'y2', 'y3'], ['y1', 'y2', 'y3', '...', 'y10'])
    """
    if steps <= 4:
        return [f"{prefix}{step}" for step in range(1, steps + 1)]
    return [f"{prefix}1", f"{prefix}2", f"{prefix}3", "...", f"{prefix}{steps}"]


def row(name: str, cells: list[str], offset: int = 0) -> str:
    """A named row of cells, each centred in ``CELL`` characters, ``offset`` cells in."""
    text = "".join(cell.center(CELL) for cell in cells)
    return (f"{name:<8}" + " " * (offset * CELL) + text).rstrip()


def chain(name: str, steps: int, offset: int = 0, tail: str = "") -> str:
    """A recurrent layer unrolled over ``steps``: ``[R]-->[R]-->...-->[R]``, then ``tail``."""
    boxes = ["[R]" if label != "..." else "..." for label in labels("", steps)]
    return (f"{name:<8} " + " " * (offset * CELL) + "-->".join(boxes) + tail).rstrip()


def links(steps: int, offset: int = 0) -> str:
    """The ``|`` under each drawn step."""
    return row("", ["|" if label != "..." else "" for label in labels("", steps)], offset)


def generic_diagram(spec: TopologySpec) -> list[str]:
    """The diagram of a builder registered without one: X's steps, the model, y's steps.

    Example:
        >>> from seqshape.spec import read_shapes
        >>> spec = read_shapes((40, 2), (10, 2))
        >>> print("\\n".join(generic_diagram(spec)))
        X        x1    x2    x3   ...   x40
                 |     |     |           |
        model   [auto/auto]
                 |     |     |           |
        y        y1    y2    y3   ...   y10
    """
    inputs = labels("x", spec.input_steps) if spec.input_steps else ["x"]
    outputs = labels("y", spec.output_steps) if spec.output_steps else ["y"]
    return [
        row("X", inputs),
        row("", ["|" if cell != "..." else "" for cell in inputs]),
        f"{'model':<8}[{spec.topology}/{spec.strategy}]",
        row("", ["|" if cell != "..." else "" for cell in outputs]),
        row("y", outputs),
    ]
