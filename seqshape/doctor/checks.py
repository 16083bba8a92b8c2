"""The checks: a model's facts and the data's shapes in, problems with their fixes out.

Each check reads the facts the probe reported (``seqshape.doctor.probe``: layers, their
shapes, spans and errors) and what is known of X and y (``Data``), and returns
``Finding``s: the problem's kind and severity, the evidence, why it is wrong, the fix
in words and, when the model came as source, the edits that make it. The checks run
in order and stop at the first group that finds something wrong with the model's
construction or shapes: a later shape is only trusted once the earlier ones are right
(``seqshape.doctor.diagnose`` runs the probe again on the fixed source).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from seqshape.doctor import edits as ed

# Keras 1 and 2 argument names that Keras 3 no longer takes: old -> new (None: drop it)
RENAMED = {
    "output_dim": "units",
    "inner_activation": "recurrent_activation",
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "W_regularizer": "kernel_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "b_regularizer": "bias_regularizer",
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "border_mode": "padding",
    "subsample_length": "strides",
    "consume_less": None,
    "input_length": None,
}
SHAPE_ONLY = ("Reshape", "Permute", "Flatten", "Cropping1D", "Dropout", "ZeroPadding1D")
CROSS_ENTROPY = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)


@dataclass(frozen=True)
class Data:
    """What is known of X and y: per-sample shapes, and facts read from the arrays."""

    x_shape: tuple[int, ...] | None = None
    y_shape: tuple[int, ...] | None = None
    x_dtype: str = "float"
    task: str | None = None
    n_classes: int | None = None
    x_max: int | None = None  # the largest token id, when X holds integers
    padding: str | None = None  # "end" or "start": zero-padded variable-length sequences
    y_one_hot: bool = False
    y_outside_unit: bool = False  # float targets outside [0, 1]


@dataclass
class Finding:
    kind: str
    severity: str  # "error", "warning" or "info"
    evidence: str
    why: str
    fix: str
    edits: list = field(default_factory=list)
    layer: int | None = None


class Context:
    """The facts, the source and the data, with helpers to find layers in the source."""

    def __init__(self, facts: dict, source: str | None, data: Data) -> None:
        self.facts = facts
        self.model = facts.get("model") or {}
        self.layers: list[dict] = self.model.get("layers", [])
        self.source = source
        self.data = data

    def call(self, index: int) -> ast.Call | None:
        if self.source is None or index is None or index >= len(self.layers):
            return None
        return ed.find_call(self.source, self.layers[index].get("span"))

    def inner_call(self, index: int) -> ast.Call | None:
        """The wrapped layer's constructor call (``TimeDistributed(Dense(2))``)."""
        call = self.call(index)
        if call is not None and call.args and isinstance(call.args[0], ast.Call):
            return call.args[0]
        return None

    def text(self, index: int) -> str:
        layer = self.layers[index]
        call = self.call(index)
        if call is not None:
            text = " ".join(ed.text_of(self.source, ed.span_of(call)).split())
            return f"line {call.lineno}: {text if len(text) < 70 else text[:66] + '...'}"
        return f"layer {layer['name']!r} ({layer['class']})"

    def config(self, index: int, inner: bool = False) -> dict:
        layer = self.layers[index]
        if inner and layer.get("inner"):
            return layer["inner"]["config"]
        return layer.get("config", {})

    def kind(self, index: int) -> str:
        layer = self.layers[index]
        inner = layer.get("inner")
        return inner["class"] if layer["class"] == "TimeDistributed" and inner else layer["class"]

    def task(self) -> str:
        if self.data.task:
            return self.data.task
        loss = self.loss()
        if loss in ("binary_crossentropy",):
            return "binary"
        if loss in ("categorical_crossentropy", "sparse_categorical_crossentropy"):
            return "multiclass" if (self.data.n_classes or 3) > 2 else "binary"
        return "regression"

    def loss(self) -> str | None:
        compiled = self.facts.get("compile") or {}
        loss = compiled.get("loss")
        aliases = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}
        return aliases.get(loss, loss) if isinstance(loss, str) else None

    def compile_call(self) -> ast.Call | None:
        compiled = self.facts.get("compile") or {}
        if self.source is None:
            return None
        return ed.find_call(self.source, compiled.get("span"))


def _shape(shape) -> str:
    if shape is None:
        return "unknown"
    return "(" + ", ".join("batch" if i == 0 else str(s) for i, s in enumerate(shape)) + ")"


def _sample(shape) -> str:
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


# -- construction -----------------------------------------------------------------------


