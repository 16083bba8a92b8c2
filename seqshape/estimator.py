"""The estimators: ``SequenceModel`` reads the task from y, ``SequenceClassifier`` and
``SequenceRegressor`` fix it; all three read the topology from the shapes, build and
train. ``load`` reads any of them back from a ``.seqshape`` file.

Their parameters come from one table (``seqshape.params``); what ``fit`` learns is
one ``FittedState`` (``seqshape.fitted``), assigned only once training has succeeded.

Example:
    >>> import numpy as np
    >>> from seqshape import SequenceClassifier, SequenceModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 12, 2))
    >>> y = X[:, -4:, :].copy()
    >>> model = SequenceModel(units=(8,), epochs=2).fit(X, y)
    >>> model.spec_.topology, model.predict(X).shape
    ('many_to_many', (64, 4, 2))
    >>> labels = np.where(X[:, -1, 0] > 0, "up", "down")
    >>> classifier = SequenceClassifier(units=(8,), epochs=2).fit(X, labels)
    >>> classifier.classes_.tolist(), classifier.predict(X[:3]).dtype.kind
    (['down', 'up'], 'U')
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from seqshape import guard
from seqshape._backend import enable_compilation_cache
from seqshape._inference import SMALL_BATCH, small_batch_forward
from seqshape.builders import ArchitectureOptions, infer_spec_from_arrays
from seqshape.class_weights import choose_class_weight
from seqshape.code import fitted_code
from seqshape.combination import (
    EVEN_SHARE,
    choose_mix,
    evenly_spaced,
    ridge_kernel,
    ridge_layer,
    share_words,
)
from seqshape.defaults import choose_normalization, choose_validation
from seqshape.distribution import is_writer, shared_random_state
from seqshape.errors import (
    AxesWarning,
    BaselineWinsWarning,
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    NotFittedYetError,
    SeqShapeError,
)
from seqshape.explain import Explanation, explain_model
from seqshape.fitted import FittedState, StateMismatchError
from seqshape.guard import baseline_predictions
from seqshape.params import check_params, estimator_params, params_of, resolved_epochs
from seqshape.persistence import model_file_error, read_model_file, write_model_file
from seqshape.scaling import LastAxisScaler
from seqshape.spec import looks_channels_first, transposed_words
from seqshape.training import (
    DECAY_FLOOR,
    ScaledBatches,
    auto_epoch_limit,
    is_large,
    kept_epoch,
    small_set_epochs,
    train,
)
from seqshape.validation import (
    as_numeric_array,
    check_float32_range,
    check_same_samples,
    describe,
)

# A classifier's held-out part smaller than this, in all or per class, is too few to
# stop on (a few samples make early stopping end near the majority class, or at a noisy
# epoch): the model trains on every sample for a budget of steps with a decaying learning
# rate instead (seqshape.training.SMALL_SET_STEPS). Per class: OSULeaf's 40 held-out
# leaves of 6 classes stopped at epochs 72-96 (test accuracy 0.909-0.946); its seed 0
# trained on all 200 for the budget reached 0.950 (0.909 stopped early).
SMALL_HOLDOUT = 30
SMALL_HOLDOUT_PER_CLASS = 10
SMALL_SET_METHOD = "all samples, cosine decay"

# The guard scores at most this many held-out samples (evenly spaced).
GUARD_SAMPLES = 20_000

# Inputs normalised per window inside the model stay below this magnitude: the window's
# squared deviations, summed in float32, must not overflow.
WINDOW_MAGNITUDE = 1e15

# Parameters a model file never sets: a path from a file could point anywhere.
_NOT_FROM_FILES = ("checkpoint_dir",)


def _small_holdout(labels: np.ndarray) -> int:
    """The fewest held-out samples a classifier stops on: ``SMALL_HOLDOUT``, or
    ``SMALL_HOLDOUT_PER_CLASS`` for each of its classes where that is more."""
    return max(SMALL_HOLDOUT, SMALL_HOLDOUT_PER_CLASS * len(np.unique(labels)))


class _FeatureNames(BaseEstimator):
    """Receives scikit-learn's reading of X's column names, so ``fit`` can learn them
    without touching the estimator before training has succeeded."""


def _feature_names(X: Any) -> np.ndarray | None:
    probe = _FeatureNames()
    validate_data(probe, X, reset=True, skip_check_array=True, ensure_2d=False)
    return getattr(probe, "feature_names_in_", None)


def _refuse_a_whole_series(X: Any) -> None:
    """A pandas Series (or a time column beside one value column) as X is a whole series,
    not samples: say how to cut it into windows."""
    if not type(X).__module__.startswith("pandas"):
        return
    if getattr(X, "ndim", 0) == 2:
        kinds = [dtype.kind for dtype in X.dtypes]
        if not (len(kinds) <= 2 and "M" in kinds):
            return
    elif getattr(X, "ndim", 0) != 1:
        return
    raise InvalidInputError(
        "X",
        expected="one sample per row: (samples, features) or (samples, steps, features)",
        received=f"a pandas {type(X).__name__} of {len(X)} rows, a whole series",
        fix="To forecast a series from its past, cut it into windows first: X, y = "
        "seqshape.windowing.sliding_windows(series.to_numpy()[:, None], input_steps=24, "
        "output_steps=1), then fit(X, y); or fit the table with seqshape.forecast(frame, "
        "target=..., time=..., input_steps=24, output_steps=1).",
    )


def _labels(y: Any, name: str) -> np.ndarray:
    """y as numbers, or as class labels when it holds text or other non-numeric values."""
    try:
        return as_numeric_array(y, name)
    except InvalidTypeError:
        array = np.asarray(y) if y is not None else None
        # None and sparse input become 0-d object arrays: they keep their own errors
        if array is None or array.ndim == 0 or array.dtype.kind not in "USO":
            raise
    if array.size == 0:
        as_numeric_array(np.empty(array.shape), name)  # the error for an empty array
    if array.dtype.kind == "O":
        missing = [
            label
            for label in array.ravel()
            if label is None or (isinstance(label, float) and np.isnan(label))
        ]
        if missing:
            raise InvalidInputError(
                name,
                expected="a class label for every sample",
                received=f"{len(missing)} missing label(s) ({missing[0]!r})",
                fix="Drop the samples without a label, or give them a label of their own.",
            )
        try:
            np.unique(array)
        except TypeError as error:
            raise InvalidTypeError(
                name,
                expected="class labels of one kind that can be sorted (all text, or all numbers)",
                received=f"labels of types {sorted({type(v).__name__ for v in array.ravel()})} "
                f"({error})",
                fix="Convert the labels to one type, e.g. y.astype(str).",
            ) from None
    return array


def _model_outputs(state: FittedState, X: np.ndarray, batch_size: int) -> np.ndarray:
    """The Keras model's outputs for checked X: a compiled call for a few samples,
    batches scaled one at a time for a large X (a view of many windows is never copied)."""
    if len(X) <= SMALL_BATCH:
        return small_batch_forward(state.model)(state.model_inputs(X))
    batch_size = max(batch_size, 256)
    if is_large(X):
        batches = ScaledBatches(state, X, batch_size=batch_size)
        return state.model.predict(batches, verbose=0)
    return state.model.predict(state.model_inputs(X), batch_size=batch_size, verbose=0)


def _rows(array: np.ndarray, index: np.ndarray | range) -> np.ndarray:
    """``array[index]``, as a view (no copy) when the index is a run of rows."""
    if isinstance(index, range):
        return array[index.start : index.stop]
    if len(index) and index[-1] - index[0] + 1 == len(index):
        return array[index[0] : index[-1] + 1]
    return array[index]


def _warn_unusable_fraction(params: dict[str, Any], split: Any, samples: int) -> None:
    """Say so when ``validation_fraction`` holds out nothing usable: validation is off."""
    fraction = params["validation_fraction"]
    if split.method != "none" or params["validation"] == "none" or fraction == 0:
        return
    low, high = (1 / samples, (samples - 1) / samples) if samples > 1 else (None, None)
    works = (
        f"a validation_fraction from {low:.3g} to {high:.3g} holds out 1 to {samples - 1}"
        if low is not None
        else "one sample cannot be split"
    )
    warnings.warn(
        f"validation_fraction={fraction} of {samples} samples holds out no usable part, so "
        f"validation is off: every sample trains and early stopping watches the training "
        f"loss. For {samples} samples, {works}; validation_fraction=0 or validation='none' "
        "turns validation off without this warning.",
        UserWarning,
        stacklevel=3,
    )


def _warn_channels_first(X: np.ndarray, spec: Any) -> None:
    """Say so when X's samples look transposed (``seqshape.spec.looks_channels_first``):
    the (samples, channels, steps) layout of aeon's and sktime's loaders, read as
    (samples, steps, features), gives a model of a few steps of many features."""
    if spec.input_kind != "sequence" or X.ndim != 3 or not looks_channels_first(*X.shape[1:]):
        return
    steps, features = X.shape[1:]
    warnings.warn(
        f"X holds {steps} step{'s' if steps > 1 else ''} of {features} features per sample "
        f"(X.shape {X.shape}): seqshape reads (samples, steps, features). "
        f"{transposed_words(steps, features)} If the steps are right, "
        "warnings.filterwarnings('ignore', category=seqshape.errors.AxesWarning) "
        "silences this.",
        AxesWarning,
        stacklevel=3,
    )


class _SequenceEstimator(BaseEstimator):
    """The implementation the three estimators share (see ``SequenceModel``).

    ``_target`` says what y is: ``"auto"`` (the ``task`` parameter decides),
    ``"classification"`` or ``"regression"``.
    """

    _target: ClassVar[str] = "auto"

    # -- scikit-learn contract -------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = self._target != "classification"
        tags.non_deterministic = self.random_state is None
        return tags

    # -- fitting ---------------------------------------------------------------------

    def fit(self, X, y, validation_data: tuple | None = None):
        """Infer the topology from X and y, build the Keras model and train it.

        Every learned attribute is assigned at the end: a ``fit`` that fails leaves
        the estimator as it was (fitted or not).

        Args:
            X: inputs, ``(samples, features)``, ``(samples, steps, features)``,
                ``(samples, steps)`` token ids or ``(samples, steps, h, w, channels)``.
            y: targets, ``(samples,)``, ``(samples, outputs)`` or
                ``(samples, steps, outputs)``; class labels may be text or any
                sortable values.
            validation_data: optional ``(X_val, y_val)`` used for early stopping
                instead of holding out the last samples of X.
        """
        params = check_params(self.get_params())
        auto_epochs = params["epochs"] == "auto"
        params["epochs"] = resolved_epochs(params["epochs"])
        # several processes split, initialise and shuffle alike (seqshape.distribution)
        params["random_state"] = shared_random_state(
            params["random_state"], params["distribution"]
        )
        _refuse_a_whole_series(X)
        options = ArchitectureOptions(
            **{p.name: params[p.name] for p in params_of("architecture")}
        )
        names = _feature_names(X)
        X_array = as_numeric_array(X, "X", padding=True)  # NaN steps: padding, masked
        y_array = self._read_y(y, "y")
        check_same_samples(X_array, y_array)
        state = self._read_spec(X_array, y_array, params)
        state.n_features_in, state.feature_names_in = X_array.shape[-1], names
        _warn_channels_first(X_array, state.spec)

        labels = y_array if state.spec.is_classifier and y_array.ndim == 1 else None
        if validation_data is None:
            split = choose_validation(
                params["validation"],
                X_array,
                labels,
                fraction=params["validation_fraction"],
                output_steps=state.spec.output_steps,
                seed=params["random_state"],
            )
            _warn_unusable_fraction(params, split, len(X_array))
            X_train, y_train = _rows(X_array, split.train), _rows(y_array, split.train)
            X_val, y_val = _rows(X_array, split.validation), _rows(y_array, split.validation)
            method, reason = split.method, split.reason
            if (
                params["validation"] == "auto"
                and labels is not None
                and split.method in ("stratified", "random")
                and len(split.validation) < _small_holdout(labels)
            ):  # too few to stop on: train on all, for a budget of steps, then keep the last
                X_train, y_train, X_val, y_val = X_array, y_array, X_array[:0], y_array[:0]
                method, reason = SMALL_SET_METHOD, ""
        else:
            X_train, y_train = X_array, y_array
            X_val, y_val = self._read_validation(validation_data, state)
            method = "given"
            reason = (
                f"Validation: the {len(X_val)} samples of validation_data stop training early."
            )
        state.validation = {
            "method": method,
            "reason": reason,
            "train": len(X_train),
            "validation": len(X_val),
        }

        state.check_tokens(X_array)
        chosen = choose_normalization(
            params["normalization"],
            state.spec,
            X_train,
            y_train,
            params["seasonal_base"],
            params["ridge_share"],
        )
        normalization, targets = chosen.method, chosen.target_features
        state.spec = chosen.applied_to(state.spec, reason)
        if normalization == "window" and X_train.dtype.kind == "f":
            check_float32_range(
                X_train,
                "X",
                WINDOW_MAGNITUDE,
                "with normalization='window' each window's spread is computed in float32 "
                "(pass normalization='global' for larger values)",
            )
        if state.spec.input_kind != "tokens":
            # each window normalises itself: a global scaling on top would shrink series
            # at low levels in a panel below the window normalisation's epsilon
            state.x_scaler = LastAxisScaler(state.spec.mask_value).fit(
                X_train if normalization == "global" else X_train[:0]
            )
        targets_train = state.encode_targets(y_train)
        if state.spec.task == "regression":
            if normalization == "window":  # targets in the units of the features they continue
                state.y_scaler = state.x_scaler.subset(targets)
            else:
                state.y_scaler = LastAxisScaler().fit(targets_train, "y")
        validation = (X_val, state.encode_targets(y_val)) if len(X_val) else None
        if method == SMALL_SET_METHOD:
            if auto_epochs:
                params["epochs"] = small_set_epochs(len(X_array), params["batch_size"])
            epochs, rate = params["epochs"], params["learning_rate"]
            reason = (
                f"Validation: a held-out part of {len(split.validation)} samples is too "
                f"few to stop on (under {_small_holdout(labels)}: {SMALL_HOLDOUT} in all, "
                f"{SMALL_HOLDOUT_PER_CLASS} a class; early stopping would end near the "
                "majority class or at a noisy epoch), so the "
                f"model trains on all {len(X_array)} samples for {epochs} epochs, its "
                f"learning rate falling along a cosine from {rate:g} to {rate * DECAY_FLOOR:g}, "
                "and keeps the last weights; nothing is held out for the baseline check."
            )
            state.validation["reason"] = reason
            state.spec = dataclasses.replace(
                state.spec, reasons=(*state.spec.reasons[:-1], reason)
            )
            params = {**params, "patience": epochs, "cosine_decay": True}
        elif auto_epochs:  # epochs of a few steps: enough of them to make SMALL_SET_STEPS
            params["epochs"] = auto_epoch_limit(
                params["epochs"], len(X_train), params["batch_size"]
            )
        state.validation["epoch_limit"] = params["epochs"]
        if state.classes is not None:
            state.class_weights, words = choose_class_weight(
                params["class_weight"], targets_train, len(state.classes), state.classes
            )
            if words:
                state.spec = dataclasses.replace(state.spec, reasons=(*state.spec.reasons, words))
        model, history = train(state, options, params, (X_train, targets_train), validation)
        state.model, state.history = model, history
        state.best_epoch = kept_epoch(history, len(X_train), params["batch_size"])
        state.n_epochs = len(history["loss"])
        if state.spec.ridge_share is not None:
            self._combine(state, (X_train, y_train), (X_val, y_val), params["ridge_share"])
        if len(X_val):
            state.baseline_check = self._check_baselines(state, X_train, y_train, X_val, y_val)
        self._set_state(state)
        return self

    def _combine(self, state, training, validation, asked) -> None:
        """Fit ``RidgeCombination``'s map on the training windows and set its share: as
        asked, or the one that fits the validation windows best, with the ridge or with
        the last value (``choose_mix``)."""
        layer = ridge_layer(state.model)
        kernel = ridge_kernel(*training, state.spec.target_features)
        layer.kernel.assign(kernel)
        X_val, y_val = validation
        errors, last_value = None, False
        if asked != "auto":
            share = asked
        elif len(X_val) == 0:
            share = EVEN_SHARE
        else:
            if len(X_val) > GUARD_SAMPLES:
                chosen = evenly_spaced(len(X_val), GUARD_SAMPLES)
                X_val, y_val = X_val[chosen], y_val[chosen]
            forecasts = []
            for alone in (0.0, 1.0):  # the network's forecast, then the ridge's
                layer.share.assign(alone)
                outputs = _model_outputs(state, X_val, self.batch_size)
                forecasts.append(state.predictions(outputs))
            layer.kernel.assign(np.zeros_like(kernel))  # a map of zeros: the last value
            forecasts.append(state.predictions(_model_outputs(state, X_val, self.batch_size)))
            share, last_value, errors = choose_mix(*forecasts, y_val)
            if not last_value:
                layer.kernel.assign(kernel)
        layer.share.assign(share)
        words = share_words(
            share, len(training[0]), errors, asked=asked != "auto", last_value=last_value
        )
        state.spec = dataclasses.replace(
            state.spec, ridge_share=float(share), reasons=(*state.spec.reasons, words)
        )

    def _check_baselines(self, state, X_train, y_train, X_val, y_val) -> dict:
        """Score the model and the baselines on the held-out part; warn when one wins.

        At most ``GUARD_SAMPLES`` held-out samples, evenly spaced, are scored, so the
        check costs bounded memory however large the held-out part is.
        """
        if len(X_val) > GUARD_SAMPLES:
            chosen = evenly_spaced(len(X_val), GUARD_SAMPLES)
            X_val, y_val = X_val[chosen], y_val[chosen]
        outputs = _model_outputs(state, X_val, self.batch_size)
        predictions = {"model": state.predictions(outputs)}
        predictions |= baseline_predictions(state.spec, y_train, X_val, y_train)
        truth = y_val if state.spec.is_classifier else np.asarray(y_val, np.float64)
        scale = None
        features = state.spec.target_features
        if not state.spec.is_classifier and features is not None and len(features) > 1:
            rows = evenly_spaced(len(X_train), GUARD_SAMPLES)  # several targets: MASE
            scale = guard.naive_scale_of_windows(X_train[rows], features, state.spec.season)
        result = guard.compare(
            predictions,
            truth.reshape(predictions["model"].shape),
            classifier=state.spec.is_classifier,
            scale=scale,
        )
        result["verdict"] = guard.verdict(result)
        if result["baseline_wins"]:
            warnings.warn(result["verdict"], BaselineWinsWarning, stacklevel=3)
        return result

    def _read_y(self, y: Any, name: str) -> np.ndarray:
        if y is None:  # a ValueError, as scikit-learn's checks expect of a supervised model
            raise InvalidInputError(
                name,
                expected="targets",
                received=f"None: {type(self).__name__} requires y to be passed, but the "
                "target y is None",
                fix=f"Pass the targets as `{name}`.",
            )
        array = _labels(y, name)
        if self._target == "classification" and array.ndim == 2 and array.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change "
                "the shape of y to (n_samples,), for example using ravel(). (Per-step "
                "labels are y of shape (samples, steps, 1).)",
                DataConversionWarning,
                stacklevel=3,
            )
            array = array[:, 0]
        return array

    def _task(self, params: dict[str, Any]) -> str:
        """``"regression"``, ``"binary"``, ``"multiclass"`` or ``"auto"``."""
        if self._target == "classification":
            return "auto"
        if self._target == "regression":
            return "regression"
        return params["task"]

    def _read_spec(self, X: np.ndarray, y: np.ndarray, params: dict[str, Any]) -> FittedState:
        """The spec and, for classification, the classes: a new ``FittedState``."""
        task = self._task(params)
        text = y.dtype.kind in "USO"
        classify = self._target == "classification" or task in ("binary", "multiclass")
        classify = classify or (task == "auto" and (text or y.dtype.kind in "biu"))
        if text and not classify:
            raise InvalidTypeError(
                "y",
                expected="numbers for regression",
                received=f"text or other labels in {describe(y)} "
                f"(first: {y.ravel().tolist()[0]!r})",
                fix="Pass numeric targets; for class labels use SequenceClassifier "
                "(or SequenceModel with task='auto').",
            )
        classes = None
        if classify:
            if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
                raise InvalidInputError(
                    "y",
                    expected="class labels (text, integers or whole numbers)"
                    + (f" for task={task!r}" if task != "auto" else ""),
                    received=f"Unknown label type: continuous (fractional values in "
                    f"{describe(y)})",
                    fix="Pass the class of each sample; for continuous targets use "
                    + (
                        "SequenceRegressor."
                        if self._target == "classification"
                        else "task='regression'."
                    ),
                )
            classes = np.unique(y)
            y = np.searchsorted(classes, y)  # class indices: the spec reads their count
        spec = infer_spec_from_arrays(
            X,
            y,
            topology=params["topology"],
            strategy=params["strategy"],
            task=task,
            vocabulary_size=params["vocabulary_size"],
            mask_value=params["mask_value"],
        )
        return FittedState(spec=spec, classes=classes)

    def _read_validation(self, validation_data: Any, state: FittedState):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            size = (
                f" of {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else ""
            )
            raise InvalidInputError(
                "validation_data",
                expected="a pair (X_val, y_val)",
                received=f"a {type(validation_data).__name__}{size}",
                fix="Pass validation_data=(X_val, y_val), or leave it out to hold out the "
                "last validation_fraction of the samples.",
            )
        X_val = as_numeric_array(validation_data[0], "validation_data[0]", padding=True)
        state.check_input(X_val, "validation_data[0]", type(self).__name__)
        y_val = self._read_y(validation_data[1], "validation_data[1]")
        check_same_samples(X_val, y_val)
        state.check_targets(y_val, X_val, "validation_data[1]")
        return X_val, y_val

    # -- the fitted state --------------------------------------------------------------

    def _set_state(self, state: FittedState) -> None:
        """Assign every learned attribute (``<field>_``) at once."""
        for item in dataclasses.fields(FittedState):
            value = getattr(state, item.name)
            if item.name == "feature_names_in" and value is None:
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_  # scikit-learn: absent without names
                continue
            setattr(self, f"{item.name}_", value)

    def _state(self) -> FittedState:
        self._check_fitted()
        return FittedState(
            **{
                item.name: getattr(self, f"{item.name}_", None)
                for item in dataclasses.fields(FittedState)
            }
        )

    def _fitted_state(self) -> dict[str, Any]:
        """Every learned attribute but the Keras model, as plain JSON values."""
        return self._state().to_json()

    @classmethod
    def _from_fitted_state(
        cls,
        params: dict[str, Any],
        state: dict[str, Any],
        keras_model: Callable[[], keras.Model],
    ):
        """An estimator with ``params`` and the learned ``state`` (``FittedState`` JSON).

        Only parameters of this estimator are taken, each checked by its entry in the
        parameter table; lists become tuples; paths are never taken (``checkpoint_dir``
        stays None). ``keras_model`` is called for the Keras model only once all that
        has been checked.
        """
        if not isinstance(params, dict):
            raise TypeError(f"params {params!r} are not a dict")
        accepted = set(cls().get_params())
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise ValueError(f"parameters {unknown} that {cls.__name__} does not take")
        values = {
            name: tuple(value) if isinstance(value, list) else value
            for name, value in params.items()
            if name not in _NOT_FROM_FILES
        }
        check_params(values)
        if not isinstance(state, dict):
            raise TypeError(f"the fitted state {state!r} is not a dict")
        fitted = FittedState.from_json(state)
        fitted.model = keras_model()
        estimator = cls(**values)
        checked = check_params(estimator.get_params())
        fitted.check_consistency(
            ArchitectureOptions(**{p.name: checked[p.name] for p in params_of("architecture")})
        )
        estimator._set_state(fitted)
        return estimator

    # -- predicting ------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedYetError(
                "self",
                expected=f"a fitted {type(self).__name__}",
                received="one that has not been fitted yet",
                fix="Call fit(X, y) first, or load a saved model with seqshape.load(path).",
            )

    def _predict_outputs(self, X) -> tuple[FittedState, np.ndarray]:
        state = self._state()
        validate_data(self, X, reset=False, skip_check_array=True, ensure_2d=False)
        X_array = as_numeric_array(X, "X", padding=True)  # NaN steps: padding, masked
        X_array = state.check_input(X_array, "X", type(self).__name__)
        state.check_tokens(X_array)
        return state, _model_outputs(state, X_array, self.batch_size)

    def predict(self, X) -> np.ndarray:
        """Predictions in y's own shape and units; class labels for classification."""
        state, outputs = self._predict_outputs(X)
        return state.predictions(outputs)

    def _has_probabilities(self) -> bool:
        if self._target != "auto":
            return self._target == "classification"
        return not hasattr(self, "spec_") or self.spec_.is_classifier

    @available_if(_has_probabilities)
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, last axis ordered as ``classes_``."""
        state, outputs = self._predict_outputs(X)
        return state.probabilities(outputs)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy for classification (over every label, per-step labels included),
        R^2 for regression (averaged over every output)."""
        predicted = self.predict(X)
        truth = _labels(y, "y")
        if truth.size != predicted.size:
            raise InvalidInputError(
                "y",
                expected=f"targets of shape {predicted.shape}, as the predictions for X",
                received=describe(truth),
                fix="Pass the true targets of the samples of X, in y's shape in fit.",
            )
        truth = truth.reshape(predicted.shape)
        samples = len(truth)
        if self.spec_.is_classifier:
            if sample_weight is not None:
                sample_weight = np.repeat(sample_weight, truth[0].size)
            return float(
                accuracy_score(truth.ravel(), predicted.ravel(), sample_weight=sample_weight)
            )
        return float(
            r2_score(
                truth.reshape(samples, -1),
                predicted.reshape(samples, -1),
                sample_weight=sample_weight,
            )
        )

    # -- explaining and saving -------------------------------------------------------

    def explain(self) -> Explanation:
        """The topology, why it was chosen, a diagram and the layer-by-layer trace."""
        self._check_fitted()
        check = getattr(self, "baseline_check_", None)
        notes = (
            f"{self.n_epochs_} epochs trained, the weights of epoch {self.best_epoch_} kept."
            + self._epoch_limit_words(),
            *((check["verdict"],) if check else ()),
        )
        return explain_model(self.spec_, self.model_, notes)

    def _epoch_limit_words(self) -> str:
        """A sentence when early stopping watched a held-out part and the last epoch
        allowed was still the best: training had not finished learning."""
        validation = getattr(self, "validation_", None) or {}
        limit = validation.get("epoch_limit", resolved_epochs(self.get_params()["epochs"]))
        held_out = validation.get("validation", 0)
        if not held_out or not self.best_epoch_ == self.n_epochs_ == limit:
            return ""
        return (
            f" The validation loss was still falling at the last epoch allowed (epochs="
            f"{limit}): more epochs (e.g. epochs={2 * limit}) may fit better."
        )

    def to_keras_code(self) -> str:
        """The fitted model as a standalone Keras script that imports only keras and numpy:
        its layers (not its weights), compiled and fitted as seqshape did, with the
        scaling and class labels it learned written out (``seqshape.code``).

        Example:
            >>> import numpy as np, seqshape
            >>> rng = np.random.default_rng(0)
            >>> model = seqshape.SequenceRegressor(units=4, epochs=1).fit(
            ...     rng.random((16, 5, 1)), rng.random(16))
            >>> "X_MEAN = np.array([" in model.to_keras_code()
            True
        """
        self._check_fitted()
        return fitted_code(self._state(), check_params(self.get_params()))

    def save(self, path: str | os.PathLike) -> None:
        """Save model, scalers and spec to one ``.seqshape`` file (written atomically).

        ``checkpoint_dir`` is not saved: a loaded model has none. In a fit over several
        processes only process 0 writes (the others hold the same model): nothing is
        written by the others (``seqshape.distribution``).
        """
        self._check_fitted()
        if not is_writer():
            return
        params = {
            name: None if name in _NOT_FROM_FILES else value
            for name, value in self.get_params().items()
        }
        state = {"estimator": type(self).__name__, "params": params}
        write_model_file(path, self.model_, {**state, "fitted": self._fitted_state()})

    def export(self, path: str | os.PathLike, format: str = "onnx") -> None:
        """Export the whole prediction path to one file for serving without seqshape.

        ``format="onnx"``: one ONNX file holding the input scaling, the network and the
        output restoring, with a dynamic batch axis; onnxruntime answers in y's units
        (classifiers: class probabilities, ordered as ``classes_``, whose values are in
        the file's metadata with the feature names and the steps expected). Needs the
        ``export`` extra (``pip install 'seqshape[export]'``) and the JAX backend; the
        file is checked against ``predict`` before it is written (atomically). See
        ``seqshape.export``.
        """
        from seqshape.export import check_format, export_onnx

        check_format(format)
        export_onnx(self._state(), path, type(self).__name__)


