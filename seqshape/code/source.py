"""A built Keras model -> the Python source that builds it again, layer by layer.

The source is read off the model itself (its layers' configs and the graph that joins
them), so it cannot drift from what the builders build: every argument that differs
from the layer's default is written out, nothing else. A chain of layers becomes
``keras.Sequential([...])``, as people write it; branches, several outputs or masks
passed by hand become the functional API. A model nested in another (the shared
univariate model of ``channel_independent``) is written first, under its own name.
Each layer carries a comment with its output shape.

seqshape's own layers (``seqshape.layers``) are written as calls of classes that the
script defines itself (``seqshape.code.custom_layers``); any other layer that is not
one of Keras' own cannot be written, and the error says how to supply the code.

Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((40, 1)), keras.layers.LSTM(6),
    ...                           keras.layers.Dense(10)])
    >>> print(model_source(model).text)  # doctest: +NORMALIZE_WHITESPACE
    model = keras.Sequential(
        [
            keras.Input(shape=(40, 1)),
            keras.layers.LSTM(6),  # (batch, 6)
            keras.layers.Dense(10),  # (batch, 10)
        ],
        name="sequential",
    )
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field

import keras

from seqshape.code import custom_layers
from seqshape.errors import InvalidInputError

LINE_LENGTH = 88  # ruff's and Black's default: the script is clean under both limits
INDENT = "    "
_SKIPPED_CONFIG = ("name", "trainable", "dtype")
_CALL_KEYWORDS_DROPPED = ("training",)  # recorded by Keras at build time, not written


@dataclass
class ModelSource:
    """The statements that build a model, and seqshape layer classes they need."""

    lines: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # names in custom_layers.SOURCES

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _literal(value) -> str:
    """Python source for a config value: double-quoted text, tuples, lists, dicts."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = ", ".join(_literal(item) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        if {"class_name", "config"} <= set(value):
            return _serialized_object(value)
        items = ", ".join(f"{_literal(key)}: {_literal(item)}" for key, item in value.items())
        return "{" + items + "}"
    return repr(value)


def _serialized_object(value: dict) -> str:
    """``keras.initializers.HeUniform()`` for a serialized Keras object (initializer,
    regularizer, constraint, dtype policy), its non-default arguments written out."""
    if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
        return json.dumps(value["config"]["name"])
    module = value.get("module") or ""
    if not module.startswith("keras."):
        raise InvalidInputError(
            "model",
            expected="arguments that are Keras' own objects",
            received=f"a {value['class_name']} from {module or 'an unknown module'}",
            fix="Register the builder with code=... to write its source yourself.",
        )
    obj = keras.saving.deserialize_keras_object(value)
    defaults = type(obj)().get_config() if _constructible(type(obj)) else {}
    arguments = [
        f"{key}={_literal(item)}"
        for key, item in value["config"].items()
        if key not in defaults or defaults[key] != item
    ]
    return f"keras.{module[len('keras.') :]}.{value['class_name']}({', '.join(arguments)})"


def _constructible(cls: type) -> bool:
    try:
        cls()
    except TypeError:
        return False
    return True


def _without_names(value):
    """A config with every ``name`` removed (names differ between equal layers)."""
    if isinstance(value, dict):
        return {key: _without_names(item) for key, item in value.items() if key != "name"}
    if isinstance(value, (list, tuple)):
        return [_without_names(item) for item in value]
    return value