def construction(context: Context) -> list[Finding]:
    """Layers whose constructor failed: tuple units, Keras 2 argument names, others."""
    found = []
    if context.source is None:
        return found
    for error in context.facts.get("errors", []):
        call = ed.find_call(context.source, error.get("span"))
        if call is None or _callee(call) is None:
            continue
        name, text = _callee(call), " ".join(ed.text_of(context.source, ed.span_of(call)).split())
        evidence = f"line {call.lineno}: {text} raises {error['type']}: {error['message']}"
        renamed = [k.arg for k in call.keywords if k.arg in RENAMED]
        units = call.args[0] if call.args else ed.keyword_value(call, "units")
        if renamed:
            edits = [ed.rename_keyword(context.source, call, old, RENAMED[old]) for old in renamed]
            words = ", ".join(
                f"{old} -> {RENAMED[old]}" if RENAMED[old] else f"{old} (removed)"
                for old in renamed
            )
            found.append(
                Finding(
                    "keras2_arguments",
                    "error",
                    evidence,
                    f"{name} takes Keras 3's argument names; {', '.join(renamed)} are Keras 1 "
                    "or 2 names that Keras 3 does not accept.",
                    f"Rename: {words}.",
                    [edit for edit in edits if edit],
                )
            )
        elif name == "Dense" and isinstance(units, ast.Tuple | ast.List):
            sizes = [ed.text_of(context.source, ed.span_of(item)) for item in units.elts]
            numbers = all(size.isdigit() for size in sizes)
            product = str(math.prod(map(int, sizes))) if numbers else " * ".join(sizes)
            shape = f"({', '.join(sizes)})"
            found.append(
                Finding(
                    "dense_tuple_units",
                    "error",
                    evidence,
                    "Dense makes a vector of `units` numbers per sample (or per step): its size "
                    "is one integer, not a shape.",
                    f"Dense({product}) for all the numbers, then Reshape({shape}) to the shape.",
                    [
                        ed.replace(context.source, units, product),
                        ed.insert_layer(
                            context.source,
                            _outermost(context, call),
                            f"Reshape({shape})",
                            after=True,
                        ),
                    ],
                )
            )
        else:
            found.append(
                Finding(
                    "construction",
                    "error",
                    evidence,
                    f"{name} cannot be made with these arguments.",
                    "Change the arguments as the message says.",
                )
            )
    return [_with_imports(context, finding) for finding in found]


def _callee(call: ast.Call) -> str | None:
    """The layer class a call constructs (``LSTM`` of ``keras.layers.LSTM(...)``)."""
    import keras

    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name and isinstance(getattr(keras.layers, name, None), type):
        return name
    return None


def _outermost(context: Context, call: ast.Call) -> ast.Call:
    """A wrapper's call around ``call`` (TimeDistributed(Dense(...))), else ``call``."""
    parent = ed.parent_of(context.source, call)
    if isinstance(parent, ast.Call) and _callee(parent) in ("TimeDistributed", "Bidirectional"):
        return parent
    return call


def _with_imports(context: Context, finding: Finding) -> Finding:
    """New layer names the fix uses, imported the way the snippet imports its layers."""
    needed = set(
        re.findall(
            r"\b([A-Z][A-Za-z0-9]+)\(", " ".join(edit.text for edit in finding.edits if edit)
        )
    )
    finding.edits = [edit for edit in finding.edits if edit]
    if not needed or context.source is None:
        return finding
    tree = ast.parse(context.source)
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    star = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "keras.layers"
        and node.names[0].name == "*"
        for node in ast.walk(tree)
    )
    missing = sorted(name for name in needed - imported if not star)
    if not missing:
        return finding
    uses_prefix = re.search(r"\bkeras\.layers\.[A-Z]", context.source) and not imported
    if uses_prefix:
        finding.edits = [
            ed.Edit(
                e.start, e.end, re.sub(r"\b([A-Z][A-Za-z0-9]+)\(", r"keras.layers.\1(", e.text)
            )
            for e in finding.edits
        ]
        if not re.search(r"^import keras\b", context.source, flags=re.M):
            finding.edits.append(ed.Edit(0, 0, "import keras\n"))
        return finding
    existing = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "keras.layers"
    ]
    if existing:  # added to the snippet's own import of layers
        last = existing[0].names[-1]
        at = ed.offset(context.source, last.end_lineno, last.end_col_offset)
        finding.edits.append(ed.Edit(at, at, "".join(f", {name}" for name in missing)))
    else:
        finding.edits.append(ed.Edit(0, 0, f"from keras.layers import {', '.join(missing)}\n"))
    return finding


# -- the input -----------------------------------------------------------------------------


def _declared_call(context: Context) -> tuple[ast.Call | None, str | None]:
    """The call declaring the input shape, and the keyword it uses."""
    if context.source is None:
        return None, None
    first = context.call(0)
    if first is not None:
        for keyword in ("input_shape", "batch_input_shape", "input_dim"):
            if ed.keyword_value(first, keyword) is not None:
                return first, keyword
    for node in ast.walk(ast.parse(context.source)):
        if isinstance(node, ast.Call):
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            if name in ("Input", "InputLayer"):
                keyword = "shape" if ed.keyword_value(node, "shape") is not None else None
                if keyword is None and ed.keyword_value(node, "input_shape") is not None:
                    keyword = "input_shape"
                return node, keyword or "shape"
    return None, None


