"""What ``fit`` learns, listed once: ``FittedState``.

Each field of ``FittedState`` is one learned attribute of the estimators (``spec`` ->
``spec_``, ``classes`` -> ``classes_`` and so on) and carries its own JSON codec, so
that saving and loading follow the list. The state also turns data into what the Keras
model reads (scaled inputs, encoded targets) and its outputs back into predictions.

Example:
    >>> import numpy as np
    >>> from seqshape.builders import infer_spec
    >>> X, y = np.zeros((4, 6, 2)), np.array(["up", "down", "up", "down"])
    >>> codes = np.array([1, 0, 1, 0])
    >>> state = FittedState(spec=infer_spec(X, codes), classes=np.unique(y))
    >>> state.encode_targets(y)[:, 0].tolist()
    [1, 0, 1, 0]
    >>> state.to_json()["classes"]
    {'labels': ['down', 'up'], 'dtype': '<U4'}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from seqshape.builders.build import build_model, model_input_shape, takes_any_length
from seqshape.builders.choice import spec_from_shapes
from seqshape.builders.registry import strategies, topologies
from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.scaling import LastAxisScaler
from seqshape.spec import TopologySpec
from seqshape.validation import describe, has_nan_steps

_LABEL_TYPES = (str, int, float, bool)
_LABEL_DTYPE_KINDS = "biufUO"


def _optional(codec: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else codec(value)


def _classes_to_json(classes: np.ndarray) -> dict:
    labels = classes.tolist()
    for label in labels:
        if not isinstance(label, _LABEL_TYPES):
            raise InvalidTypeError(
                "y",
                expected="class labels a model file can hold (text, integers, floats or "
                "booleans), to save this model",
                received=f"a label of type {type(label).__name__}: {label!r}",
                fix="Map the labels to text or integers before fit to save the model.",
            )
    return {"labels": labels, "dtype": classes.dtype.str}


def _classes_from_json(value: dict) -> np.ndarray:
    labels, dtype = value["labels"], np.dtype(value["dtype"])
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(label, _LABEL_TYPES) for label in labels)
        or dtype.kind not in _LABEL_DTYPE_KINDS
    ):
        raise ValueError(f"classes {value!r} are not a list of labels of a label dtype")
    return np.asarray(labels, dtype=dtype)


def _names_from_json(names: list) -> np.ndarray:
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"feature names {names!r} are not a list of text")
    return np.asarray(names, dtype=object)


def _count_from_json(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _history_from_json(history: Any) -> dict[str, list[float]]:
    if not isinstance(history, dict) or not all(
        isinstance(name, str)
        and isinstance(values, list)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)
        for name, values in history.items()
    ):
        raise ValueError("the history is not a dict of lists of numbers")
    return {name: [float(x) for x in values] for name, values in history.items()}


def _json_object_from_json(value: Any) -> dict:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ValueError(f"{value!r} is not a JSON object")
    return value


def _floats_to_json(values: np.ndarray) -> list[float]:
    return [float(value) for value in values]


def _floats_from_json(values: Any) -> np.ndarray:
    if not isinstance(values, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in values
    ):
        raise ValueError(f"{values!r} is not a list of positive numbers")
    return np.asarray(values, dtype=np.float64)


class StateMismatchError(ValueError):
    """The parts of a loaded fitted state (or the state and its model) disagree."""


def _shown(value: Any) -> str:
    return "none" if value is None else repr(np.asarray(value).tolist())[:80]


def _check_spec(spec: TopologySpec) -> None:
    """The spec must be the one seqshape derives from its own shapes and settings."""
    try:
        derived = spec_from_shapes(
            spec.input_shape,
            spec.output_shape,
            topology=spec.topology,
            strategy=spec.strategy,
            task=spec.task,
            n_classes=spec.n_classes,
            vocabulary_size=spec.vocabulary_size,
            mask_value=spec.mask_value,
        )
    except Exception as error:  # any refusal of the shapes: the spec is not seqshape's
        raise StateMismatchError(f"a spec seqshape would not make ({error})") from None
    derived = dataclasses.replace(
        derived,
        normalization=spec.normalization,
        target_features=spec.target_features,
        season=spec.season,
        base_seasons=spec.base_seasons,
        base_drift=spec.base_drift,
        base_weights=spec.base_weights,
        ridge_share=spec.ridge_share,
    )
    if not _same_fields(derived, spec):
        raise StateMismatchError(f"a spec that its own shapes contradict ({spec.title})")
    if spec.normalization not in ("global", "window", "none"):
        raise StateMismatchError(f"normalization {spec.normalization!r}")
    targets = spec.target_features
    if (spec.normalization == "window") != (targets is not None) or (
        targets is not None
        and (
            len(targets) != spec.target_shape[-1]
            or not all(
                isinstance(k, int) and not isinstance(k, bool) and 0 <= k < spec.input_shape[-1]
                for k in targets
            )
        )
    ):
        raise StateMismatchError(
            f"target features {targets!r} for {spec.normalization!r} normalization"
        )
    season = spec.season
    if not (isinstance(season, int) and not isinstance(season, bool) and season >= 1) or (
        season > 1 and (spec.normalization != "window" or season > (spec.input_steps or 0))
    ):
        raise StateMismatchError(f"a seasonal base of {season!r} steps")
    seasons = spec.base_seasons
    if not (isinstance(seasons, int) and not isinstance(seasons, bool) and seasons >= 1) or (
        seasons > 1 and (season == 1 or season * seasons > (spec.input_steps or 0))
    ):
        raise StateMismatchError(f"a seasonal base averaging {seasons!r} seasons")
    if not isinstance(spec.base_drift, bool) or (
        spec.base_drift
        and (season == 1 or seasons > 1 or spec.seasonal_base.steps > (spec.input_steps or 0))
    ):
        raise StateMismatchError(f"a seasonal base with drift {spec.base_drift!r}")
    if not isinstance(spec.base_weights, bool) or (
        spec.base_weights and (spec.normalization != "window" or spec.mask_value is not None)
    ):
        raise StateMismatchError(f"seasonal weights {spec.base_weights!r}")
    share = spec.ridge_share
    if share is not None and (
        not isinstance(share, float)
        or not 0.0 <= share <= 1.0
        or spec.normalization != "window"
        or spec.mask_value is not None
    ):
        raise StateMismatchError(f"a ridge share of {share!r}")


def _same_fields(first: TopologySpec, second: TopologySpec) -> bool:
    """``==`` on the compared fields, NaN equal to NaN and types strict (1 is not True)."""
    for item in dataclasses.fields(first):
        if not item.compare:
            continue
        a, b = getattr(first, item.name), getattr(second, item.name)
        if type(a) is not type(b) and not (
            isinstance(a, (int, float)) and isinstance(b, (int, float))
        ):
            return False
        if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
            continue
        if isinstance(a, bool) != isinstance(b, bool) or a != b:
            return False
    return True


def _check_scaler(name: str, scaler: LastAxisScaler | None, size: int | None) -> None:
    if (scaler is None) != (size is None):
        raise StateMismatchError(
            f"{name} {'missing' if scaler is None else 'present'} where the spec "
            f"{'needs' if size is not None else 'has no use for'} one"
        )
    if scaler is not None and len(scaler.mean_) != size:
        raise StateMismatchError(f"{name} of {len(scaler.mean_)} features where {size} are fed")


def _activations(config: Any) -> list:
    """Every ``activation`` in a layer's (nested) config."""
    if isinstance(config, dict):
        found = [config["activation"]] if isinstance(config.get("activation"), str) else []
        for value in config.values():
            found += _activations(value)
        return found
    if isinstance(config, list):
        return [item for value in config for item in _activations(value)]
    return []


