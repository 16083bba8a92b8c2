"""Baselines with the same fit/predict contract as ``SequenceModel``.

Every report puts the network next to these: a network that does not beat them has
learned nothing worth its cost. Forecasting baselines read the input window of each
sample; ``target_features`` says which X columns y continues (all, by default).

Example:
    >>> import numpy as np
    >>> from seqshape.baselines import LastValueBaseline, SeasonalNaiveBaseline
    >>> X = np.arange(12.0).reshape(2, 3, 2)
    >>> LastValueBaseline().fit(X, X[:, -2:, :]).predict(X)[0]
    array([[4., 5.],
           [4., 5.]])
    >>> X = np.tile([1.0, 2.0, 3.0], 4)[None, :, None]          # season of 3
    >>> SeasonalNaiveBaseline(season=3).fit(X, X[:, :4]).predict(X)[0, :, 0]
    array([1., 2., 3., 1.])
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seqshape.errors import InvalidInputError
from seqshape.validation import as_numeric_array, check_same_samples, padding_mask


class _WindowBaseline(BaseEstimator):
    """Shared fitting for baselines that continue the input window of each sample."""

    def _fit_window(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X_array, y_array = as_numeric_array(X, "X"), as_numeric_array(y, "y")
        check_same_samples(X_array, y_array)
        if X_array.ndim != 3:
            raise InvalidInputError(
                "X",
                expected=f"sequences (samples, steps, features) for {type(self).__name__}",
                received=f"a {X_array.ndim}D array",
                fix="Use MeanBaseline for inputs that are not sequences.",
            )
        outputs = 1 if y_array.ndim == 1 else y_array.shape[-1]
        features = getattr(self, "target_features", None)
        if features is None:
            if outputs != X_array.shape[-1]:
                raise InvalidInputError(
                    "target_features",
                    expected="the X feature index of each output of y",
                    received=f"None, with {X_array.shape[-1]} X features and {outputs} outputs",
                    fix="Pass target_features, e.g. (0,) when y continues X's first feature.",
                )
            features = tuple(range(outputs))
        if len(features) != outputs or not all(0 <= int(f) < X_array.shape[-1] for f in features):
            raise InvalidInputError(
                "target_features",
                expected=f"one X feature index (0 to {X_array.shape[-1] - 1}) for each of y's "
                f"{outputs} outputs",
                received=repr(tuple(features)),
                fix="Pass the position along X's last axis of the feature each output of y "
                "continues, e.g. (0,).",
            )
        self.features_ = np.asarray(features, dtype=int)
        self.output_shape_ = y_array.shape[1:]
        return X_array, y_array

    @property
    def _horizon(self) -> int:
        return self.output_shape_[0] if len(self.output_shape_) == 2 else 1

    def _shaped(self, per_step: np.ndarray) -> np.ndarray:
        """(samples, horizon, targets) -> y's own per-sample shape."""
        return per_step.reshape(len(per_step), *self.output_shape_)

    def _targets(self, X) -> np.ndarray:
        return as_numeric_array(X, "X")[:, :, self.features_].astype(np.float64)


