"""Defaults that follow the data: how samples are held out, and how inputs are normalised.

``choose_validation`` picks the split a careful person would: a stratified random split
for classes (UCR/UEA files are stored sorted by label, so the last samples may hold only
one class), a split by time with a gap for overlapping windows cut from one series (a
random split would leak the future into training), and a seeded random split for other
independent sequences. ``choose_normalization`` removes each window's level and scale
when y continues features of X (series that trend out of the training range), and
standardises globally otherwise. Each returns its reason, which ``explain()`` shows.

Example:
    >>> import numpy as np
    >>> from seqshape.defaults import choose_validation, overlap_stride
    >>> series = np.arange(100.0)
    >>> X = np.stack([series[i : i + 10] for i in range(0, 80, 2)])[..., None]
    >>> overlap_stride(X)
    2
    >>> split = choose_validation("auto", X, None, fraction=0.2, output_steps=5, seed=0)
    >>> split.method, len(split.train), len(split.validation)
    ('temporal', 25, 8)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split

from seqshape.combination import evenly_spaced, target_windows, window_rows
from seqshape.errors import InvalidInputError
from seqshape.spec import SeasonalBase, TopologySpec


@dataclass(frozen=True)
class ValidationSplit:
    """Which samples train and which stop early, and why."""

    train: np.ndarray | range  # a range for one run of samples (no index array)
    validation: np.ndarray | range
    method: str
    reason: str


def overlap_stride(X: np.ndarray, pairs: int = 3) -> int | None:
    """The stride between consecutive samples when X holds overlapping windows cut
    from one series (``X[i + 1, :-s] == X[i, s:]``), else None."""
    if X.ndim != 3 or len(X) < 2 or X.shape[1] < 2 or X.dtype.kind not in "fiu":
        return None
    steps = X.shape[1]
    for stride in range(1, steps):
        if all(
            np.array_equal(X[i + 1, : steps - stride], X[i, stride:])
            for i in range(min(pairs, len(X) - 1))
        ):
            return stride
    return None


def series_starts(X: np.ndarray, stride: int, chunk: int = 4096) -> np.ndarray:
    """Indices where a new series begins in X's overlapping windows: sample i starts one
    when it does not continue sample i - 1 by ``stride`` steps (windows of a panel)."""
    steps = X.shape[1]
    breaks = [0]
    for first in range(0, len(X) - 1, chunk):
        last = min(first + chunk, len(X) - 1)
        earlier, later = X[first:last, stride:], X[first + 1 : last + 1, : steps - stride]
        continues = (earlier == later).reshape(last - first, -1).all(axis=1)
        breaks.extend((np.flatnonzero(~continues) + first + 1).tolist())
    return np.asarray(breaks)


def _split_words(count: int, method: str) -> str:
    return f"{count} sample{'s' if count != 1 else ''} held out for early stopping ({method})"


def _check_classes_in_training(labels: np.ndarray, train: np.ndarray) -> None:
    missing = sorted(set(np.unique(labels).tolist()) - set(np.unique(labels[train]).tolist()))
    if missing:
        raise InvalidInputError(
            "validation",
            expected="a split that keeps every class in the training part",
            received=f"class(es) {missing[:5]} only in the held-out samples",
            fix="Use validation='stratified' (or 'auto'), give more samples of that class, "
            "or pass validation_data=(X_val, y_val).",
        )


def split_keeping_classes(
    labels: np.ndarray, held_out: int, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of ``held_out`` samples (or as many as can be) that keeps at
    least one sample of every class in the training part: for classes too small to
    stratify (the UCR archive's PigCVP: 52 classes of 2 series). Returns sorted indices.

    Example:
        >>> labels = np.asarray([0, 0, 1, 2, 2, 2])                 # class 1: one sample
        >>> train, held = split_keeping_classes(labels, 3, seed=0)
        >>> sorted(set(labels[train].tolist())), len(held), 1 in labels[held]
        ([0, 1, 2], 3, False)
    """
    _, codes = np.unique(labels, return_inverse=True)
    left = np.bincount(codes)
    held = []
    for sample in np.random.default_rng(seed).permutation(len(codes)):
        if len(held) < held_out and left[codes[sample]] > 1:
            held.append(sample)
            left[codes[sample]] -= 1
    held = np.sort(np.asarray(held, dtype=np.int64))
    return np.setdiff1d(np.arange(len(codes)), held), held


