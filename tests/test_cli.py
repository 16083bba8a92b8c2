"""The command line: explain from shapes, errors with exit status 2, the demo."""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from seqshape.cli import build_parser, main
from seqshape.runs.guard import guard


def test_explain_the_seed_question(capsys):
    assert main(["explain", "--x-shape", "1200,40,2", "--y-shape", "1200,10,2"]) == 0
    out = capsys.readouterr().out
    assert "many-to-many (different lengths), encoder_decoder" in out
    assert "40 steps of 2 features" in out
    assert "repeated 10 times" in out
    assert "(batch, 10, 2)" in out


def test_explain_the_stacked_seed_model_counts_2398(capsys):
    main(["explain", "--x-shape", "1200,40,1", "--y-shape", "1200,10", "--units", "12,12,6"])
    out = capsys.readouterr().out
    assert out.rstrip().endswith("2,398")


def test_explain_classification_and_tokens(capsys):
    arguments = [
        "explain",
        "--x-shape",
        "25000,100",
        "--y-shape",
        "25000",
        "--task",
        "binary",
        "--classes",
        "2",
        "--vocabulary-size",
        "5000",
        "--units",
        "100",
    ]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "Embedding" in out and out.rstrip().endswith("213,301")


def test_impossible_strategy_exits_2_with_the_reason(capsys):
    arguments = [
        "explain",
        "--x-shape",
        "10,5,1",
        "--y-shape",
        "10,8,1",
        "--strategy",
        "last_steps",
    ]
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert "T_out <= T_in" in err and "Traceback" not in err


def test_bad_shape_text_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--x-shape", "abc", "--y-shape", "10,1"])
    assert exited.value.code == 2
    assert "1200,40,2" in capsys.readouterr().err


