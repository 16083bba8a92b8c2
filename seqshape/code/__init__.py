"""The model for your shapes as Keras code you own: ``keras_code`` and ``fitted_code``.

``keras_code(X.shape, y.shape, **params)`` (``seqshape code`` on the command line)
builds the model seqshape would build for arrays of those shapes and prints it as a
standalone script that imports only ``keras`` and ``numpy``: the same layers, shapes and
parameter count, a comment with each layer's output shape, compiled with the task's
loss and output activation, and fitted on placeholder data of the given shapes with the
scaling seqshape applies. ``SequenceModel.to_keras_code()`` does the same for a fitted
model, with the scaling it learned written out as NumPy constants.

Example:
    >>> from seqshape.code import keras_code
    >>> script = keras_code((1200, 40, 1), (1200, 10), units=(12, 12, 6))
    >>> print("\\n".join(line for line in script.splitlines() if "keras.layers." in line))
            keras.layers.LSTM(12, return_sequences=True),  # (batch, 40, 12)
            keras.layers.LSTM(12, return_sequences=True),  # (batch, 40, 12)
            keras.layers.LSTM(6),  # (batch, 6)
            keras.layers.Dense(10, name="head"),  # (batch, 10)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from seqshape.builders import ArchitectureOptions, build_model, spec_from_shapes
from seqshape.code.script import Learned, Training, keras_script
from seqshape.combination import ridge_layer
from seqshape.errors import InvalidInputError
from seqshape.params import BY_NAME, check_params, params_of
from seqshape.spec import check_mask_value

if TYPE_CHECKING:
    from seqshape.fitted import FittedState

__all__ = ["Learned", "Training", "fitted_code", "keras_code"]

_SPEC_NAMES = ("topology", "strategy", "vocabulary_size", "mask_value")


def _full_shape(shape: Sequence[int], name: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(size) for size in shape)
    except (TypeError, ValueError):
        sizes = ()
    if len(sizes) < 1 or any(size < 1 for size in sizes):
        raise InvalidInputError(
            name,
            expected="the shape of the whole array, samples first, every size at least 1 "
            "(e.g. X.shape, (1200, 40, 2))",
            received=repr(shape),
            fix=f"Pass {name}.shape of your array.",
        )
    return sizes


def _task(task: str, n_classes: int | None) -> str:
    if task != "auto":
        return task
    if n_classes is None:
        return "regression"
    return "binary" if n_classes == 2 else "multiclass"


def _normalization(spec, method: str):
    """``spec`` with the normalisation the script applies, from shapes alone: ``"auto"``
    is ``"global"`` (which features continue which is read from data, in ``fit``);
    ``"window"`` restores output feature k from input feature k."""
    if method in ("auto", "global", "none"):
        return dataclasses.replace(spec, normalization="none" if method == "none" else "global")
    if not (
        spec.task == "regression"
        and spec.input_kind == "sequence"
        and spec.mask_value is None
        and spec.output_features <= spec.input_features
    ):
        raise InvalidInputError(
            "normalization",
            expected="'window' only for regression on unpadded numeric sequences with no "
            "more outputs than input features (output k continues input feature k)",
            received=f"{spec.task} with X samples {spec.input_shape} -> y samples "
            f"{spec.output_shape}",
            fix="Use normalization='global' (or 'auto').",
        )
    return dataclasses.replace(
        spec,
        normalization="window",
        target_features=tuple(range(spec.output_features)),
        reasons=(
            *spec.reasons,
            "Normalisation 'window': each window's last value and scale are removed at "
            "the input and restored on the targets (output k continues input feature k).",
        ),
    )


def keras_code(
    x_shape: Sequence[int],
    y_shape: Sequence[int],
    *,
    n_classes: int | None = None,
    command: str | None = None,
    **params: Any,
) -> str:
    """The standalone Keras script of the model seqshape builds for X and y of these shapes.

    Args:
        x_shape, y_shape: the shapes of the whole arrays, samples first (``X.shape``).
        n_classes: the number of classes, for classification (``task`` 'binary' or
            'multiclass'; with ``task='auto'``, giving it makes the task classification).
        command: how the script was asked for, quoted in its docstring.
        **params: any of ``SequenceModel``'s parameters that shape the model or its
            training: ``topology``, ``strategy``, ``task``, ``vocabulary_size``,
            ``mask_value``, ``units``, ``cell``, ``bidirectional``, ``dropout``,
            ``embedding_dim``, ``filters``, ``epochs``, ``batch_size``,
            ``learning_rate``, ``validation_fraction``, ``normalization``, ``patience``,
            ``random_state``.

    Returns:
        The script's text; run it, or write it to a file and change it.

    Example:
        >>> script = keras_code((500, 500), (500,), task="binary", n_classes=2,
        ...                     vocabulary_size=5000, units=100)
        >>> 'loss="binary_crossentropy"' in script, "keras.layers.Embedding(5000, 32" in script
        (True, True)
    """
    x_full, y_full = _full_shape(x_shape, "x_shape"), _full_shape(y_shape, "y_shape")
    if x_full[0] != y_full[0]:
        raise InvalidInputError(
            "y_shape",
            expected=f"the same number of samples as x_shape ({x_full[0]})",
            received=str(y_full[0]),
            fix="The first size of both shapes is the number of samples.",
        )
    values = check_params(params)
    task = _task(values.pop("task", "auto"), n_classes)
    mask_value = values.pop("mask_value", None)
    spec_values = {name: values.pop(name) for name in _SPEC_NAMES[:3] if name in values}
    if mask_value is not None:
        kinds = {2: "vector", 3: "sequence", 5: "frames"}
        kind = "tokens" if spec_values.get("vocabulary_size") else kinds.get(len(x_full), "")
        mask_value = check_mask_value(mask_value, kind)
    spec = spec_from_shapes(
        x_full[1:],
        y_full[1:],
        task=task,
        n_classes=n_classes,
        mask_value=mask_value,
        **spec_values,
    )
    spec = _normalization(spec, values.pop("normalization", "auto"))
    names = [param.name for param in params_of("architecture")]
    options = ArchitectureOptions(**{name: values.pop(name) for name in names if name in values})
    fields = [field.name for field in dataclasses.fields(Training)]
    training = Training(**{name: values[name] for name in fields if name in values})
    model = build_model(spec, options)
    return keras_script(
        spec,
        options,
        model,
        training=training,
        samples=x_full[0],
        command=command or _command(x_full, y_full, params, n_classes),
        learned=None,
    )


def _command(x_shape, y_shape, params: dict, n_classes: int | None) -> str:
    words = [
        "seqshape code",
        "--x-shape " + ",".join(map(str, x_shape)),
        "--y-shape " + ",".join(map(str, y_shape)),
    ]
    if n_classes is not None:
        words.append(f"--classes {n_classes}")
    for name, value in check_params(params).items():
        if value == BY_NAME[name].default or (name == "task" and value == "auto"):
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            words += [flag] if value else []
        elif isinstance(value, (tuple, list)):
            words.append(f"{flag} {','.join(map(str, value))}")
        else:
            words.append(f"{flag} {value}")
    return " ".join(words)


def fitted_code(state: FittedState, params: dict[str, Any], samples: int = 256) -> str:
    """The script of a fitted model: its layers, and the scaling and labels it learned.

    ``state`` is the estimator's ``FittedState``, ``params`` its checked parameters;
    ``SequenceModel.to_keras_code()`` is the way to call it.
    """
    spec = state.spec
    options = ArchitectureOptions(**{p.name: params[p.name] for p in params_of("architecture")})
    training = Training(
        **{field.name: params[field.name] for field in dataclasses.fields(Training)}
    )
    x_scaler = state.x_scaler if spec.normalization == "global" else None
    y_scaler = state.y_scaler if spec.normalization != "window" else None
    learned = Learned(
        x_mean=None if x_scaler is None else x_scaler.mean_,
        x_scale=None if x_scaler is None else x_scaler.scale_,
        y_mean=None if y_scaler is None else y_scaler.mean_,
        y_scale=None if y_scaler is None else y_scaler.scale_,
        classes=state.classes,
        class_weights=state.class_weights,
        ridge_last_value=spec.ridge_share is not None
        and not np.any(keras.ops.convert_to_numpy(ridge_layer(state.model).kernel)),
    )
    return keras_script(
        spec,
        options,
        state.model,
        training=training,
        samples=samples,
        command="model.to_keras_code()",
        learned=learned,
    )