def choose_validation(
    method: str,
    X: np.ndarray,
    labels: np.ndarray | None,
    *,
    fraction: float,
    output_steps: int | None,
    seed: int | None,
) -> ValidationSplit:
    """Split the sample indices of X into training and validation parts.

    Args:
        method: ``"auto"``, ``"temporal"``, ``"random"``, ``"stratified"`` or ``"none"``.
        X: the inputs (read only to detect overlapping windows).
        labels: one class label per sample for classification, else None.
        fraction: the share of samples held out.
        output_steps: steps of y per sample (None for one value), for the gap.
        seed: the random split's seed.
    """
    count = len(X)
    held_out = round(count * fraction)
    if method == "none" or fraction == 0:
        return ValidationSplit(
            range(count),
            range(0),
            "none",
            "Validation: none; every sample trains and early stopping watches the training loss.",
        )
    if held_out < 1 or held_out >= count:
        return ValidationSplit(
            range(count),
            range(0),
            "none",
            f"validation_fraction={fraction} of {count} samples holds out no usable part: "
            "every sample trains, and early stopping watches the training loss.",
        )
    stride = overlap_stride(X)
    if method == "auto":
        if labels is not None:
            counts = np.unique(labels, return_counts=True)[1]
            if counts.min() < 2 or not len(counts) <= held_out <= count - len(counts):
                train, validation = split_keeping_classes(labels, held_out, seed)
                return ValidationSplit(
                    train,
                    validation,
                    "random",
                    f"Validation: {_split_words(len(validation), 'random')}: the samples are "
                    f"independent labelled sequences, and their {len(counts)} classes are too "
                    "few each to stratify, so a seeded random split holds out a part, keeping "
                    "a sample of every class for training.",
                )
            method = "stratified"
        else:
            method = "temporal" if stride is not None else "random"
        why = {
            "stratified": "the samples are independent labelled sequences (files of them "
            "are often sorted by label), so a seeded stratified random split keeps every "
            "class's share in both parts",
            "temporal": f"consecutive samples are overlapping windows of a series (stride "
            f"{stride}), so the last windows of each series are held out, after a gap, to "
            "keep the future out of training",
            "random": "the samples are independent sequences, so a seeded random split "
            "holds out a part like the rest",
        }[method]
    else:
        why = f"validation={method!r} was asked for"
    if method == "temporal":
        width = X.shape[1] if X.ndim >= 3 else 1
        gap = math.ceil((width + (output_steps or 1)) / stride) - 1 if stride else 0
        starts = series_starts(X, stride) if stride else np.array([0])
        ends = [*starts[1:], count]
        train_parts, validation_parts = [], []
        for start, end in zip(starts.tolist(), ends, strict=True):  # each series' end
            length = end - start
            held = round(length * fraction)
            if held < 1 or held >= length:
                train_parts.append(range(start, end))
                continue
            cut = end - held
            train_parts.append(range(start, max(cut - gap, start)))
            validation_parts.append(range(cut, end))
        if len(train_parts) == 1 and len(validation_parts) == 1:  # one series: two runs
            train, validation = train_parts[0], validation_parts[0]  # ranges, no arrays
        else:
            train = np.concatenate([np.arange(r.start, r.stop) for r in train_parts])
            validation = np.concatenate(
                [np.arange(r.start, r.stop) for r in validation_parts] or [np.arange(0)]
            )
        if len(train) == 0 or len(validation) == 0:
            raise InvalidInputError(
                "validation_fraction",
                expected=f"room for training and held-out windows in each series, with a gap "
                f"of {gap} overlapping windows between them",
                received=f"{count} samples in {len(starts)} series",
                fix="Use a smaller validation_fraction, more data, or validation='none'.",
            )
        series_words = f" of each of the {len(starts)} series" if len(starts) > 1 else ""
        gap_words = f", {gap} windows dropped between the parts" if gap else ""
        reason = (
            f"Validation: {_split_words(len(validation), 'the last samples' + series_words)}"
            f"{gap_words}: {why}."
        )
        if labels is not None:
            _check_classes_in_training(labels, train)
        return ValidationSplit(train, validation, "temporal", reason)
    stratify = None
    if method == "stratified":
        if labels is None:
            raise InvalidInputError(
                "validation",
                expected="'stratified' only for classification (one class label per sample)",
                received="regression targets or per-step labels",
                fix="Use validation='random' or 'temporal', or leave it on 'auto'.",
            )
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < 2:
            raise InvalidInputError(
                "validation",
                expected="at least 2 samples of every class for a stratified split",
                received=f"class {classes[np.argmin(counts)].item()!r} with {counts.min()} sample",
                fix="Use validation='random', add samples of that class, or pass "
                "validation_data=(X_val, y_val).",
            )
        held_out = max(held_out, len(classes))
        stratify = labels
    train, validation = train_test_split(
        np.arange(count), test_size=held_out, random_state=seed, stratify=stratify
    )
    if labels is not None:
        _check_classes_in_training(labels, train)
    reason = f"Validation: {_split_words(held_out, method)}: {why}."
    return ValidationSplit(np.sort(train), np.sort(validation), method, reason)


