"""The job on files, end to end through the command line: fit, predict, evaluate, report."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import seqshape
from seqshape import SequenceModel, build_model, report, spec_from_shapes
from seqshape.baselines import LastValueBaseline
from seqshape.cli import main
from seqshape.metrics import mase
from seqshape.report import text_table
from seqshape.runs import ForecastJob, fit_forecast, predict_forecast, read_job
from seqshape.runs.guard import guard, guard_line
from seqshape.windowing import panel_windows, split_by_time

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _forecast_frame(steps: int = 700) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(steps)
    load = 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.2, steps)
    temperature = 20 + 5 * np.sin(2 * np.pi * (t - 3) / 24) + rng.normal(0, 0.2, steps)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=steps, freq="h"),
            "load": load,
            "temperature": temperature,
            "weekend": ((t // 24) % 7 >= 5).astype(int),
        }
    )


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    data = folder / "data.parquet"
    _forecast_frame().to_parquet(data)
    out = folder / "run"
    status = main(
        [
            "fit",
            str(data),
            "--target",
            "load,temperature",
            "--covariates",
            "weekend",
            "--time-column",
            "ts",
            "--input-steps",
            "48",
            "--output-steps",
            "12",
            "--stride",
            "2",
            "--epochs",
            "40",
            "--units",
            "16",
            "--verbose",
            "0",
            "--backtest-folds",
            "2",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    return data, out


def test_fit_writes_a_complete_run_folder(forecast_run):
    _, out = forecast_run
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "baselines.npz",
        "figures",
        "job.json",
        "metrics.json",
        "model.seqshape",
        "report.html",
        "report.md",
    ]
    for figure in ("loss", "forecasts", "error_by_step", "comparison"):
        assert (out / "figures" / f"{figure}.png").read_bytes().startswith(PNG_SIGNATURE)
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "<table>" in page
    assert page.index("beats") < page.index("<h2>")  # the verdict before any section
    assert "![forecasts](figures/forecasts.png)" in (out / "report.md").read_text()


def test_metrics_show_the_model_beating_its_baselines(forecast_run):
    _, out = forecast_run
    metrics = json.loads((out / "metrics.json").read_text())
    scores = metrics["test"]
    assert set(scores) == {"seqshape", "last value", "seasonal naive", "drift", "mean", "ridge"}
    assert metrics["season"] == 24
    assert scores["seqshape"]["MAE"] < 0.5 * scores["last value"]["MAE"]
    assert scores["seqshape"]["MASE"] < scores["last value"]["MASE"]
    assert len(metrics["error_by_step"]["seqshape"]) == 12
    assert set(metrics["error_by_target"]["seqshape"]) == {"load", "temperature"}
    assert [fold["fold"] for fold in metrics["backtest"]] == [1, 2]


def test_predict_continues_the_series(forecast_run, tmp_path, capsys):
    data, out = forecast_run
    forecasts = tmp_path / "forecasts.csv"
    assert main(["predict", str(out), str(data), "--out", str(forecasts)]) == 0
    frame = pd.read_csv(forecasts, parse_dates=["ts"])
    assert list(frame.columns) == ["step_ahead", "ts", "load", "temperature"]
    assert frame["step_ahead"].tolist() == list(range(1, 13))
    assert frame["ts"].iloc[0] == _forecast_frame()["ts"].iloc[-1] + pd.Timedelta(hours=1)
    assert frame["load"].between(5, 15).all()


def test_evaluate_scores_new_data(forecast_run, tmp_path, capsys):
    _, out = forecast_run
    csv = tmp_path / "new.csv"
    _forecast_frame(900).to_csv(csv, index=False)  # the 700 hours fitted on, and 200 new
    assert main(["evaluate", str(out), str(csv), "--json"]) == 0
    printed = capsys.readouterr().out
    result = json.loads(printed[printed.index("{") :])
    assert "700 of 900 rows are data the fit saw" in result["scored"]
    assert result["windows"] < 100
    assert result["scores"]["seqshape"]["MAE"] < result["scores"]["last value"]["MAE"]
    assert {"mean", "ridge"} <= set(result["scores"]) and "MASE" in result["scores"]["mean"]


def test_a_damaged_baselines_file_is_a_clear_error(forecast_run, tmp_path, capsys):
    _, out = forecast_run
    copy, csv = tmp_path / "run", tmp_path / "new.csv"
    shutil.copytree(out, copy)
    _forecast_frame(900).to_csv(csv, index=False)
    with np.load(copy / "baselines.npz") as saved:
        kept = {key: saved[key] for key in saved.files if key != "ridge/coef"}
    np.savez(copy / "baselines.npz", **kept)
    assert main(["evaluate", str(copy), str(csv)]) == 2
    err = capsys.readouterr().err
    assert "baselines.npz" in err and "Fit the run again" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("written", "season", "forecast_times"),
    [
        (  # R's zoo and tsibble, fpp's Uschange.csv
            lambda step: f"{1970 + step // 4} Q{step % 4 + 1}",
            4,
            ["2000 Q1", "2000 Q2", "2000 Q3", "2000 Q4"],
        ),
        (  # statsmodels' co2.csv and many exports: days as numbers
            lambda step: int(
                (pd.Timestamp("2020-01-01") + pd.Timedelta(days=step)).strftime("%Y%m%d")
            ),
            7,
            [20200430, 20200501, 20200502, 20200503],
        ),
    ],
    ids=["quarters", "yyyymmdd"],
)
def test_times_in_are_times_out(tmp_path, written, season, forecast_times):
    """A time column written '1970 Q1' or 19580329 is read as dates (season from the
    calendar: 4 for quarters, 7 for days), and the forecasts' times are written the same
    way."""
    t = np.arange(120)
    value = (
        10
        + 0.05 * t
        + np.sin(2 * np.pi * t / season)
        + np.random.default_rng(0).normal(0, 0.1, 120)
    )
    data = tmp_path / "series.csv"
    pd.DataFrame({"when": [written(step) for step in t], "value": value}).to_csv(data, index=False)
    fit = ["fit", str(data), "--target", "value", "--time-column", "when"]
    fit += ["--input-steps", "8", "--output-steps", "4", "--epochs", "2", "--verbose", "0"]
    assert main([*fit, "--out", str(tmp_path / "run")]) == 0
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["season"] == season
    forecasts = tmp_path / "forecasts.csv"
    assert main(["predict", str(tmp_path / "run"), str(data), "--out", str(forecasts)]) == 0
    assert pd.read_csv(forecasts)["when"].tolist() == forecast_times


def _classification_frame(series: int = 160) -> pd.DataFrame:
    """Cases of different lengths; the label is whether the signal oscillates fast."""
    rng = np.random.default_rng(1)
    rows = []
    for case in range(series):
        fast = case % 2
        length = int(rng.integers(20, 41))
        t = np.arange(length)
        signal = np.sin((1.2 if fast else 0.25) * t + rng.uniform(0, 6)) + rng.normal(
            0, 0.1, length
        )
        rows += [
            {"case": f"c{case}", "t": step, "x": value, "motion": "fast" if fast else "slow"}
            for step, value in zip(t, signal, strict=True)
        ]
    return pd.DataFrame(rows)


def test_classification_of_whole_series_through_the_cli(tmp_path, capsys):
    data = tmp_path / "cases.csv"
    _classification_frame().to_csv(data, index=False)
    out = tmp_path / "run"
    assert (
        main(
            [
                "fit",
                str(data),
                "--target",
                "x",
                "--id-column",
                "case",
                "--time-column",
                "t",
                "--label-column",
                "motion",
                "--epochs",
                "40",
                "--units",
                "16",
                "--verbose",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == ["fast", "slow"] and metrics["steps"] == 40
    assert metrics["lengths"] == [20, 40]
    assert "2 classes (fast, slow), 20-40 steps, padded to 40 and masked" in (
        (out / "report.md").read_text()
    )
    scores = metrics["test"]
    assert scores["seqshape"]["accuracy"] >= scores["majority class"]["accuracy"] + 0.25
    predictions = tmp_path / "classes.csv"
    assert main(["predict", str(out), str(data), "--out", str(predictions)]) == 0
    frame = pd.read_csv(predictions)
    assert list(frame.columns) == ["case", "motion", "probability_fast", "probability_slow"]
    assert set(frame["motion"]) <= {"fast", "slow"}
    capsys.readouterr()
    assert main(["evaluate", str(out), str(data)]) == 0
    scored, header, row, majority = capsys.readouterr().out.splitlines()
    assert scored == "Scored all 160 series."
    assert header.split() == ["model", "accuracy", "balanced_accuracy", "macro_F1"]
    assert row.split()[0] == "seqshape" and float(row.split()[1]) >= 0.75
    assert majority.startswith("majority class ")


def test_a_file_with_a_series_on_each_row_is_classified_as_the_ucr_archive_writes_it(
    tmp_path, capsys
):
    # the UCR archive's .tsv: no header, the label first, then a column a step; shorter
    # series end in missing values
    frame = _classification_frame(80)
    rows = [
        [1 if case["motion"].iloc[0] == "fast" else 2, *case["x"], *[np.nan] * (40 - len(case))]
        for _, case in frame.groupby("case", sort=False)
    ]
    data = tmp_path / "Motion_TRAIN.tsv"
    pd.DataFrame(rows).to_csv(data, sep="\t", header=False, index=False, na_rep="NaN")
    out = tmp_path / "run"
    quiet = ["--epochs", "40", "--units", "16", "--verbose", "0"]
    assert main(["fit", str(data), "--label-column", "0", *quiet, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "80 series (a row each) of 20-40 steps, padded to 40 and masked" in said
    assert "no header row (the first row is numbers)" in said
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["classes"] == [1, 2] and metrics["lengths"] == [20, 40]
    scores = metrics["test"]
    assert scores["seqshape"]["accuracy"] >= scores["majority class"]["accuracy"] + 0.25
    predictions = tmp_path / "classes.csv"
    assert main(["predict", str(out), str(data), "--out", str(predictions)]) == 0
    predicted = pd.read_csv(predictions)
    assert list(predicted.columns) == ["row", "0", "probability_1", "probability_2"]
    # the same rows without their labels: 40 columns, each a step
    unlabelled = tmp_path / "Motion_TEST.tsv"
    pd.DataFrame([row[1:] for row in rows]).to_csv(
        unlabelled, sep="\t", header=False, index=False, na_rep="NaN"
    )
    assert main(["predict", str(out), str(unlabelled), "--out", str(tmp_path / "c2.csv")]) == 0
    again = pd.read_csv(tmp_path / "c2.csv")
    np.testing.assert_allclose(again["probability_1"], predicted["probability_1"], atol=1e-6)
    # narrower than the fit's steps: the first column holds steps, not the classes 1 and 2
    short = [i for i, row in enumerate(rows) if np.isnan(row[31:]).all()]
    pd.DataFrame([rows[i][1:31] for i in short]).to_csv(
        unlabelled, sep="\t", header=False, index=False, na_rep="NaN"
    )
    assert 0 < len(short) < len(rows)
    assert main(["predict", str(out), str(unlabelled), "--out", str(tmp_path / "c3.csv")]) == 0
    narrow = pd.read_csv(tmp_path / "c3.csv")
    expected = predicted["probability_1"].to_numpy()[short]
    np.testing.assert_allclose(narrow["probability_1"], expected, atol=1e-6)
    # a gap inside a row is not padding; a time column is not for rows
    rows[3][5] = np.nan
    pd.DataFrame(rows).to_csv(data, sep="\t", header=False, index=False, na_rep="NaN")
    capsys.readouterr()
    assert main(["fit", str(data), "--label-column", "0", "--out", str(tmp_path / "r2")]) == 2
    assert "row 3 with a missing value before its last step" in capsys.readouterr().err
    args = ["fit", str(data), "--label-column", "0", "--time-column", "1"]
    assert main([*args, "--out", str(tmp_path / "r3")]) == 2
    assert "no input or time columns" in capsys.readouterr().err


def test_a_second_file_gives_the_test_scores_and_every_series_of_the_first_trains(
    tmp_path, capsys
):
    # the UCR archive's pair of files: _TRAIN to fit on, _TEST to score
    frame = _classification_frame(80)
    rows = [
        [1 if case["motion"].iloc[0] == "fast" else 2, *case["x"], *[np.nan] * (44 - len(case))]
        for _, case in frame.groupby("case", sort=False)
    ]
    train, test = tmp_path / "M_TRAIN.tsv", tmp_path / "M_TEST.tsv"
    pd.DataFrame(rows[:60]).to_csv(train, sep="\t", header=False, index=False, na_rep="NaN")
    pd.DataFrame(rows[60:]).to_csv(test, sep="\t", header=False, index=False, na_rep="NaN")
    args = ["fit", str(train), "--label-column", "0", "--test-data", str(test)]
    quiet = ["--epochs", "30", "--units", "16", "--verbose", "0"]
    assert main([*args, *quiet, "--out", str(tmp_path / "run")]) == 0
    said = capsys.readouterr().out
    assert "Split: all 60 series train; the 20 series of the test data give the test" in said
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["series"] == {"train": 60, "test": 20}
    assert metrics["test"]["seqshape"]["accuracy"] >= metrics["test"]["majority class"]["accuracy"]
    # a class the training file lacks is named; forecasting has no second file
    rows[70][0] = 3
    pd.DataFrame(rows[60:]).to_csv(test, sep="\t", header=False, index=False, na_rep="NaN")
    assert main([*args, *quiet, "--out", str(tmp_path / "r2")]) == 2
    assert "label(s) ['3'] that the training data does not have" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()
    with pytest.raises(SystemExit):
        main(["fit", str(train), "--target", "1", "--test-data", str(test), "--out", "x"])
    assert "--test-data is for classification" in capsys.readouterr().err


def test_classes_of_two_series_each_are_split_keeping_every_class_in_training(tmp_path, capsys):
    # the UCR archive's PigCVP: 52 classes of 2 series; here 12 of 2, numbered labels
    frame = _classification_frame(24)
    frame["motion"] = frame["case"].str[1:].astype(int) // 2 + 1  # classes 1 .. 12
    data = tmp_path / "pairs.csv"
    frame.to_csv(data, index=False)
    args = ["fit", str(data), "--target", "x", "--id-column", "case", "--label-column", "motion"]
    quiet = ["--epochs", "1", "--units", "4", "--verbose", "0"]
    assert main([*args, *quiet, "--out", str(tmp_path / "run")]) == 0
    said = capsys.readouterr().out
    assert "Split: 18 training and 6 test series (random, every class kept in training" in said
    assert "12 classes in 'motion': 1 (2), 2 (2), 3 (2)," in said  # numbers in number order
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["classes"] == list(range(1, 13))


def test_padded_steps_change_nothing():
    rng = np.random.default_rng(0)
    sequences = [rng.normal(size=(int(rng.integers(4, 12)), 2)) for _ in range(120)]
    labels = np.array([int(s[:, 0].sum() > 0) for s in sequences])
    X = keras.utils.pad_sequences(
        sequences, maxlen=12, dtype="float64", padding="post", value=-99.0
    )
    model = SequenceModel(mask_value=-99.0, units=(6,), epochs=3).fit(X, labels)
    for sample in (0, 1, 2):
        unpadded = sequences[sample]
        spec = spec_from_shapes(unpadded.shape, (), task="binary", n_classes=2, mask_value=-99.0)
        same_weights = build_model(spec, seqshape.ArchitectureOptions(units=(6,)))
        same_weights.set_weights(model.model_.get_weights())
        expected = same_weights.predict(model.x_scaler_.transform(unpadded[None]), verbose=0)
        np.testing.assert_allclose(
            model.predict_proba(X[sample : sample + 1])[0, 1], expected[0, 0], rtol=1e-5
        )


@pytest.mark.parametrize(
    ("frame", "arguments", "message"),
    [
        (_forecast_frame(100), ["--target", "power"], "no column(s) ['power']"),
        (
            _forecast_frame(100).assign(weekend="no"),
            ["--target", "load", "--covariates", "weekend"],
            "numeric column",
        ),
        (_forecast_frame(100).assign(load="high"), ["--target", "load"], "2 and 100 classes"),
        (
            _forecast_frame(100).iloc[::-1],
            ["--target", "load", "--time-column", "ts"],
            "sorted by time",
        ),
        (
            _forecast_frame(50).iloc[np.repeat(np.arange(50), 2)],
            ["--target", "load", "--time-column", "ts"],
            "duplicate time",
        ),
        (
            _forecast_frame(30),
            ["--target", "load"],
            "30 steps hold --input-steps 9 --output-steps 4",
        ),
        (_forecast_frame(55), ["--target", "load"], "hold --input-steps 15 --output-steps 8"),
    ],
    ids=[
        "missing_column",
        "text_covariate",
        "one_label",
        "unsorted",
        "duplicates",
        "too_short",
        "too_short_to_split",
    ],
)
def test_bad_files_fail_clearly_and_leave_no_run_folder(
    frame, arguments, message, tmp_path, capsys
):
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    status = main(
        ["fit", str(data), *arguments, "--epochs", "1", "--verbose", "0", "--out", str(out)]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data.csv"]


def test_the_windows_a_short_series_is_told_to_use_fit_it(tmp_path):
    data = tmp_path / "data.csv"
    _forecast_frame(55).to_csv(data, index=False)
    windows = ["--input-steps", "15", "--output-steps", "8"]  # the error's suggestion
    quiet = ["--epochs", "1", "--verbose", "0", "--out", str(tmp_path / "run")]
    status = main(["fit", str(data), "--target", "load", *windows, *quiet])
    assert status == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["windows"]["train"] == 16


def test_a_panel_of_short_series_holds_out_the_last_horizon_of_each(tmp_path, capsys):
    # 30 yearly series of 14-21 steps, as forecasting competitions' yearly panels: 15% of
    # a series holds no horizon of 4 steps; the last 4 of each series do
    rng = np.random.default_rng(0)
    frames = []
    for number in range(30):
        steps = int(rng.integers(14, 22))
        level = rng.uniform(10, 1000) * np.cumprod(1 + rng.normal(0.05, 0.03, steps))
        frames.append(
            pd.DataFrame({"series": f"s{number}", "year": 1990 + np.arange(steps), "value": level})
        )
    data = tmp_path / "panel.csv"
    pd.concat(frames).to_csv(data, index=False)
    common = [
        "fit",
        str(data),
        "--target",
        "value",
        "--id-column",
        "series",
        "--time-column",
        "year",
        "--input-steps",
        "6",
        "--output-steps",
        "4",
        "--epochs",
        "2",
        "--verbose",
        "0",
    ]
    assert main([*common, "--out", str(tmp_path / "fractions")]) == 2
    assert "--holdout-steps" in capsys.readouterr().err
    assert main([*common, "--holdout-steps", "4", "--out", str(tmp_path / "run")]) == 0
    assert "the last 4 steps of each series for test" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["windows"]["test"] == 30  # one window a series: its last 4 steps
    assert (
        "the last 4 steps of each series for test" in (tmp_path / "run" / "report.md").read_text()
    )
    job, _ = read_job(tmp_path / "run")
    assert job.holdout_steps == 4
    with pytest.raises(seqshape.InvalidInputError, match="holdout_steps"):
        ForecastJob(targets=("value",), holdout_steps=0).check()
    with pytest.raises(seqshape.InvalidInputError, match="Pass --holdout-steps 10"):
        ForecastJob(targets=("value",), holdout_steps=6).check()  # 10 output steps


def test_a_column_of_dates_is_the_time_when_none_is_named(tmp_path, capsys):
    # pandas writes a series' DatetimeIndex as a first column with no name
    frame = _forecast_frame(300).set_index("ts")[["load"]]
    frame.index.name = None
    data = tmp_path / "load.csv"
    frame.to_csv(data)
    quiet = ["--input-steps", "48", "--output-steps", "6", "--epochs", "1", "--verbose", "0"]
    assert main(["fit", str(data), "--target", "load", *quiet, "--out", str(tmp_path / "a")]) == 0
    said = capsys.readouterr().out
    assert "Time: column 'Unnamed: 0' holds dates" in said
    assert "hourly from 2024-01-01 00:00" in said and "Season 24 (the time column" in said
    forecasts = tmp_path / "forecasts.csv"
    assert main(["predict", str(tmp_path / "a"), str(data), "--out", str(forecasts)]) == 0
    assert pd.read_csv(forecasts)["Unnamed: 0"].iloc[0] == "2024-01-13 12:00:00"
    # two columns of dates: neither is guessed, row order is time
    frame.assign(booked=frame.index - pd.Timedelta(days=1)).to_csv(data)
    assert main(["fit", str(data), "--target", "load", *quiet, "--out", str(tmp_path / "b")]) == 0
    assert "row order taken as time" in capsys.readouterr().out


def test_existing_run_folder_is_not_overwritten_silently(forecast_run, capsys):
    data, out = forecast_run
    status = main(["fit", str(data), "--target", "load", "--epochs", "1", "--out", str(out)])
    assert status == 2
    assert "--overwrite" in capsys.readouterr().err


def test_mase_in_runs_is_metrics_mase(forecast_run):
    data, out = forecast_run
    metrics = json.loads((out / "metrics.json").read_text())
    values = pd.read_parquet(data)[["load", "temperature", "weekend"]].to_numpy(np.float64)
    windows = panel_windows([values], 48, 12, stride=2, target_columns=[0, 1])
    train, _, test = split_by_time(windows, {0: len(values)}, output_steps=12)
    predicted = LastValueBaseline(target_features=(0, 1)).fit(train.X, train.y).predict(test.X)
    training = values[: int(len(values) * (1 - 0.15 - 0.15)), :2]
    expected = mase(test.y, predicted, training, season=metrics["season"])
    assert metrics["test"]["last value"]["MASE"] == pytest.approx(expected, rel=1e-12)


def test_the_pipeline_fits_a_clone_and_leaves_the_estimator_unfitted(tmp_path):
    frame = _forecast_frame(300)
    job = ForecastJob(targets=("load",), input_steps=24, output_steps=6, time_column="ts")
    estimator = SequenceModel(units=(4,), epochs=2)
    metrics = fit_forecast(frame, job, estimator, tmp_path / "run")
    assert metrics["epochs"] <= 2
    assert not hasattr(estimator, "model_") and estimator.get_params()["epochs"] == 2
    saved_job, extra = read_job(tmp_path / "run")
    assert saved_job == job
    assert (extra["task"], extra["classes"], extra["seen"][0]["rows"]) == ("regression", [], 300)


def test_a_table_of_many_columns_and_short_windows_gets_no_axes_warning(tmp_path):
    """4 steps of 11 columns would look transposed as arrays; a table's rows are its steps."""
    frame = _forecast_frame(300)
    for extra in range(8):
        frame[f"sensor_{extra}"] = np.sin(np.arange(300) / (extra + 2))
    covariates = ("temperature", "weekend", *(f"sensor_{extra}" for extra in range(8)))
    job = ForecastJob(targets=("load",), covariates=covariates, input_steps=4, output_steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", seqshape.errors.AxesWarning)
        fit_forecast(frame, job, SequenceModel(units=(4,), epochs=1), tmp_path / "run")
    with pytest.warns(seqshape.errors.AxesWarning):  # the same windows as arrays do warn
        X = np.zeros((40, 4, 11))
        SequenceModel(units=(4,), epochs=1).fit(X, np.zeros((40, 2, 1)))


def test_rows_the_fit_saw_are_known_again_without_a_time_column():
    from seqshape.runs.forecasting import _new_from, seen_rows
    from seqshape.tables import read_table

    frame = _forecast_frame(60)[["load"]]
    job = ForecastJob(targets=("load",), input_steps=12, output_steps=3)
    seen = json.loads(json.dumps(seen_rows(read_table(frame, columns=["load"]), job)))
    longer = pd.concat([frame, _forecast_frame(70)[["load"]].iloc[60:]], ignore_index=True)
    table = read_table(longer.copy(), columns=["load"])  # other objects, same values
    assert list(_new_from(table, job, seen).values()) == [60]  # the 10 rows after them
    changed = longer.copy()
    changed.loc[5, "load"] += 1.0
    assert list(_new_from(read_table(changed, columns=["load"]), job, seen).values()) == [0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('["forecast"]', "not a JSON object"),
        ('{"kind": "weather"}', "unknown job kind 'weather'"),
        ('{"kind": "forecast"}', "does not describe a forecast job"),
        ('{"kind": "forecast", "targets": ["load"], "input_steps": 0}', "input_steps"),
    ],
    ids=["not_json", "not_an_object", "unknown_kind", "missing_field", "bad_value"],
)
def test_a_bad_job_file_is_an_invalid_input_error(content, message, tmp_path, capsys):
    (tmp_path / "job.json").write_text(content)
    with pytest.raises(seqshape.InvalidInputError, match=r"job\.json") as raised:
        read_job(tmp_path)
    assert message in str(raised.value)
    data = tmp_path / "data.csv"
    _forecast_frame(100).to_csv(data, index=False)
    assert main(["predict", str(tmp_path), str(data)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_text_table_columns_are_as_wide_as_their_names():
    table = text_table({"seqshape": {"accuracy": 0.9, "balanced_accuracy": 0.85}})
    header, row = table.splitlines()
    assert header.split() == ["model", "accuracy", "balanced_accuracy"]
    assert row.split() == ["seqshape", "0.9000", "0.8500"]
    assert len(header) == len(row)


def test_reports_leave_matplotlibs_backend_and_pyplot_alone():
    script = """
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
import seqshape.report as report
png = report.loss_figure({"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}, 2)
assert png.startswith(b"\\x89PNG")
assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
assert plt.get_fignums() == [], plt.get_fignums()
"""
    subprocess.run([sys.executable, "-c", script], check=True)


def test_report_imports_matplotlib_only_to_draw():
    """The CLI prints tables through seqshape.report: only figures need matplotlib."""
    tree = ast.parse(Path(report.__file__).read_text())
    imported = [
        alias.name if isinstance(node, ast.Import) else node.module
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    ]
    assert imported and not any(name.startswith("matplotlib") for name in imported)


def _monthly_panel(series: int = 3, months: int = 96) -> pd.DataFrame:
    """Monthly series with a yearly cycle, at different levels."""
    rng = np.random.default_rng(3)
    frames = []
    for number in range(series):
        t = np.arange(months)
        level = 10.0 * (number + 1)
        values = level + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, months)
        frames.append(
            pd.DataFrame(
                {
                    "shop": f"s{number}",
                    "month": pd.date_range("2010-01-01", periods=months, freq="MS"),
                    "sales": values,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _tiny_model(**params) -> SequenceModel:
    return SequenceModel(**({"units": (4,), "epochs": 2, "checkpoint_dir": None} | params))


def test_the_season_of_monthly_data_comes_from_the_calendar(tmp_path):
    job = ForecastJob(
        targets=("sales",),
        input_steps=24,
        output_steps=6,
        time_column="month",
        id_column="shop",
        refit="never",
    )
    metrics = fit_forecast(_monthly_panel(), job, _tiny_model(), tmp_path / "run")
    assert metrics["season"] == 12
    assert "monthly" in metrics["season_source"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["season"] == 12
    report_text = (tmp_path / "run" / "report.md").read_text()
    assert "MASE: 12 (the time column 'month' is monthly" in report_text


def test_the_users_season_wins_and_no_season_longer_than_the_history(tmp_path):
    given = ForecastJob(
        targets=("sales",), input_steps=24, output_steps=6, time_column="month", season=6
    )
    frame = _monthly_panel(series=1)
    metrics = fit_forecast(frame, given, _tiny_model(), tmp_path / "given", overwrite=True)
    assert (metrics["season"], metrics["season_source"]) == (
        6,
        "given by the user (--season, or ForecastJob.season)",
    )
    short = ForecastJob(targets=("sales",), input_steps=8, output_steps=2, time_column="month")
    metrics = fit_forecast(frame.iloc[:30], short, _tiny_model(), tmp_path / "short")
    assert metrics["season"] == 1 and "fewer than two full seasons" in metrics["season_source"]


def _noisy_random_walk(steps: int = 500) -> pd.DataFrame:
    """A little noise around a random walk that wanders out of its training range: the
    next step is the last one plus a step nothing predicts, so the model can at best tie
    the last value (on this seed a baseline beats it by 1-3%). With more noise than
    steps a weighted mean of the window's past steps does beat it, and seqshape's
    seasonal weights learn that."""
    rng = np.random.default_rng(5)
    walk = np.cumsum(rng.normal(0.0, 1.0, steps))
    return pd.DataFrame({"price": walk + rng.normal(0, 0.05, steps)})


def _first_line(report_md: Path) -> str:
    """The report's first line, without its Markdown emphasis (``> **...**``)."""
    first = report_md.read_text().splitlines()[0]
    assert first.startswith("> **") and first.endswith("**")
    return first[4:-2]


def test_the_guard_says_when_a_baseline_wins(tmp_path):
    job = ForecastJob(targets=("price",), input_steps=20, output_steps=5, refit="never")
    with pytest.warns(seqshape.errors.BaselineWinsWarning, match="beats the model"):
        metrics = fit_forecast(
            _noisy_random_walk(), job, _tiny_model(units=(2,)), tmp_path / "run"
        )
    guard = metrics["guard"]
    assert guard["metric"] == "MAE" and guard["baseline_wins"] is True
    scores = metrics["test"]
    assert guard["model"] == scores["seqshape"]["MAE"]
    best = min((name for name in scores if name != "seqshape"), key=lambda n: scores[n]["MAE"])
    assert (guard["best_baseline"], guard["best_baseline_score"]) == (best, scores[best]["MAE"])
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["guard"] == guard
    first = _first_line(tmp_path / "run" / "report.md")
    assert first.startswith(f"Warning: the baseline '{best}' beats the model on the test windows")
    assert f"MAE {guard['best_baseline_score']:#.4g} against {guard['model']:#.4g}." in first
    page = (tmp_path / "run" / "report.html").read_text()
    assert page.index("Warning: the baseline") < page.index("<h2>")
    assert '<p class="verdict warning">' in page


def test_targets_in_different_units_are_judged_on_mase(tmp_path):
    """statsmodels' real GDP (billions) beside unemployment (percent): pooled MAE is
    GDP's alone, so the verdict is taken on MASE, each target over its own naive error."""
    rng = np.random.default_rng(0)
    steps = 200
    frame = pd.DataFrame(
        {
            "gdp": 10_000 + np.cumsum(rng.normal(20, 50, steps)),
            "rate": 5 + 0.1 * np.cumsum(rng.normal(0, 1, steps)),
        }
    )
    job = ForecastJob(targets=("gdp", "rate"), input_steps=12, output_steps=4, refit="never")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", seqshape.errors.BaselineWinsWarning)
        metrics = fit_forecast(frame, job, _tiny_model(), tmp_path / "run")
    guard_result = metrics["guard"]
    assert guard_result["metric"] == "MASE"
    assert guard_result["model"] == metrics["test"]["seqshape"]["MASE"]
    one = ForecastJob(targets=("rate",), input_steps=12, output_steps=4, refit="never")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", seqshape.errors.BaselineWinsWarning)
        alone = fit_forecast(frame, one, _tiny_model(), tmp_path / "one")
    assert alone["guard"]["metric"] == "MAE"  # one target: in its own units


def test_the_reports_first_line_is_the_guards_verdict(forecast_run):
    _, out = forecast_run
    guard = json.loads((out / "metrics.json").read_text())["guard"]
    assert guard["best_baseline"] in {"last value", "seasonal naive", "drift", "mean", "ridge"}
    assert _first_line(out / "report.md") == guard_line(guard, "test windows")


def test_a_winning_model_says_by_how_much():
    forecast = guard({"seqshape": {"MAE": 0.88}, "ridge": {"MAE": 1.0}, "mean": {"MAE": 3}}, "MAE")
    assert forecast["baseline_wins"] is False
    assert guard_line(forecast).startswith(
        "seqshape beats the best baseline (ridge) by 12% on MAE"
    )
    scores = {"seqshape": {"accuracy": 0.9}, "majority class": {"accuracy": 0.5}}
    classes = guard(scores, "accuracy")
    assert classes["baseline_wins"] is False
    assert "by 40.0 points on accuracy" in guard_line(classes, "test series")
    scores["majority class"]["accuracy"] = 0.95
    assert guard_line(guard(scores, "accuracy"), "test series").startswith(
        "Warning: the baseline 'majority class' beats the model on the test series: accuracy"
    )


def test_the_saved_model_is_refitted_on_all_the_history(tmp_path):
    frame = _monthly_panel(series=2, months=60)
    job = ForecastJob(
        targets=("sales",), input_steps=12, output_steps=3, time_column="month", id_column="shop"
    )
    model = SequenceModel(units=(4,), epochs=6, patience=2, checkpoint_dir=None)
    metrics = fit_forecast(frame, job, model, tmp_path / "run")
    every_window = 2 * (60 - 12 - 3 + 1)
    assert metrics["refit"] == {"windows": every_window, "epochs": metrics["best_epoch"]}
    assert every_window > sum(metrics["windows"].values())  # the holdouts' gaps included
    saved = seqshape.load(tmp_path / "run" / "model.seqshape")
    assert saved.n_epochs_ == metrics["best_epoch"]
    assert len(saved.history_["loss"]) == metrics["best_epoch"]
    assert "val_loss" not in saved.history_  # no holdout
    if getattr(saved, "validation_", None):
        assert saved.validation_["train"] == every_window
        assert saved.validation_["validation"] == 0
    report_text = (tmp_path / "run" / "report.md").read_text()
    assert (
        f"The model saved was refitted on all {every_window} windows for "
        f"{metrics['best_epoch']} epochs (the best epoch of the evaluated fit)"
    ) in report_text
    forecasts = predict_forecast(tmp_path / "run", frame)
    expected = saved.predict(
        np.stack([frame.loc[frame.shop == s, ["sales"]].to_numpy()[-12:] for s in ("s0", "s1")])
    )
    np.testing.assert_allclose(forecasts["sales"].to_numpy(), expected.ravel(), rtol=1e-6)


def test_the_refit_keeps_the_evaluated_fits_seasonal_base(tmp_path):
    # monthly, growing, its swing growing with it: three years a window take the last
    # season plus the window's change per season
    t = np.arange(300)
    rng = np.random.default_rng(0)
    level = (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.3, 300)
    frame = pd.DataFrame({"t": t, "sales": level})
    job = ForecastJob(targets=("sales",), input_steps=36, output_steps=6, time_column="t")
    model = SequenceModel(units=(4,), epochs=2, checkpoint_dir=None)
    fit_forecast(frame, job, model, tmp_path / "evaluated", overwrite=False)
    evaluated = seqshape.load(tmp_path / "evaluated" / "model.seqshape")  # refit: auto
    never = ForecastJob(**{**job.__dict__, "refit": "never"})
    fit_forecast(frame, never, model, tmp_path / "never")
    kept = seqshape.load(tmp_path / "never" / "model.seqshape").spec_.seasonal_base
    assert kept == seqshape.SeasonalBase(12, drift=True, weights=True)
    assert evaluated.spec_.seasonal_base == kept  # not one plain season of 12


def test_refit_never_saves_the_evaluated_model(tmp_path):
    job = ForecastJob(targets=("price",), input_steps=20, output_steps=5, refit="never")
    with pytest.warns(seqshape.errors.BaselineWinsWarning):
        metrics = fit_forecast(_noisy_random_walk(), job, _tiny_model(), tmp_path / "run")
    assert "refit" not in metrics
    saved = seqshape.load(tmp_path / "run" / "model.seqshape")
    assert saved.n_epochs_ == metrics["epochs"] and "val_loss" in saved.history_
    assert "The model saved is the evaluated one" in (tmp_path / "run" / "report.md").read_text()
    with pytest.raises(seqshape.InvalidInputError, match="refit"):
        ForecastJob(targets=("price",), refit="sometimes").check()


def test_forecast_in_one_call_takes_job_fields_and_names_a_wrong_keyword(tmp_path):
    frame = _forecast_frame(200)
    with pytest.raises(seqshape.InvalidInputError, match="Did you mean 'series'"):
        seqshape.forecast(frame, target="load", time="ts", id="weekend")
    with pytest.raises(seqshape.InvalidInputError, match="Did you mean 'epochs'"):
        seqshape.forecast(frame, target="load", time="ts", epoch=1)
    assert not list(tmp_path.iterdir())
    run = seqshape.forecast(
        frame, target="load", time="ts", input_steps=24, output_steps=6, holdout_steps=12,
        epochs=1, units=(4,), verbose=0, out=tmp_path / "run",
    )  # fmt: skip
    assert run.metrics["windows"]["test"] == 7  # the last 12 steps hold 7 windows of 6
    assert list(run.forecasts.columns) == ["step_ahead", "ts", "load"]
    assert run.verdict.startswith(("seqshape beats", "Warning: the baseline"))