def input_shape(context: Context) -> list[Finding]:
    """The declared input against X: swapped axes, rank-2 X into a recurrent layer, other."""
    data, model = context.data, context.model
    if data.x_shape is None or not context.layers:
        return []
    declared = model.get("input_shape")
    x = tuple(data.x_shape)
    first = next(
        (
            i
            for i, layer in enumerate(context.layers)
            if layer["class"] not in ("Masking", "Dropout")
        ),
        0,
    )
    recurrent_first = context.layers[first]["recurrent"]
    if len(x) == 1 and recurrent_first and data.x_dtype != "int":
        call = context.call(0)
        shape = _sample((x[0], 1))
        edits = []
        if call is not None:
            declared_call, keyword = _declared_call(context)
            if declared_call is call and keyword:
                edits.append(ed.remove_keyword(context.source, call, keyword))
            elif declared_call is not None and keyword:
                edits.append(ed.set_keyword(context.source, declared_call, keyword, _sample(x)))
            code = (
                f"Reshape({shape}, input_shape={_sample(x)})"
                if declared_call is call or (declared_call is None)
                else f"Reshape({shape})"
            )
            if declared_call is not None and declared_call is not call:
                edits.append(
                    ed.insert_layer(context.source, call, f"Reshape({shape})", after=False)
                )
            else:
                edits.append(ed.insert_layer(context.source, call, code, after=False))
        return [
            _with_imports(
                context,
                Finding(
                    "x_rank_2_into_recurrent",
                    "error",
                    f"X samples are {_sample(x)} (2D X), and the first layer, "
                    f"{context.text(first)}, is recurrent: it reads (steps, features) per "
                    "sample.",
                    "A recurrent layer needs 3D input (samples, steps, features); 2D X has no "
                    "feature axis.",
                    f"Reshape({shape}) first: {x[0]} steps of one feature each (or reshape X "
                    f"itself: X.reshape(-1, {x[0]}, 1)).",
                    edits,
                    layer=first,
                ),
            )
        ]
    if declared is None or tuple(declared) == x or None in declared:
        return []
    declared_call, keyword = _declared_call(context)
    edit = None
    if declared_call is not None and keyword:
        edit = ed.set_keyword(context.source, declared_call, keyword, _sample(x))
    if len(x) == 2 and tuple(declared) == x[::-1]:
        return [
            Finding(
                "swapped_axes",
                "error",
                f"input_shape is {_sample(tuple(declared))}, X samples are {_sample(x)}.",
                f"Keras reads input_shape as (steps, features): {declared[0]} steps of "
                f"{declared[1]} features, but X holds {x[0]} steps of {x[1]} features; the "
                "time and feature axes are swapped.",
                f"input_shape={_sample(x)}.",
                [edit],
            )
        ]
    return [
        Finding(
            "input_shape",
            "error",
            f"input_shape is {_sample(tuple(declared))}, X samples are {_sample(x)}.",
            "The model's declared input must be the shape of one sample of X.",
            f"input_shape={_sample(x)}.",
            [edit],
        )
    ]


# -- shapes through the layers -----------------------------------------------------------


def _producer(context: Context, index: int) -> int | None:
    sources = context.layers[index].get("inputs_from") or []
    return sources[0] if sources else None


def _recurrent_before(context: Context, index: int) -> int | None:
    """The recurrent layer feeding ``index`` (through layers that keep the shape)."""
    current = _producer(context, index)
    while current is not None:
        layer = context.layers[current]
        if layer["recurrent"]:
            return current
        if layer["class"] not in (*SHAPE_ONLY, "Activation", "BatchNormalization", "Masking"):
            return None
        current = _producer(context, current)
    return None


def _returns_sequences(context: Context, index: int) -> bool:
    config = context.config(index)
    if "return_sequences" in config:
        return bool(config["return_sequences"])
    return bool(context.config(index, inner=True).get("return_sequences"))


def _set_return_sequences(context: Context, index: int, value: bool) -> list:
    call = context.call(index)
    if call is None:
        return []
    target = call
    if context.layers[index]["class"] == "Bidirectional" and context.inner_call(index):
        target = context.inner_call(index)
    if value:
        return [ed.set_keyword(context.source, target, "return_sequences", "True")]
    return [ed.remove_keyword(context.source, target, "return_sequences")]


