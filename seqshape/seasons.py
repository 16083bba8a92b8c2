"""The season of a series: from its calendar when it has one, else from autocorrelation.

``choose_season`` picks the season for a forecasting job: the calendar first
(``seqshape.calendar.season_from_times``: monthly 12, quarterly 4, weekly 52, daily 7,
hourly 24, ...); autocorrelation (``seqshape.baselines.detect_season``) only without a
calendar (no time column, or a numeric one); and never a season the history cannot
support: the shortest training series must hold at least two full seasons, else the
season is 1.

Example:
    >>> import pandas as pd
    >>> season_from_times(pd.date_range("2020-01-01", periods=36, freq="MS"))
    (12, "the times are monthly (frequency 'MS'): season 12, a year")
    >>> choose_season([60], times=pd.date_range("2020-01-01", periods=60, freq="D"))[0]
    7
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from seqshape.baselines import detect_season
from seqshape.calendar import is_numeric_time, season_from_times
from seqshape.errors import InvalidInputError

__all__ = ["choose_season", "season_from_times", "season_words"]


def _as_series_list(values) -> list[np.ndarray]:
    """One array per series: a single ``(steps,)`` or ``(steps, columns)`` array, or a
    sequence of them (a panel)."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return [values.to_numpy(dtype=np.float64)]
    if isinstance(values, np.ndarray):
        return [values.astype(np.float64)]
    items = list(values)
    if items and all(np.ndim(item) >= 1 for item in items):
        return [np.asarray(item, dtype=np.float64) for item in items]
    return [np.asarray(items, dtype=np.float64)]


def _lengths(series_lengths) -> list[int]:
    lengths = [series_lengths] if np.ndim(series_lengths) == 0 else list(series_lengths)
    try:
        valid = bool(lengths) and all(int(n) == n and n >= 1 for n in lengths)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise InvalidInputError(
            "series_lengths",
            expected="the length of each training series: positive integers",
            received=repr(series_lengths),
            fix="Pass len(series) for every series the model is trained on.",
        )
    return [int(n) for n in lengths]


def _autocorrelation_season(values, limit: int) -> tuple[int, str]:
    """The most common autocorrelation peak over up to 20 series spread over the panel."""
    series = _as_series_list(values)
    picked = series[:: max(1, len(series) // 20)][:20]
    found = [detect_season(one, max_lag=limit) for one in picked]
    season = int(np.bincount(found).argmax())
    over = f"over {len(picked)} series, " if len(picked) > 1 else ""
    if season == 1:
        return 1, f"no autocorrelation peak up to lag {limit} ({over}threshold 0.3): season 1"
    return season, f"autocorrelation ({over}lags 2 to {limit}) peaks at lag {season}"


def choose_season(
    series_lengths: int | Iterable[int],
    times=None,
    values=None,
    max_lag: int | None = None,
) -> tuple[int, str]:
    """The season for a forecasting job, and where it came from.

    Args:
        series_lengths: the length of each training series (an int for one series).
        times: the time column (see ``season_from_times``); datetimes give the season
            from the calendar, numbers (step numbers) have none.
        values: the training values, for autocorrelation without a calendar: one
            ``(steps,)`` or ``(steps, columns)`` array, or a sequence of them (a panel).
        max_lag: the largest season allowed: the input window, for a seasonal naive
            forecast made inside the window.

    Returns:
        ``(season, source)``: 1 for no season; ``source`` says where it came from.

    Raises:
        InvalidInputError: a datetime time column with no regular frequency.

    Example:
        >>> import numpy as np
        >>> import pandas as pd
        >>> months = pd.date_range("2000-01-01", periods=18, freq="MS")
        >>> season, source = choose_season([18], times=months)
        >>> season
        1
        >>> print(source.split("; ")[1])
        but the shortest training series has 18 steps, fewer than two full seasons (24): season 1
        >>> wave = np.sin(2 * np.pi * np.arange(120) / 10)
        >>> choose_season(120, times=np.arange(120), values=wave)
        (10, 'numeric time column (no calendar); autocorrelation (lags 2 to 60) peaks at lag 10')
    """
    shortest = min(_lengths(series_lengths))
    limit = shortest // 2  # two full seasons in the shortest training series
    if max_lag is not None:
        limit = min(limit, int(max_lag))

    if times is not None and not is_numeric_time(times):
        season, reason = season_from_times(times)
        if season <= 1:
            return 1, reason
        if 2 * season > shortest:
            return 1, (
                f"{reason}; but the shortest training series has {shortest} steps, fewer "
                f"than two full seasons ({2 * season}): season 1"
            )
        if max_lag is not None and season > max_lag:
            return 1, (
                f"{reason}; but it is longer than the input window ({max_lag} steps): "
                f"season 1. Input windows of {season} steps or more (--input-steps, "
                "ForecastJob.input_steps) read a whole season"
            )
        return season, reason

    prefix = "numeric time column (no calendar); " if times is not None else ""
    if values is None:
        return 1, prefix + "no calendar and no values to read a season from: season 1"
    if limit < 2:
        return 1, prefix + (
            f"the shortest training series has {shortest} steps, too short for two full "
            "seasons of 2 steps: season 1"
        )
    season, source = _autocorrelation_season(values, limit)
    return season, prefix + source


def season_words(season: int, source: str) -> str:
    """One line for a report: the season and where it came from.

    Example:
        >>> season_words(12, "the times are monthly (frequency 'MS'): season 12, a year")
        "Season: 12 (the times are monthly (frequency 'MS'): season 12, a year)."
    """
    return f"Season: {season} ({source})."
