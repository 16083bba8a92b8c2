"""Export a fitted model to one ONNX file that serves without seqshape or Keras.

The file holds the whole prediction path: the input scaling (or nothing, for token ids
and window-normalised models, whose normalisation is inside the Keras model), the
trained network, and the output restoring (targets back in y's units and shape; for
classifiers, the probabilities of each class). onnxruntime alone answers in the user's
units; the batch axis is dynamic (the time axis too, for models fitted on padded
sequences of any length).

The route is JAX's own: the prediction function is traced and converted by
``jax2onnx`` (the converter Keras 3's ``model.export(format="onnx")`` uses on the JAX
backend), then two repairs make every registered topology load and run in
onnxruntime (see ``repair``), and the file records what a server needs in its metadata
(``metadata``). Every exported file is checked before it is written: onnxruntime must
give seqshape's own predictions on a few samples. Install the converter with
``pip install 'seqshape[export]'``.

Example:
    >>> import numpy as np, os, tempfile
    >>> import seqshape
    >>> model = seqshape.SequenceRegressor(units=4, epochs=1).fit(
    ...     np.random.rand(16, 5, 2), np.random.rand(16))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> model.export(path, format="onnx")                # doctest: +SKIP
    >>> import onnxruntime                                  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(path)        # doctest: +SKIP
    >>> session.run(None, {"x": np.ones((3, 5, 2), "float32")})[0].shape  # doctest: +SKIP
    (3,)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

from seqshape._inference import small_batch_forward
from seqshape.errors import ExportError
from seqshape.fileio import atomic_file
from seqshape.fitted import FittedState

FORMATS = ("onnx",)
INPUT_NAME = "x"
OUTPUT_NAMES = {"regression": "y", "binary": "probabilities", "multiclass": "probabilities"}
OPSET = 23
METADATA_PREFIX = "seqshape."

# jax2onnx marks the length of every scan's stacked output with this one symbolic name;
# two scans of different lengths (an encoder of 4 steps, a decoder of 9) then claim the
# same size and onnxruntime refuses to run the file. ``repair`` makes those sizes unknown.
_SHARED_DIM = "JAX2ONNX_DYNAMIC_DIM_SENTINEL"

# onnxruntime's MaxPool pools over at most 3 spatial axes.
_POOL_AXES = 3


def _converter() -> Any:
    try:
        import jax2onnx
        import onnx
        import onnxruntime  # noqa: F401
    except ImportError as error:
        raise ExportError(
            "format",
            expected="the export extra installed (jax2onnx, onnx, onnxruntime)",
            received=f"a missing package ({error.name})",
            fix="pip install 'seqshape[export]' (or `make test-export`).",
        ) from None
    return jax2onnx, onnx


def check_format(format: str) -> str:
    """``format`` if seqshape can export to it, else a clear error."""
    if format not in FORMATS:
        raise ExportError(
            "format",
            expected=f"one of {list(FORMATS)}",
            received=repr(format),
            fix="Pass format='onnx'.",
        )
    return format


# -- the prediction path as one JAX function ------------------------------------------------


def _output_shape(state: FittedState, outputs) -> tuple:
    """The shape predictions take (as ``FittedState.predictions``), batch symbolic."""
    spec = state.spec
    if spec.topology == "many_to_many_aligned" and state.takes_any_length():
        return (outputs.shape[0], outputs.shape[1], *spec.output_shape[1:])
    return (outputs.shape[0], *spec.output_shape)


def prediction_function(state: FittedState):
    """A JAX function from raw inputs to predictions (regression) or probabilities.

    It repeats ``FittedState.model_inputs``, the Keras model (``stateless_call`` with
    the trained weights as constants) and ``FittedState.predictions`` /
    ``probabilities``, in float32.
    """
    import jax.numpy as jnp

    model = state.model
    trainable = [variable.value for variable in model.trainable_variables]
    non_trainable = [variable.value for variable in model.non_trainable_variables]
    scaler, spec = state.x_scaler, state.spec

    def scaled(x):
        if scaler is None:  # token ids
            return x
        mean = jnp.asarray(scaler.mean_, jnp.float32)
        scale = jnp.asarray(scaler.scale_, jnp.float32)
        z = (x - mean) / scale
        if scaler.mask_value is None:
            return z
        padded = jnp.all((x == scaler.mask_value) | jnp.isnan(x), axis=-1, keepdims=True)
        return jnp.where(padded, jnp.float32(scaler.mask_value), z)

    def predict(x):
        outputs, _ = model.stateless_call(trainable, non_trainable, scaled(x), training=False)
        if spec.task == "regression":
            mean = jnp.asarray(state.y_scaler.mean_, jnp.float32)
            scale = jnp.asarray(state.y_scaler.scale_, jnp.float32)
            return jnp.reshape(outputs * scale + mean, _output_shape(state, outputs))
        if spec.task == "binary":
            return jnp.concatenate([1.0 - outputs, outputs], axis=-1)
        return outputs / jnp.sum(outputs, axis=-1, keepdims=True)

    return predict


def _input_spec(state: FittedState):
    import jax

    shape = ["batch"]
    for axis, size in enumerate(state.model.input_shape[1:]):
        shape.append(size if size is not None else ("steps" if axis == 0 else f"axis{axis}"))
    dtype = np.int32 if state.x_scaler is None else np.float32
    return jax.ShapeDtypeStruct(tuple(shape), dtype)


# -- repairs of the converter's output ---------------------------------------------------------


def _graphs(graph) -> Iterator[Any]:
    """``graph`` and every subgraph (loop bodies) inside it."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.g.node:
                yield from _graphs(attribute.g)
            for subgraph in attribute.graphs:
                yield from _graphs(subgraph)