# a feature's level must forecast a target this much better than the target's mean to
# be taken as the feature the target continues; for overlapping windows of a series (the
# windowing helpers, the table workflow) any gain over the mean is enough: there the
# target is the series' own future, and where its training part looks level, standardising
# it over that part loses when the level moves: statsmodels' nile (0.94 of the mean's
# error), aeon's ShampooSales (0.93) and pmdarima's woolyrnq (0.96) were standardised, and
# the network lost to the mean, the last value and seasonal naive by 1.3-2.8 times
CONTINUE_MARGIN = 0.75
SERIES_CONTINUE_MARGIN = 1.0


def _continuing_features(
    X: np.ndarray, y: np.ndarray, margin: float = CONTINUE_MARGIN
) -> tuple[tuple[int, ...] | None, str]:
    """For each target of y ``(n, H, K)``, the input feature of X ``(n, T, F)`` whose own
    level in the window predicts it best, when that level predicts it ``margin`` times
    better than the target's mean does (its error under ``margin`` of the mean's); else
    None.

    A feature's level is its last value or its mean over the window, judged on the
    target's first step (the mean stands in for series whose last value is a poor guess
    of the next). For series whose days differ more than their weeks (daily electricity
    demand), the level is the feature's last season instead: repeating its last ``m``
    steps (``m >= 2``, any period that fits in the window) must forecast the target's
    whole horizon better than the target's mean at each step does. Where a target has
    no such feature: ``None`` and the closest feature's errors, for the reason.
    """
    last, level, first = X[:, -1, :], X.mean(axis=1), y[:, 0, :]
    window = X.shape[1]
    chosen, words = [], []
    for k in range(y.shape[2]):
        target = first[:, k]
        errors = np.minimum(
            np.abs(last - target[:, None]).mean(axis=0),
            np.abs(level - target[:, None]).mean(axis=0),
        )
        j = int(np.argmin(errors))
        spread = float(np.abs(target - target.mean()).mean())
        if errors[j] < margin * spread or errors[j] == 0:
            chosen.append(j)
            words.append(f"{errors[j]:.3g} against {spread:.3g}")
            continue
        steps = y[:, :, k]
        seasonal = min(  # the last m steps repeated over the horizon, for each period m
            (_naive_error(X[:, :, [j]], y[:, :, [k]], m, 1) for m in range(2, window + 1)),
            default=np.inf,
        )
        spread_steps = float(np.abs(steps - steps.mean(axis=0)).mean())
        if not seasonal < margin * spread_steps:
            return None, (
                f"no input feature's level in the window forecasts y's output {k} closely "
                f"enough: the closest, feature {j}, has mean absolute error {errors[j]:.3g} "
                f"on the first step against {spread:.3g} for y's mean (it must be "
                + ("lower" if margin >= 1 else f"under {margin:.0%} of it")
                + f"), and repeating its last season {seasonal:.3g} against {spread_steps:.3g}"
            )
        chosen.append(j)
        words.append(f"{seasonal:.3g} against {spread:.3g} over the horizon, a season back")
    return tuple(chosen), "; ".join(words)


