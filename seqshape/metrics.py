"""Error metrics, from scikit-learn where it has them.

Forecast arrays are ``(samples, steps, targets)`` (or ``(samples, targets)``).

Example:
    >>> import numpy as np
    >>> from seqshape.metrics import regression_scores
    >>> regression_scores(np.zeros((2, 3, 1)), np.ones((2, 3, 1)))
    {'MAE': 1.0, 'RMSE': 1.0, 'sMAPE': 200.0}
    >>> mase(np.array([[1.0, 2.0]]), np.array([[2.0, 3.0]]), np.array([0.0, 1.0, 2.0, 3.0]))
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    recall_score,
    root_mean_squared_error,
)


def _as_steps(values: np.ndarray) -> np.ndarray:
    """(samples,) / (samples, targets) / (samples, steps, targets) -> 3D float."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        return array[:, None, None]
    if array.ndim == 2:
        return array[:, None, :]
    return array


def _symmetric_ratios(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Each value's ``2 |error| / (|truth| + |prediction|)`` (0 where both are 0)."""
    denominator = np.abs(truth) + np.abs(predicted)
    return np.divide(
        2 * np.abs(predicted - truth), denominator, out=np.zeros_like(truth), where=denominator > 0
    )


def smape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200)."""
    truth, predicted = np.ravel(y_true).astype(float), np.ravel(y_pred).astype(float)
    return float(100 * _symmetric_ratios(truth, predicted).mean())


def panel_naive_scale(panel: Sequence[np.ndarray], season: int = 1) -> np.ndarray:
    """In-sample seasonal naive MAE per target column, pooled over every series of a panel.

    The naive errors of all series (each ``(steps,)`` or ``(steps, targets)``) are taken
    together, so a long series weighs more than a short one; a series of at most
    ``season`` steps adds nothing. NaN for every target when no series is long enough.

    Example:
        >>> panel = [np.array([1.0, 3.0, 2.0]), np.array([0.0, 4.0])]  # errors 2, 1 and 4
        >>> panel_naive_scale(panel).tolist()
        [2.3333333333333335]
    """
    series = [np.asarray(part, dtype=np.float64) for part in panel]
    series = [part[:, None] if part.ndim == 1 else part for part in series]
    errors = [np.abs(part[season:] - part[:-season]) for part in series if len(part) > season]
    if not errors:
        return np.full(series[0].shape[1], np.nan)
    return np.concatenate(errors).mean(axis=0)


def naive_scale(insample: np.ndarray, season: int = 1) -> np.ndarray:
    """Mean absolute error of the seasonal naive forecast in-sample, per target column."""
    return panel_naive_scale([insample], season)


def scaled_error(y_true, y_pred, scale: np.ndarray) -> float:
    """MASE given the naive ``scale`` of each target: each target's MAE over its scale,
    averaged over the targets that have a scale (a target whose scale is 0 or NaN is
    left out; NaN when none has one)."""
    return _scaled(np.abs(_as_steps(y_true) - _as_steps(y_pred)).mean(axis=(0, 1)), scale)


def _scaled(errors: np.ndarray, scale: np.ndarray) -> float:
    """Each target's MAE ``errors`` over its ``scale``, averaged (see ``scaled_error``)."""
    scale = np.asarray(scale, dtype=np.float64)
    ratios = errors / np.where(scale > 0, scale, np.nan)
    return float(np.nanmean(ratios)) if np.isfinite(ratios).any() else float("nan")


def mase(y_true, y_pred, insample, season: int = 1) -> float:
    """Mean absolute scaled error: MAE over the in-sample seasonal naive MAE.

    ``insample`` is the training series, ``(steps,)`` or ``(steps, targets)``; the
    error of each target is scaled by that target's own naive error, then averaged.
    For a panel of training series, pass ``scale=panel_naive_scale(series, season)``
    to ``scaled_error`` (or ``regression_scores``) instead.
    """
    return scaled_error(y_true, y_pred, naive_scale(insample, season))


def regression_scores(
    y_true, y_pred, insample=None, season: int = 1, *, scale: np.ndarray | None = None
) -> dict[str, float]:
    """MAE, RMSE and sMAPE over every sample, step and target; MASE given the training
    series (``insample``) or the naive ``scale`` of each target (see ``panel_naive_scale``).
    """
    truth, predicted = _as_steps(y_true), _as_steps(y_pred)
    flat_truth, flat_predicted = truth.ravel(), predicted.ravel()
    scores = {
        "MAE": float(mean_absolute_error(flat_truth, flat_predicted)),
        "RMSE": float(root_mean_squared_error(flat_truth, flat_predicted)),
        "sMAPE": smape(flat_truth, flat_predicted),
    }
    if scale is None and insample is not None:
        scale = naive_scale(insample, season)
    if scale is not None:
        scores["MASE"] = scaled_error(truth, predicted, scale)
    return scores


