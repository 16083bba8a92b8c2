"""The calendar of a time column: its frequency, its season, the steps it is missing and
the times that follow it.

``season_from_times`` reads the season from a time column's frequency: the number of
steps in the calendar cycle that the frequency most often carries.

- monthly: 12 (a year); every 2, 3, 4 or 6 months: 6, 4, 3, 2; quarterly: 4;
  yearly: 1 (no cycle within a year);
- weekly: 52 (a year of 52.18 weeks); daily: 7 (a week); business days: 5;
- hourly: 24 (a day); half-hourly: 48; every N minutes: 1440 / N (minutely: 1440).

Other steps (every 2 days, every 7 hours, under a minute) have no calendar season: 1,
with the reason. Times with gaps (missing steps) keep the frequency of their regular
steps; times with no regular frequency are an error. ``frequency_words`` says the
frequency, ``missing_steps`` where steps are missing, ``longest_step`` the longest step
that misses none, and ``next_times`` the times after the last, all from the same reading
(months stay months, business days skip weekends).

Example:
    >>> import pandas as pd
    >>> season_from_times(pd.date_range("2020-01-01", periods=36, freq="MS"))
    (12, "the times are monthly (frequency 'MS'): season 12, a year")
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from seqshape.errors import InvalidInputError, InvalidTypeError

__all__ = [
    "frequency_words",
    "is_numeric_time",
    "longest_step",
    "missing_steps",
    "next_times",
    "season_from_times",
]

_NANOS_PER = {"day": 86_400 * 10**9, "hour": 3_600 * 10**9, "minute": 60 * 10**9}
_MONTHLY = (
    pd.offsets.MonthBegin,
    pd.offsets.MonthEnd,
    pd.offsets.BusinessMonthBegin,
    pd.offsets.BusinessMonthEnd,
)
_QUARTERLY = (
    pd.offsets.QuarterBegin,
    pd.offsets.QuarterEnd,
    pd.offsets.BQuarterBegin,
    pd.offsets.BQuarterEnd,
)
_YEARLY = (pd.offsets.YearBegin, pd.offsets.YearEnd, pd.offsets.BYearBegin, pd.offsets.BYearEnd)
_REGULAR_SHARE = 0.5  # with gaps, at least half of the steps must be the regular step


def _column_name(times, column: str | None) -> str:
    if column is not None:
        return str(column)
    name = getattr(times, "name", None)
    return str(name) if name is not None else "times"


def is_numeric_time(times) -> bool:
    """True for integer or float time values (step numbers): no calendar.

    Example:
        >>> import pandas as pd
        >>> is_numeric_time([1, 2, 3]), is_numeric_time(pd.date_range("2024-01-01", periods=3))
        (True, False)
    """
    dtype = getattr(times, "dtype", None)
    if dtype is None:
        dtype = np.asarray(list(times)).dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _as_datetimes(times, column: str) -> pd.DatetimeIndex:
    """The distinct times, sorted, as a ``DatetimeIndex``; a clear error otherwise."""
    if isinstance(times, pd.PeriodIndex) or isinstance(
        getattr(times, "dtype", None), pd.PeriodDtype
    ):
        times = pd.PeriodIndex(times).to_timestamp()
    if is_numeric_time(times):
        raise InvalidTypeError(
            column,
            expected="a time column of dates or datetimes, to read a season from its calendar",
            received=f"numeric values ({np.asarray(times).dtype}): step numbers have no calendar",
            fix="Pass the season explicitly, or leave it to autocorrelation (choose_season "
            "does so for numeric time columns).",
        )
    try:
        index = pd.DatetimeIndex(times)
    except (TypeError, ValueError) as error:
        raise InvalidTypeError(
            column,
            expected="a time column of dates or datetimes",
            received=f"values that are not dates ({error})",
            fix="Parse the column as dates (pandas.to_datetime), or pass the season explicitly.",
        ) from None
    if index.hasnans:
        raise InvalidInputError(
            column,
            expected="a time column without missing times",
            received=f"{int(index.isna().sum())} missing time(s) (NaT)",
            fix="Drop or fill the rows without a time, or pass the season explicitly.",
        )
    return index.unique().sort_values()


def _infer_offset(index: pd.DatetimeIndex):
    """pandas' inferred frequency of a gapless index, as an offset; ``None`` if none."""
    if len(index) < 3:
        return None
    with pd.option_context("future.infer_freq_returns_offset", True):
        inferred = pd.infer_freq(index)
    return None if inferred is None else to_offset(inferred)