def layer_errors(context: Context) -> list[Finding]:
    """A layer that fails on the shape it receives: recurrent fed 2D, TimeDistributed fed
    no time axis, a Lambda that Keras 3 cannot run, or another error."""
    for index, layer in enumerate(context.layers):
        if not layer.get("error"):
            continue
        received = layer.get("input_shape")
        evidence = f"{context.text(index)} receives {_shape(received)}"
        producer = _recurrent_before(context, index)
        if layer["class"] == "Lambda":
            return lambdas(context, only=index)
        fed_2d = layer["recurrent"] and received is not None and len(received) == 2
        if fed_2d and producer is not None and not _returns_sequences(context, producer):
            return [
                Finding(
                    "return_sequences_missing",
                    "error",
                    evidence,
                    f"A recurrent layer reads a sequence (batch, steps, features), but "
                    f"{context.text(producer)} returns only its last state "
                    f"{_shape(context.layers[producer]['output_shape'])}: "
                    "return_sequences is missing.",
                    "return_sequences=True on the recurrent layer before it.",
                    _set_return_sequences(context, producer, True),
                    layer=index,
                )
            ]
        if layer["class"] == "TimeDistributed" and received is not None and len(received) == 2:
            per_step = context.data.y_shape is not None and len(context.data.y_shape) == 2
            if per_step and producer is not None:
                return [
                    Finding(
                        "time_distributed_without_time",
                        "error",
                        evidence,
                        "TimeDistributed applies its layer to every step, but its input has "
                        f"no time axis: {context.text(producer)} returns only its last state, "
                        "while y holds a sequence per sample.",
                        "return_sequences=True on the recurrent layer before it.",
                        _set_return_sequences(context, producer, True),
                        layer=index,
                    )
                ]
            inner = context.inner_call(index)
            edits = []
            if inner is not None:
                edits = [
                    ed.replace(
                        context.source,
                        context.call(index),
                        ed.text_of(context.source, ed.span_of(inner)),
                    )
                ]
            return [
                Finding(
                    "time_distributed_without_time",
                    "error",
                    evidence,
                    "TimeDistributed applies its layer to every step, but its input is one "
                    "vector a sample: there are no steps.",
                    "Drop the TimeDistributed wrapper: the layer itself takes the vector.",
                    edits,
                    layer=index,
                )
            ]
        return [
            Finding(
                "layer_error",
                "error",
                f"{evidence}: {layer['error']}",
                "Keras cannot apply this layer to what it receives.",
                "Change the layer or the layers before it so the shapes agree.",
                layer=index,
            )
        ]
    return []


# -- the output against y -------------------------------------------------------------------


def _expected_width(context: Context) -> int | None:
    task, data = context.task(), context.data
    if task == "regression":
        y = data.y_shape
        return 1 if not y else y[-1]
    if task == "binary":
        return None  # 1 (sigmoid) or 2 (softmax with sparse cross-entropy)
    if data.y_one_hot and data.y_shape:
        return data.y_shape[-1]
    return data.n_classes


def _width_layer(context: Context) -> int | None:
    """The last layer that sets the output's width: a Dense (possibly TimeDistributed)."""
    for index in range(len(context.layers) - 1, -1, -1):
        if context.kind(index) == "Dense":
            return index
        if context.layers[index]["class"] not in (*SHAPE_ONLY, "Activation"):
            return None
    return None


def _units_edit(context: Context, index: int, value: int) -> list:
    call = (
        context.inner_call(index)
        if context.layers[index]["class"] == "TimeDistributed"
        else (context.call(index))
    )
    if call is None:
        return []
    units = call.args[0] if call.args else ed.keyword_value(call, "units")
    return [] if units is None else [ed.replace(context.source, units, str(value))]


