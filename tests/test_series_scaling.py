"""normalization="series": each series of a panel standardised on its own (issue 9)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import seqshape
from seqshape.errors import InvalidInputError
from seqshape.runs import ForecastJob, evaluate_forecast, fit_forecast, predict_forecast
from seqshape.windowing import sliding_windows

LEVELS = {"small": 2.0, "middle": 200.0, "large": 20000.0}


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(160)
    frames = []
    for name, level in LEVELS.items():
        season = np.sin(2 * np.pi * t / 12)
        values = level * (1 + 0.3 * season + 0.02 * rng.normal(size=t.shape))
        frames.append(pd.DataFrame({"shop": name, "t": t, "sales": values}))
    return pd.concat(frames, ignore_index=True)


JOB = ForecastJob(
    targets=("sales",), input_steps=24, output_steps=6, time_column="t", id_column="shop"
)


@pytest.fixture(scope="module")
def series_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "series"
    model = seqshape.SequenceModel(
        units=(16,), epochs=60, normalization="series", random_state=0, verbose=0
    )
    metrics = fit_forecast(_panel(), JOB, model, out)
    return out, metrics


def test_each_series_is_scaled_by_its_own_training_part(series_run):
    out, metrics = series_run
    assert metrics["normalization"]["method"] == "series"
    assert "its own training part" in metrics["normalization"]["reason"]
    scales = json.loads((out / "job.json").read_text())["extra"]["series_scales"]
    assert scales["ids"] == list(LEVELS)
    location = np.asarray(scales["location"])[:, 0]
    np.testing.assert_allclose(location, list(LEVELS.values()), rtol=0.05)
    saved = seqshape.load(out / "model.seqshape")
    assert saved.spec_.normalization == "global"  # what is left after the series' own


def test_series_scaling_learns_every_level(series_run):
    _, metrics = series_run
    scores = metrics["test"]
    # every series in its own units: the model beats the mean of the windows by far
    assert scores["seqshape"]["sMAPE"] < 0.5 * scores["mean"]["sMAPE"]
    assert scores["seqshape"]["sMAPE"] < 10


def test_predict_and_evaluate_put_forecasts_back_in_each_series_units(series_run):
    out, _ = series_run
    frame = _panel()
    forecasts = predict_forecast(out, frame)
    for name, level in LEVELS.items():
        mine = forecasts.loc[forecasts["shop"] == name, "sales"].to_numpy()
        assert len(mine) == 6
        assert np.all(np.abs(mine / level - 1) < 0.5)
    # a series the fit never saw is scaled by the history given for it
    new = frame[frame["shop"] == "middle"].assign(shop="new", sales=lambda f: f["sales"] * 3)
    forecasts = predict_forecast(out, new)
    assert np.all(np.abs(forecasts["sales"].to_numpy() / 600.0 - 1) < 0.5)
    scores = evaluate_forecast(out, frame, include_seen=True)["scores"]
    assert scores["seqshape"]["MAE"] < scores["last value"]["MAE"]


def test_series_needs_the_table_workflow():
    X, y = sliding_windows(np.arange(100.0)[:, None], 10, 2)
    with pytest.raises(InvalidInputError, match="table workflow"):
        seqshape.SequenceModel(normalization="series", epochs=1).fit(X, y)


def test_a_pandas_series_as_x_says_how_to_window_it():
    series = pd.Series(np.sin(np.arange(60) / 5.0))
    frame = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=60), "v": series})
    for X in (series, frame):
        with pytest.raises(InvalidInputError, match=r"sliding_windows\(series.to_numpy\(\)"):
            seqshape.SequenceModel(epochs=1, units=(2,), verbose=0).fit(X, series)