# a seasonal base must beat the last value's error on the training windows by this much
# (AirPassengers' windows: by 10-15%, and the base takes its MASE from 1.9 to 0.45; the
# demo's mixed sines: by 13% at period 31, and it costs a little there)
SEASONAL_GAIN = 0.9
# a seasonal base with drift needs this many whole seasons in the window: with two,
# the change per season is one difference of two seasons' means, and a network
# corrects the plain seasonal base better (synthetic trending seasons of 2 and 3 seasons
# a window, and AirPassengers' 24-month windows: MASE 0.45 without drift, 0.74 with)
DRIFT_SEASONS = 3
# the period of the seasonal base: of the best period and its divisors (each 10% below
# the last value's error), the one whose mean over its best number of seasons fits best,
# the shorter on a tie; a multiple of the season repeats older values of the same season
# (nottem: 24 months back alone beats 12 back alone, and the mean of the last two
# years beats both), and a part of it may fit nearly as well without being the season
# (statsmodels' elec_equip: 3 months within 25% of 12 alone, 10% behind 12 averaged)
# SeasonalWeights are learned where a linear map of the window's past steps forecasts
# this last share of the training windows SEASONAL_GAIN better than the last value (the
# ten accuracy sets: 0.2-0.6 of the last value's error for the seasonal ones and the
# employment panel, 1.03-1.04 for the stock indices, exchange rate and share price);
# the map is fitted on at most LAGS_ROWS rows (a window's target), and on at least
# LAGS_MIN_ROWS: UKgas' 24 windows of one target (12 steps each) gave weights that took
# its MASE from 2.00 to 1.89 but its sMAPE from 7.3 to 8.5, and AirPassengers' 11 none;
# a window of several targets gives a row for each (the map is one for every target):
# fpp2's arrivals, 4 targets in 28 windows, got no map when windows were counted (MASE
# 1.93; 1.23 with the map and its ridge share, 3 seeds)
LAGS_HOLDOUT = 0.2
LAGS_ROWS = 50_000
LAGS_MIN_ROWS = 30


def naive_errors(
    X: np.ndarray, y: np.ndarray, targets: tuple[int, ...], seasons: int = 1
) -> np.ndarray:
    """Mean absolute error of the naive forecast of period ``m`` (repeating each
    window's last ``m`` steps; with ``seasons=n`` the mean of the last ``n`` seasons)
    for every ``m`` from 1 to the window's length: element ``m - 1`` (NaN where
    ``n * m`` steps do not fit in the window). ``y`` is ``(n, H, K)``, or ``(n, K)``
    for one step ahead.

    Example:
        >>> import numpy as np
        >>> series = np.tile([0.0, 5.0, 1.0], 10)                 # season 3
        >>> X = np.stack([series[i : i + 6] for i in range(20)])[..., None]
        >>> y = np.stack([series[i + 6 : i + 8] for i in range(20)])[..., None]
        >>> naive_errors(X, y, (0,)).round(2).tolist()
        [3.28, 3.35, 0.0, 3.38, 3.35, 0.0]
        >>> naive_errors(X, y, (0,), seasons=2).round(2).tolist()
        [2.35, 3.04, 0.0, nan, nan, nan]
    """
    columns, targets_y = target_windows(X, y, targets)
    window = X.shape[1]
    return np.asarray(
        [
            _naive_error(columns, targets_y, period, seasons)
            if seasons * period <= window
            else np.nan
            for period in range(1, window + 1)
        ]
    )


def _seasonal_forecast(columns: np.ndarray, horizon: int, period: int, seasons: int) -> np.ndarray:
    """The mean of the last ``seasons`` seasons of ``period`` repeated over ``horizon``
    steps: ``(n, H, K)``."""
    window = columns.shape[1]
    return np.mean(
        [
            columns[:, [window - back * period + h % period for h in range(horizon)], :]
            for back in range(1, seasons + 1)
        ],
        axis=0,
    )


