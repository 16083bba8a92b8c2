"""An honest guard: after ``fit``, the model's validation error next to the baselines'.

A model that loses to "repeat the last value" should never do so silently. ``compare``
scores the fitted model and the baselines that need no training on the held-out part;
when a baseline wins, the estimator warns (``BaselineWinsWarning``) and ``explain()``
says so, naming the baseline and both errors.

Example:
    >>> import numpy as np
    >>> from seqshape.guard import compare
    >>> result = compare(
    ...     {"model": np.array([1.0, 2.0]), "mean": np.array([1.5, 1.5])},
    ...     np.array([1.0, 2.0]),
    ...     classifier=False,
    ... )
    >>> result["best_baseline"], result["baseline_wins"]
    ('mean', False)
    >>> print(verdict(result))
    The model beats the best baseline (mean) by 100% on MAE: 0.000 against 0.5000.
"""

from __future__ import annotations

import numpy as np

from seqshape.baselines import repeat_last_season
from seqshape.metrics import panel_naive_scale, scaled_error
from seqshape.spec import TopologySpec


def baseline_predictions(
    spec: TopologySpec,
    y_train: np.ndarray,
    X_val: np.ndarray,
    labels_train: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """What each training-free baseline predicts for ``X_val``, in y's shape and units.

    Regression: ``mean`` (the training targets' mean), and ``last value`` (each target's
    input feature at the last step, repeated) when the spec knows which input feature
    each target continues, and ``seasonal naive`` (the window's last season, repeated)
    when the model learns corrections to a seasonal base (``spec.season`` > 1).
    Classification: ``majority class``.
    """
    samples = len(X_val)
    shape = (samples, *spec.output_shape)
    if spec.is_classifier:
        values, counts = np.unique(np.asarray(labels_train).ravel(), return_counts=True)
        return {"majority class": np.full(shape, values[np.argmax(counts)])}
    mean = np.asarray(y_train, dtype=np.float64).mean(axis=0)
    predictions = {"mean": np.broadcast_to(mean, shape)}
    if spec.target_features is not None and X_val.ndim == 3:
        last = X_val[:, -1, list(spec.target_features)].astype(np.float64)  # (n, K)
        if spec.per_step:
            last = np.repeat(last[:, None, :], spec.output_steps, axis=1)
        predictions["last value"] = last.reshape(shape)
        if 1 < spec.season <= X_val.shape[1]:
            last_season = X_val[:, -spec.season :, list(spec.target_features)]
            horizon = spec.output_steps if spec.per_step else 1
            season = repeat_last_season(last_season.astype(np.float64), spec.season, horizon)
            predictions["seasonal naive"] = season.reshape(shape)
    return predictions


HIGHER_IS_BETTER = {"accuracy": True, "balanced_accuracy": True, "macro_F1": True}


def judge(scores: dict[str, float], metric: str, *, model: str = "model", part: str) -> dict:
    """Compare the ``model`` entry of ``scores`` with every other (the baselines).

    Returns a JSON-ready dict: the part scored, the metric, the model's score, every
    baseline's, the best baseline and whether it wins (scores strictly better).

    Example:
        >>> judge({"model": 0.9, "majority class": 0.5}, "accuracy", part="test")["baseline_wins"]
        False
    """
    higher = HIGHER_IS_BETTER.get(metric, False)
    baselines = {name: float(score) for name, score in scores.items() if name != model}
    best = (max if higher else min)(baselines, key=baselines.__getitem__)
    mine, theirs = float(scores[model]), baselines[best]
    return {
        "part": part,
        "metric": metric,
        "model": mine,
        "baselines": baselines,
        "best_baseline": best,
        "best_baseline_score": theirs,
        "baseline_wins": bool(theirs > mine if higher else theirs < mine),
    }


def compare(
    predictions: dict[str, np.ndarray],
    truth: np.ndarray,
    *,
    classifier: bool,
    scale: np.ndarray | None = None,
) -> dict:
    """Score every prediction against ``truth`` (``"model"`` is the network's) and
    ``judge`` them: accuracy for classification; for regression mean absolute error, or
    with the naive ``scale`` of each target (several targets, in their own units) MASE,
    so that a target in large units does not decide alone."""
    scores = {}
    for name, predicted in predictions.items():
        if classifier:
            scores[name] = float(np.mean(np.asarray(predicted).ravel() == truth.ravel()))
        elif scale is not None:
            scores[name] = scaled_error(truth, np.asarray(predicted, np.float64), scale)
        else:
            scores[name] = float(np.mean(np.abs(np.asarray(predicted, np.float64) - truth)))
    metric = "accuracy" if classifier else "MAE" if scale is None else "MASE"
    return judge(scores, metric, part="validation part")


def naive_scale_of_windows(X: np.ndarray, target_features, season: int = 1) -> np.ndarray:
    """Each target's in-sample naive error (lag ``season``, 1 where the window is not
    longer) over the input windows' steps of the feature it continues: MASE's scale.

    Example:
        >>> X = np.stack([np.c_[np.arange(5.0), 100 * np.arange(5.0)]] * 3)
        >>> naive_scale_of_windows(X, (0, 1)).tolist()
        [1.0, 100.0]
    """
    lag = season if 1 < season < X.shape[1] else 1
    return panel_naive_scale(list(X[:, :, list(target_features)]), lag)  # a window a series


def _margin(result: dict) -> str:
    model, baseline = result["model"], result["best_baseline_score"]
    if HIGHER_IS_BETTER.get(result["metric"], False):
        return f"{100 * (model - baseline):.1f} points"
    if baseline <= 0:
        return "0%"
    gain = 100 * (baseline - model) / baseline
    return f"{gain:.1f}%" if abs(gain) < 10 else f"{gain:.0f}%"  # not "by 0%" for 0.3%


def _matches(result: dict) -> bool:
    """Whether the model's score is the best baseline's to the margin's shown precision
    (under 0.05%, or 0.05 points of accuracy): a random walk forecast by its last value
    matches that baseline, it does not beat it "by 0.0%"."""
    model, baseline = result["model"], result["best_baseline_score"]
    if HIGHER_IS_BETTER.get(result["metric"], False):
        return abs(model - baseline) < 0.0005
    return abs(model - baseline) < 0.0005 * abs(baseline) or model == baseline


def verdict(result: dict, model_name: str = "The model") -> str:
    """One line: which is better on the part scored, and by how much.

    Example:
        >>> print(verdict(judge({"model": 0.88, "ridge": 1.0}, "MAE", part="test windows")))
        The model beats the best baseline (ridge) by 12% on MAE: 0.8800 against 1.000.
        >>> print(verdict(judge({"model": 0.4997, "mean": 0.5013}, "MAE", part="test windows")))
        The model beats the best baseline (mean) by 0.3% on MAE: 0.4997 against 0.5013.
        >>> print(verdict(judge({"model": 0.99470, "naive": 0.99471}, "MAE", part="test")))
        The model only matches the best baseline (naive) on MAE: 0.9947.
    """
    metric, part = result["metric"], result["part"]
    model, best, score = result["model"], result["best_baseline"], result["best_baseline_score"]
    if result["baseline_wins"]:
        return (
            f"Warning: the baseline {best!r} beats the model on the {part}: "
            f"{metric} {score:#.4g} against {model:#.4g}."
        )
    if _matches(result):
        return f"{model_name} only matches the best baseline ({best}) on {metric}: {model:#.4g}."
    return (
        f"{model_name} beats the best baseline ({best}) by {_margin(result)} on {metric}: "
        f"{model:#.4g} against {score:#.4g}."
    )