_ATTRIBUTES = """Attributes (after ``fit``):
    spec_: the ``TopologySpec`` (topology, strategy, task and reasons).
    model_: the trained Keras model.
    history_: the Keras training history (a dict of lists), with ``epoch_seconds``.
    best_epoch_, n_epochs_: the epoch whose weights were kept, and the epochs trained.
    classes_: the class labels (the user's own values), for classification; else None.
    x_scaler_, y_scaler_: the feature and target scalers (None where unused).
    n_features_in_, feature_names_in_: as in scikit-learn.
"""


def _with_attributes(cls: type) -> type:
    cls.__doc__ = f"{inspect.cleandoc(cls.__doc__)}\n\n{_ATTRIBUTES}"
    return cls


@estimator_params()
@_with_attributes
class SequenceModel(_SequenceEstimator):
    """A recurrent sequence model whose topology follows from the shapes of X and y,
    and whose task follows from y: text, integer or boolean y is classification, float
    y regression (or as ``task`` says).

    ``fit`` reads the shapes (see ``seqshape.infer_spec``), builds the Keras model
    for that topology, scales features on the training part only, holds out the
    last ``validation_fraction`` of the samples (in order: no shuffling across that
    boundary) and trains with early stopping, restoring the best weights.

    scikit-learn sees it as neither a classifier nor a regressor, since that follows
    from y; use ``SequenceClassifier`` or ``SequenceRegressor`` where it must know
    (stratified cross-validation, meta-estimators).
    """