def _signature(model: keras.Model) -> list[tuple]:
    """Per layer: its class, output shape, weight shapes and activations."""
    return [
        (
            type(layer).__name__,
            tuple(tuple(weight.shape) for weight in layer.weights),
            tuple(_activations(layer.get_config())),
        )
        for layer in model.layers
    ]


def _check_model(model: keras.Model, spec: TopologySpec, options: Any) -> None:
    """The model must be the one ``spec`` and ``options`` build (with ``options`` None,
    for a topology no longer registered: its input and output shapes), with the loss of
    its task and finite weights."""
    if not isinstance(model, keras.Model):
        raise StateMismatchError(f"a {type(model).__name__}, not a Keras model")
    steps = (None,) if takes_any_length(spec) and spec.per_step else spec.target_shape[:-1]
    shapes = {
        "input_shape": (None, *model_input_shape(spec)),
        "output_shape": (None, *steps, spec.head_units),
    }
    expected = build_model(spec, options) if options is not None else None
    if expected is not None:
        shapes = {what: getattr(expected, what) for what in shapes}
    for what, shape in shapes.items():
        if getattr(model, what) != shape:
            raise StateMismatchError(
                f"a model of {what.replace('_', ' ')} {getattr(model, what)} where the "
                f"state's {spec.title} model has {shape}"
            )
    if expected is not None and _signature(model) != _signature(expected):
        raise StateMismatchError(
            f"a model whose layers differ from the {spec.title} model the state describes"
        )
    loss = getattr(model, "loss", None)
    if loss is not None and loss != spec.loss:
        raise StateMismatchError(f"a model trained with loss {loss!r} for a {spec.task} spec")
    for weight in model.weights:
        if not np.isfinite(keras.ops.convert_to_numpy(weight.value)).all():
            raise StateMismatchError(f"NaN or infinite values in the weights {weight.path!r}")


