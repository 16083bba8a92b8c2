"""Run a model snippet and report what its model is: layers, spans, shapes and errors.

This file runs as a script in a subprocess (``python probe.py < request.json``), because
the snippet is the user's own code; it imports Keras and the standard library only, so
that seqshape is not imported there. It reads ``{"snippets": [{"source": ..., "x_shape":
[...], "x_dtype": ...}, ...]}`` and prints one JSON object per snippet: its facts.

Each top-level statement runs on its own: a statement that fails (data the snippet never
defines, ``model.fit(X_train, ...)``) is recorded and the next one runs. Training,
evaluation, saving and summaries do nothing here. A ``Sequential`` model is not built
while the snippet runs: its layers are recorded, then called one by one on an input of
the declared shape (else X's), each layer's input and output shapes or error noted.
Each layer carries the span of the call that constructed it (Python 3.11 positions), so
that fixes can edit the user's source. ``model_facts`` also describes a model object in
the calling process (``seqshape.diagnose(model)``).
"""

from __future__ import annotations

import ast
import json
import sys
import traceback

SNIPPET = "<snippet>"
_NO_OPS = ("fit", "fit_generator", "evaluate", "predict", "summary", "save", "save_weights")


def _positions(code, lasti: int) -> list[int] | None:
    for index, position in enumerate(code.co_positions()):
        if index == lasti // 2:
            if None in position:
                return None
            line, end_line, column, end_column = position
            return [line, column, end_line, end_column]
    return None


def user_span() -> list[int] | None:
    """The span of the snippet's expression being evaluated now (innermost frame)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename != SNIPPET:
        frame = frame.f_back
    return None if frame is None else _positions(frame.f_code, frame.f_lasti)


def error_span(error: BaseException) -> list[int] | None:
    """The span, in the snippet, of the expression that raised ``error``."""
    span = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SNIPPET:
            span = _positions(tb.tb_frame.f_code, tb.tb_lasti)
        tb = tb.tb_next
    return span


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def _shape(tensor) -> list | None:
    shape = getattr(tensor, "shape", None)
    return None if shape is None else [None if size is None else int(size) for size in shape]


def _shapes(value) -> list:
    if isinstance(value, (list, tuple)):
        return [_shape(item) for item in value]
    return [_shape(value)]


def describe_layer(layer, spans: dict) -> dict:
    """A layer's class, config and construction span, and its wrapped layer's."""
    import keras

    inner = getattr(layer, "forward_layer", None) or getattr(layer, "layer", None)
    recurrent = (keras.layers.RNN, keras.layers.Bidirectional)
    try:
        config = _json_safe(layer.get_config())
    except Exception:  # a layer whose config cannot be read: its class is enough
        config = {}
    fact = {
        "class": type(layer).__name__,
        "module": type(layer).__module__,
        "name": layer.name,
        "config": config,
        "span": spans.get(id(layer)),
        "recurrent": isinstance(layer, recurrent),
        "declared_input": list(getattr(layer, "_input_shape_arg", None) or []) or None,
        "inner": None,
    }
    if isinstance(inner, keras.layers.Layer):
        fact["inner"] = {
            "class": type(inner).__name__,
            "config": _json_safe(inner.get_config()),
            "recurrent": isinstance(inner, keras.layers.RNN),
        }
    if isinstance(layer, keras.layers.InputLayer):
        fact["declared_input"] = list(layer.batch_shape[1:])
        fact["dtype"] = str(layer.dtype)
    return fact


def model_facts(model, spans: dict | None = None) -> dict:
    """Facts about a built model object: its layers in order, their shapes and producers."""
    import keras

    spans = spans or {}
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    index = {id(layer): position for position, layer in enumerate(layers)}
    facts = []
    for layer in layers:
        fact = describe_layer(layer, spans)
        node = layer._inbound_nodes[0] if layer._inbound_nodes else None
        producers = []
        if node is not None:
            for tensor in node.input_tensors:
                history = getattr(tensor, "_keras_history", None)
                if history is not None and id(history[0]) in index:
                    producers.append(index[id(history[0])])
        fact.update(
            input_shape=_shapes(layer.input)[0] if node is not None else None,
            input_shapes=_shapes(layer.input) if node is not None else [],
            output_shape=_shapes(layer.output)[0] if node is not None else None,
            error=None,
            inputs_from=producers,
        )
        facts.append(fact)
    inputs = [_shape(tensor)[1:] for tensor in model.inputs]
    return {
        "kind": "sequential" if isinstance(model, keras.Sequential) else "functional",
        "layers": facts,
        "input_shape": inputs[0] if inputs else None,
        "input_dtype": str(model.inputs[0].dtype) if model.inputs else None,
        "output_shape": _shape(model.outputs[0])[1:] if model.outputs else None,
    }


def _propagate(model, x_shape, x_dtype, spans) -> dict:
    """Call a recorded Sequential's layers one by one; facts with shapes or the error."""
    import keras

    layers = list(model._layers)
    declared = None
    if layers and isinstance(layers[0], keras.layers.InputLayer):
        declared = list(layers[0].batch_shape[1:])
        dtype = str(layers[0].dtype)
        layers = layers[1:]
    else:
        dtype = "int32" if x_dtype == "int" else "float32"
    shape = declared if declared is not None else x_shape
    facts = []
    output = None
    if shape is not None:
        output = keras.Input(shape=tuple(shape), dtype=dtype)
    for position, layer in enumerate(layers):
        fact = describe_layer(layer, spans)
        fact.update(
            input_shape=_shape(output),
            input_shapes=[_shape(output)],
            output_shape=None,
            error=None,
            inputs_from=[position - 1] if position else [],
        )
        if output is not None:
            try:
                output = layer(output)
                fact["output_shape"] = _shape(output)
            except Exception as error:
                fact["error"] = f"{type(error).__name__}: {error}"
                output = None
        facts.append(fact)
    first_span = spans.get(id(model._layers[0])) if model._layers else None
    return {
        "kind": "sequential",
        "layers": facts,
        "input_shape": declared,
        "input_span": first_span,
        "input_dtype": dtype,
        "output_shape": None if output is None else _shape(output)[1:],
    }