def _season_of_months(months: int) -> tuple[int, str]:
    if months == 1:
        return 12, "season 12, a year"
    if 12 % months == 0 and months < 12:
        return 12 // months, f"season {12 // months}, a year"
    return 1, f"season 1: steps of {months} months divide no year evenly"


def _season_of_step(nanos: int) -> tuple[int, str]:
    """The season of a fixed step given in nanoseconds."""
    day, minute = _NANOS_PER["day"], _NANOS_PER["minute"]
    if nanos == day:
        return 7, "season 7, a week"
    if nanos == 7 * day:
        return 52, "season 52, a year (52.18 weeks)"
    if nanos < day and nanos >= minute and day % nanos == 0:
        return day // nanos, f"season {day // nanos}, a day"
    return 1, f"season 1: steps of {_duration(nanos)} have no calendar cycle"


def _season_of_offset(offset) -> tuple[int, str, str]:
    """(season, words for the frequency, words for the season) of a pandas offset."""
    code = offset.freqstr
    if isinstance(offset, _MONTHLY):
        words = "monthly" if offset.n == 1 else f"every {offset.n} months"
        return (*_season_of_months(offset.n), words, code)
    if isinstance(offset, _QUARTERLY):
        words = "quarterly" if offset.n == 1 else f"every {offset.n} quarters"
        return (*_season_of_months(3 * offset.n), words, code)
    if isinstance(offset, _YEARLY):
        return 1, "season 1: no cycle within a year", "yearly", code
    if isinstance(offset, pd.offsets.BusinessDay) and offset.n == 1:
        return 5, "season 5, a business week", "on business days", code
    if isinstance(offset, pd.offsets.Week) and offset.n in (1, 2, 4):
        words = "weekly" if offset.n == 1 else f"every {offset.n} weeks"
        return 52 // offset.n, f"season {52 // offset.n}, a year", words, code
    nanos = _offset_nanos(offset)
    if nanos is None:
        return 1, "season 1: this frequency has no calendar cycle", f"'{code}'", code
    return (*_season_of_step(nanos), _step_words(nanos), code)


def _offset_nanos(offset) -> int | None:
    if isinstance(offset, pd.offsets.Day):
        return offset.n * _NANOS_PER["day"]
    if isinstance(offset, pd.offsets.Week) and offset.weekday is not None:
        return offset.n * 7 * _NANOS_PER["day"]
    if isinstance(offset, pd.offsets.Tick):
        return int(offset.nanos)
    return None


def _duration(nanos: int) -> str:
    """``2 days``, ``15 minutes``, ``16 milliseconds``: in the largest unit, down to
    nanoseconds, that holds it a whole number of times.

    Example:
        >>> _duration(2 * 86_400 * 10**9), _duration(60 * 10**9), _duration(90 * 10**9)
        ('2 days', '1 minute', '90 seconds')
        >>> _duration(16 * 10**6), _duration(15_625_000)
        ('16 milliseconds', '15625 microseconds')
    """
    units = (
        ("day", _NANOS_PER["day"]),
        ("hour", _NANOS_PER["hour"]),
        ("minute", _NANOS_PER["minute"]),
        ("second", 10**9),
        ("millisecond", 10**6),
        ("microsecond", 10**3),
    )
    for unit, size in units:
        if nanos % size == 0:
            count = nanos // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{nanos} nanosecond{'' if nanos == 1 else 's'}"


def _step_words(nanos: int) -> str:
    named = {
        _NANOS_PER["day"]: "daily",
        7 * _NANOS_PER["day"]: "weekly",
        _NANOS_PER["hour"]: "hourly",
        _NANOS_PER["hour"] // 2: "half-hourly",
        _NANOS_PER["minute"]: "minutely",
    }
    return named.get(nanos, f"every {_duration(nanos)}")


def _month_steps(index: pd.DatetimeIndex) -> np.ndarray | None:
    """Steps in months when every time sits at the same place of its month (the same day,
    or the month's last day, at midnight); ``None`` otherwise."""
    if not (index == index.normalize()).all():
        return None
    same_day = index.day.nunique() == 1 and index.day[0] <= 28
    if not (same_day or index.is_month_end.all()):
        return None
    months = np.asarray(index.year * 12 + index.month, dtype=np.int64)
    return np.diff(months)