def output_shape(context: Context) -> list[Finding]:
    """The model's output against y: sequence or not, the steps, the width."""
    data, out = context.data, context.model.get("output_shape")
    if data.y_shape is None or out is None:
        return []
    y = tuple(data.y_shape)
    if None in out:  # steps of any number (masked sequences) follow the input's
        if len(out) != len(y):
            return []
        out = [y[axis] if size is None else size for axis, size in enumerate(out)]
    task = context.task()
    target_rank = len(y) if task == "regression" or data.y_one_hot else (2 if len(y) == 2 else 1)
    if task != "regression" and len(y) == 2 and y[-1] == 1:
        target_rank = 2
    elif task != "regression" and not data.y_one_hot:
        target_rank = 1 if len(y) <= 1 else 2
    evidence = f"the model outputs {_shape([None, *out])}; y samples are {_sample(y)}"
    recurrent = [i for i, layer in enumerate(context.layers) if layer["recurrent"]]
    last_recurrent = recurrent[-1] if recurrent else None
    if len(out) == 2 and target_rank <= 1:
        if last_recurrent is None or not _returns_sequences(context, last_recurrent):
            return []
        edits = _set_return_sequences(context, last_recurrent, False)
        for index in range(last_recurrent + 1, len(context.layers)):
            if context.layers[index]["class"] == "TimeDistributed" and context.inner_call(index):
                edits.append(
                    ed.replace(
                        context.source,
                        context.call(index),
                        ed.text_of(context.source, ed.span_of(context.inner_call(index))),
                    )
                )
        return [
            Finding(
                "sequence_output_for_vector_y",
                "error",
                evidence,
                f"y holds one {'value' if not y else 'vector'} per sample, but "
                f"{context.text(last_recurrent)} returns every step, so the model outputs a "
                "sequence.",
                "Drop return_sequences=True from the last recurrent layer (it then returns its "
                "last state).",
                edits,
                layer=last_recurrent,
            )
        ]
    if len(out) == 1 and target_rank == 2 and len(y) == 2:
        steps, width = y
        steps_in = (
            context.data.x_shape[0]
            if context.data.x_shape and len(context.data.x_shape) == 2
            else None
        )
        if last_recurrent is not None and steps == steps_in:
            return [
                Finding(
                    "vector_output_for_sequence_y",
                    "error",
                    evidence,
                    "y holds one output per input step, but the last recurrent layer returns only "
                    "its last state.",
                    "return_sequences=True on the last recurrent layer.",
                    _set_return_sequences(context, last_recurrent, True),
                    layer=last_recurrent,
                )
            ]
        dense = _width_layer(context)
        different = " (many-to-many with different lengths)" if steps != steps_in else ""
        if (
            dense is not None
            and context.layers[dense]["class"] == "Dense"
            and task == "regression"
        ):
            edits = (
                [
                    *_units_edit(context, dense, steps * width),
                    ed.insert_layer(
                        context.source,
                        context.call(dense),
                        f"Reshape(({steps}, {width}))",
                        after=True,
                    ),
                ]
                if context.call(dense) is not None
                else []
            )
            return [
                _with_imports(
                    context,
                    Finding(
                        "vector_output_for_sequence_y",
                        "error",
                        evidence,
                        f"y holds a sequence of {steps} steps per sample, but the model ends "
                        f"in one vector{different}.",
                        f"Dense({steps * width}) for every step's outputs at once, then "
                        f"Reshape(({steps}, {width})).",
                        edits,
                        layer=dense,
                    ),
                )
            ]
        return [
            Finding(
                "vector_output_for_sequence_y",
                "error",
                evidence,
                "y holds a sequence per sample, the model one vector.",
                "End the model with Dense(steps * outputs) and Reshape((steps, outputs)).",
            )
        ]
    if len(out) == 2 and len(y) == 2 and out[0] != y[0]:
        repeat = next(
            (i for i, layer in enumerate(context.layers) if layer["class"] == "RepeatVector"),
            None,
        )
        if repeat is not None:
            n = context.config(repeat).get("n")
            call = context.call(repeat)
            edits = []
            if call is not None:
                argument = call.args[0] if call.args else ed.keyword_value(call, "n")
                edits = [ed.replace(context.source, argument, str(y[0]))] if argument else []
            return [
                Finding(
                    "repeat_vector_steps",
                    "error",
                    evidence,
                    f"RepeatVector({n}) makes {n} steps, and y has {y[0]} steps per sample.",
                    f"RepeatVector({y[0]}).",
                    edits,
                    layer=repeat,
                )
            ]
        if last_recurrent is not None and out[0] > y[0] and context.call(last_recurrent):
            code = f"Cropping1D(({out[0] - y[0]}, 0))"
            return [
                _with_imports(
                    context,
                    Finding(
                        "output_steps",
                        "error",
                        evidence,
                        f"The model outputs {out[0]} steps and y has {y[0]}: keep the last "
                        f"{y[0]}.",
                        f"{code} after the last recurrent layer (keeps the last {y[0]} steps; no "
                        "Lambda).",
                        [
                            ed.insert_layer(
                                context.source, context.call(last_recurrent), code, after=True
                            )
                        ],
                        layer=last_recurrent,
                    ),
                )
            ]
        first = recurrent[0] if recurrent else None
        if first is not None and out[0] < y[0] and context.call(first):
            code = f"ZeroPadding1D((0, {y[0] - out[0]}))"
            return [
                _with_imports(
                    context,
                    Finding(
                        "output_steps",
                        "error",
                        evidence,
                        f"The model outputs {out[0]} steps and y has {y[0]}: pad the input to "
                        f"{y[0]} steps.",
                        f"{code} before the first recurrent layer.",
                        [ed.insert_layer(context.source, context.call(first), code, after=False)],
                        layer=first,
                    ),
                )
            ]
    width = _expected_width(context)
    if width is not None and out[-1] != width and len(out) == max(target_rank, 1):
        dense = _width_layer(context)
        if dense is not None:
            return [
                Finding(
                    "output_width",
                    "error",
                    evidence,
                    f"The last Dense gives {out[-1]} outputs, and y needs {width} "
                    f"{'per step' if len(out) == 2 else 'per sample'}"
                    f"{' (one per class)' if task == 'multiclass' else ''}.",
                    f"Dense({width}).",
                    _units_edit(context, dense, width),
                    layer=dense,
                )
            ]
    return []


