"""The command line as a person meets it: fast help, what fit decided, progress without
escape codes, files as people have them, text targets, evaluate on overlapping data."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqshape.cli import build_parser, main
from seqshape.progress import ProgressLines

ROOT = Path(__file__).resolve().parents[1]
ANSI = "\x1b["


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_help_and_argument_errors_import_neither_keras_nor_jax():
    code = (
        "import sys\n"
        "from seqshape.cli import main\n"
        "for argv in (['--help'], ['fit', '--help'], ['fit', 'x.csv'], "
        "['fit', 'x.csv', '--out', 'run']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'jax', 'sklearn', 'matplotlib', 'tensorflow', 'torch'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True
    )
    assert "HEAVY []" in done.stderr
    assert "the following arguments are required: --out" in done.stderr
    assert "the following arguments are required: --target (or --label-column" in done.stderr


def test_a_closed_pipe_ends_quietly():
    code = (
        "import sys\nfrom seqshape.cli import main\n"
        "sys.exit(main(['explain', '--x-shape', '100,40,2', '--y-shape', '100,10,2']))"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    reader.stdout.read(10)
    reader.stdout.close()  # `| head -c 10`
    error = reader.stderr.read().decode()
    reader.wait(timeout=300)
    assert "Traceback" not in error and "BrokenPipeError" not in error
    assert reader.returncode in (0, 141)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_option_has_help_that_shows_its_default(command):
    parser = _subcommands()[command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        assert action.help, (command, action.option_strings)
        if not action.required:
            assert "(default" in action.help, (command, action.option_strings)
    text = parser.format_help()  # '%' in a help text would break this
    assert text


def test_progress_on_a_terminal_is_one_line_redrawn_without_escape_codes():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    lines = ProgressLines(screen, verbose=1, epochs=4)
    for epoch in (1, 2, 3):
        lines.epoch(epoch, lines.epoch_line(epoch, {"loss": 1.0 / epoch}, None, 0.1))
    lines.say(lines.stop_line(3, 2, patience=1))
    text = screen.getvalue()
    assert ANSI not in text
    assert text.count("\n") == 2 and text.count("\r") == 3  # the bar, then the end
    assert text.endswith(
        "stopped at epoch 3 (no better validation loss in 1 epochs); best epoch 2 restored\n"
    )


def test_progress_in_a_log_is_plain_lines_at_most_every_few_seconds():
    log = io.StringIO()
    lines = ProgressLines(log, verbose=1, epochs=200)
    for epoch in range(1, 201):
        lines.epoch(epoch, lines.epoch_line(epoch, {"loss": 0.5}, None, 0.0))
    text = log.getvalue()
    assert "\r" not in text and ANSI not in text
    assert text.splitlines() == ["epoch 1/200: loss 0.5000, 0.00 s"]
    # a loss in the targets' own units (counts in the thousands) reads as a whole number
    big = lines.epoch_line(2, {"loss": 40105.2188, "val_loss": 18732.17}, (1, 17000.0), 0.0)
    assert big == "epoch 2/200: loss 40,105, validation 18,732 (best 17,000 at epoch 1), 0.00 s"
    every = io.StringIO()
    chatty = ProgressLines(every, verbose=2, epochs=3)
    for epoch in (1, 2, 3):
        chatty.epoch(epoch, chatty.epoch_line(epoch, {"loss": 0.5}, None, 0.0))
    assert len(every.getvalue().splitlines()) == 3


def test_a_resume_is_announced(tmp_path, capsys, monkeypatch):
    import seqshape.training as training
    from seqshape import SequenceModel
    from seqshape.progress import Progress

    class KilledError(Exception):
        pass

    class KilledAfterTwoEpochs(Progress):  # runs after the epoch's checkpoint is written
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                raise KilledError

    X = np.random.default_rng(0).normal(size=(48, 6, 1))
    y = X[:, -1] * 2
    folder = tmp_path / "checkpoints"
    model = SequenceModel(epochs=4, units=(2,), checkpoint_dir=str(folder), verbose=1)
    monkeypatch.setattr(training, "Progress", KilledAfterTwoEpochs)
    with pytest.raises(KilledError):
        model.fit(X, y)
    monkeypatch.setattr(training, "Progress", Progress)
    capsys.readouterr()
    model.fit(X, y)
    out = capsys.readouterr().out
    assert out.startswith(f"resuming at epoch 3 from a checkpoint in {folder}\n")
    assert "epoch 3/4" in out and "epoch 1/4" not in out


def _hourly(steps: int = 360, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=steps, freq="h"),
            "load": 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.2, steps),
        }
    )


FAST = ("--epochs", "3", "--units", "4", "--no-checkpoint", "--refit", "never")


def test_fit_says_what_it_decided_and_ends_with_a_verdict(tmp_path, capsys):
    data = tmp_path / "load.csv"
    frame = _hourly()
    frame["ts"] = frame["ts"].dt.strftime("%d/%m/%Y %H:%M")  # day-first, ';' separated
    frame.to_csv(data, sep=";", index=False)
    out = tmp_path / "run"
    arguments = ["fit", str(data), "--target", "load", "--time-column", "ts"]
    arguments += ["--input-steps", "24", "--output-steps", "6", *FAST, "--out", str(out)]
    assert main(arguments) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert ANSI not in text and "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("Data: 1 series of 360 rows, hourly from 2024-01-01 00:00")
    assert "no gaps in time" in lines[0]
    assert "separated by ';'" in text and "day-first dates" in text
    assert any(line.startswith("Windows: 24 steps in -> 6 out") for line in lines)
    assert any(line.startswith("Split by time within each series:") for line in lines)
    assert "Task: regression of 'load'" in text
    assert "Model: many-to-many (different lengths), encoder_decoder" in text
    assert "epoch 1/3: loss" in text and "trained all 3 epochs; best epoch" in text
    assert "the model beside the baselines" in text
    verdict = [line for line in (text + captured.err).splitlines() if "baseline" in line]
    assert any("beats" in line for line in verdict)


def test_monthly_data_is_said_and_forecast_month_by_month(tmp_path, capsys):
    # monthly steps differ in length (28-31 days): the line says "monthly", as the season
    # line does, not the most common step in hours
    months = 60
    t = np.arange(months)
    frame = pd.DataFrame(
        {
            "month": pd.date_range("2015-01-01", periods=months, freq="MS"),
            "sales": 100 + 10 * np.sin(2 * np.pi * t / 12) + t,
        }
    )
    data = tmp_path / "sales.csv"
    frame.to_csv(data, index=False)
    arguments = ["fit", str(data), "--target", "sales", "--time-column", "month"]
    arguments += [
        "--input-steps",
        "12",
        "--output-steps",
        "3",
        *FAST,
        "--out",
        str(tmp_path / "r"),
    ]
    assert main(arguments) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Data: 1 series of 60 rows, monthly from 2015-01-01 to 2019-12-01;")
    # and the forecast's times go on month by month (not by 31 days)
    assert main(["predict", str(tmp_path / "r"), str(data)]) == 0
    printed = capsys.readouterr().out
    forecast = pd.read_csv(io.StringIO(printed[printed.index("step_ahead") :]))
    assert forecast["month"].tolist() == ["2020-01-01", "2020-02-01", "2020-03-01"]


def test_per_step_labelling_beats_the_majority_class(tmp_path, capsys):
    rng = np.random.default_rng(3)
    steps = 900
    signal = np.convolve(rng.normal(size=steps + 4), np.ones(5) / 5, mode="valid")
    weather = np.where(signal > 0.25, "rain", np.where(signal < -0.25, "sun", "cloud"))
    frame = pd.DataFrame({"humidity": signal + rng.normal(0, 0.05, steps), "sky": weather})
    data = tmp_path / "weather.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "run"
    arguments = ["fit", str(data), "--target", "sky", "--covariates", "humidity", "--per-step"]
    arguments += ["--input-steps", "20", "--stride", "5", "--epochs", "40", "--units", "8"]
    arguments += ["--no-checkpoint", "--refit", "never", "--verbose", "0", "--out", str(out)]
    assert main(arguments) == 0
    text = capsys.readouterr().out
    assert "Task: classification of 'sky': text labels, 3 classes (cloud, rain, sun)" in text
    metrics = json.loads((out / "metrics.json").read_text())
    accuracy = {name: row["accuracy"] for name, row in metrics["test"].items()}
    assert accuracy["seqshape"] > accuracy["majority class"] + 0.2
    labelled = main(["predict", str(out), str(data), "--out", str(tmp_path / "sky.csv")])
    assert labelled == 0
    predicted = pd.read_csv(tmp_path / "sky.csv")
    assert len(predicted) == steps and set(predicted["sky"]) <= {"rain", "sun", "cloud"}


def test_integer_codes_are_classified_when_asked(tmp_path, capsys):
    rng = np.random.default_rng(0)
    steps = 300
    state = (np.arange(steps) // 7) % 3  # a regime that lasts 7 steps
    frame = pd.DataFrame({"regime": state, "x": state + rng.normal(0, 0.1, steps)})
    data = tmp_path / "regimes.csv"
    frame.to_csv(data, index=False)
    common = ["fit", str(data), "--target", "regime", "--covariates", "x"]
    common += ["--input-steps", "14", "--output-steps", "3", *FAST, "--verbose", "0"]
    assert main([*common, "--out", str(tmp_path / "auto")]) == 0
    assert "integer targets (--task classification takes them" in capsys.readouterr().out
    assert main([*common, "--task", "classification", "--out", str(tmp_path / "codes")]) == 0
    text = capsys.readouterr().out
    assert "classification of 'regime': integer codes, by --task classification" in text
    metrics = json.loads((tmp_path / "codes" / "metrics.json").read_text())
    assert {"majority class", "last label"} <= set(metrics["test"])
    forecast = main(["predict", str(tmp_path / "codes"), str(data)])
    assert forecast == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert printed["step_ahead"].tolist() == [1, 2, 3]
    assert set(printed["regime"]) <= {0, 1, 2}


def test_evaluate_on_the_training_file_says_so(tmp_path, capsys):
    frame = _hourly(420)
    data = tmp_path / "load.csv"
    frame.iloc[:360].to_csv(data, index=False)
    out = tmp_path / "run"
    arguments = ["fit", str(data), "--target", "load", "--time-column", "ts"]
    arguments += ["--input-steps", "24", "--output-steps", "6", *FAST, "--verbose", "0"]
    assert main([*arguments, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(out), str(data)]) == 2
    assert "--include-seen" in capsys.readouterr().err
    newer = tmp_path / "newer.csv"
    frame.to_csv(newer, index=False)
    assert main(["evaluate", str(out), str(newer)]) == 0
    text = capsys.readouterr().out
    assert "360 of 420 rows are data the fit saw" in text
    header = text.splitlines()[1].split()
    assert header == ["model", "MAE", "RMSE", "sMAPE", "MASE"]
    names = {line.split("  ")[0].strip() for line in text.splitlines()[2:] if line.strip()}
    assert {"seqshape", "mean", "ridge", "last value"} <= names
    assert main(["evaluate", str(out), str(newer), "--include-seen"]) == 0
    assert "including data the fit saw" in capsys.readouterr().out


def test_rare_labels_late_in_training_name_the_model_and_warn_nothing(tmp_path, capsys):
    """A log with 12 anomalous rows (aeon's KDD-TSAD 135, --per-step --task
    classification): they came after the first 2,048 training windows, which the model
    line read, so it said "Model: chosen by the fit."; and a test part of one class made
    scikit-learn warn "A single label was found" three times."""
    rng = np.random.default_rng(0)
    rows = 3400
    label = np.zeros(rows, dtype=int)
    label[2200:2212] = 1
    value = rng.normal(size=rows) + 3 * label
    data = tmp_path / "log.csv"
    pd.DataFrame({"value": value, "is_anomaly": label}).to_csv(data, index=False)
    arguments = ["fit", str(data), "--target", "is_anomaly", "--covariates", "value"]
    arguments += ["--per-step", "--task", "classification", "--input-steps", "10"]
    assert main([*arguments, *FAST, "--out", str(tmp_path / "run")]) == 0
    captured = capsys.readouterr()
    assert "Model: many-to-many (aligned), time_distributed (binary)" in captured.out
    assert "single label" not in captured.err and "Warning" not in captured.err