def _snake(name: str) -> str:
    """Keras' own snake case for automatic names: ``GlobalAveragePooling1D`` ->
    ``global_average_pooling1d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _is_automatic(layer) -> bool:
    """True for a name Keras made up (``lstm_3``), which the script leaves out."""
    return re.fullmatch(rf"{_snake(type(layer).__name__)}(_\d+)?", layer.name) is not None


def _required_parameters(cls: type) -> list[str]:
    signature = inspect.signature(cls.__init__)
    return [
        name
        for name, parameter in list(signature.parameters.items())[1:]
        if parameter.default is inspect.Parameter.empty
        and parameter.kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]


def _wrapped(layer):
    """The layer inside a wrapper (``TimeDistributed``, ``Bidirectional``), else None."""
    if isinstance(layer, keras.layers.Bidirectional):
        return layer.forward_layer
    return getattr(layer, "layer", None) if isinstance(layer, keras.layers.Wrapper) else None


class _Writer:
    """Writes layers as Python expressions, noting the seqshape classes they need and
    naming the models nested inside layers."""

    def __init__(self, nested: dict[int, str]) -> None:
        self.nested = nested  # id(model) -> variable name of a model written earlier
        self.classes: list[str] = []

    def layer(self, layer, *, named: bool = True) -> str:
        if isinstance(layer, keras.Model):
            return self.nested[id(layer)]
        cls = type(layer)
        prefix = self._prefix(layer)
        config = layer.get_config()
        required = _required_parameters(cls)
        values = {}
        for name in required:
            if name == "layer":
                values[name] = _wrapped(layer)
            else:
                values[name] = config[name] if name in config else getattr(layer, name)
        reference = cls(**values).get_config()
        arguments = [
            self.layer(values[name], named=False) if name == "layer" else _literal(values[name])
            for name in required
        ]
        for key, value in config.items():
            if key in required or key in _SKIPPED_CONFIG:
                continue
            if key in reference and _without_names(reference[key]) == _without_names(value):
                continue
            arguments.append(f"{key}={_literal(value)}")
        if config.get("dtype") is not None and _without_names(config["dtype"]) != _without_names(
            reference.get("dtype")
        ):
            arguments.append(f"dtype={_literal(config['dtype'])}")
        if named and not _is_automatic(layer):
            arguments.append(f"name={_literal(layer.name)}")
        return f"{prefix}{cls.__name__}({', '.join(arguments)})"

    def _prefix(self, layer) -> str:
        cls = type(layer)
        if cls.__name__ in custom_layers.SOURCES and cls.__module__ == "seqshape.layers":
            if cls.__name__ not in self.classes:
                self.classes.append(cls.__name__)
            return ""
        if getattr(keras.layers, cls.__name__, None) is cls:
            return "keras.layers."
        raise InvalidInputError(
            "model",
            expected="layers from keras.layers or seqshape.layers, which a script that "
            "imports only keras and numpy can rebuild",
            received=f"layer {layer.name!r} of class {cls.__module__}.{cls.__qualname__}",
            fix="Register the builder with code=... (seqshape.builders.register_builder) "
            "to write the source of its model yourself.",
        )

    def input_layer(self, layer) -> str:
        shape = tuple(layer.batch_shape[1:])
        arguments = [f"shape={_literal(shape)}"]
        if layer.dtype not in ("float32", None):
            arguments.append(f"dtype={_literal(layer.dtype)}")
        if not _is_automatic(layer) and layer.name != "input_layer":
            arguments.append(f"name={_literal(layer.name)}")
        return f"keras.Input({', '.join(arguments)})"


def shape_words(shape) -> str:
    """``(None, 40, 12)`` -> ``(batch, 40, 12)``; a time axis of any length is ``steps``.

    Example:
        >>> shape_words((None, None, 4))
        '(batch, steps, 4)'
    """
    words = ["batch", *("steps" if size is None else str(size) for size in shape[1:])]
    return f"({', '.join(words)})"


def _output_comment(layer) -> str:
    output = layer.output
    if isinstance(output, (list, tuple)):
        return ", ".join(shape_words(tensor.shape) for tensor in output)
    return shape_words(output.shape)


def _with_comment(code: str, comment: str, indent: str) -> list[str]:
    """One line with a trailing comment when it fits, else the comment on its own line
    above the (possibly split) code."""
    line = f"{indent}{code}  # {comment}"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [f"{indent}# {comment}", *split_call(code, indent)]


def split_call(code: str, indent: str) -> list[str]:
    """``code`` at ``indent``, its outermost brackets split as ruff's formatter would when
    it does not fit: the arguments on one line if they fit there, else one a line."""
    if len(indent) + len(code) <= LINE_LENGTH:
        return [indent + code]
    start = code.find("(")
    end = _closing(code, start)
    head, inner, tail = code[: start + 1], code[start + 1 : end], code[end:]
    inner_indent = indent + INDENT
    if len(inner_indent) + len(inner) <= LINE_LENGTH:
        return [indent + head, inner_indent + inner, indent + tail]
    lines = [indent + head]
    for argument in _split_arguments(inner):
        lines += _split_last(split_call(argument, inner_indent), ",")
    return [*lines, indent + tail]


def _split_last(lines: list[str], suffix: str) -> list[str]:
    return [*lines[:-1], lines[-1] + suffix]


def _closing(code: str, start: int) -> int:
    depth = 0
    quoted = False
    for position in range(start, len(code)):
        character = code[position]
        if character == '"' and code[position - 1] != "\\":
            quoted = not quoted
        elif not quoted and character in "([{":
            depth += 1
        elif not quoted and character in ")]}":
            depth -= 1
            if depth == 0:
                return position
    raise ValueError(f"unbalanced brackets in {code!r}")


def _split_arguments(inner: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for position, character in enumerate(inner):
        if character == '"' and (position == 0 or inner[position - 1] != "\\"):
            quoted = not quoted
        elif not quoted and character in "([{":
            depth += 1
        elif not quoted and character in ")]}":
            depth -= 1
        if character == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    if current.strip():
        parts.append(current.strip())
    return parts


def _graph(model: keras.Model) -> tuple[list[dict], list, list]:
    """The layers (in order, with their inbound nodes), the input and the output tensors.

    Keras records the masks it passes between layers (``Masking``, ``mask_zero``) as
    operations and ``mask=`` arguments; the script's layers pass them the same way on
    their own, so both are left out.
    """
    config = model.get_config()
    ends = []
    for key in ("input_layers", "output_layers"):
        tensors = config[key]
        ends.append([tensors] if tensors and isinstance(tensors[0], str) else tensors)
    operations = {entry["name"] for entry in config["layers"] if _is_operation(entry)}
    layers = []
    for entry in config["layers"]:
        nodes = []
        for node in entry["inbound_nodes"]:
            kwargs = {
                key: value
                for key, value in node["kwargs"].items()
                if not (key == "mask" and (_history(value) or ("",))[0] in operations)
            }
            nodes.append({"args": node["args"], "kwargs": kwargs})
        layers.append({**entry, "inbound_nodes": nodes})
    while True:  # operations nobody reads any more
        read = {
            history[0]
            for entry in layers
            for node in entry["inbound_nodes"]
            for history in _tensors(node)
        } | {end[0] for end in ends[1]}
        unused = [e for e in layers if e["name"] in operations and e["name"] not in read]
        if not unused:
            return layers, ends[0], ends[1]
        layers = [entry for entry in layers if entry not in unused]


def _is_operation(entry: dict) -> bool:
    return (entry.get("module") or "").startswith("keras.src.ops")


def _history(value) -> tuple | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        return tuple(value["config"]["keras_history"])
    return None


def _is_chain(model: keras.Model) -> bool:
    """True when every layer reads the previous layer's only output: a Sequential."""
    if isinstance(model, keras.Sequential):
        return True
    layers, inputs, outputs = _graph(model)
    if len(inputs) != 1 or len(outputs) != 1 or layers[0]["class_name"] != "InputLayer":
        return False
    previous = layers[0]["name"]
    for entry in layers[1:]:
        nodes = entry["inbound_nodes"]
        if len(nodes) != 1 or len(nodes[0]["args"]) != 1:
            return False
        tensor_kwargs = [v for v in nodes[0]["kwargs"].values() if _history(v)]
        if _history(nodes[0]["args"][0]) != (previous, 0, 0) or tensor_kwargs:
            return False
        if isinstance(model.get_layer(entry["name"]).output, (list, tuple)):
            return False
        previous = entry["name"]
    return tuple(outputs[0]) == (previous, 0, 0)