def _forget_shared_dims(graph) -> int:
    count = 0
    for values in (graph.input, graph.output, graph.value_info):
        for value in values:
            for dim in value.type.tensor_type.shape.dim:
                if dim.dim_param == _SHARED_DIM:
                    dim.ClearField("dim_param")
                    count += 1
    return count


def _pool_channels_first(graph, onnx) -> int:
    """Rewrite MaxPools over more than 3 axes whose outer axes have windows of 1.

    jax2onnx lowers ``reduce_window_max`` by adding two unit axes and pooling over
    every axis of the operand: a channels-last ``MaxPooling2D`` becomes a MaxPool over 4
    axes (window ``(1, 2, 2, 1)``), which onnxruntime does not run. The same pooling,
    when the first and last window sizes and strides are 1, is a channels-first MaxPool
    over the middle axes: Transpose, MaxPool, Transpose back.
    """
    helper = onnx.helper
    producers = {output: node for node in graph.node for output in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    rewritten = 0
    for pool in [node for node in graph.node if node.op_type == "MaxPool"]:
        attributes = {a.name: helper.get_attribute_value(a) for a in pool.attribute}
        kernel = list(attributes.get("kernel_shape", ()))
        strides = list(attributes.get("strides", [1] * len(kernel)))
        pads = list(attributes.get("pads", [0] * 2 * len(kernel)))
        rank = len(kernel)
        if rank <= _POOL_AXES:
            continue
        inner = producers.get(pool.input[0])
        outer = producers.get(inner.input[0]) if inner is not None else None
        after = consumers.get(pool.output[0], [])
        if (
            inner is None
            or outer is None
            or inner.op_type != "Unsqueeze"
            or outer.op_type != "Unsqueeze"
            or len(after) != 1
            or after[0].op_type != "Squeeze"
            or kernel[0] != 1
            or kernel[-1] != 1
            or strides[0] != 1
            or strides[-1] != 1
            or pads[0]
            or pads[rank - 1]
            or pads[rank]
            or pads[-1]
            or rank - 2 > _POOL_AXES
            or attributes.get("dilations", [1] * rank) != [1] * rank
        ):
            raise ExportError(
                "model",
                expected=f"poolings onnxruntime runs (MaxPool over at most {_POOL_AXES} axes)",
                received=f"a MaxPool with window {kernel}",
                fix="Use pooling over the spatial axes of channels-last frames.",
            )
        squeeze = after[0]
        source = outer.input[0]  # (N, spatial..., C)
        first = [0, rank - 1, *range(1, rank - 1)]
        back = [0, *range(2, rank), 1]
        spatial = slice(1, rank - 1)
        stem = pool.name or pool.output[0]
        nodes = [
            helper.make_node("Transpose", [source], [f"{stem}_nchw"], perm=first),
            helper.make_node(
                "MaxPool",
                [f"{stem}_nchw"],
                [f"{stem}_pooled"],
                kernel_shape=kernel[spatial],
                strides=strides[spatial],
                pads=pads[1 : rank - 1] + pads[rank + 1 : 2 * rank - 1],
            ),
            helper.make_node("Transpose", [f"{stem}_pooled"], list(squeeze.output), perm=back),
        ]
        position = list(graph.node).index(pool)
        for node in (squeeze, pool):
            graph.node.remove(node)
        for offset, node in enumerate(nodes):
            graph.node.insert(position + offset, node)
        rewritten += 1
    return rewritten


def repair(proto, onnx) -> dict[str, int]:
    """Make the converter's file run in onnxruntime; the counts of each repair.

    - Scan outputs that all share jax2onnx's one symbolic length become unknown.
    - MaxPools over 4 axes (channels-last frames) become channels-first 2D MaxPools.

    Unused nodes (the unit axes no longer read) are left to onnxruntime's optimiser.
    """
    counts = {"shared_dims": 0, "poolings": 0}
    for graph in _graphs(proto.graph):
        counts["shared_dims"] += _forget_shared_dims(graph)
        counts["poolings"] += _pool_channels_first(graph, onnx)
    return counts


# -- metadata --------------------------------------------------------------------------------


def metadata(state: FittedState, estimator: str) -> dict[str, str]:
    """What the file says about itself (ONNX ``metadata_props``, values as JSON text).

    Example:
        >>> import numpy as np
        >>> from seqshape.builders import infer_spec
        >>> state = FittedState(spec=infer_spec(np.zeros((4, 6, 2)), np.zeros(4)))
        >>> state.n_features_in = 2
        >>> props = metadata(state, "SequenceRegressor")
        >>> props["seqshape.input_steps"], props["seqshape.output_shape"]
        ('6', '[]')
    """
    spec = state.spec
    steps = spec.input_steps if spec.input_kind != "vector" else None
    if state.model is not None and state.takes_any_length():
        steps = None
    input_shape = [
        None if steps is None and i == 0 else size for i, size in enumerate(spec.input_shape)
    ]
    if spec.input_kind == "vector":
        input_shape = list(spec.input_shape)
    names = state.feature_names_in
    values = {
        "format_version": 1,
        "estimator": estimator,
        "task": spec.task,
        "topology": spec.topology,
        "strategy": spec.strategy,
        "normalization": spec.normalization,
        "input_name": INPUT_NAME,
        "input_dtype": "int32"
        if state.x_scaler is None and spec.input_kind == "tokens"
        else "float32",
        "input_shape": input_shape,
        "input_steps": steps,
        "feature_names": None if names is None else [str(name) for name in names],
        "mask_value": spec.mask_value,
        "output_name": OUTPUT_NAMES[spec.task],
        "output_shape": list(spec.output_shape),
        "labels": None if state.classes is None else state.classes.tolist(),
    }
    return {METADATA_PREFIX + key: json.dumps(value) for key, value in values.items()}


# -- the check and the export ----------------------------------------------------------------


def _probe(state: FittedState, samples: int = 3) -> np.ndarray:
    """A few inputs shaped and scaled like the training data (padding included)."""
    rng = np.random.default_rng(0)
    shape = (samples, *state.spec.input_shape)
    if state.x_scaler is None:
        return rng.integers(0, state.spec.vocabulary_size, size=shape).astype(np.int32)
    scaler = state.x_scaler
    X = scaler.mean_ + scaler.scale_ * rng.normal(size=shape)
    if state.spec.mask_value is not None and X.ndim == 3 and X.shape[1] > 1:
        X[-1, -1:, :] = np.nan  # a padded step
    return X.astype(np.float32)


def expected_outputs(state: FittedState, X: np.ndarray) -> np.ndarray:
    """seqshape's own answer for checked X: predictions, or class probabilities."""
    outputs = small_batch_forward(state.model)(state.model_inputs(X))
    if state.spec.task == "regression":
        return state.predictions(outputs)
    return state.probabilities(outputs)


def _check_reproduces(state: FittedState, content: bytes) -> None:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # not the optimiser's notes on unused constants
    session = onnxruntime.InferenceSession(content, options, providers=["CPUExecutionProvider"])
    X = _probe(state)
    got = session.run(None, {INPUT_NAME: X})[0]
    want = expected_outputs(state, X)
    scale = max(float(np.max(np.abs(want))), 1.0)
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-4 * scale):
        worst = np.max(np.abs(got - want)) if got.shape == want.shape else got.shape
        raise ExportError(
            "model",
            expected="an ONNX file whose predictions equal seqshape's",
            received=f"differences up to {worst} on {len(X)} probe samples "
            f"({state.spec.topology}, {state.spec.strategy})",
            fix="Report this model's topology and strategy: the converter mistranslated "
            "it. Serve it with seqshape.load(...).predict meanwhile.",
        )