# -- activation, loss and task ----------------------------------------------------------------


def _activation_layer(context: Context) -> int | None:
    for index in range(len(context.layers) - 1, -1, -1):
        layer = context.layers[index]
        config = context.config(index, inner=layer["class"] == "TimeDistributed")
        if "activation" in config or layer["recurrent"]:
            return index
        if layer["class"] not in SHAPE_ONLY:
            return None
    return None


def _activation_edit(context: Context, index: int, activation: str | None) -> list:
    layer = context.layers[index]
    call = (
        context.inner_call(index) if layer["class"] == "TimeDistributed" else context.call(index)
    )
    if call is None:
        return []
    if layer["class"] == "Activation":
        if activation is None:
            return [ed.remove_layer(context.source, call)]
        argument = call.args[0] if call.args else ed.keyword_value(call, "activation")
        return [ed.replace(context.source, argument, f'"{activation}"')]
    if activation is None:
        return [ed.remove_keyword(context.source, call, "activation")]
    return [ed.set_keyword(context.source, call, "activation", f'"{activation}"')]


def _loss_edit(context: Context, call: ast.Call | None, loss: str) -> ed.Edit | None:
    """``loss="..."`` in the snippet's compile call, when it has one."""
    return None if call is None else ed.set_keyword(context.source, call, "loss", f'"{loss}"')


def activation_and_loss(context: Context) -> list[Finding]:
    """The final activation against the loss and the task; the loss against y's labels."""
    out = context.model.get("output_shape")
    index = _activation_layer(context)
    if out is None or index is None:
        return []
    config = context.config(index, inner=context.layers[index]["class"] == "TimeDistributed")
    activation = config.get("activation", "linear")
    units, task, loss = out[-1], context.task(), context.loss()
    found = []
    where = context.text(index)
    if activation == "softmax" and units == 1:
        found.append(
            Finding(
                "softmax_one_unit",
                "error",
                f"{where}: softmax over {units} unit",
                "softmax makes the outputs of a sample sum to 1: over one unit it is always 1.0, "
                "whatever the input, so nothing is learned.",
                'activation="sigmoid" for one probability (binary classification).',
                _activation_edit(context, index, "sigmoid"),
                layer=index,
            )
        )
    elif activation == "sigmoid" and units > 2 and task == "multiclass":
        found.append(
            Finding(
                "sigmoid_multiclass",
                "error",
                f"{where}: sigmoid over {units} classes",
                "sigmoid scores each class on its own; for one class among several, softmax makes "
                "the scores a distribution, which the categorical cross-entropy expects.",
                'activation="softmax".',
                _activation_edit(context, index, "softmax"),
                layer=index,
            )
        )
    elif (
        activation == "linear"
        and loss in CROSS_ENTROPY
        and not (context.facts.get("compile") or {}).get("from_logits")
    ):
        wanted = "sigmoid" if units == 1 else "softmax"
        found.append(
            Finding(
                "linear_with_cross_entropy",
                "error",
                f"{where}: no activation, loss {loss}",
                f"{loss} expects probabilities; a linear output gives any real number.",
                f'activation="{wanted}".',
                _activation_edit(context, index, wanted),
                layer=index,
            )
        )
    elif (
        task == "regression"
        and activation in ("softmax", "sigmoid")
        and (activation == "softmax" or context.data.y_outside_unit)
        and not context.layers[index]["recurrent"]
    ):
        found.append(
            Finding(
                "activation_for_regression",
                "error",
                f"{where}: {activation} on a regression output",
                f"{activation} squeezes outputs into (0, 1)"
                + (" and makes them sum to 1" if activation == "softmax" else "")
                + "; regression targets need a linear output.",
                "No activation (linear).",
                _activation_edit(context, index, None),
                layer=index,
            )
        )
    call = context.compile_call()
    y = context.data.y_shape
    integer_labels = (
        task != "regression"
        and not context.data.y_one_hot
        and (y is not None and (len(y) == 0 or y[-1] == 1))
    )
    if loss == "categorical_crossentropy" and integer_labels:
        edit = _loss_edit(context, call, "sparse_categorical_crossentropy")
        found.append(
            Finding(
                "categorical_with_integer_labels",
                "error",
                f"loss categorical_crossentropy; y holds one class index per sample {_sample(y)}",
                "categorical_crossentropy expects one-hot rows (samples, classes); integer labels "
                "go with sparse_categorical_crossentropy.",
                'loss="sparse_categorical_crossentropy".',
                [edit],
            )
        )
    elif loss == "sparse_categorical_crossentropy" and context.data.y_one_hot:
        edit = _loss_edit(context, call, "categorical_crossentropy")
        found.append(
            Finding(
                "sparse_with_one_hot",
                "error",
                f"loss sparse_categorical_crossentropy; y holds one-hot rows {_sample(y)}",
                "sparse_categorical_crossentropy expects class indices; one-hot rows go with "
                "categorical_crossentropy.",
                'loss="categorical_crossentropy".',
                [edit],
            )
        )
    return found