def _variable(name: str) -> str:
    variable = re.sub(r"\W", "_", name).lower()
    return variable if variable.isidentifier() and variable not in ("model",) else f"t_{variable}"


def _sequential_lines(model: keras.Model, writer: _Writer, variable: str) -> list[str]:
    lines = [f"{variable} = keras.Sequential(", f"{INDENT}["]
    inner = INDENT * 2
    layers = list(model.layers)
    if isinstance(model, keras.Sequential):
        shape = tuple(model.inputs[0].shape[1:])
        dtype = model.inputs[0].dtype
        first = f"keras.Input(shape={_literal(shape)}"
        first += f", dtype={_literal(dtype)})" if dtype != "float32" else ")"
    else:
        first = writer.input_layer(model.get_layer(_graph(model)[0][0]["name"]))
        layers = [model.get_layer(entry["name"]) for entry in _graph(model)[0][1:]]
    lines += split_call(first, inner)
    lines[-1] += ","
    for layer in layers:
        code = writer.layer(layer) + ","
        lines += _with_comment(code, _output_comment(layer), inner)
    lines += [f"{INDENT}],", f"{INDENT}name={_literal(model.name)},", ")"]
    return lines


def _functional_lines(model: keras.Model, writer: _Writer, variable: str) -> list[str]:
    layers, inputs, outputs = _graph(model)
    names: dict[tuple, str] = {}
    uses: dict[tuple, int] = {}
    for entry in layers:
        for node in entry["inbound_nodes"]:
            for value in _tensors(node):
                uses[value] = uses.get(value, 0) + 1
    for output in outputs:
        uses[tuple(output)] = uses.get(tuple(output), 0) + 1
    lines = []
    input_names = []
    for position, entry in enumerate(layers):
        if _is_operation(entry):
            raise InvalidInputError(
                "model",
                expected="a model made of layers",
                received=f"the operation {entry['name']!r} applied between layers",
                fix="Register the builder with code=... to write its source yourself.",
            )
        layer = model.get_layer(entry["name"])
        if entry["class_name"] == "InputLayer":
            name = "inputs" if len(inputs) == 1 else _variable(layer.name)
            names[(entry["name"], 0, 0)] = name
            input_names.append(name)
            lines += split_call(f"{name} = {writer.input_layer(layer)}", "")
            continue
        if len(entry["inbound_nodes"]) != 1:
            raise InvalidInputError(
                "model",
                expected="each layer called once (shared layers are not written yet)",
                received=f"layer {layer.name!r} called {len(entry['inbound_nodes'])} times",
                fix="Register the builder with code=... to write its source yourself.",
            )
        node = entry["inbound_nodes"][0]
        call = _call_arguments(node, names)
        output = layer.output
        count = len(output) if isinstance(output, (list, tuple)) else 1
        following = layers[position + 1]["inbound_nodes"] if position + 1 < len(layers) else []
        reads_next = any((entry["name"], 0, 0) in _tensors(n) for n in following)
        if count == 1 and uses.get((entry["name"], 0, 0), 0) == 1 and reads_next:
            targets = ["x"]
        elif count == 1:
            targets = [_variable(layer.name)]
        else:
            targets = [
                _variable(part)
                for part in custom_layers.OUTPUT_NAMES.get(
                    type(layer).__name__, [f"{layer.name}_{i}" for i in range(count)]
                )
            ]
        for index, target in enumerate(targets):
            names[(entry["name"], 0, index)] = target
        head = f"{', '.join(targets)} = {writer.layer(layer)}("
        lines += _applied(head, call, _output_comment(layer))
    result = ", ".join(names[tuple(output)] for output in outputs)
    if len(outputs) > 1:
        result = f"[{result}]"
    source = ", ".join(input_names) if len(input_names) == 1 else f"[{', '.join(input_names)}]"
    lines += split_call(
        f"{variable} = keras.Model({source}, {result}, name={_literal(model.name)})", ""
    )
    return lines