def _codec(save: Callable[[Any], Any] | None, load: Callable[[Any], Any] | None) -> dict:
    """A ``FittedState`` field's JSON codec (its metadata); ``save=None``: not in the JSON."""
    return {"save": save, "load": load}


def _identity(value: Any) -> Any:
    return value


@dataclass(eq=False)
class FittedState:
    """Everything ``fit`` learns. The estimators expose each field as an attribute with a
    trailing underscore (``spec_``, ``model_``, ...); ``feature_names_in_`` only when X
    had column names, as scikit-learn does.

    Args:
        spec: the ``TopologySpec`` (topology, strategy, task and reasons).
        classes: the user's class labels, sorted, for classification; else None.
        x_scaler: the feature scaler, fitted on the training part (None for tokens).
        y_scaler: the target scaler, for regression.
        n_features_in: features per step (or per sample) of X.
        feature_names_in: the column names of X, when X had them.
        history: the training history (loss, val_loss, epoch_seconds per epoch).
        best_epoch: the epoch whose weights were kept (1-based).
        n_epochs: the epochs trained.
        validation: how samples were held out for early stopping (``method``,
            ``reason``, sample counts).
        baseline_check: the model's validation error next to the baselines'
            (``seqshape.guard.compare``), or None without a validation part.
        class_weights: the weight of each class index in the training loss
            (``seqshape.class_weights``), or None when every class weighs 1.
        model: the trained Keras model (saved as Keras' own file, not in the JSON).
    """

    spec: TopologySpec = field(metadata=_codec(TopologySpec.to_dict, TopologySpec.from_dict))
    classes: np.ndarray | None = field(
        default=None, metadata=_codec(_optional(_classes_to_json), _optional(_classes_from_json))
    )
    x_scaler: LastAxisScaler | None = field(
        default=None,
        metadata=_codec(_optional(LastAxisScaler.to_dict), _optional(LastAxisScaler.from_dict)),
    )
    y_scaler: LastAxisScaler | None = field(
        default=None,
        metadata=_codec(_optional(LastAxisScaler.to_dict), _optional(LastAxisScaler.from_dict)),
    )
    n_features_in: int = field(default=0, metadata=_codec(int, _count_from_json))
    feature_names_in: np.ndarray | None = field(
        default=None, metadata=_codec(_optional(list), _optional(_names_from_json))
    )
    history: dict[str, list[float]] | None = field(
        default=None, metadata=_codec(_identity, _optional(_history_from_json))
    )
    best_epoch: int | None = field(
        default=None, metadata=_codec(_identity, _optional(_count_from_json))
    )
    n_epochs: int | None = field(
        default=None, metadata=_codec(_identity, _optional(_count_from_json))
    )
    validation: dict | None = field(
        default=None, metadata=_codec(_identity, _optional(_json_object_from_json))
    )
    baseline_check: dict | None = field(
        default=None, metadata=_codec(_identity, _optional(_json_object_from_json))
    )
    class_weights: np.ndarray | None = field(
        default=None, metadata=_codec(_optional(_floats_to_json), _optional(_floats_from_json))
    )
    model: keras.Model | None = field(default=None, metadata=_codec(None, None))

    # -- the JSON state ------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The learned state but the Keras model, as plain JSON values."""
        return {
            item.name: item.metadata["save"](getattr(self, item.name))
            for item in dataclasses.fields(self)
            if item.metadata["save"] is not None
        }

    @classmethod
    def from_json(cls, state: dict[str, Any], model: keras.Model | None = None) -> FittedState:
        """The inverse of ``to_json``, each field checked by its codec.

        Raises ``KeyError``, ``TypeError`` or ``ValueError`` for a missing or malformed
        field, and for a field this version does not know.
        """
        codecs = {item.name: item.metadata["load"] for item in dataclasses.fields(cls)}
        unknown = set(state) - {name for name, load in codecs.items() if load is not None}
        if unknown:
            raise ValueError(f"unknown learned attributes {sorted(unknown)}")
        # absent from older files: None
        added_later = ("validation", "baseline_check", "class_weights")
        values = {
            name: load(state[name]) if name in state or name not in added_later else None
            for name, load in codecs.items()
            if load is not None
        }
        return cls(**values, model=model)

    # -- a loaded state against its model -----------------------------------------------

    def check_consistency(self, options: Any) -> None:
        """Raise ``StateMismatchError`` unless every part of the state agrees with the
        others and with the Keras model: the spec is the one seqshape derives from its
        own shapes, the task, classes, scalers and feature counts fit the spec, and the
        model has the layers, shapes, loss and finite weights the spec and ``options``
        (``ArchitectureOptions``) build. For a state read from a file (``load``).
        """
        spec = self.spec
        # a topology registered by code that is gone still loads (its file explains
        # itself); its spec and layers cannot be rebuilt, only its shapes checked
        registered = spec.topology in topologies() and spec.strategy in strategies(spec.topology)
        if registered:
            _check_spec(spec)
        regression = spec.task == "regression"
        if regression != (self.classes is None):
            raise StateMismatchError(
                f"a {spec.task} spec with classes {_shown(self.classes)}: regression has "
                "no classes, classification needs them"
            )
        if not regression and len(self.classes) != spec.n_classes:
            raise StateMismatchError(
                f"{len(self.classes)} classes for a spec of {spec.n_classes} classes"
            )
        if self.class_weights is not None and (
            regression or len(self.class_weights) != len(self.classes)
        ):
            raise StateMismatchError(
                f"class weights {_shown(self.class_weights)} for classes {_shown(self.classes)}"
            )
        features = spec.input_shape[-1]
        if self.n_features_in != features:
            raise StateMismatchError(
                f"n_features_in {self.n_features_in} for samples of shape {spec.input_shape}"
            )
        if self.feature_names_in is not None and len(self.feature_names_in) != features:
            raise StateMismatchError(
                f"{len(self.feature_names_in)} feature names for {features} features"
            )
        tokens = spec.input_kind == "tokens"
        _check_scaler("x_scaler", self.x_scaler, None if tokens else spec.input_shape[-1])
        _check_scaler("y_scaler", self.y_scaler, spec.target_shape[-1] if regression else None)
        if self.model is not None:
            _check_model(self.model, spec, options if registered else None)

    # -- data in -------------------------------------------------------------------------

    def check_input(self, X: np.ndarray, name: str = "X", owner: str = "SequenceModel"):
        """``X`` if its samples have the shape seen in fit, else a clear error."""
        expected = self.spec.input_shape
        received = X.shape[1:]
        if X.ndim != len(expected) + 1:
            raise InvalidInputError(
                name,
                expected=f"samples of shape {expected}, as in fit (a {len(expected) + 1}D array)",
                received=describe(X),
                fix="Reshape your data to the layout used in fit, e.g. X.reshape(-1, "
                f"{', '.join(map(str, expected))}) for samples of that shape.",
            )
        if received[-1] != expected[-1]:
            raise InvalidInputError(
                name,
                expected=f"{expected[-1]} features per step",
                received=f"X has {received[-1]} features, but {owner} is expecting "
                f"{expected[-1]} features as input",
                fix="Pass the same feature columns, in the same order, as in fit.",
            )
        self._check_padding(X, name)
        if received != expected and not (self.takes_any_length() and received[1:] == expected[1:]):
            raise InvalidInputError(name, **self._other_shape(expected, received))
        return X

    def check_targets(self, y: np.ndarray, X: np.ndarray, name: str = "y") -> None:
        """``y`` (for the samples ``X``) must have the per-sample shape seen in fit; the
        steps may follow X's for a model that takes sequences of any length."""
        expected = self.spec.output_shape
        received = y.shape[1:]
        if received == expected:
            return
        any_length = self.takes_any_length() and self.spec.per_step
        if any_length and len(received) == len(expected) and received[1:] == expected[1:]:
            return
        raise InvalidInputError(
            name,
            expected=f"targets of per-sample shape {expected}, as y in fit",
            received=f"{describe(y)}, samples of shape {received}",
            fix="Pass the targets in the same layout as y in fit.",
        )

    def takes_any_length(self) -> bool:
        """True when the model reads padded sequences of any number of steps (its input's
        time axis is None); before the model is built, as its spec says."""
        if self.model is not None:
            shape = self.model.input_shape
            return len(shape) > 2 and shape[1] is None
        return takes_any_length(self.spec)

    def _check_padding(self, X: np.ndarray, name: str) -> None:
        """NaN steps (padding, checked by ``as_numeric_array``) only for a masked model."""
        if self.spec.mask_value is None and X.ndim == 3 and has_nan_steps(X):
            raise InvalidInputError(
                name,
                expected="no NaN: this model was fitted on sequences without padding",
                received="steps whose features are all NaN (padding)",
                fix="Fill or interpolate missing values; for variable-length sequences, fit "
                "on padded data (NaN steps, a list of sequences, or mask_value) so that "
                "the padded steps are masked.",
            )

    def _other_shape(self, expected: tuple, received: tuple) -> dict[str, str]:
        """The error for samples of another shape: padding advice for padded data."""
        steps = expected[0]
        if self.spec.mask_value is not None:
            return {
                "expected": f"sequences of {steps} steps (padded), as in fit: the "
                f"{self.spec.strategy} strategy needs a fixed number of steps",
                "received": f"samples of shape {received}",
                "fix": f"Pad (or cut) the sequences to {steps} steps with padding steps "
                "(every feature NaN, or mask_value), or fit with a strategy that takes "
                "any length (last_state, time_distributed, encoder_decoder, dense_head).",
            }
        return {
            "expected": f"samples of shape {expected}, as in fit",
            "received": f"samples of shape {received}",
            "fix": "Window the data with the same number of input steps as in fit; for "
            "variable-length sequences, fit on padded data (NaN steps, a list of "
            "sequences, or mask_value): the model then takes any number of steps.",
        }

    def check_tokens(self, X: np.ndarray) -> None:
        """For token inputs: integer ids inside the vocabulary, else a clear error."""
        if self.spec.input_kind != "tokens":
            return
        if X.dtype.kind not in "iub":
            raise InvalidTypeError(
                "X",
                expected="integer token ids when vocabulary_size is given",
                received=describe(X),
                fix="Pass X as integers (X.astype(int)), or leave vocabulary_size unset.",
            )
        size = self.spec.vocabulary_size
        low, high = int(X.min()), int(X.max())
        if low < 0 or high >= size:
            raise InvalidInputError(
                "X",
                expected=f"token ids in [0, {size - 1}] (vocabulary_size={size})",
                received=f"ids from {low} to {high}",
                fix=f"Pass vocabulary_size={high + 1} or more, or map ids into the vocabulary.",
            )

    def model_inputs(self, X: np.ndarray) -> np.ndarray:
        """X as the Keras model reads it: scaled float32, or int32 token ids."""
        if self.x_scaler is None:
            return X.astype(np.int32)
        return self.x_scaler.transform(X)

    def encode_targets(self, y: np.ndarray) -> np.ndarray:
        """y in the model's target shape: class indices for classification."""
        samples = len(y)
        if self.classes is None:
            return y.reshape(samples, *self.spec.target_shape)
        unknown = ~np.isin(y, self.classes)
        if unknown.any():
            raise InvalidInputError(
                "y",
                expected=f"labels among the training classes {self.classes.tolist()}",
                received=f"{int(unknown.sum())} other label(s), e.g. {y[unknown].ravel()[0]!r}",
                fix="Validation labels must be classes seen in training.",
            )
        indices = np.searchsorted(self.classes, y)
        return indices.reshape(samples, *self.spec.target_shape).astype(np.int32)

    def training_arrays(self, X: np.ndarray, targets: np.ndarray) -> tuple:
        """What Keras trains on for ``X`` and its encoded ``targets``: the model's inputs
        and scaled targets, and each target's weight where classes are weighted."""
        arrays = (self.model_inputs(X), self.scaled_targets(targets))
        weights = self.sample_weights(targets)
        return arrays if weights is None else (*arrays, weights)

    def sample_weights(self, targets: np.ndarray) -> np.ndarray | None:
        """Each encoded target's weight in the loss (its class's), or None."""
        if self.class_weights is None:
            return None
        return self.class_weights[targets].astype(np.float32)

    def scaled_targets(self, targets: np.ndarray) -> np.ndarray:
        """Encoded targets as the model is trained on them (standardised for regression)."""
        return targets if self.y_scaler is None else self.y_scaler.transform(targets)

    # -- outputs back ----------------------------------------------------------------------

    def predictions(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs as predictions in y's shape and units, or the user's labels."""
        shape = (len(outputs), *self.spec.output_shape)
        if self.spec.topology == "many_to_many_aligned" and self.takes_any_length():
            shape = (len(outputs), outputs.shape[1], *shape[2:])  # steps follow X's
        if self.spec.task == "regression":
            return self.y_scaler.inverse_transform(outputs).reshape(shape)
        if self.spec.task == "binary":
            indices = (outputs[..., 0] > 0.5).astype(np.int64)
        else:
            indices = np.argmax(outputs, axis=-1)
        return self.classes[indices].reshape(shape)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Class probabilities from the model outputs, last axis ordered as ``classes``."""
        outputs = np.asarray(outputs, dtype=np.float64)
        if self.spec.task == "binary":
            return np.concatenate([1.0 - outputs, outputs], axis=-1)
        return outputs / outputs.sum(axis=-1, keepdims=True)  # exact sums after float32
