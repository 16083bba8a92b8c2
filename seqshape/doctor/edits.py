r"""The user's source, read and changed: imports mapped to Keras 3, and edits at spans.

Spans are ``[line, column, end_line, end_column]`` as Python reports them (lines from 1,
columns in UTF-8 bytes), for the AST and for the running code alike, so a layer seen at
run time is found again in the source. An ``Edit`` replaces the text of a span; edits
of one pass never overlap (``apply`` keeps the first of two that do, the other waits
for the next pass).

Example:
    >>> print(keras_3_imports("from tensorflow.keras.layers import LSTM, Dense"))
    from keras.layers import LSTM, Dense
    >>> print(keras_3_imports("import tensorflow as tf\nlayer = tf.keras.layers.GRU(4)"))
    import keras
    layer = keras.layers.GRU(4)
    >>> source = "model.add(LSTM(12))"
    >>> call = find_call(source, [1, 10, 1, 18])
    >>> apply(source, [set_keyword(source, call, "return_sequences", "True")])
    'model.add(LSTM(12, return_sequences=True))'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_KERAS_MODULES = (
    (r"tensorflow\.python\.keras", "keras"),
    (r"tensorflow\.keras", "keras"),
    (
        r"keras\.layers\.(?:core|recurrent|embeddings|convolutional|pooling|wrappers|"
        r"normalization|merge)\b",
        "keras.layers",
    ),
    (r"keras\.engine\.sequential", "keras"),
    (r"keras\.models", "keras.models"),
)


def keras_3_imports(source: str) -> str:
    """Imports from ``tensorflow.keras``, ``tensorflow.python.keras`` and Keras 2's
    submodules rewritten for Keras 3; ``tf.keras.`` becomes ``keras.``.

    Only import statements and ``tf.keras`` attributes change; the rest is left as
    written.
    """
    lines = source.splitlines(keepends=True)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for number in range(node.lineno - 1, node.end_lineno):
                for pattern, replacement in _KERAS_MODULES:
                    lines[number] = re.sub(rf"\b{pattern}", replacement, lines[number])
    text = "".join(lines)
    if re.search(r"\btf\.keras\.", text):
        text = re.sub(r"\btf\.keras\.", "keras.", text)
        if not re.search(r"\btf\.", text):  # TensorFlow was imported for Keras only
            text = re.sub(r"^import tensorflow as tf\n", "", text, flags=re.M)
        if not re.search(r"^\s*import keras\b", text, flags=re.M):
            text = "import keras\n" + text
    return text


@dataclass(frozen=True)
class Edit:
    """Replace the source between two byte offsets by ``text``."""

    start: int
    end: int
    text: str


def _offsets(source: str) -> list[int]:
    """Byte offset of the start of each line (line 1 at index 1)."""
    offsets = [0, 0]
    for line in source.encode().splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def offset(source: str, line: int, column: int) -> int:
    return _offsets(source)[line] + column


def span_of(node: ast.AST) -> list[int]:
    return [node.lineno, node.col_offset, node.end_lineno, node.end_col_offset]


def text_of(source: str, span: list[int]) -> str:
    data = source.encode()
    return data[offset(source, *span[:2]) : offset(source, *span[2:])].decode()


def find_call(source: str, span: list[int] | None) -> ast.Call | None:
    """The call expression at exactly ``span``, else None."""
    if span is None:
        return None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and span_of(node) == list(span):
            return node
    return None


def parent_of(source: str, node: ast.AST) -> ast.AST | None:
    """The node holding ``node`` (found by its kind and span in a fresh parse)."""
    key = (type(node).__name__, tuple(span_of(node)))
    for candidate in ast.walk(ast.parse(source)):
        for child in ast.iter_child_nodes(candidate):
            if (
                getattr(child, "end_lineno", None) is not None
                and (
                    type(child).__name__,
                    tuple(span_of(child)),
                )
                == key
            ):
                return candidate
    return None


def replace(source: str, node_or_span, text: str) -> Edit:
    span = node_or_span if isinstance(node_or_span, list) else span_of(node_or_span)
    return Edit(offset(source, *span[:2]), offset(source, *span[2:]), text)


def set_keyword(source: str, call: ast.Call, name: str, value: str) -> Edit:
    """``name=value`` in ``call``: its value replaced, or the keyword added at the end."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return replace(source, keyword.value, value)
    end = offset(source, call.end_lineno, call.end_col_offset) - 1  # the closing bracket
    inside = source.encode()[:end].rstrip()
    separator = "" if inside.endswith((b"(", b",")) else ", "
    if inside.endswith(b","):
        separator = " "
    return Edit(end, end, f"{separator}{name}={value}")


def remove_keyword(source: str, call: ast.Call, name: str) -> Edit | None:
    """``call`` without its ``name=...`` keyword (and the comma before it)."""
    arguments = [*call.args, *call.keywords]
    for position, keyword in enumerate(arguments):
        if isinstance(keyword, ast.keyword) and keyword.arg == name:
            end = offset(source, keyword.end_lineno, keyword.end_col_offset)
            if position:
                previous = arguments[position - 1]
                start = offset(source, previous.end_lineno, previous.end_col_offset)
            else:
                start = offset(source, keyword.lineno, keyword.col_offset)
                if len(arguments) > 1:
                    following = arguments[1]
                    end = offset(source, following.lineno, following.col_offset)
            return Edit(start, end, "")
    return None