def _applied(head: str, arguments: str, comment: str) -> list[str]:
    """``target = Layer(...)(arguments)`` as ruff's formatter writes it: on one line if it
    fits (with its comment, else the comment above), else the last brackets split."""
    code = f"{head}{arguments})"
    if len(code) <= LINE_LENGTH:
        return _with_comment(code, comment, "")
    if len(head) <= LINE_LENGTH and len(INDENT + arguments) <= LINE_LENGTH:
        return [f"# {comment}", head, INDENT + arguments, ")"]
    return [f"# {comment}", *split_call(code, "")]


def _tensors(node: dict) -> list[tuple]:
    found = []

    def visit(value):
        history = _history(value)
        if history is not None:
            found.append(history)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)

    visit(node["args"])
    visit(node["kwargs"])
    return found


def _call_arguments(node: dict, names: dict[tuple, str]) -> str:
    def value(item) -> str:
        history = _history(item)
        if history is not None:
            return names[history]
        if isinstance(item, list):
            return "[" + ", ".join(value(part) for part in item) + "]"
        return _literal(item)

    arguments = [value(item) for item in node["args"]]
    for key, item in node["kwargs"].items():
        if item is None or key in _CALL_KEYWORDS_DROPPED:
            continue
        arguments.append(f"{key}={value(item)}")
    return ", ".join(arguments)


def _nested_models(model: keras.Model) -> list[keras.Model]:
    """Models used as layers inside ``model`` (wrapped or not), innermost first."""
    found = []
    for layer in model.layers:
        inner = layer if isinstance(layer, keras.Model) else _wrapped(layer)
        if isinstance(inner, keras.Model):
            found += [*_nested_models(inner), inner]
    return found


def model_source(model: keras.Model, variable: str = "model") -> ModelSource:
    """The statements that build ``model`` again (Keras 3), assigned to ``variable``.

    Raises ``InvalidInputError`` for a layer that is neither Keras' own nor seqshape's,
    or a layer shared between several calls.
    """
    nested: dict[int, str] = {}
    writer = _Writer(nested)
    lines: list[str] = []
    for inner in _nested_models(model):
        name = _variable(inner.name)
        lines += [*_model_lines(inner, writer, name), ""]
        nested[id(inner)] = name
    lines += _model_lines(model, writer, variable)
    return ModelSource(lines, list(writer.classes))


def _model_lines(model: keras.Model, writer: _Writer, variable: str) -> list[str]:
    if _is_chain(model):
        return _sequential_lines(model, writer, variable)
    return _functional_lines(model, writer, variable)
