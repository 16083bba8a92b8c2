"""Imports point one way: no cycles, and no module imports from a layer above its own.

The package's source is parsed with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` counts, at module level, inside functions and under
``if TYPE_CHECKING:`` alike, relative ones resolved. ``from seqshape.builders import
sequence_input`` is an edge to the submodule ``seqshape.builders.sequence_input``;
``from seqshape.builders import build_model`` is an edge to the package
``seqshape.builders`` (its ``__init__.py``). Importing a submodule is not counted as
importing its parent package.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

# The layers, lowest first. A module may import from its own layer (as long as that
# makes no cycle) or from a lower one, never from a higher one. Patterns match dotted
# module names (fnmatch); a package's ``__init__.py`` is the package's own name.
# To place a new module, add it to its layer here.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "seqshape.errors",
            "seqshape.validation",
            "seqshape.fileio",
            "seqshape._backend",
            "seqshape.scaling",
            "seqshape.metrics",
            "seqshape.datasets",
            "seqshape.calendar",  # a time column's frequency, season, gaps and next times
            "seqshape.tables",
            "seqshape.windowing",
            # tables larger than memory, read in record batches
            "seqshape.streaming",
            "seqshape.streaming.*",
            "seqshape.stops",  # stops signal handlers ask for, raised by the fit
            # the parameter table: read by ArchitectureOptions (builders), the
            # estimators and the command line, so below all three
            "seqshape.params",
        ),
    ),
    ("spec", ("seqshape.spec",)),
    ("builders", ("seqshape.builders", "seqshape.builders.*", "seqshape.layers")),
    (
        "estimator",
        (
            "seqshape.estimator",
            "seqshape.checkpoint",
            "seqshape.persistence",
            "seqshape.explain",
            "seqshape.baselines",
            "seqshape._inference",
            "seqshape.fitted",
            "seqshape.training",
            "seqshape.seasons",
            "seqshape.defaults",
            "seqshape.combination",  # the ridge map and its share, beside the network
            "seqshape.guard",
            "seqshape.class_weights",  # each class's weight in the training loss
            "seqshape.distribution",  # the devices training uses
            "seqshape.export",  # the fitted state to one ONNX file
            "seqshape.progress",
            "seqshape.stream_fit",  # an estimator fitted on streamed windows
            # the model as Keras code (the estimator's to_keras_code reads it), and the
            # doctor for the user's own Keras models
            "seqshape.code",
            "seqshape.code.*",
            "seqshape.doctor",
            "seqshape.doctor.*",
        ),
    ),
    ("runs", ("seqshape.runs", "seqshape.runs.*", "seqshape.report")),
    ("cli", ("seqshape.cli",)),
    # seqshape/__init__.py, the public face: it imports the others; none imports it.
    ("package", ("seqshape",)),
]

PACKAGE = "seqshape"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE


def module_name(path: Path, root: Path = SOURCE) -> str:
    """``seqshape/builders/__init__.py`` -> ``seqshape.builders``."""
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(root: Path = SOURCE) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``module``."""
    package = module if is_package else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{target}" if target else package


def _known(name: str, modules: set[str]) -> str | None:
    """The longest prefix of ``name`` that is a module of the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return prefix
    return None


def imports_of(
    module: str, source: str, modules: set[str], is_package: bool = False
) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import of a package module in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [_known(alias.name, modules) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _resolve_relative(module, is_package, node.level, node.module)
            targets = [
                f"{base}.{alias.name}"
                if f"{base}.{alias.name}" in modules
                else _known(base, modules)
                for alias in node.names
            ]
        else:
            continue
        found += [(target, node.lineno) for target in targets if target and target != module]
    return found


def import_graph(root: Path = SOURCE) -> dict[str, dict[str, int]]:
    """``{module: {imported module: first line}}`` for the package under ``root``."""
    modules = package_modules(root)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for target, line in imports_of(name, path.read_text(), set(modules), is_package):
            graph[name].setdefault(target, line)
    return graph


def layer_of(module: str) -> int | None:
    """The rank of ``module``'s layer in ``LAYERS`` (0 is lowest); ``None`` if unplaced."""
    for rank, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch(module, pattern) for pattern in patterns):
            return rank
    return None


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _where(module: str, target: str, graph: dict[str, dict[str, int]]) -> str:
    path = package_modules()[module].relative_to(SOURCE.parent)
    return f"{path}:{graph[module][target]} imports {target}"


GRAPH = import_graph()


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in GRAPH if layer_of(name) is None)
    assert not unplaced, f"Add these modules to a layer of LAYERS in {__file__}: {unplaced}"


def test_no_import_cycles():
    found = cycles(GRAPH)
    described = [
        " <-> ".join(group)
        + ": "
        + "; ".join(
            _where(module, target, GRAPH)
            for module in group
            for target in GRAPH[module]
            if target in group
        )
        for group in found
    ]
    assert not found, "Import cycles:\n" + "\n".join(described)


def test_imports_point_down_the_layers():
    against = [
        f"{_where(module, target, GRAPH)} "
        f"({LAYERS[layer_of(module)][0]} -> {LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(GRAPH.items())
        for target in targets
        if None not in (layer_of(module), layer_of(target)) and layer_of(target) > layer_of(module)
    ]
    assert not against, "Imports against the layer order:\n" + "\n".join(against)


def test_the_parser_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg.sub import helper\n")
    (package / "sub" / "__init__.py").write_text("from . import helper\nfrom .. import top\n")
    (package / "sub" / "helper.py").write_text(
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    import pkg.top\n"
        "def late():\n"
        "    from pkg.sub import late_target\n"
        "    from pkg import sub\n"
    )
    (package / "sub" / "late_target.py").write_text("")
    (package / "top.py").write_text("from .sub.helper import late\n")
    graph = import_graph(package)
    assert graph == {
        "pkg": {"pkg.sub.helper": 1},
        "pkg.sub": {"pkg.sub.helper": 1, "pkg.top": 2},
        "pkg.sub.helper": {"pkg.top": 4, "pkg.sub.late_target": 6, "pkg.sub": 7},
        "pkg.sub.late_target": {},
        "pkg.top": {"pkg.sub.helper": 1},
    }
    assert cycles(graph) == [["pkg.sub", "pkg.sub.helper", "pkg.top"]]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("seqshape.spec", "spec"),
        ("seqshape.builders.registry", "builders"),
        ("seqshape.runs.jobs", "runs"),
        ("seqshape", "package"),
    ],
)
def test_layer_table_places_modules(module, layer):
    assert LAYERS[layer_of(module)][0] == layer
