"""The season from the calendar first, autocorrelation without one, never more than the
history supports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.seasons import choose_season, season_from_times


@pytest.mark.parametrize(
    ("frequency", "season", "words"),
    [
        ("MS", 12, "monthly"),
        ("ME", 12, "monthly"),
        ("QS", 4, "quarterly"),
        ("QE-DEC", 4, "quarterly"),
        ("2MS", 6, "every 2 months"),
        ("YS", 1, "yearly"),
        ("W", 52, "weekly"),
        ("W-MON", 52, "weekly"),
        ("D", 7, "daily"),
        ("B", 5, "business days"),
        ("h", 24, "hourly"),
        ("30min", 48, "half-hourly"),
        ("15min", 96, "every 15 minutes"),
        ("min", 1440, "minutely"),
        ("2D", 1, "no calendar cycle"),
        ("7h", 1, "no calendar cycle"),
        ("s", 1, "no calendar cycle"),
    ],
)
def test_season_from_the_frequency(frequency, season, words):
    times = pd.date_range("2019-12-30", periods=40, freq=frequency)
    found, reason = season_from_times(times)
    assert found == season
    assert words in reason and f"season {season}" in reason


def test_a_named_series_in_any_order_and_a_panel_of_repeated_times():
    months = pd.Series(pd.date_range("2010-01-31", periods=30, freq="ME"), name="month")
    season, reason = season_from_times(months.sample(frac=1.0, random_state=0))
    assert season == 12 and "the time column 'month' is monthly" in reason
    panel = pd.concat([months, months.iloc[5:]])  # two series sharing the calendar
    assert season_from_times(panel)[0] == 12
    periods = pd.period_range("2001Q1", periods=12, freq="Q")
    assert season_from_times(periods)[0] == 4
    assert (
        season_from_times([str(day.date()) for day in pd.date_range("2020-01-01", periods=9)])[0]
        == 7
    )


def test_gaps_keep_the_regular_frequency():
    days = pd.Series(pd.date_range("2021-03-01", periods=60, freq="D"), name="day")
    season, reason = season_from_times(days.drop([3, 17, 18, 40]))
    assert season == 7 and "daily with gaps (4 missing steps)" in reason
    months = pd.date_range("2000-01-01", periods=48, freq="MS").delete([5, 6, 30])
    season, reason = season_from_times(months)
    assert season == 12 and "monthly with gaps (3 missing steps)" in reason
    hours = pd.date_range("2022-01-01", periods=100, freq="h").delete([10, 50])
    assert season_from_times(hours)[0] == 24
    # business days with holidays missing: still a five-day week
    business = pd.bdate_range("2022-01-03", periods=80).delete([12, 33])
    assert season_from_times(business)[0] == 5


def test_time_zones_across_a_daylight_saving_change():
    hours = pd.date_range("2021-03-26", periods=24 * 6, freq="h", tz="Europe/Paris")
    assert season_from_times(hours)[0] == 24


def test_irregular_times_are_a_clear_error():
    offsets = np.cumsum(np.random.default_rng(0).uniform(0.2, 3.0, 50))
    times = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(offsets, unit="D"), name="ts")
    with pytest.raises(InvalidInputError) as caught:
        season_from_times(times)
    message = str(caught.value)
    assert caught.value.argument == "ts"
    assert "a time column with no regular frequency" in message
    assert "Pass the season explicitly" in message
    # a choice that asks the calendar for a season gets the same error
    with pytest.raises(InvalidInputError, match="no regular frequency"):
        choose_season([50], times=times)


def test_steps_under_a_second_are_named_in_their_unit():
    """64 samples a second, the times rounded to the millisecond as sensor logs keep
    them: steps of 15 and 16 ms, and the error says so (it said "0 days 00:00:00")."""
    ticks = pd.to_timedelta(np.round(np.arange(200) * 1000 / 64), unit="ms")
    with pytest.raises(InvalidInputError) as caught:
        season_from_times(pd.Timestamp("2020-01-01") + ticks)
    assert "steps from 15 milliseconds to 16 milliseconds (2 different)" in str(caught.value)
    assert "Steps under a minute have no calendar season: pass --season 1" in str(caught.value)
    every_250_ms = pd.date_range("2020-01-01", periods=30, freq="250ms")
    assert season_from_times(every_250_ms)[1].endswith(
        "season 1: steps of 250 milliseconds have no calendar cycle"
    )


@pytest.mark.parametrize(
    ("times", "error", "pattern"),
    [
        (np.arange(30), InvalidTypeError, "no calendar"),
        (["a", "b", "c"], InvalidTypeError, "not dates"),
        (
            pd.DatetimeIndex(["2020-01-01", None, "2020-01-03", "2020-01-04"]),
            InvalidInputError,
            "NaT",
        ),
        (pd.date_range("2020-01-01", periods=2, freq="D"), InvalidInputError, "at least 3"),
    ],
)
def test_times_without_a_calendar_are_named(times, error, pattern):
    with pytest.raises(error, match=pattern):
        season_from_times(times)


def _seasonal(steps: int, season: int, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 0.2, steps)
    return np.sin(2 * np.pi * np.arange(steps) / season) + noise


def test_the_calendar_comes_before_autocorrelation():
    times = pd.date_range("2000-01-01", periods=120, freq="MS")
    season, source = choose_season([120], times=times, values=_seasonal(120, 5))
    assert season == 12 and "monthly" in source


def test_a_history_too_short_for_two_seasons_gives_1():
    times = pd.date_range("2000-01-01", periods=60, freq="MS")
    season, source = choose_season([60, 23, 40], times=times)
    assert season == 1
    assert "monthly" in source and "23 steps, fewer than two full seasons (24)" in source
    assert choose_season([24, 30], times=times)[0] == 12
    # nor a season longer than the input window, and it says which window would do
    season, source = choose_season(60, times=times, max_lag=10)
    assert season == 1 and "longer than the input window (10 steps): season 1" in source
    assert "Input windows of 12 steps or more (--input-steps" in source


def test_autocorrelation_only_without_a_calendar():
    values = _seasonal(200, 7)
    season, source = choose_season(200, values=values)
    assert season == 7 and source.startswith("autocorrelation")
    season, source = choose_season(200, times=np.arange(200), values=values)
    assert season == 7 and source.startswith("numeric time column (no calendar)")
    # a panel: the most common peak over its series, within the shortest series' half
    panel = [_seasonal(length, 7, seed) for seed, length in enumerate((90, 150, 60))]
    assert choose_season([90, 150, 60], values=panel)[0] == 7
    # a season the shortest series cannot hold twice is never picked
    season, source = choose_season([200, 12], values=values)
    assert season == 1 and "lag 6" in source


def test_nothing_to_read_a_season_from_gives_1():
    season, source = choose_season(100)
    assert season == 1 and "no values" in source
    assert choose_season(3, values=np.arange(3.0))[0] == 1
    white_noise = np.random.default_rng(0).normal(size=300)
    assert choose_season(300, values=white_noise)[0] == 1


@pytest.mark.parametrize("lengths", [0, [], [10, -1], "10", [2.5]])
def test_bad_series_lengths(lengths):
    with pytest.raises(InvalidInputError, match="series_lengths"):
        choose_season(lengths)


def test_next_times_follow_the_calendar():
    from seqshape.calendar import next_times

    def dates(times):
        return [str(time.date()) for time in times]

    months = pd.date_range("2008-01-01", "2008-06-01", freq="MS")
    assert dates(next_times(months, 3)) == ["2008-07-01", "2008-08-01", "2008-09-01"]
    month_ends = pd.Series(pd.date_range("2019-01-31", periods=14, freq="ME")).drop([4, 5])
    assert dates(next_times(month_ends, 2)) == ["2020-03-31", "2020-04-30"]  # with gaps
    quarters = pd.date_range("2000-01-01", periods=8, freq="QS")
    assert dates(next_times(quarters, 1)) == ["2002-01-01"]
    business = pd.bdate_range("2024-01-01", "2024-01-12")  # two weeks, Monday to Friday
    assert dates(next_times(business, 2)) == ["2024-01-15", "2024-01-16"]
    half_hours = pd.date_range("2000-06-05", periods=10, freq="30min")
    assert next_times(half_hours, 1) == [half_hours[-1] + pd.Timedelta(minutes=30)]
    assert [int(step) for step in next_times(pd.Series([10, 20, 30]), 2)] == [40, 50]
    years = next_times(pd.Series([1869, 1870]), 1)  # statsmodels' nile.csv: were 1871.0
    assert pd.Series(years).to_csv(index=False).split() == ["0", "1871"]
    assert next_times(pd.Series([0.5, 1.0]), 1) == [1.5]


def test_business_days_with_a_holiday_miss_one_step_not_the_weekends():
    days = pd.Series(pd.bdate_range("2024-01-01", periods=60)).drop([10])
    season, reason = season_from_times(days)
    assert season == 5
    assert "on business days with gaps (1 missing steps)" in reason