def _regular_step(steps: np.ndarray) -> int | None:
    """The regular step of a series with gaps: every step a multiple of the most common
    one, which makes at least half of them; ``None`` otherwise."""
    values, counts = np.unique(steps, return_counts=True)
    step = int(values[counts.argmax()])
    regular = step > 0 and counts.max() >= _REGULAR_SHARE * len(steps)
    if not regular or np.any(steps % step) or int(np.gcd.reduce(steps)) != step:
        return None
    return step


def _irregular(column: str, index: pd.DatetimeIndex, steps) -> InvalidInputError:
    distinct = np.unique(steps)
    shown = f"from {_duration(int(distinct[0]))} to {_duration(int(distinct[-1]))}"
    if np.median(steps) < _NANOS_PER["minute"]:  # a sensor's log: no calendar cycle anyway
        fix = (
            "Steps under a minute have no calendar season: pass --season 1 (season=1 in "
            "Python), or the steps of a cycle you know; or resample the series to a "
            "regular frequency."
        )
    else:
        fix = (
            "Pass the season explicitly (e.g. --season 12, or season=12 in Python, for "
            "monthly data), or resample the series to a regular frequency."
        )
    return InvalidInputError(
        column,
        expected="a time column with a regular frequency (e.g. monthly, daily, hourly) to "
        "read a season from",
        received=f"a time column with no regular frequency: {len(index)} times, steps "
        f"{shown} ({len(distinct)} different)",
        fix=fix,
    )


def season_from_times(times, *, column: str | None = None) -> tuple[int, str]:
    """The season of a series from its time column's frequency, and why.

    Args:
        times: the times of one series, or of a whole panel (repeated times count once;
            order does not matter): a pandas ``Series`` or ``Index`` of datetimes (or
            periods), or anything ``pandas.DatetimeIndex`` accepts.
        column: the column's name for messages; by default the series' own name.

    Returns:
        ``(season, reason)``: the season in steps (1 for none) and a sentence saying
        which frequency it came from.

    Raises:
        InvalidInputError: times with no regular frequency, or missing times.
        InvalidTypeError: numbers (step numbers have no calendar) or non-dates.

    Example:
        >>> import pandas as pd
        >>> season_from_times(pd.date_range("2020-01-01", periods=100, freq="h"))[0]
        24
        >>> days = pd.Series(pd.date_range("2021-01-04", periods=30, freq="D"), name="day")
        >>> print(season_from_times(days.drop([3, 4, 10]))[1])
        the time column 'day' is daily with gaps (3 missing steps): season 7, a week
    """
    column = _column_name(times, column)
    index = _as_datetimes(times, column)
    subject = "the times are" if column == "times" else f"the time column {column!r} is"
    calendar = _frequency(index, column)
    return (
        calendar.season,
        f"{subject} {calendar.words} {calendar.detail}: {calendar.season_words}",
    )


def frequency_words(times, *, column: str | None = None) -> str:
    """The calendar frequency of a time column in words, as ``season_from_times`` reads
    it (gaps allowed; the same errors).

    Example:
        >>> import pandas as pd
        >>> frequency_words(pd.date_range("1991-07-01", periods=30, freq="MS"))
        'monthly'
        >>> frequency_words(pd.date_range("2000-06-05", periods=96, freq="30min"))
        'half-hourly'
    """
    column = _column_name(times, column)
    return _frequency(_as_datetimes(times, column), column).words


class _Calendar(NamedTuple):
    """What the times of a series say about their calendar."""

    season: int
    words: str  # "monthly", "half-hourly", "every 2 days"
    detail: str  # the pandas frequency code, or the count of missing steps
    season_words: str
    step: pd.DateOffset  # one step of the calendar: last time + k * step is k steps on