def rename_keyword(source: str, call: ast.Call, old: str, new: str | None) -> Edit | None:
    """``old=value`` renamed ``new=value``; removed when ``new`` is None."""
    for keyword in call.keywords:
        if keyword.arg == old:
            if new is None:
                return remove_keyword(source, call, old)
            start = offset(source, keyword.lineno, keyword.col_offset)
            return Edit(start, start + len(old.encode()), new)
    return None


def keyword_value(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def apply(source: str, edits: list[Edit]) -> str:
    """``source`` with ``edits`` applied; an edit overlapping an earlier one is skipped."""
    kept: list[Edit] = []
    for edit in edits:
        if all(edit.end <= other.start or edit.start >= other.end for other in kept):
            kept.append(edit)
    data = source.encode()
    order = sorted(enumerate(kept), key=lambda item: (item[1].start, item[1].end, item[0]))
    for _, edit in reversed(order):  # from the end: earlier offsets stay valid
        data = data[: edit.start] + edit.text.encode() + data[edit.end :]
    return data.decode()


def statement_of(source: str, span: list[int]) -> ast.stmt | None:
    """The innermost statement holding ``span``."""
    best = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
            inside = start <= tuple(span[:2]) and tuple(span[2:]) <= end
            if inside and (best is None or start >= (best.lineno, best.col_offset)):
                best = node
    return best


def line_indent(source: str, line: int) -> str:
    text = source.splitlines()[line - 1]
    return text[: len(text) - len(text.lstrip())]


def _container(source: str, call: ast.Call) -> tuple[str, ast.AST | None]:
    """How a layer's constructor call sits in the source: ``"add"`` (the argument of
    ``model.add``), ``"list"`` (an element of a list of layers), ``"applied"`` (called
    on a tensor right away), or ``""``; and that parent node."""
    parent = parent_of(source, call)
    if isinstance(parent, ast.Call):
        if isinstance(parent.func, ast.Attribute) and parent.func.attr == "add":
            return "add", parent
        if _same_span(parent.func, call):
            return "applied", parent
    if isinstance(parent, (ast.List, ast.Tuple)):
        return "list", parent
    return "", parent


def _same_span(a: ast.AST, b: ast.AST) -> bool:
    return span_of(a) == span_of(b)


def insert_layer(source: str, call: ast.Call, code: str, *, after: bool) -> Edit | None:
    """A layer ``code`` put after (or before) the layer constructed by ``call``, in the
    way the snippet adds layers; None where the snippet's way is not one of those."""
    style, parent = _container(source, call)
    if style == "add":
        statement = statement_of(source, span_of(parent))
        receiver = text_of(source, span_of(parent.func.value))
        indent = line_indent(source, statement.lineno)
        if after:
            at = offset(source, statement.end_lineno, statement.end_col_offset)
            return Edit(at, at, f"\n{indent}{receiver}.add({code})")
        at = offset(source, statement.lineno, statement.col_offset)
        return Edit(at, at, f"{receiver}.add({code})\n{indent}")
    if style == "list":
        own = span_of(call)
        indent = line_indent(source, own[0])
        multiline = parent.lineno != parent.end_lineno
        separator = f",\n{indent}" if multiline else ", "
        if after:
            at = offset(source, own[2], own[3])
            return Edit(at, at, f"{separator}{code}")
        at = offset(source, own[0], own[1])
        return Edit(at, at, f"{code}{separator}")
    if style == "applied":
        if after:
            return replace(source, parent, f"{code}({text_of(source, span_of(parent))})")
        if parent.args:
            argument = parent.args[0]
            return replace(source, argument, f"{code}({text_of(source, span_of(argument))})")
    return None


def remove_layer(source: str, call: ast.Call) -> Edit | None:
    """The layer constructed by ``call`` taken out of the model."""
    style, parent = _container(source, call)
    if style == "add":
        statement = statement_of(source, span_of(parent))
        start = offset(source, statement.lineno, 0)
        end = (
            offset(source, statement.end_lineno + 1, 0)
            if statement.end_lineno < len(source.splitlines())
            else offset(source, statement.end_lineno, statement.end_col_offset)
        )
        return Edit(start, end, "")
    if style == "list":
        elements = parent.elts
        position = next(i for i, e in enumerate(elements) if _same_span(e, call))
        own = span_of(call)
        if position + 1 < len(elements):
            following = elements[position + 1]
            return Edit(
                offset(source, *own[:2]),
                offset(source, following.lineno, following.col_offset),
                "",
            )
        if position:
            previous = elements[position - 1]
            return Edit(
                offset(source, previous.end_lineno, previous.end_col_offset),
                offset(source, *own[2:]),
                "",
            )
    if style == "applied" and parent.args:
        return replace(source, parent, text_of(source, span_of(parent.args[0])))
    return None