# -- layers that work but should change ----------------------------------------------------------


def _lambda_replacement(body: str, received, produced) -> tuple[str, str] | None:
    """(replacement layer code, what the Lambda does) for common Lambda bodies."""
    text = re.sub(r"\s+", "", body)
    steps = received[1] if received and len(received) == 3 else None
    match = re.fullmatch(r"\w+\[:,-(\w+):(?:,:)?\]", text)
    if match and steps:
        kept = produced[1] if produced and len(produced) == 3 else _int(match.group(1))
        if kept:
            return f"Cropping1D(({steps - kept}, 0))", f"keeps the last {kept} steps"
    match = re.fullmatch(r"\w+\[:,:(\w+)(?::)?(?:,:)?\]", text)
    if match and steps:
        kept = produced[1] if produced and len(produced) == 3 else _int(match.group(1))
        if kept:
            return f"Cropping1D((0, {steps - kept}))", f"keeps the first {kept} steps"
    if re.fullmatch(r"\w+\[:,-1(?:,:)?\]", text) and steps:
        return f"Cropping1D(({steps - 1}, 0)), Flatten()", "keeps the last step"
    if re.fullmatch(r"(?:K|tf|keras\.ops|ops|tf\.math)\.(?:mean|reduce_mean)\(\w+,axis=1\)", text):
        return "GlobalAveragePooling1D()", "averages over the steps"
    if re.fullmatch(r"(?:K|tf|keras\.ops|ops|tf\.math)\.(?:max|reduce_max)\(\w+,axis=1\)", text):
        return "GlobalMaxPooling1D()", "takes the maximum over the steps"
    if re.fullmatch(
        r"(?:K|tf|keras\.ops|ops)\.(?:permute_dimensions|transpose)\(\w+,[\[(]0,2,1[\])]\)", text
    ):
        return "Permute((2, 1))", "swaps the step and feature axes"
    match = re.fullmatch(r"(?:K|keras\.ops|ops)\.repeat\(\w+,(\d+)\)", text)
    if match:
        return f"RepeatVector({match.group(1)})", "repeats the vector"
    if (
        re.fullmatch(r"(?:K|tf|keras\.ops|ops)\.expand_dims\(\w+,(?:axis=)?-1\)", text)
        and received
    ):
        return f"Reshape({_sample((*received[1:], 1))})", "adds a last axis of size 1"
    match = re.fullmatch(r"\w+\*([\d.]+)|([\d.]+)\*\w+|\w+/([\d.]+)", text)
    if match:
        factor = match.group(1) or match.group(2)
        return (
            f"Rescaling({factor})" if factor else f"Rescaling(1 / {match.group(3)})",
            "scales the values",
        )
    return None


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def lambdas(context: Context, only: int | None = None) -> list[Finding]:
    """Each Lambda: it does not load in safe mode; the serializable layer that replaces it."""
    found = []
    for index, layer in enumerate(context.layers):
        if layer["class"] != "Lambda" or (only is not None and index != only):
            continue
        call = context.call(index)
        function = call.args[0] if call is not None and call.args else None
        edits, fix, does = [], None, ""
        if isinstance(function, ast.Lambda):
            body = ed.text_of(context.source, ed.span_of(function.body))
            replacement = _lambda_replacement(
                body, layer.get("input_shape"), layer.get("output_shape")
            )
            if replacement:
                fix, does = replacement
                if "), " in fix:  # two layers: the second one after the first
                    first, second = fix.split("), ", 1)
                    edits = [
                        ed.replace(context.source, call, first + ")"),
                        ed.insert_layer(context.source, call, second, after=True),
                    ]
                else:
                    edits = [ed.replace(context.source, call, fix)]
        words = (
            f"{fix} {does} and loads in safe mode."
            if fix
            else "Write the operation as a small layer class (subclass keras.layers.Layer, "
            "define call and get_config, decorate it with "
            "@keras.saving.register_keras_serializable())."
        )
        found.append(
            _with_imports(
                context,
                Finding(
                    "lambda",
                    "error" if layer.get("error") else "warning",
                    f"{context.text(index)}"
                    + (f": {layer['error']}" if layer.get("error") else ""),
                    "A Lambda layer stores Python bytecode: a saved model with it does not load "
                    "with Keras' safe mode on (the default), and it breaks across Python "
                    "versions.",
                    words,
                    edits,
                    layer=index,
                ),
            )
        )
    return found


