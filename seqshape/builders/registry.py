"""The builder registry: one entry per (topology, strategy), looked up by name.

Example:
    >>> from seqshape.builders.registry import strategies
    >>> strategies("many_to_many")
    ('dense_head', 'encoder_decoder', 'last_steps', 'pad')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from seqshape.errors import InvalidInputError

# body(inputs, spec, options) -> outputs: Keras tensors in, Keras tensors out.
Body = Callable[..., object]
# unsupported(spec) -> None when the builder can serve the spec, else why not.
Check = Callable[..., "str | None"]


@dataclass(frozen=True)
class Builder:
    """A registered way to build a model: the layers between the Input and the output."""

    topology: str
    strategy: str
    body: Body
    unsupported: Check
    summary: str = ""


_BUILDERS: dict[tuple[str, str], Builder] = {}
_DEFAULTS: dict[tuple[str, str], str] = {}


def _always_supported(spec) -> None:
    return None


def register_builder(
    topology: str,
    strategy: str,
    *,
    unsupported: Check = _always_supported,
    summary: str = "",
    default_for: tuple[str, ...] = (),
) -> Callable[[Body], Body]:
    """Register ``body`` as the builder of ``topology`` with ``strategy``.

    ``default_for`` names the input kinds (``"vector"``, ``"sequence"``, ``"tokens"``,
    ``"frames"``) for which this strategy is the topology's automatic choice.
    """

    def decorate(body: Body) -> Body:
        key = (topology, strategy)
        if key in _BUILDERS:
            raise RuntimeError(f"A builder for {key} is already registered.")
        _BUILDERS[key] = Builder(topology, strategy, body, unsupported, summary)
        for kind in default_for:
            _DEFAULTS[(topology, kind)] = strategy
        return body

    return decorate


def topologies() -> tuple[str, ...]:
    """Names of the registered topologies, sorted."""
    return tuple(sorted({topology for topology, _ in _BUILDERS}))


def strategies(topology: str) -> tuple[str, ...]:
    """Names of the strategies registered for ``topology``, sorted."""
    get_topology_check(topology)
    return tuple(sorted(strategy for name, strategy in _BUILDERS if name == topology))


def get_topology_check(topology: str) -> str:
    if topology not in topologies():
        raise InvalidInputError(
            "topology",
            expected=f"'auto' or one of {list(topologies())}",
            received=repr(topology),
            fix="Pass one of the listed names, or 'auto' to infer it from the shapes.",
        )
    return topology


def default_strategy(topology: str, input_kind: str) -> str:
    """The strategy used for ``topology`` when the user leaves ``strategy='auto'``."""
    names = strategies(topology)
    return _DEFAULTS.get((topology, input_kind), names[0])


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