def export_onnx(state: FittedState, path: str | os.PathLike, estimator: str) -> Path:
    """Write the fitted model's whole prediction path to one ONNX file at ``path``.

    Written atomically: nothing is left at ``path`` when conversion or the check fails.
    """
    if keras.backend.backend() != "jax":
        raise ExportError(
            "KERAS_BACKEND",
            expected="the JAX backend for ONNX export (the converter traces JAX)",
            received=repr(keras.backend.backend()),
            fix="Export in a process started with KERAS_BACKEND=jax: seqshape.load the "
            "saved model there (files load on any backend).",
        )
    jax2onnx, onnx = _converter()
    quiet = logging.getLogger("onnx_ir")  # notes on values it does not serialise
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        proto = jax2onnx.to_onnx(
            prediction_function(state),
            inputs=[_input_spec(state)],
            model_name="seqshape",
            opset=OPSET,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAMES[state.spec.task]],
            return_mode="proto",
        )
    except ExportError:
        raise
    except Exception as error:  # the converter's own failure, named
        raise ExportError(
            "model",
            expected="a model jax2onnx converts",
            received=f"{type(error).__name__}: {str(error)[:300]}",
            fix="Report this model's topology and strategy.",
        ) from None
    finally:
        quiet.setLevel(level)
    repair(proto, onnx)
    proto.producer_name = "seqshape"
    proto.doc_string = (
        f"seqshape {state.spec.topology} ({state.spec.strategy}), {state.spec.task}: "
        "inputs in the units of fit, outputs in y's units (or class probabilities)."
    )
    for key, value in metadata(state, estimator).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    content = proto.SerializeToString()
    _check_reproduces(state, content)
    target = Path(path)
    with atomic_file(target) as temporary:
        temporary.write_bytes(content)
    return target


__all__ = ["FORMATS", "INPUT_NAME", "OUTPUT_NAMES", "check_format", "export_onnx", "metadata"]