def embedding(context: Context) -> list[Finding]:
    """Embedding input_dim at most the largest token id in X."""
    if context.data.x_max is None:
        return []
    found = []
    for index, layer in enumerate(context.layers):
        if layer["class"] != "Embedding":
            continue
        size = context.config(index).get("input_dim")
        if size is not None and context.data.x_max >= size:
            call = context.call(index)
            edits = []
            if call is not None:
                argument = call.args[0] if call.args else ed.keyword_value(call, "input_dim")
                edits = [ed.replace(context.source, argument, str(context.data.x_max + 1))]
            found.append(
                Finding(
                    "embedding_input_dim",
                    "error",
                    f"{context.text(index)}: input_dim {size}; X's largest token id is "
                    f"{context.data.x_max}",
                    "Embedding(input_dim, ...) has rows for ids 0 to input_dim - 1: a larger id "
                    "reads outside the table (an error on CPU, silent garbage on GPU).",
                    f"Embedding({context.data.x_max + 1}, ...): one more than the largest id.",
                    edits,
                    layer=index,
                )
            )
    return found


def masking(context: Context) -> list[Finding]:
    """Zero-padded variable-length sequences with nothing masking the padding."""
    if context.data.padding is None or not context.layers:
        return []
    if any(
        layer["class"] == "Masking" or layer["config"].get("mask_zero") for layer in context.layers
    ):
        return []
    first = context.layers[0]
    call = context.call(0)
    side = context.data.padding
    if first["class"] == "Embedding":
        edits = [ed.set_keyword(context.source, call, "mask_zero", "True")] if call else []
        fix = "Embedding(..., mask_zero=True): id 0 is padding and is skipped."
    else:
        edits = []
        if call is not None:
            declared, keyword = _declared_call(context)
            code = "Masking(mask_value=0.0)"
            if declared is call and keyword:
                value = ed.text_of(context.source, ed.span_of(ed.keyword_value(call, keyword)))
                code = f"Masking(mask_value=0.0, {keyword}={value})"
                edits.append(ed.remove_keyword(context.source, call, keyword))
            edits.append(ed.insert_layer(context.source, call, code, after=False))
        fix = "Masking(mask_value=0.0) first: steps whose features are all 0 are skipped."
    return [
        _with_imports(
            context,
            Finding(
                "padding_not_masked",
                "warning",
                f"X holds sequences zero-padded at the {side} to one length, and no layer "
                "masks them",
                "The recurrent layers read the padded steps as data: a short sequence's state "
                "is overwritten by zeros (pre-padding) or its last state is taken after them "
                "(post-padding).",
                fix,
                edits,
                layer=0,
            ),
        )
    ]


def fast_kernel(context: Context) -> list[Finding]:
    """Settings that turn off the fast (cuDNN) recurrent kernel: information."""
    found = []
    for index, layer in enumerate(context.layers):
        name = (
            layer["inner"]["class"]
            if layer["class"] == "Bidirectional" and layer.get("inner")
            else layer["class"]
        )
        if name not in ("LSTM", "GRU"):
            continue
        config = context.config(index, inner=layer["class"] == "Bidirectional")
        reasons = []
        if config.get("recurrent_dropout"):
            reasons.append(f"recurrent_dropout={config['recurrent_dropout']}")
        if config.get("activation", "tanh") != "tanh":
            reasons.append(f"activation={config['activation']!r}")
        if config.get("recurrent_activation", "sigmoid") != "sigmoid":
            reasons.append(f"recurrent_activation={config['recurrent_activation']!r}")
        if config.get("unroll"):
            reasons.append("unroll=True")
        if config.get("use_bias") is False:
            reasons.append("use_bias=False")
        if name == "GRU" and config.get("reset_after") is False:
            reasons.append("reset_after=False")
        if reasons:
            found.append(
                Finding(
                    "slow_recurrent_kernel",
                    "info",
                    f"{context.text(index)}: {', '.join(reasons)}",
                    f"On a GPU, {name} runs its fast fused kernel (cuDNN) only with the default "
                    "activations, a bias, no recurrent dropout and no unrolling; these settings "
                    "make it run step by step, several times slower.",
                    f"Keep them only if you need them; else drop {', '.join(reasons)}.",
                    layer=index,
                )
            )
    return found


# the groups in order: a group that finds errors stops the later, shape-based ones
GROUPS: list[list[Callable[[Context], list[Finding]]]] = [
    [construction],
    [input_shape],
    [layer_errors],
    [output_shape],
    [activation_and_loss, lambdas, embedding, masking, fast_kernel],
]


def run_checks(facts: dict, source: str | None, data: Data) -> list[Finding]:
    context = Context(facts, source, data)
    found: list[Finding] = []
    for group in GROUPS:
        for check in group:
            found += check(context)
        if any(finding.severity == "error" for finding in found):
            break
    return found