@estimator_params(exclude=("task",))
@_with_attributes
class SequenceClassifier(ClassifierMixin, _SequenceEstimator):
    """``SequenceModel`` for class labels (text, integers, booleans or any sortable
    values): binary for two classes, multiclass for more. A scikit-learn classifier:
    ``is_classifier`` holds and cross-validation stratifies.

    y is one label per sample ``(samples,)``, or per step ``(samples, steps, 1)``;
    ``predict`` gives the labels back, ``predict_proba`` their probabilities.
    """

    _target = "classification"
    score = _SequenceEstimator.score  # every label counts, per-step labels included


@estimator_params(exclude=("task", "class_weight"))  # no classes to weigh
@_with_attributes
class SequenceRegressor(RegressorMixin, _SequenceEstimator):
    """``SequenceModel`` for numeric targets of any shape the topologies serve
    (integers included): a scikit-learn regressor, ``is_regressor`` holds.
    """

    _target = "regression"
    score = _SequenceEstimator.score  # R^2 over every output, sequences included


ESTIMATORS: dict[str, type[_SequenceEstimator]] = {
    cls.__name__: cls for cls in (SequenceModel, SequenceClassifier, SequenceRegressor)
}


def _from_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """Format 1 kept the learned attributes beside the parameters, classes split in two."""
    names = [item.name for item in dataclasses.fields(FittedState) if item.metadata["save"]]
    fitted = {name: state.get(name) for name in names}
    classes = state.get("classes")
    if classes is not None:
        fitted["classes"] = {"labels": classes, "dtype": state.get("classes_dtype")}
    return {"estimator": "SequenceModel", "params": state.get("params"), "fitted": fitted}