def _naive_error(columns: np.ndarray, targets_y: np.ndarray, period: int, seasons: int) -> float:
    """Mean absolute error of the mean of the last ``seasons`` seasons of ``period``."""
    forecast = _seasonal_forecast(columns, targets_y.shape[1], period, seasons)
    return float(np.abs(forecast - targets_y).mean())


def _seasonal_means(columns: np.ndarray, targets_y: np.ndarray, period: int) -> dict[int, float]:
    """Mean absolute error of the mean of the last ``n`` seasons of ``period``, for each
    ``n`` the window holds."""
    window = columns.shape[1]
    return {
        seasons: _naive_error(columns, targets_y, period, seasons)
        for seasons in range(1, window // period + 1)
    }


def _drift_error(columns: np.ndarray, targets_y: np.ndarray, period: int) -> float:
    """Mean absolute error of the last season plus the window's change per season
    (``SeasonalNaive(drift=True)``)."""
    window, horizon = columns.shape[1], targets_y.shape[1]
    whole = window // period
    start = window - whole * period
    last, first = columns[:, window - period :], columns[:, start : start + period]
    change = (last.mean(axis=1) - first.mean(axis=1)) / (whole - 1)  # (n, K)
    ahead = np.asarray([h // period + 1 for h in range(horizon)], dtype=np.float64)
    forecast = (
        _seasonal_forecast(columns, horizon, period, 1) + change[:, None, :] * ahead[None, :, None]
    )
    return float(np.abs(forecast - targets_y).mean())


@dataclass(frozen=True)
class Normalization:
    """How inputs are normalised, the targets it restores and the forecast restored onto.

    ``base`` is the naive forecast that window normalisation restores the network's
    output onto: of period 1 the window's last value, ``m > 1`` seasonal naive.
    """

    method: str  # "window", "global" or "none"
    target_features: tuple[int, ...] | None
    reason: str
    base: SeasonalBase = SeasonalBase()  # noqa: RUF009 (an immutable tuple)
    ridge_share: float | None = None  # RidgeCombination's share before training

    @property
    def season(self) -> int:
        return self.base.season

    def applied_to(self, spec: TopologySpec, *reasons: str) -> TopologySpec:
        """``spec`` normalised this way, with this choice's reason and ``reasons`` after
        its own."""
        return replace(
            spec,
            normalization=self.method,
            target_features=self.target_features,
            season=self.base.season,
            base_seasons=self.base.seasons,
            base_drift=self.base.drift,
            base_weights=self.base.weights,
            ridge_share=self.ridge_share,
            reasons=(*spec.reasons, self.reason, *reasons),
        )


def _lags_split(count: int, window: int, width: int, horizon: int):
    """The windows the lags check uses (at most ``LAGS_ROWS / width``, evenly spaced)
    and two masks over them: those it fits the map on and those it scores it on;
    ``(rows, None, None)`` where they give too few rows (a window's ``width`` targets
    each) to fit it: fewer than ``LAGS_MIN_ROWS`` or twice the window's steps.

    Example:
        >>> _lags_split(65, 16, 1, 8)[1] is None, int(_lags_split(65, 16, 4, 8)[1].sum())
        (True, 28)
    """
    rows = evenly_spaced(count, LAGS_ROWS // width)
    cut = int(count * (1 - LAGS_HOLDOUT))
    fit, held = rows < cut - window - horizon, rows >= cut
    if fit.sum() * width < max(2 * window, LAGS_MIN_ROWS) or not held.any():
        return rows, None, None
    return rows, fit, held


def _ridge_share(
    asked: str | float | None, X: np.ndarray, y: np.ndarray, targets: tuple[int, ...]
) -> float | None:
    """``RidgeCombination``'s share before training (``None``: no ridge): a share asked
    for as it is; with ``"auto"`` 0 (chosen after training) where the windows are
    enough for the lags check's map (``_lags_split``): an unweighted ridge, its share
    chosen on validation, took UKgas' MASE from 2.00 to 2.44 and AirPassengers' from 0.45
    to 0.66 (3 seeds), with 24 and 16 windows left for the check's map."""
    if asked != "auto":
        return asked
    count, window = X.shape[:2]
    horizon = y.shape[1] if y.ndim == 3 else 1
    if window < 2 or _lags_split(count, window, len(targets), horizon)[1] is None:
        return None
    return 0.0


def _lags_errors(X: np.ndarray, y: np.ndarray, targets) -> tuple[float, float]:
    """Mean absolute errors on the last ``LAGS_HOLDOUT`` of the windows: of a linear map
    from each window's past steps to its targets, and of the last value.

    The map is what ``SeasonalWeights`` of period 1 learns: each window's last value
    removed and its scale divided out (as window normalisation does, ``window_rows``),
    one map for every target, no intercept. It is a ridge regression fitted on the
    windows before the held-out ones, less a gap of a window and a horizon (overlapping
    windows would otherwise hold the held-out targets); ``(inf, 0)`` where fewer than
    ``LAGS_MIN_ROWS`` rows (or twice the window's steps) are left to fit it.
    """
    width, horizon = len(targets), (y.shape[1] if y.ndim == 3 else 1)
    rows, fit, held = _lags_split(len(X), X.shape[1], width, horizon)
    if fit is None:
        return np.inf, 0.0
    used = fit | held  # a copy of these windows only, (n, T, K) and (n, H, K)
    columns, targets_y = target_windows(X[rows[used]], y[rows[used]], targets)
    inputs, outputs, last, scale = window_rows(columns, targets_y)
    fit, held = np.repeat(fit[used], width), np.repeat(held[used], width)  # window by target
    ridge = Ridge(alpha=1.0, fit_intercept=False).fit(inputs[fit], outputs[fit])
    forecast = ridge.predict(inputs[held]) * scale[held] + last[held]
    truth = outputs[held] * scale[held] + last[held]
    return float(np.abs(forecast - truth).mean()), float(np.abs(last[held] - truth).mean())


def _seasonal_base(
    asked: str | int | SeasonalBase, spec: TopologySpec, X: np.ndarray, y: np.ndarray, targets
) -> tuple[SeasonalBase, str]:
    """The naive forecast restored onto and whether ``SeasonalWeights`` learn beside it,
    chosen on the training windows, and sentences on why.

    The weights are learned where a linear map of each window's past steps forecasts
    the last fifth of the training windows 10% better than the last value
    (``_lags_errors``): series whose past says more than their last value (seasons,
    smooth trends), not random walks, where such a map learns the training years'
    drift. A ``SeasonalBase`` with its ``weights`` field (a refit's) is taken as it is.
    """
    window = X.shape[1]
    if isinstance(asked, tuple) and len(asked) > 3:  # exactly as asked, weights included
        base, words = _naive_base(asked[:3], spec, X, y, targets)
        base = base._replace(weights=bool(asked[3]))
        return base, words + (_weights_words(base, "set by seasonal_base") if base.weights else "")
    base, words = _naive_base(asked, spec, X, y, targets)
    if window < 2:
        return base, words
    linear, last = _lags_errors(X, y, targets)
    if linear <= SEASONAL_GAIN * last:
        return base._replace(weights=True), words + _weights_words(
            base,
            f"a linear map of each window's past steps forecast the last fifth of the "
            f"training windows with mean absolute error {linear:.3g}, against {last:.3g} "
            "for the last value",
        )
    if not np.isfinite(linear):
        return base, words
    return base, words + (
        f" No weights are learned for the window's past steps: a linear map of them "
        f"forecast the last fifth of the training windows with mean absolute error "
        f"{linear:.3g}, against {last:.3g} for the last value (it must be 10% lower)."
    )


def _weights_words(base: SeasonalBase, why: str) -> str:
    """The sentence on ``SeasonalWeights`` beside ``base``."""
    unit = "step" if base.season == 1 else "season"
    return (
        f" Beside it, a weight for each of the window's past {unit}s at each output step, "
        f"starting at zero, is learned (SeasonalWeights): {why}."
    )


def _naive_base(
    asked: str | int | tuple, spec: TopologySpec, X: np.ndarray, y: np.ndarray, targets
) -> tuple[SeasonalBase, str]:
    """The naive forecast restored onto, chosen on the training windows, and a sentence
    on why (empty when the last value is kept without being asked for)."""
    window = X.shape[1]
    if asked != "auto":
        if isinstance(asked, tuple):  # a SeasonalBase, or one read back from a file
            base = SeasonalBase(int(asked[0]), int(asked[1]), bool(asked[2]))
        else:
            base = SeasonalBase(int(asked))
        if base.steps > window:
            raise InvalidInputError(
                "seasonal_base",
                expected=f"a base that reads no more than the windows' {window} steps",
                received=f"{asked!r}, which reads {base.steps}",
                fix="Use longer input windows, or a shorter period.",
            )
        if base.season == 1:
            return (
                base,
                " The network's output is added to the window's last value (set by "
                "seasonal_base).",
            )
        return base, f" The network learns corrections to {base.title} (set by seasonal_base)."
    if not spec.per_step or window < 2:
        return SeasonalBase(), ""
    errors = naive_errors(X, y, targets)
    best = float(errors[1:].min())
    if not best <= SEASONAL_GAIN * errors[0]:
        return SeasonalBase(), ""
    best_period = 2 + int(np.argmin(errors[1:]))
    columns, targets_y = target_windows(X, y, targets)
    # the mean of the last n seasons of each candidate period, for its best n
    candidates = {
        divisor: _seasonal_means(columns, targets_y, divisor)
        for divisor in range(2, best_period + 1)
        if best_period % divisor == 0 and errors[divisor - 1] <= SEASONAL_GAIN * errors[0]
    }
    period = min(candidates, key=lambda p: (min(candidates[p].values()), p))
    averaged = candidates[period]
    seasons = min(averaged, key=lambda n: (averaged[n], n))
    # a trending season: the last one plus the window's change per season, where it
    # beats the seasonal mean as a seasonal base must beat the last value, and the
    # window holds DRIFT_SEASONS whole seasons or more
    drifting = (
        _drift_error(columns, targets_y, period) if window // period >= DRIFT_SEASONS else np.inf
    )
    if drifting <= SEASONAL_GAIN * averaged[seasons]:
        return SeasonalBase(period, drift=True), (
            f" Seasonal base: each window's last {period} steps plus its change per "
            f"season (last season's mean minus its first whole season's, per season) fit "
            f"the training windows' targets with mean absolute error {drifting:.3g}, "
            f"against {averaged[seasons]:.3g} for the seasonal naive forecast"
            + (f" averaged over {seasons} seasons" if seasons > 1 else "")
            + f" and {errors[0]:.3g} for the last value, so the network is trained to learn "
            f"corrections to that trending season (period {period})."
        )
    if seasons == 1:
        return SeasonalBase(period), (
            f" Seasonal base: repeating each window's last {period} steps fits the "
            f"training windows' targets with mean absolute error {averaged[1]:.3g}, "
            f"against {errors[0]:.3g} for the last value, so the network is trained to "
            f"learn corrections to the seasonal naive forecast of period {period}."
        )
    return SeasonalBase(period, seasons), (
        f" Seasonal base: the mean of each window's last {seasons} seasons of {period} "
        f"steps fits the training windows' targets with mean absolute error "
        f"{averaged[seasons]:.3g}, against {averaged[1]:.3g} for the last season alone "
        f"and {errors[0]:.3g} for the last value, so the network is trained to learn "
        f"corrections to that seasonal mean (period {period})."
    )


def choose_normalization(
    method: str,
    spec: TopologySpec,
    X: np.ndarray,
    y: np.ndarray,
    seasonal_base: str | int = "auto",
    ridge_share: str | float | None = "auto",
) -> Normalization:
    """How ``spec``'s data (training part) is normalised.

    ``"window"`` needs regression on sequences whose targets continue input features:
    for each target, one feature's level in the window (its last value or its mean over
    the window, or its last season repeated over the horizon) must predict it better
    than the target's mean (mean absolute error under 0.75 of the mean's; for
    overlapping windows of a series, any gain: ``SERIES_CONTINUE_MARGIN``). With window
    normalisation, ``seasonal_base`` picks the naive forecast the output is restored
    onto (``_seasonal_base``) and ``ridge_share`` whether a ridge map of the window is
    combined with the network's forecast (``_ridge_share``).
    """
    if method == "series":
        raise InvalidInputError(
            "normalization",
            expected="'series' only in the table workflow (seqshape.runs.fit_forecast, "
            "`seqshape fit --id-column ...`), which knows the series of every window",
            received="arrays of windows, with no series to scale by",
            fix="Use normalization='window' (each window's own level and scale) or "
            "'global' with arrays, or fit the table with seqshape.runs.",
        )
    if method in ("global", "none"):
        words = {
            "global": "each feature is standardised over the training part",
            "none": "inputs are fed as they are",
        }[method]
        _refuse_seasonal_base(seasonal_base, method)
        _refuse_ridge(ridge_share, method)
        return Normalization(method, None, f"Normalisation {method!r} was asked for: {words}.")
    can_window = (
        spec.task == "regression"
        and spec.input_kind == "sequence"
        and spec.mask_value is None  # padded sequences end at different steps
        and X.ndim == 3
        and len(X) > 0
        and X.dtype.kind == "f"
    )
    targets, words = (None, "y does not continue features of X")
    if can_window:
        margin = SERIES_CONTINUE_MARGIN if overlap_stride(X) is not None else CONTINUE_MARGIN
        rows = np.linspace(0, len(X) - 1, min(len(X), 20_000)).astype(np.int64)
        X, y = X[rows], y[rows]  # at most 20,000 samples, evenly spaced; a copy
        steps = y if y.ndim == 3 else y.reshape(len(y), 1, -1)  # (n, H, K)
        targets, words = _continuing_features(
            np.asarray(X, dtype=np.float64), np.asarray(steps, dtype=np.float64), margin
        )
    if method == "window":
        if targets is None:
            raise InvalidInputError(
                "normalization",
                expected="'window' only where there is something to restore: regression "
                "on sequences whose targets continue features of X",
                received=f"{spec.task} with X samples {spec.input_shape} -> y samples "
                f"{spec.output_shape}"
                + (
                    ", whose targets no input feature's level in the window predicts"
                    if can_window
                    else ""
                ),
                fix="Use normalization='global' (or 'auto').",
            )
        base, base_words = _seasonal_base(seasonal_base, spec, X, y, targets)
        return Normalization(
            "window",
            targets,
            f"Normalisation 'window' was asked for: each window's last value and scale "
            f"are removed from the input and restored on targets {list(targets)}." + base_words,
            base,
            _ridge_share(ridge_share, X, y, targets),
        )
    if targets is None:
        _refuse_seasonal_base(seasonal_base, "global")
        _refuse_ridge(ridge_share, "global")
        return Normalization(
            "global",
            None,
            f"Normalisation: each feature is standardised over the training part ({words}, "
            "so there is no level to carry over).",
        )
    base, base_words = _seasonal_base(seasonal_base, spec, X, y, targets)
    return Normalization(
        "window",
        targets,
        f"Normalisation: y continues input features {list(targets)} (their level in the "
        f"window, last value or mean, predicts y's first step better than y's mean, or "
        f"their last season repeated predicts y's steps better: mean absolute error "
        f"{words}), "
        "so each window's last value and scale are removed at the input and restored at "
        "the output, inside the model: forecasts follow series that move out of the "
        "training range." + base_words,
        base,
        _ridge_share(ridge_share, X, y, targets),
    )


def _refuse_ridge(ridge_share: str | float | None, method: str) -> None:
    if ridge_share not in ("auto", None):
        raise InvalidInputError(
            "ridge_share",
            expected="'auto' or None unless inputs are normalised by window (the ridge "
            "works in each window's units)",
            received=f"{ridge_share!r} with normalization {method!r}",
            fix="Use normalization='window' (or 'auto' where y continues features of X), "
            "or leave ridge_share on 'auto'.",
        )


def _refuse_seasonal_base(seasonal_base: str | int | SeasonalBase, method: str) -> None:
    if seasonal_base not in ("auto", 1, SeasonalBase()):
        raise InvalidInputError(
            "seasonal_base",
            expected="'auto' or 1 unless inputs are normalised by window (the seasonal "
            "base is restored with each window's scale)",
            received=f"{seasonal_base!r} with normalization {method!r}",
            fix="Use normalization='window' (or 'auto' where y continues features of X), "
            "or leave seasonal_base on 'auto'.",
        )