class RunningRegressionScores:
    """``regression_scores`` and ``error_by_step`` over forecasts that arrive in batches
    (windows streamed from a table larger than memory): sums of absolute, squared and
    symmetric percentage errors by step and target, so that the scores of every batch
    together equal those of the batches concatenated (up to float rounding).

    Example:
        >>> import numpy as np
        >>> truth, predicted = np.arange(12.0).reshape(4, 3, 1), np.ones((4, 3, 1))
        >>> running = RunningRegressionScores()
        >>> running.add(truth[:1], predicted[:1]); running.add(truth[1:], predicted[1:])
        >>> whole = regression_scores(truth, predicted, scale=np.array([2.0]))
        >>> streamed = running.scores(scale=np.array([2.0]))
        >>> all(np.isclose(streamed[name], whole[name]) for name in whole), len(streamed)
        (True, 4)
        >>> running.count, np.allclose(running.error_by_step(), error_by_step(truth, predicted))
        (4, True)
    """

    def __init__(self) -> None:
        self.count = 0
        # (3, steps, targets): sums of absolute, squared and symmetric percentage errors
        self.sums: np.ndarray | None = None

    def add(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        """Add a batch of forecasts and the values they forecast."""
        truth, predicted = _as_steps(y_true), _as_steps(y_pred)
        error = predicted - truth
        sums = np.stack(
            [np.abs(error), np.square(error), _symmetric_ratios(truth, predicted)]
        ).sum(axis=1)
        self.sums = sums if self.sums is None else self.sums + sums
        self.count += len(truth)

    def _sums(self) -> np.ndarray:
        if self.sums is None:
            raise ValueError("no forecasts were added")
        return self.sums

    def scores(self, scale: np.ndarray | None = None) -> dict[str, float]:
        """MAE, RMSE and sMAPE over every forecast added; MASE given each target's
        naive ``scale``, as ``regression_scores``."""
        absolute, squared, symmetric = self._sums()
        values = self.count * absolute.size
        scores = {
            "MAE": float(absolute.sum() / values),
            "RMSE": float(np.sqrt(squared.sum() / values)),
            "sMAPE": float(100 * symmetric.sum() / values),
        }
        if scale is not None:
            scores["MASE"] = _scaled(absolute.sum(axis=0) / (self.count * len(absolute)), scale)
        return scores

    def error_by_step(self) -> list[float]:
        """MAE at each horizon step, as ``error_by_step``."""
        absolute = self._sums()[0]
        return (absolute.sum(axis=1) / (self.count * absolute.shape[1])).tolist()


def error_by_step(y_true, y_pred) -> list[float]:
    """MAE at each horizon step (averaged over samples and targets)."""
    return np.abs(_as_steps(y_true) - _as_steps(y_pred)).mean(axis=(0, 2)).tolist()


def error_by_target(y_true, y_pred) -> list[float]:
    """MAE of each target (averaged over samples and steps)."""
    return np.abs(_as_steps(y_true) - _as_steps(y_pred)).mean(axis=(0, 1)).tolist()


def classification_scores(y_true, y_pred, probabilities=None, classes=None) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro F1 over every label; log loss given probabilities."""
    truth, predicted = np.ravel(y_true), np.ravel(y_pred)
    scores = {
        "accuracy": float(accuracy_score(truth, predicted)),
        # balanced accuracy: the mean recall of the classes in the truth (scikit-learn's
        # balanced_accuracy_score, without its warning when the truth has one class)
        "balanced_accuracy": float(
            recall_score(truth, predicted, labels=np.unique(truth), average="macro")
        ),
        "macro_F1": float(f1_score(truth, predicted, average="macro")),
    }
    if probabilities is not None:
        flat = np.asarray(probabilities).reshape(-1, np.shape(probabilities)[-1])
        scores["log_loss"] = float(log_loss(truth, flat, labels=classes))
    return scores


def accuracy_by_step(y_true, y_pred) -> list[float]:
    """Accuracy at each step, for per-step labels ``(samples, steps[, 1])``."""
    truth = np.asarray(y_true).reshape(len(y_true), np.shape(y_true)[1], -1)
    predicted = np.asarray(y_pred).reshape(truth.shape)
    return (truth == predicted).all(axis=-1).mean(axis=0).tolist()