def load(path: str | os.PathLike) -> _SequenceEstimator:
    """Load a model saved with ``save`` (Keras safe mode on): a ``SequenceModel``,
    ``SequenceClassifier`` or ``SequenceRegressor``, as saved.

    The file is data: its parameters are checked against the parameter table, a folder
    is never taken from it (``checkpoint_dir`` is None), its reads are bounded
    (``seqshape.persistence.LIMITS``), and its JSON state must agree with the Keras
    model inside (shapes, task, classes, scalers, layers, finite weights); anything
    else is a ``ModelFileError``.

    Example:
        >>> import numpy as np, seqshape, tempfile, os
        >>> model = seqshape.SequenceRegressor(units=4, epochs=1).fit(
        ...     np.random.rand(16, 5, 1), np.random.rand(16))
        >>> path = os.path.join(tempfile.mkdtemp(), "model.seqshape")
        >>> model.save(path)
        >>> loaded = seqshape.load(path)
        >>> type(loaded).__name__, loaded.predict(np.ones((2, 5, 1))).shape
        ('SequenceRegressor', (2,))
    """
    opened = read_model_file(path)
    state = opened.state if opened.format_version > 1 else _from_version_1(opened.state)
    enable_compilation_cache()  # set up once, when the first model is built or loaded
    try:
        cls = ESTIMATORS[state["estimator"]]
        return cls._from_fitted_state(state["params"], state["fitted"], opened.keras_model)
    except ModelFileError:
        raise
    except SeqShapeError as error:
        raise model_file_error(path, f"a parameter that is not valid ({error})") from None
    except StateMismatchError as error:
        raise model_file_error(
            path, f"a Keras model and a seqshape state that do not match: {error}"
        ) from None
    except Exception as error:  # anything else in the state that does not decode
        raise model_file_error(
            path, f"a seqshape file with incomplete state ({error!r})"
        ) from None


__all__ = ["SequenceClassifier", "SequenceModel", "SequenceRegressor", "load"]