def _frequency(index: pd.DatetimeIndex, column: str) -> _Calendar:
    """The calendar of sorted distinct times (``_Calendar``); an error for fewer than 3
    or no regular step."""
    if len(index) < 3:
        raise InvalidInputError(
            column,
            expected="at least 3 distinct times to read a frequency from",
            received=f"{len(index)} distinct time(s)",
            fix="Pass the season explicitly, or a longer series.",
        )
    offset = _infer_offset(index)
    if offset is not None:
        season, season_words, frequency_words, code = _season_of_offset(offset)
        return _Calendar(season, frequency_words, f"(frequency {code!r})", season_words, offset)

    month_steps = _month_steps(index)
    step = None if month_steps is None else _regular_step(month_steps)
    if step is not None:
        missing = int((month_steps // step - 1).sum())
        season, season_words = _season_of_months(step)
        words = "monthly" if step == 1 else f"every {step} months"
        if step == 3:
            words = "quarterly"
        month_ends = bool(index.is_month_end.all()) and not bool(index.is_month_start.all())
        offset = pd.offsets.MonthEnd(step) if month_ends else pd.DateOffset(months=step)
        gaps = f"with gaps ({missing} missing steps)"
        return _Calendar(season, words, gaps, season_words, offset)

    # steps in nanoseconds, whatever the index's resolution (pandas 3 often uses "us")
    to_nanos = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[index.unit]
    steps = np.diff(index.asi8) * to_nanos
    step = _regular_step(steps)
    if step is None:
        raise _irregular(column, index, steps)
    gaps = f"with gaps ({int((steps // step - 1).sum())} missing steps)"
    if step == _NANOS_PER["day"] and (index.day_of_week < 5).all() and len(index) > 5:
        days = index.values.astype("datetime64[D]")  # weekends are no missing steps
        missing = int((np.busday_count(days[:-1], days[1:]) - 1).sum())
        gaps = f"with gaps ({missing} missing steps)"
        business = pd.offsets.BDay()
        return _Calendar(5, "on business days", gaps, "season 5, a business week", business)
    season, season_words = _season_of_step(step)
    offset = to_offset(pd.Timedelta(int(step), unit="ns"))
    return _Calendar(season, _step_words(step), gaps, season_words, offset)


def next_times(times, steps: int) -> list:
    """The ``steps`` times after the last of ``times``, at the calendar frequency that
    ``season_from_times`` reads: months stay months (not 31 days) and business days skip
    weekends. Step numbers (and times with no regular step) go on by their most common
    difference.

    Example:
        >>> import pandas as pd
        >>> months = pd.date_range("2008-01-01", "2008-06-01", freq="MS")
        >>> [str(time.date()) for time in next_times(months, 2)]
        ['2008-07-01', '2008-08-01']
        >>> [int(step) for step in next_times(pd.Series([3, 5, 7]), 2)]
        [9, 11]
    """
    series = pd.Series(times).reset_index(drop=True)
    try:
        index = _as_datetimes(series, "times")
        step = _frequency(index, "times").step
        last = index[-1]
    except (InvalidInputError, InvalidTypeError):
        ordered = series.sort_values()
        last = ordered.iloc[-1]
        step = ordered.diff().iloc[1:].mode().iloc[0] if len(ordered) > 1 else 1
        if pd.api.types.is_integer_dtype(ordered):  # years stay 1971, not 1971.0
            step = int(step)
    return [last + step * (ahead + 1) for ahead in range(steps)]


def missing_steps(times) -> tuple[str, np.ndarray] | None:
    """Where the times of one series (in order) skip steps of their calendar.

    Returns:
        ``(frequency words, positions)``: the positions of the times followed by missing
        steps; ``None`` for times with no calendar (numbers, fewer than 3 distinct times,
        no regular step).

    Example:
        >>> import pandas as pd
        >>> weekdays = pd.Series(pd.bdate_range("2024-01-01", "2024-01-31"))
        >>> missing_steps(weekdays)[1].tolist()  # weekends are no gap on business days
        []
        >>> missing_steps(weekdays.drop([3]).reset_index(drop=True))
        ('on business days', array([2]))
    """
    try:
        calendar = _frequency(_as_datetimes(times, "times"), "times")
        ordered = pd.DatetimeIndex(times)  # in the series' order
    except (InvalidInputError, InvalidTypeError, TypeError, ValueError):
        return None
    with warnings.catch_warnings():  # offsets without a vectorised form apply one by one
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        expected = ordered[:-1] + calendar.step
    return calendar.words, np.flatnonzero(expected != ordered[1:])


def longest_step(times) -> pd.Timedelta | None:
    """The longest single step of the calendar of ``times`` over their span: 31 days for
    monthly times, 3 days on business days (Friday to Monday), the step itself for fixed
    steps; ``None`` for times with no calendar. A step longer than it misses steps.

    Example:
        >>> import pandas as pd
        >>> longest_step(pd.date_range("2020-01-01", periods=24, freq="MS")).days
        31
        >>> longest_step(pd.bdate_range("2024-01-01", periods=20)).days
        3
    """
    try:
        index = _as_datetimes(times, "times")
        calendar = _frequency(index, "times")
    except (InvalidInputError, InvalidTypeError):
        return None
    with warnings.catch_warnings():  # offsets without a vectorised form apply one by one
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        return ((index[:-1] + calendar.step) - index[:-1]).max()
