"""The job on files, end to end through the command line: fit, predict, evaluate, report."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

import seqshape
from seqshape import SequenceModel, build_model, spec_from_shapes
from seqshape.cli import main

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
    _forecast_frame(300).to_csv(csv, index=False)
    assert main(["evaluate", str(out), str(csv), "--json"]) == 0
    printed = capsys.readouterr().out
    result = json.loads(printed[printed.index("{") :])
    assert result["scores"]["seqshape"]["MAE"] < result["scores"]["last value"]["MAE"]


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
    scores = metrics["test"]
    assert scores["seqshape"]["accuracy"] >= scores["majority class"]["accuracy"] + 0.25
    predictions = tmp_path / "classes.csv"
    assert main(["predict", str(out), str(data), "--out", str(predictions)]) == 0
    frame = pd.read_csv(predictions)
    assert list(frame.columns) == ["case", "motion", "probability_fast", "probability_slow"]
    assert set(frame["motion"]) <= {"fast", "slow"}


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
        (_forecast_frame(100).assign(load="high"), ["--target", "load"], "numeric column"),
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
        (_forecast_frame(30), ["--target", "load"], "at least one series of"),
    ],
    ids=["missing_column", "text_target", "unsorted", "duplicates", "too_short"],
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


def test_existing_run_folder_is_not_overwritten_silently(forecast_run, capsys):
    data, out = forecast_run
    status = main(["fit", str(data), "--target", "load", "--epochs", "1", "--out", str(out)])
    assert status == 2
    assert "--overwrite" in capsys.readouterr().err