def test_demo_trains_and_beats_the_last_value(capsys):
    assert main(["demo", "--epochs", "40", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    rows = {
        line[:22].strip(): float(line.split()[-2])
        for line in out.splitlines()
        if line.startswith(("seqshape ", "last value"))
    }
    assert rows["seqshape"] < 0.5 * rows["last value (baseline)"]


def _fit_arguments(tmp_path, frame, *extra: str) -> list[str]:
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    return ["fit", str(data), *extra, "--verbose", "0", "--out", str(tmp_path / "run")]


def _walk(steps: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(0.5, 1.0, steps))
    return pd.DataFrame({"price": walk + rng.normal(0, 3.0, steps)})


def _fake_metrics(headline: str) -> dict:
    scores = {"seqshape": {headline: 1.0}, "mean": {headline: 2.0}}
    part = "series" if headline == "accuracy" else "windows"
    return {"test": scores, "guard": guard(scores, headline), part: {"test": 5}}


def test_fit_flags_reach_the_forecast_job_and_the_estimator(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_fit(data, job, estimator, out, overwrite=False, **_):
        seen.update(job=job, estimator=estimator)
        return _fake_metrics("MAE")

    monkeypatch.setattr("seqshape.runs.fit_forecast", fake_fit)
    flags = [
        "--target",
        "price",
        "--validation-fraction",
        "0.1",
        "--test-fraction",
        "0.2",
        "--patience",
        "3",
        "--dropout",
        "0.25",
        "--mask-value",
        "-999",
        "--refit",
        "never",
    ]
    assert main(_fit_arguments(tmp_path, _walk(50), *flags)) == 0
    job, estimator = seen["job"], seen["estimator"]
    assert (job.validation_fraction, job.test_fraction, job.refit) == (0.1, 0.2, "never")
    params = estimator.get_params()
    assert (params["patience"], params["dropout"], params["mask_value"]) == (3, 0.25, -999.0)
    assert "seqshape beats the best baseline (mean) by 50% on MAE" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "share"), [("none", None), ("0.3", 0.3), ("auto", "auto")])
def test_the_ridge_share_flag_reaches_the_estimator(tmp_path, monkeypatch, text, share):
    seen = {}

    def fake_fit(data, job, estimator, out, overwrite=False, **_):
        seen.update(estimator=estimator)
        return _fake_metrics("MAE")

    monkeypatch.setattr("seqshape.runs.fit_forecast", fake_fit)
    flags = ["--target", "price", "--ridge-share", text]
    assert main(_fit_arguments(tmp_path, _walk(50), *flags)) == 0
    assert seen["estimator"].get_params()["ridge_share"] == share


def test_a_bad_ridge_share_is_one_error_line(tmp_path, capsys):
    flags = ["--target", "price", "--ridge-share", "2"]
    assert main(_fit_arguments(tmp_path, _walk(200), *flags)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--ridge-share" in err[0] and "from 0 to 1" in err[0]


def test_fit_defaults_are_the_jobs_defaults(tmp_path, monkeypatch):
    from seqshape.runs import ClassificationJob, ForecastJob

    seen = {}

    def fake_fit(data, job, estimator, out, overwrite=False, **_):
        seen["job"] = job
        return _fake_metrics("accuracy" if job.kind == "classification" else "MAE")

    monkeypatch.setattr("seqshape.runs.fit_forecast", fake_fit)
    monkeypatch.setattr("seqshape.runs.fit_classification", fake_fit)
    assert main(_fit_arguments(tmp_path, _walk(50), "--target", "price")) == 0
    defaults = ForecastJob(targets=("price",))
    assert seen["job"] == dataclasses.replace(defaults, input_steps=40)
    classify = ["--target", "price", "--id-column", "case", "--label-column", "kind"]
    assert main([*_fit_arguments(tmp_path, _walk(50), *classify), "--overwrite"]) == 0
    job = seen["job"]
    reference = ClassificationJob(features=("price",), label_column="kind", id_column="case")
    assert (job.test_fraction, job.validation_fraction) == (
        reference.test_fraction,
        reference.validation_fraction,
    )
    main([*_fit_arguments(tmp_path, _walk(50), *classify, "--test-fraction", "0.4")])
    assert seen["job"].test_fraction == 0.4


def test_every_fit_option_shows_its_default():
    parser = build_parser()
    fit = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ).choices["fit"]
    for action in fit._actions:
        switch = isinstance(action, (argparse._StoreTrueAction, argparse._HelpAction))
        if action.option_strings and not switch and not action.required:
            assert "(default" in (action.help or ""), action.option_strings
    text = fit.format_help()
    for flag in ("--validation-fraction", "--test-fraction", "--patience", "--dropout"):
        assert flag in text
    assert "--mask-value" in text and "--refit {auto,never}" in text


def test_a_baseline_that_wins_is_one_warning_line(tmp_path, capsys):
    arguments = _fit_arguments(
        tmp_path,
        _walk(),
        *("--target", "price", "--input-steps", "20", "--output-steps", "5"),
        *("--epochs", "2", "--units", "2", "--refit", "never", "--no-checkpoint"),
    )
    assert main(arguments) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "beats the model" in line]
    assert len(lines) == 1 and lines[0].startswith("seqshape: warning: the baseline '")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["guard"]["baseline_wins"] is True


def test_a_time_column_with_no_frequency_is_one_error_line(tmp_path, capsys):
    rng = np.random.default_rng(0)
    days = np.cumsum(rng.integers(1, 30, 200))
    frame = pd.DataFrame(
        {"day": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, "D"), "x": rng.normal(size=200)}
    )
    arguments = _fit_arguments(
        tmp_path,
        frame,
        *("--target", "x", "--time-column", "day", "--input-steps", "20", "--epochs", "1"),
    )
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no regular frequency" in err and "--season" in err
    assert not (tmp_path / "run").exists()


def test_too_little_data_names_the_fraction_flags(tmp_path, capsys):
    arguments = _fit_arguments(
        tmp_path, _walk(70), "--target", "price", "--test-fraction", "0.05", "--epochs", "1"
    )
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert "--validation-fraction" in err and "--test-fraction" in err
