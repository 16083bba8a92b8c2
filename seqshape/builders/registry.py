"""The registry: each topology and each strategy, with everything seqshape knows about it.

A topology (``register_topology``) carries its title, the reason it fits a spec, an
optional diagram, and a rule for choosing it automatically. A strategy of a topology
(``register_builder``) carries the body that builds its layers, what it cannot serve,
a summary of its layers, the reason for it, an optional diagram, and the input kinds
for which it is the default. Choosing a spec (``seqshape.builders.choice``), building a
model and ``explain()`` all read from here; nothing about a builder is kept elsewhere.

Example:
    >>> from seqshape.builders.registry import get_topology, strategies
    >>> strategies("many_to_many")
    ('dense_head', 'encoder_decoder', 'last_steps', 'pad')
    >>> get_topology("many_to_many").title
    'many-to-many (different lengths)'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from seqshape.builders.diagrams import Diagram, generic_diagram
from seqshape.errors import InvalidInputError
from seqshape.spec import TopologySpec

# body(inputs, spec, options) -> outputs: Keras tensors in, Keras tensors out.
Body = Callable[..., object]
# unsupported(spec) -> None when the builder can serve the spec, else why not.
Check = Callable[[TopologySpec], "str | None"]
# reason(spec) -> one sentence for the "Why:" list of explain().
Reason = Callable[[TopologySpec], str]
# code(spec, options) -> the Python source (Keras 3, numpy) whose statements define
# `model` for spec: what `seqshape code` prints for the builder instead of the source
# read off the built model (seqshape.code.source).
CodeEmitter = Callable[..., str]
# chooses(draft) -> True when the topology is the automatic choice for a draft spec
# (``seqshape.spec.read_shapes``: topology and strategy still "auto").
Chooser = Callable[[TopologySpec], bool]


@dataclass(frozen=True)
class Topology:
    """A registered topology: its human title, why it fits, its diagram, when it is chosen.

    ``diagram`` is used for strategies registered without their own; ``chooses`` is
    ``None`` for a topology chosen only by name. Among the topologies that choose a
    draft spec, the highest ``priority`` wins (then the first registered).
    """

    name: str
    title: str
    reason: Reason
    diagram: Diagram | None = None
    chooses: Chooser | None = None
    priority: int = 0
    implicit: bool = False  # created by register_builder for a topology never registered


@dataclass(frozen=True)
class Builder:
    """A registered way to build a model: the layers between the Input and the output.

    ``reason`` (a sentence, or a function of the spec) is given when the strategy was
    chosen automatically; ``diagram`` overrides the topology's diagram; ``default_for``
    lists the input kinds for which it is the topology's automatic strategy. ``code``
    writes the model's source for ``seqshape code``; ``None`` (every built-in builder)
    reads it off the built model, which works for any body made of Keras' own layers
    and seqshape's.
    """

    topology: str
    strategy: str
    body: Body
    unsupported: Check
    summary: str = ""
    reason: str | Reason | None = None
    diagram: Diagram | None = None
    default_for: tuple[str, ...] = ()
    code: CodeEmitter | None = None

    def reason_for(self, spec: TopologySpec) -> str | None:
        """The reason for this strategy, for ``spec``; ``None`` when it has none."""
        return self.reason(spec) if callable(self.reason) else self.reason or None


_TOPOLOGIES: dict[str, Topology] = {}
_BUILDERS: dict[tuple[str, str], Builder] = {}


def _always_supported(spec: TopologySpec) -> None:
    return None


def _check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value or value == "auto":
        raise InvalidInputError(
            what,
            expected="a name other than 'auto', e.g. 'many_to_many'",
            received=repr(value),
            fix="Name it in snake_case: the name is how users force it by name.",
        )
    return value


def register_topology(
    name: str,
    *,
    title: str,
    reason: Reason,
    diagram: Diagram | None = None,
    chooses: Chooser | None = None,
    priority: int = 0,
) -> Topology:
    """Register a topology, before the strategies that build it.

    Args:
        name: how users force it (``topology="my_topology"``).
        title: its human name, shown by ``explain()``: ``"many-to-one"``.
        reason: ``reason(spec) -> str``, the sentence saying why the topology fits.
        diagram: ``diagram(spec) -> list[str]``, the picture for strategies that have
            none of their own; without one, a generic picture of the steps is drawn.
        chooses: ``chooses(draft) -> bool``, whether ``topology="auto"`` picks it for a
            draft spec (its shapes read, topology and strategy still ``"auto"``);
            ``None`` for a topology that is only chosen by name.
        priority: among topologies that choose the same draft, the highest wins.

    Example:
        >>> topology = register_topology(
        ...     "doc_example", title="doc example", reason=lambda spec: "For the docs."
        ... )
        >>> topology.title, topology.chooses is None
        ('doc example', True)
        >>> unregister_topology("doc_example")
    """
    _check_name(name, "topology")
    existing = _TOPOLOGIES.get(name)
    if existing is not None and not existing.implicit:
        raise RuntimeError(f"A topology named {name!r} is already registered.")
    topology = Topology(name, title, reason, diagram, chooses, priority)
    _TOPOLOGIES[name] = topology
    return topology


def register_builder(
    topology: str,
    strategy: str,
    *,
    unsupported: Check = _always_supported,
    summary: str = "",
    reason: str | Reason | None = None,
    diagram: Diagram | None = None,
    default_for: tuple[str, ...] = (),
    code: CodeEmitter | None = None,
) -> Callable[[Body], Body]:
    """Register ``body(inputs, spec, options) -> outputs`` as ``topology`` with ``strategy``.

    Args:
        topology: a registered topology; an unregistered name is registered on the spot
            with its name as title and a generic reason, chosen only by name (call
            ``register_topology`` first to give it a title, reason and automatic choice).
        strategy: how users force it (``strategy="my_strategy"``).
        unsupported: ``unsupported(spec) -> str | None``, why the builder cannot serve a
            spec (``None`` when it can); shown in the error when it is forced.
        summary: one sentence listing its layers, shown by ``explain()``.
        reason: why this strategy, when it was chosen automatically: a sentence or
            ``reason(spec) -> str``.
        diagram: ``diagram(spec) -> list[str]``; without one, the topology's diagram,
            else a generic picture of the steps.
        default_for: the input kinds (``"vector"``, ``"sequence"``, ``"tokens"``,
            ``"frames"``) for which this strategy is the topology's automatic choice
            (the last registered wins, until it is unregistered); otherwise the first
            strategy by name is.
        code: ``code(spec, options) -> str``, the Python source whose statements define
            ``model`` (importing only ``keras`` and ``numpy``), printed by ``seqshape
            code``. Without it the source is read off the built model: enough for a
            body of Keras' own layers (and seqshape's); a body with layers of your own
            needs it, and ``seqshape code`` says so.

    Example:
        >>> import keras
        >>> @register_builder("many_to_one", "doc_mean", summary="Layers: the mean step.")
        ... def mean_step(inputs, spec, options):
        ...     # (batch, T, F) -> (batch, F) -> (batch, K)
        ...     x = keras.layers.GlobalAveragePooling1D()(inputs)
        ...     return keras.layers.Dense(spec.head_units)(x)
        >>> "doc_mean" in strategies("many_to_one")
        True
        >>> unregister_builder("many_to_one", "doc_mean")
    """
    _check_name(topology, "topology")
    _check_name(strategy, "strategy")

    def decorate(body: Body) -> Body:
        key = (topology, strategy)
        if key in _BUILDERS:
            raise RuntimeError(f"A builder for {key} is already registered.")
        if topology not in _TOPOLOGIES:
            _TOPOLOGIES[topology] = Topology(
                topology,
                title=topology,
                reason=lambda spec: f"Topology {topology}: a registered topology.",
                implicit=True,
            )
        _BUILDERS[key] = Builder(
            topology,
            strategy,
            body,
            unsupported,
            summary,
            reason,
            diagram,
            tuple(default_for),
            code,
        )
        return body

    return decorate


def unregister_builder(topology: str, strategy: str) -> None:
    """Remove a registered strategy; unknown names are an error.

    A default it took over goes back to the strategy that had it. A topology created on
    the spot by ``register_builder`` goes with its last strategy.
    """
    get_builder(topology, strategy)
    del _BUILDERS[(topology, strategy)]
    if _TOPOLOGIES[topology].implicit and not _strategy_names(topology):
        del _TOPOLOGIES[topology]


def unregister_topology(name: str) -> None:
    """Remove a registered topology and every strategy registered for it."""
    if name not in _TOPOLOGIES:
        get_topology_check(name)  # the error that lists the registered ones
    for strategy in _strategy_names(name):
        del _BUILDERS[(name, strategy)]
    del _TOPOLOGIES[name]


@contextmanager
def temporary_registrations() -> Iterator[None]:
    """Undo, on exit, every registration and unregistration made inside the block.

    Example:
        >>> with temporary_registrations():
        ...     _ = register_builder("many_to_one", "doc_example")(lambda x, spec, opts: x)
        ...     "doc_example" in strategies("many_to_one")
        True
        >>> "doc_example" in strategies("many_to_one")
        False
    """
    saved = dict(_TOPOLOGIES), dict(_BUILDERS)
    try:
        yield
    finally:
        for registry, contents in zip((_TOPOLOGIES, _BUILDERS), saved, strict=True):
            registry.clear()
            registry.update(contents)


def _strategy_names(topology: str) -> tuple[str, ...]:
    return tuple(sorted(strategy for name, strategy in _BUILDERS if name == topology))


def topologies() -> tuple[str, ...]:
    """Names of the registered topologies that have at least one strategy, sorted."""
    return tuple(sorted(name for name in _TOPOLOGIES if _strategy_names(name)))


def get_topology_check(topology: str) -> str:
    """``topology`` itself when it is registered with a strategy; else an error listing them."""
    if topology not in topologies():
        raise InvalidInputError(
            "topology",
            expected=f"'auto' or one of {list(topologies())}",
            received=repr(topology),
            fix="Pass one of the listed names, or 'auto' to infer it from the shapes.",
        )
    return topology


def get_topology(name: str) -> Topology:
    """The registered topology called ``name``; unknown names list the valid ones."""
    return _TOPOLOGIES[get_topology_check(name)]


def strategies(topology: str) -> tuple[str, ...]:
    """Names of the strategies registered for ``topology``, sorted."""
    get_topology_check(topology)
    return _strategy_names(topology)


def default_strategy(topology: str, input_kind: str, spec: TopologySpec | None = None) -> str:
    """The strategy used for ``topology`` when the user leaves ``strategy='auto'``: the last
    registered whose ``default_for`` names ``input_kind`` and that can serve ``spec`` (when
    given; e.g. a classifier-only default is passed over for regression), else the first
    by name."""
    names = strategies(topology)
    defaults = [
        builder
        for builder in _BUILDERS.values()
        if builder.topology == topology and input_kind in builder.default_for
    ]
    for builder in reversed(defaults):
        if spec is None or not builder.unsupported(
            dataclasses.replace(spec, topology=topology, strategy=builder.strategy)
        ):
            return builder.strategy
    return names[0]


def get_builder(topology: str, strategy: str) -> Builder:
    """The builder registered for ``topology`` and ``strategy``; unknown names list the valid."""
    names = strategies(topology)
    if strategy not in names:
        raise InvalidInputError(
            "strategy",
            expected=f"'auto' or one of {list(names)} for topology {topology!r}",
            received=repr(strategy),
            fix="Pass one of the listed strategies, or 'auto'.",
        )
    return _BUILDERS[(topology, strategy)]


def choosing_topologies() -> tuple[Topology, ...]:
    """The topologies with an automatic choice, in the order they are asked: highest
    priority first, then in the order they were registered."""
    candidates = [
        topology
        for topology in _TOPOLOGIES.values()
        if topology.chooses is not None and _strategy_names(topology.name)
    ]
    return tuple(sorted(candidates, key=lambda topology: -topology.priority))


def topology_title(spec: TopologySpec) -> str:
    """The human title of the spec's topology: the registered one, else the spec's own."""
    registered = _TOPOLOGIES.get(spec.topology)
    if registered is not None:
        return registered.title
    return spec.topology_title or spec.topology


def diagram_lines(spec: TopologySpec) -> list[str]:
    """The lines of the spec's diagram: its strategy's, else its topology's, else generic.

    A spec whose topology or strategy is no longer registered (a model file loaded
    without the code that registered it) gets the generic diagram.
    """
    builder = _BUILDERS.get((spec.topology, spec.strategy))
    topology = _TOPOLOGIES.get(spec.topology)
    for draw in (builder and builder.diagram, topology and topology.diagram):
        if draw is not None:
            return list(draw(spec))
    return generic_diagram(spec)