def probe(source: str, x_shape: list | None, x_dtype: str) -> dict:
    """Run ``source`` statement by statement and describe the model it makes."""
    import keras

    spans: dict[int, list | None] = {}
    compiled: dict = {}
    models: list = []
    originals = {
        "init": keras.layers.Layer.__init__,
        "rebuild": keras.Sequential._maybe_rebuild,
        "compile": keras.Model.compile,
        "model_init": keras.Model.__init__,
    }

    def init(self, *args, **kwargs):
        originals["init"](self, *args, **kwargs)
        spans.setdefault(id(self), user_span())

    def compile_model(self, *args, **kwargs):
        loss = kwargs.get("loss", args[1] if len(args) > 1 else None)
        compiled.update(
            loss=getattr(loss, "__name__", None) or getattr(loss, "name", None) or loss,
            from_logits=bool(getattr(loss, "from_logits", False)),
            span=user_span(),
        )

    def model_init(self, *args, **kwargs):
        originals["model_init"](self, *args, **kwargs)
        models.append(self)

    keras.layers.Layer.__init__ = init
    keras.Sequential._maybe_rebuild = lambda self: None
    keras.Model.compile = compile_model
    keras.Model.__init__ = model_init
    saved = {name: getattr(keras.Model, name, None) for name in _NO_OPS}
    for name in _NO_OPS:
        setattr(keras.Model, name, lambda self, *args, **kwargs: None)
    namespace: dict = {"__name__": "__snippet__"}
    errors = []
    try:
        for statement in ast.parse(source).body:
            code = compile(ast.Module([statement], []), SNIPPET, "exec")
            try:
                exec(code, namespace)
            except Exception as error:
                errors.append(
                    {
                        "type": type(error).__name__,
                        "message": str(error).strip().splitlines()[0][:500] if str(error) else "",
                        "span": error_span(error),
                        "line": statement.lineno,
                    }
                )
    finally:
        keras.layers.Layer.__init__ = originals["init"]
        keras.Sequential._maybe_rebuild = originals["rebuild"]
        keras.Model.compile = originals["compile"]
        keras.Model.__init__ = originals["model_init"]
        for name, method in saved.items():
            if method is not None:
                setattr(keras.Model, name, method)
    model = namespace.get("model")
    if not isinstance(model, keras.Model):
        model = models[-1] if models else None
    facts: dict = {"errors": errors, "compile": compiled or None, "model": None}
    if model is None:
        return facts
    if isinstance(model, keras.Sequential):
        facts["model"] = _propagate(model, x_shape, x_dtype, spans)
    else:
        facts["model"] = model_facts(model, spans)
    variable = [name for name, value in namespace.items() if value is model]
    facts["model"]["variable"] = variable[0] if variable else None
    return facts


def main() -> None:
    request = json.load(sys.stdin)
    for snippet in request["snippets"]:
        try:
            facts = probe(snippet["source"], snippet["x_shape"], snippet["x_dtype"])
        except Exception:
            facts = {"crash": traceback.format_exc(limit=-2)}
        print(json.dumps(facts, default=str), flush=True)


if __name__ == "__main__":
    main()