class LastValueBaseline(_WindowBaseline):
    """Persistence: every output step repeats the last observed input step.

    Args:
        target_features: indices of the X features that y's outputs continue.
    """

    def __init__(self, target_features: tuple[int, ...] | None = None):
        self.target_features = target_features

    def fit(self, X, y) -> LastValueBaseline:
        self._fit_window(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        last = self._targets(X)[:, -1:, :]
        return self._shaped(np.repeat(last, self._horizon, axis=1))


def detect_season(series: np.ndarray, max_lag: int, threshold: float = 0.3) -> int:
    """The lag in ``[2, max_lag]`` with the highest autocorrelation above ``threshold``.

    Returns 1 (no season) when no lag passes. ``series`` is ``(steps,)`` or
    ``(steps, columns)``; the autocorrelation is averaged over columns.

    Example:
        >>> import numpy as np
        >>> detect_season(np.sin(2 * np.pi * np.arange(200) / 12), max_lag=30)
        12
    """
    values = np.asarray(series, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    values = values - values.mean(axis=0)
    variance = (values**2).sum(axis=0)
    if len(values) < 4 or not (variance > 0).any():
        return 1
    lags = range(1, min(max_lag + 1, len(values) - 2) + 1)
    correlation = np.array(
        [
            np.mean((values[lag:] * values[:-lag]).sum(axis=0) / np.maximum(variance, 1e-12))
            for lag in lags
        ]
    )
    best_lag, best = 1, threshold
    # a season is a peak of the autocorrelation, not its slow decay after lag 1
    for index in range(1, len(correlation) - 1):
        peak = correlation[index - 1] < correlation[index] >= correlation[index + 1]
        if peak and correlation[index] > best:
            best_lag, best = index + 1, correlation[index]
    return best_lag


def repeat_last_season(inputs: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """The seasonal naive forecast of windows ``(samples, steps, targets)``: each of the
    ``horizon`` output steps repeats the input step one season earlier.

    Example:
        >>> repeat_last_season(np.arange(8.0).reshape(1, 8, 1), 4, 6)[0, :, 0].tolist()
        [4.0, 5.0, 6.0, 7.0, 4.0, 5.0]
    """
    steps = inputs.shape[1]
    return inputs[:, steps - season + np.arange(horizon) % season, :]


class SeasonalNaiveBaseline(_WindowBaseline):
    """Each output step repeats the input step one season earlier.

    Args:
        season: season length in steps; ``None`` detects it from the training inputs
            (autocorrelation), within the input window's length.
        target_features: indices of the X features that y's outputs continue.
    """

    def __init__(self, season: int | None = None, target_features: tuple[int, ...] | None = None):
        self.season = season
        self.target_features = target_features

    def fit(self, X, y) -> SeasonalNaiveBaseline:
        X_array, _ = self._fit_window(X, y)
        steps = X_array.shape[1]
        season = self.season
        if season is None:
            # the most common season over up to 20 input windows spread over the data
            picks = X_array[:: max(1, len(X_array) // 20), :, self.features_][:20]
            found = [detect_season(window, max_lag=steps // 2) for window in picks]
            season = int(np.bincount(found).argmax())
        if not 1 <= season <= steps:
            raise InvalidInputError(
                "season",
                expected=f"a season between 1 and the input length ({steps} steps)",
                received=repr(season),
                fix="Use longer input windows, or a shorter season.",
            )
        self.season_ = int(season)
        return self

    def predict(self, X) -> np.ndarray:
        return self._shaped(repeat_last_season(self._targets(X), self.season_, self._horizon))


class DriftBaseline(_WindowBaseline):
    """The straight line through the first and last input steps, extended."""

    def __init__(self, target_features: tuple[int, ...] | None = None):
        self.target_features = target_features

    def fit(self, X, y) -> DriftBaseline:
        self._fit_window(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        inputs = self._targets(X)
        slope = (inputs[:, -1, :] - inputs[:, 0, :]) / max(inputs.shape[1] - 1, 1)
        ahead = np.arange(1, self._horizon + 1)[None, :, None]
        return self._shaped(inputs[:, -1:, :] + ahead * slope[:, None, :])


class MeanBaseline(BaseEstimator):
    """Predicts the training mean of y for every sample (per step and output)."""

    def fit(self, X, y) -> MeanBaseline:
        self.mean_ = as_numeric_array(y, "y").astype(np.float64).mean(axis=0)
        return self

    def predict(self, X) -> np.ndarray:
        samples = len(as_numeric_array(X, "X"))
        return np.broadcast_to(self.mean_, (samples, *self.mean_.shape)).copy()


# the last part of the training windows on which the ridge reference chooses between a
# map for each target and one shared by every target
RIDGE_HOLDOUT = 0.2


class RidgeBaseline(_WindowBaseline):
    """A linear model (ridge regression) from the input window to y.

    With ``target_features`` (the X feature each output of y continues), a target is
    forecast from its own window and the windows of the features that are not targets
    (covariates), never from the other targets' windows: the flattened window of every
    column was too much for several series side by side (fpp2's four arrivals series, 65
    training windows of 16 quarters and 64 inputs, scored MASE 6.69). The map is either
    one for each target, as a statistician fits one autoregression per series, or one
    shared by every target (each target's window and outputs standardised by its
    training mean and spread), as one model serves every series of a panel: the one
    that forecasts the last fifth of the training windows better (``shared_``).
    arrivals takes the shared map (MASE 1.59, against 2.07 for a map each); statsmodels'
    US real GDP beside unemployment a map each (GDP's test MAE 243, against 2,042 for
    the shared map, whose unemployment pulls GDP back to its training mean). For one
    target it is the flattened window's map. Without ``target_features`` the whole
    flattened window maps to y (y need not continue X).

    Example:
        >>> import numpy as np
        >>> X = np.stack([np.arange(i, i + 4.0) for i in range(20)])[..., None]
        >>> y = X[:, -1:, :] + 1                                 # the next step
        >>> RidgeBaseline(alpha=1e-6).fit(X, y).predict(X[:1]).round(3).ravel()
        array([4.])
        >>> levels = np.concatenate([X, 100 * X], axis=-1)       # two series as columns
        >>> RidgeBaseline(alpha=1e-6, target_features=(0, 1)).fit(
        ...     levels, levels[:, -1:, :] + [1, 100]
        ... ).predict(levels[:1]).round(2)
        array([[[  4., 400.]]])
    """

    def __init__(self, alpha: float = 1.0, target_features: tuple[int, ...] | None = None):
        self.alpha = alpha
        self.target_features = target_features

    def fit(self, X, y) -> RidgeBaseline:
        if self.target_features is None:
            X_array, y_array = as_numeric_array(X, "X"), as_numeric_array(y, "y")
            check_same_samples(X_array, y_array)
            self.output_shape_ = y_array.shape[1:]
            self.features_ = None
            rows, outputs = X_array.reshape(len(X_array), -1), y_array.reshape(len(y_array), -1)
            self.model_ = _fitted_linear(rows, outputs, self.alpha)
            return self
        X_array, y_array = self._fit_window(X, y)
        rows = self._rows(X_array)  # (samples, targets, inputs)
        outputs = np.swapaxes(  # (samples, targets, horizon)
            y_array.reshape(len(y_array), self._horizon, len(self.features_)), 1, 2
        )
        steps = X_array.shape[1]
        self.shared_ = len(self.features_) > 1 and self._shared_is_better(rows, outputs, steps)
        self.model_ = _target_maps(rows, outputs, steps, self.shared_, self.alpha)
        return self

    def _shared_is_better(self, rows: np.ndarray, outputs: np.ndarray, steps: int) -> bool:
        """Whether one map shared by every target forecasts the last ``RIDGE_HOLDOUT``
        of the training windows better than a map for each (their errors over each
        target's spread, averaged), both fitted on the windows before them less a
        window and a horizon (whose targets would lie in the held-out windows' inputs);
        a map for each where fewer windows are left than a map has inputs."""
        count = len(rows)
        cut = int(count * (1 - RIDGE_HOLDOUT))
        fitted = cut - steps - self._horizon
        if fitted < rows.shape[2] or cut >= count:  # fewer windows than a map's inputs
            return False
        spread = rows[:, :, :steps].std(axis=(0, 2))[None, :, None] + 1e-12
        errors = [
            np.mean(
                np.abs(
                    _target_maps(
                        rows[:fitted], outputs[:fitted], steps, shared, self.alpha
                    ).predict(rows[cut:])
                    - outputs[cut:]
                )
                / spread
            )
            for shared in (False, True)
        ]
        return bool(errors[1] < errors[0])

    def _rows(self, X_array: np.ndarray) -> np.ndarray:
        """Each window's inputs for each target: its own window, then the covariates'
        windows (``(samples, targets, steps * (1 + covariates))``)."""
        samples = len(X_array)
        own = np.swapaxes(X_array[:, :, self.features_], 1, 2)  # (samples, targets, steps)
        covariates = np.delete(X_array, self.features_, axis=2).reshape(samples, 1, -1)
        shared = np.broadcast_to(covariates, (samples, len(self.features_), covariates.shape[2]))
        return np.concatenate([own, shared], axis=2)

    def predict(self, X) -> np.ndarray:
        X_array = as_numeric_array(X, "X").astype(np.float64)
        if self.features_ is None:
            flat = self.model_.predict(X_array.reshape(len(X_array), -1))
            return flat.reshape(len(X_array), *self.output_shape_)
        per_target = self.model_.predict(self._rows(X_array))  # (samples, targets, horizon)
        return self._shaped(np.swapaxes(per_target, 1, 2))


class MajorityClassBaseline(BaseEstimator):
    """Predicts the most frequent training label (per step for per-step labels)."""

    def fit(self, X, y) -> MajorityClassBaseline:
        labels, counts = np.unique(as_numeric_array(y, "y"), return_counts=True)
        self.label_ = labels[np.argmax(counts)]
        self.classes_ = labels
        self.prior_ = counts / counts.sum()
        self.output_shape_ = np.shape(y)[1:]
        return self

    def predict(self, X) -> np.ndarray:
        samples = len(as_numeric_array(X, "X"))
        return np.full((samples, *self.output_shape_), self.label_)

    def predict_proba(self, X) -> np.ndarray:
        samples = len(as_numeric_array(X, "X"))
        return np.tile(self.prior_, (samples, 1))


def summary_features(X: np.ndarray) -> np.ndarray:
    """Mean, std, min, max, last value and slope of each feature; NaN steps ignored."""
    values = np.asarray(X, dtype=np.float64)
    values = values[..., None] if values.ndim == 2 else values
    steps = np.arange(values.shape[1], dtype=np.float64)[None, :, None]
    present = ~np.isnan(values)
    count = np.maximum(present.sum(axis=1), 1)
    filled = np.where(present, values, 0.0)
    mean = filled.sum(axis=1) / count
    centred_steps = np.where(
        present, steps - (steps * present).sum(axis=1, keepdims=True) / count[:, None, :], 0.0
    )
    slope = (centred_steps * (filled - mean[:, None, :]) * present).sum(axis=1) / np.maximum(
        (centred_steps**2).sum(axis=1), 1e-12
    )
    last_index = values.shape[1] - 1 - np.argmax(present[:, ::-1, :], axis=1)
    last = np.take_along_axis(values, last_index[:, None, :], axis=1)[:, 0, :]
    with np.errstate(all="ignore"):
        features = [
            mean,
            np.nanstd(values, axis=1),
            np.nanmin(values, axis=1),
            np.nanmax(values, axis=1),
            last,
            slope,
        ]
    return np.nan_to_num(np.concatenate(features, axis=1))


class LogisticFeaturesBaseline(BaseEstimator):
    """Logistic regression on simple per-feature summaries of each sequence.

    Args:
        mask_value: value marking padded steps, left out of the summaries.
    """

    def __init__(self, mask_value: float | None = None):
        self.mask_value = mask_value

    def _features(self, X) -> np.ndarray:
        values = as_numeric_array(X, "X").astype(np.float64)
        padded = padding_mask(values, self.mask_value) if values.ndim == 3 else None
        if padded is not None:
            values = np.where(padded, np.nan, values)
        return summary_features(values)

    def fit(self, X, y) -> LogisticFeaturesBaseline:
        labels = as_numeric_array(y, "y").ravel()
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        self.model_.fit(self._features(X), labels)
        self.classes_ = self.model_.classes_
        self.output_shape_ = np.shape(y)[1:]
        return self

    def predict(self, X) -> np.ndarray:
        predicted = self.model_.predict(self._features(X))
        return predicted.reshape(len(predicted), *self.output_shape_)

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(self._features(X))


def forecasting_baselines(season: int | None = None, target_features=None) -> dict:
    """The forecasting baselines every report shows, by name."""
    return {
        "last value": LastValueBaseline(target_features=target_features),
        "seasonal naive": SeasonalNaiveBaseline(season=season, target_features=target_features),
        "drift": DriftBaseline(target_features=target_features),
        "mean": MeanBaseline(),
        "ridge": RidgeBaseline(target_features=target_features),
    }


def classification_baselines(mask_value: float | None = None) -> dict:
    """The classification baselines every report shows, by name."""
    return {
        "majority class": MajorityClassBaseline(),
        "logistic regression": LogisticFeaturesBaseline(mask_value=mask_value),
    }


class LastLabelBaseline(BaseEstimator):
    """Repeats the last label seen in the input window, for every step ahead.

    The past labels are columns of X with one column per class (1 where the label was
    that class), the first ``len(classes)`` columns unless ``label_features`` says.

    Example:
        >>> X = np.eye(3)[[[0, 2], [1, 1]]]                  # labels 0, 2 and 1, 1
        >>> LastLabelBaseline().fit(X, np.zeros((2, 4, 1), int)).predict(X)[:, :, 0]
        array([[2, 2, 2, 2],
               [1, 1, 1, 1]])
    """

    def __init__(self, label_features: tuple[int, ...] | None = None):
        self.label_features = label_features

    def fit(self, X, y) -> LastLabelBaseline:
        X_array = as_numeric_array(X, "X")
        self.features_ = (
            tuple(range(X_array.shape[-1]))
            if self.label_features is None
            else tuple(self.label_features)
        )
        self.output_shape_ = np.shape(y)[1:]
        return self

    def predict(self, X) -> np.ndarray:
        last = as_numeric_array(X, "X")[:, -1, list(self.features_)].argmax(axis=-1)
        return np.broadcast_to(last[:, None, None], (len(last), *self.output_shape_)).copy()


class StepLogisticBaseline(BaseEstimator):
    """Logistic regression of each step's label on that step's own features.

    For per-step labels ``(samples, steps, 1)``: what can be read from one step alone,
    without the sequence around it.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(20, 6, 1))
        >>> y = (X > 0).astype(int)
        >>> (StepLogisticBaseline().fit(X, y).predict(X) == y).mean() > 0.9
        np.True_
    """

    def fit(self, X, y) -> StepLogisticBaseline:
        X_array = as_numeric_array(X, "X").astype(np.float64)
        labels = np.asarray(y).reshape(-1)
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        self.model_.fit(X_array.reshape(-1, X_array.shape[-1]), labels)
        return self

    def predict(self, X) -> np.ndarray:
        X_array = as_numeric_array(X, "X").astype(np.float64)
        flat = self.model_.predict(X_array.reshape(-1, X_array.shape[-1]))
        return flat.reshape(*X_array.shape[:2], 1)


# what a fitted linear map is, as arrays (``_StoredLinear``'s attributes)
_LINEAR_ARRAYS = ("mean", "scale", "coef", "intercept")


class _StoredLinear:
    """A standardisation of the inputs followed by a linear map, as arrays: one map
    (``mean`` of shape ``(inputs,)``) applied to rows ``(samples, inputs)``, or one map
    per target (a leading axis of targets on every array) applied to rows
    ``(samples, targets, inputs)``."""

    def __init__(self, mean, scale, coef, intercept):
        self.mean, self.scale, self.coef, self.intercept = mean, scale, coef, intercept

    def predict(self, rows: np.ndarray) -> np.ndarray:
        standardised = (rows - self.mean) / self.scale
        if self.mean.ndim == 1:
            return standardised @ self.coef.T + self.intercept
        return np.einsum("ski,koi->sko", standardised, self.coef) + self.intercept


def _fitted_linear(rows: np.ndarray, outputs: np.ndarray, alpha: float) -> _StoredLinear:
    """scikit-learn's ``StandardScaler`` then ``Ridge(alpha)``, fitted, as arrays."""
    scaler = StandardScaler().fit(rows)
    ridge = Ridge(alpha=alpha).fit(scaler.transform(rows), outputs)
    outputs_count = outputs.shape[1]  # coef_ of one output comes 1-D: made (1, inputs)
    return _StoredLinear(
        scaler.mean_,
        scaler.scale_,
        ridge.coef_.reshape(outputs_count, -1),
        np.asarray(ridge.intercept_).reshape(outputs_count),
    )


def _target_maps(
    rows: np.ndarray, outputs: np.ndarray, steps: int, shared: bool, alpha: float
) -> _StoredLinear:
    """A linear map for each target, ``rows`` ``(samples, targets, inputs)`` (a target's
    own window, its first ``steps`` inputs, then the covariates') -> ``outputs``
    ``(samples, targets, horizon)``: fitted on each target's rows alone, or (``shared``)
    one map fitted on every target's rows, each target's window and outputs standardised
    by its mean and spread, and written back as a map for each target in its own units."""
    targets = rows.shape[1]
    if not shared:
        maps = [_fitted_linear(rows[:, k], outputs[:, k], alpha) for k in range(targets)]
        return _StoredLinear(
            *(np.stack([getattr(map_, name) for map_ in maps]) for name in _LINEAR_ARRAYS)
        )
    location = rows[:, :, :steps].mean(axis=(0, 2))[:, None]  # (targets, 1)
    spread = rows[:, :, :steps].std(axis=(0, 2))[:, None]
    spread = np.where(spread > 0, spread, 1.0)
    standard = rows.copy()
    standard[:, :, :steps] = (rows[:, :, :steps] - location) / spread
    one = _fitted_linear(
        standard.reshape(-1, rows.shape[2]),
        ((outputs - location) / spread).reshape(-1, outputs.shape[2]),
        alpha,
    )
    # ((x - location) / spread - mean) / scale = (x - (location + spread * mean)) /
    # (spread * scale) on a target's own inputs; its outputs times spread plus location
    mean, scale = np.tile(one.mean, (targets, 1)), np.tile(one.scale, (targets, 1))
    mean[:, :steps] = location + spread * one.mean[:steps]
    scale[:, :steps] = spread * one.scale[:steps]
    return _StoredLinear(
        mean, scale, spread[:, :, None] * one.coef, location + spread * one.intercept
    )


def baseline_state(baseline: BaseEstimator) -> dict[str, np.ndarray]:
    """What a fitted mean, ridge or majority-class baseline learned, as arrays (to save
    without pickle).

    Example:
        >>> X, y = np.random.rand(10, 4, 1), np.random.rand(10, 2, 1)
        >>> ridge = RidgeBaseline().fit(X, y)
        >>> again = baseline_from_state(baseline_state(ridge))
        >>> np.allclose(again.predict(X), ridge.predict(X))
        True
    """
    if isinstance(baseline, MeanBaseline):
        return {"kind": np.array("mean"), "mean": baseline.mean_}
    if isinstance(baseline, MajorityClassBaseline):
        return {
            "kind": np.array("majority"),
            "label": np.asarray(baseline.label_),
            "classes": np.asarray(baseline.classes_),
            "prior": baseline.prior_,
            "output_shape": np.array(baseline.output_shape_, dtype=np.int64),
        }
    if isinstance(baseline, RidgeBaseline):
        linear = baseline.model_
        state = {
            "kind": np.array("ridge"),
            "x_mean": linear.mean,
            "x_scale": linear.scale,
            "coef": linear.coef,
            "intercept": np.asarray(linear.intercept),
            "output_shape": np.array(baseline.output_shape_, dtype=np.int64),
        }
        if baseline.features_ is not None:  # a map for each target
            state["targets"] = np.asarray(baseline.features_, dtype=np.int64)
        return state
    raise InvalidInputError(
        "baseline",
        expected="a fitted MeanBaseline, RidgeBaseline or MajorityClassBaseline",
        received=type(baseline).__name__,
        fix="The other baselines need no training: make them afresh.",
    )


def baseline_from_state(state: dict[str, np.ndarray]) -> BaseEstimator:
    """The fitted baseline ``baseline_state`` described."""
    if str(state["kind"]) == "mean":
        baseline = MeanBaseline()
        baseline.mean_ = np.asarray(state["mean"])
        return baseline
    if str(state["kind"]) == "majority":
        baseline = MajorityClassBaseline()
        baseline.label_, baseline.classes_ = state["label"][()], np.asarray(state["classes"])
        baseline.prior_ = np.asarray(state["prior"])
        baseline.output_shape_ = tuple(int(size) for size in state["output_shape"])
        return baseline
    if str(state["kind"]) != "ridge":
        raise ValueError(f"unknown baseline kind {str(state['kind'])!r}")
    baseline = RidgeBaseline()
    baseline.output_shape_ = tuple(int(size) for size in state["output_shape"])
    baseline.features_ = None  # a flattened window's map (and every file written before)
    arrays = [np.asarray(state[key], dtype=np.float64) for key in _STATE_ARRAYS]
    if "targets" in state:
        baseline.target_features = tuple(int(index) for index in state["targets"])
        baseline.features_ = np.asarray(state["targets"], dtype=int)
        if arrays[0].ndim != 2 or len(arrays[0]) != len(baseline.features_):
            raise ValueError("the ridge's targets and maps differ in number")
    baseline.model_ = _StoredLinear(*arrays)
    return baseline


# the stored names of ``_StoredLinear``'s arrays
_STATE_ARRAYS = ("x_mean", "x_scale", "coef", "intercept")


def label_baselines(per_step: bool, classes: int) -> dict:
    """The baselines of a forecast of labels: the majority class, and the last label
    seen (next steps) or a logistic regression on each step's features (per step)."""
    if per_step:
        return {"majority class": MajorityClassBaseline(), "step logistic": StepLogisticBaseline()}
    return {
        "majority class": MajorityClassBaseline(),
        "last label": LastLabelBaseline(label_features=tuple(range(classes))),
    }
