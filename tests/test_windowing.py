"""Windowing: counts, boundaries, no window across series, views, constant memory, splits."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from seqshape import InvalidInputError
from seqshape.windowing import (
    panel_windows,
    rolling_origin,
    sliding_windows,
    split_by_time,
    window_count,
)


@pytest.mark.parametrize(
    ("length", "input_steps", "output_steps", "stride", "gap"),
    [(100, 40, 10, 1, 0), (100, 40, 10, 3, 0), (100, 40, 10, 1, 5), (50, 40, 10, 1, 0)],
)
def test_windows_match_a_plain_loop(length, input_steps, output_steps, stride, gap):
    series = np.arange(length * 3, dtype=float).reshape(length, 3)
    X, y = sliding_windows(
        series,
        input_steps,
        output_steps,
        stride=stride,
        gap=gap,
        input_columns=[0, 2],
        target_columns=[1],
    )
    expected_X, expected_y = [], []
    start = 0
    while start + input_steps + gap + output_steps <= length:
        expected_X.append(series[start : start + input_steps][:, [0, 2]])
        first = start + input_steps + gap
        expected_y.append(series[first : first + output_steps][:, [1]])
        start += stride
    assert (
        len(X) == len(expected_X) == window_count(length, input_steps, output_steps, stride, gap)
    )
    np.testing.assert_array_equal(X, np.array(expected_X))
    np.testing.assert_array_equal(y, np.array(expected_y))


def test_windows_are_views_of_the_series():
    series = np.random.default_rng(0).normal(size=(1000, 2))
    X, y = sliding_windows(series, 40, 10)
    assert np.shares_memory(X, series) and np.shares_memory(y, series)
    assert not X.flags.writeable  # nobody can write through them into the user's data


def _peak_bytes(series, input_steps):
    tracemalloc.start()
    X, _ = sliding_windows(series, input_steps, 10)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert X.shape == (len(series) - input_steps - 9, input_steps, 1)
    return peak


def test_ten_million_steps_window_in_constant_memory():
    series = np.zeros((10_000_000, 1))
    short, long = _peak_bytes(series, 40), _peak_bytes(series, 400)
    # materialised, 40-step windows alone would take 3.2 GB (40x the series); the only
    # allocation is the one-byte-per-value finiteness check, whatever the window length
    assert short < series.nbytes / 4
    assert long < series.nbytes / 4
    assert abs(long - short) < 100_000


def test_panel_windows_never_cross_series():
    first = np.zeros((30, 1))
    second = np.ones((25, 1))
    windows = panel_windows([first, second], 10, 5, ids=["a", "b"])
    assert len(windows) == window_count(30, 10, 5, 1, 0) + window_count(25, 10, 5, 1, 0)
    for inputs, targets, series in zip(windows.X, windows.y, windows.series, strict=True):
        expected = 0.0 if series == "a" else 1.0
        assert (inputs == expected).all() and (targets == expected).all()


def test_short_series_are_skipped_and_all_short_is_an_error():
    windows = panel_windows([np.zeros(5), np.zeros(20)], 10, 2, ids=[1, 2])
    assert set(windows.series.tolist()) == {2}
    with pytest.raises(InvalidInputError, match="at least one series of"):
        panel_windows([np.zeros(5)], 10, 2)
    with pytest.raises(InvalidInputError, match="at least input_steps"):
        sliding_windows(np.zeros(5), 10, 2)


def test_split_by_time_has_no_target_in_two_parts():
    windows = panel_windows([np.arange(200.0)[:, None]], 20, 5)
    train, validation, test = split_by_time(
        windows, {0: 200}, validation_fraction=0.2, test_fraction=0.2, output_steps=5
    )

    def target_steps(part):
        return {int(step) for values in part.y[:, :, 0] for step in values}

    assert not target_steps(train) & target_steps(validation)
    assert not target_steps(validation) & target_steps(test)
    assert max(target_steps(train)) < min(target_steps(validation))
    assert max(target_steps(validation)) < min(target_steps(test))
    assert np.shares_memory(train.X, windows.X)  # one series: the split keeps views


def test_rolling_origin_trains_only_on_the_past():
    windows = panel_windows([np.arange(300.0)], 20, 5)
    folds = list(rolling_origin(windows, 3, 5))
    assert len(folds) == 3
    for train, test in folds:
        last_train_target = (windows.target_start[train] + 5).max()
        assert last_train_target <= windows.target_start[test].min()
    assert len(folds[0][0]) < len(folds[1][0]) < len(folds[2][0])


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"input_steps": 0}, "input_steps"),
        ({"stride": 0}, "stride"),
        ({"gap": -1}, "gap"),
        ({"target_columns": [5]}, "target_columns"),
    ],
)
def test_bad_window_arguments(arguments, name):
    values = {"input_steps": 5, "output_steps": 2, **arguments}
    with pytest.raises(InvalidInputError, match=f"`{name}`"):
        sliding_windows(np.zeros((50, 2)), **values)


def _fit_peak_bytes(steps: int):
    from seqshape import SequenceModel

    t = np.arange(steps)
    series = np.sin(2 * np.pi * t / 25)[:, None] + 0.01 * np.cos(t)[:, None]
    X, y = sliding_windows(series, 40, 10)
    model = SequenceModel(units=(4,), epochs=1, batch_size=4096, strategy="dense_head")
    tracemalloc.start()
    model.fit(X, y)
    predicted = model.predict(X[-5000:])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    last_value = np.abs(X[-5000:, -1:, :] - y[-5000:]).mean()
    assert np.abs(predicted - y[-5000:]).mean() < last_value  # it learned something
    return peak, X.size * 4  # the bytes one scaled float32 copy of the windows would take


def test_fit_on_a_view_of_many_windows_streams_in_constant_memory(monkeypatch):
    import seqshape.training

    monkeypatch.setattr(seqshape.training, "STREAM_BYTES", 1 << 20)
    small_peak, small_copy = _fit_peak_bytes(200_000)
    large_peak, large_copy = _fit_peak_bytes(1_000_000)
    # A copy of the windows costs 160 bytes per window (40 float32 steps); streaming
    # costs the shuffle order's 8-byte index per window, whatever the window length
    # (the bound leaves room for the batches Keras prepares ahead, which vary by run).
    added_windows = (large_copy - small_copy) / (40 * 4)
    assert (large_peak - small_peak) / added_windows < 40, (small_peak, large_peak)
    assert large_peak < large_copy / 4, (large_peak, large_copy)
