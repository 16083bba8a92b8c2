"""Tables larger than memory (seqshape.streaming, seqshape.stream_fit): the streamed
windows, split and statistics equal the in-memory path's on small files cut into many
row groups and files; a table several times larger than the fit's peak memory trains
and predicts through the command line."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seqshape.errors import InvalidInputError
from seqshape.metrics import panel_naive_scale
from seqshape.runs.forecasting import _plan, _split, training_series
from seqshape.runs.jobs import ForecastJob
from seqshape.runs.series_scaling import SeriesScales
from seqshape.runs.targets import make_windows, series_inputs
from seqshape.scaling import LastAxisScaler
from seqshape.streaming import (
    StreamedTable,
    concatenate_windows,
    stream_decision,
    stream_statistics,
)
from seqshape.tables import read_table
from seqshape.windowing import Windows

ROOT = Path(__file__).resolve().parents[1]


def _panel(seed: int = 0) -> pd.DataFrame:
    """Three series of different lengths and levels, rows interleaved, in time order."""
    rng = np.random.default_rng(seed)
    frames = []
    for number, (length, level) in enumerate([(230, 5.0), (171, -40.0), (309, 1000.0)]):
        t = np.arange(length)
        frames.append(
            pd.DataFrame(
                {
                    "id": f"s{number}",
                    "t": t,
                    "load": level
                    + np.sin(2 * np.pi * t / 6) * (number + 1)
                    + rng.normal(0, 0.3, length),
                    "temperature": rng.normal(20 + number, 2, length),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["t", "id"], kind="stable").reset_index(drop=True)


def _write(frame: pd.DataFrame, folder: Path, files: int = 3, row_group: int = 37) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for number, rows in enumerate(np.array_split(np.arange(len(frame)), files)):
        part = table.slice(int(rows[0]), len(rows))
        pq.write_table(part, folder / f"part-{number:02d}.parquet", row_group_size=row_group)
    return folder


JOB = ForecastJob(
    targets=("load",),
    covariates=("temperature",),
    input_steps=12,
    output_steps=4,
    stride=2,
    gap=1,
    time_column="t",
    id_column="id",
)


def _in_memory(frame: pd.DataFrame, job: ForecastJob):
    table = read_table(
        frame, columns=job.inputs, time_column=job.time_column, id_column=job.id_column
    )
    plan = _plan(table, job)
    windows = make_windows(table, job, plan)
    return table, plan, windows, _split(windows, table, job)


def _ordered(windows: Windows, ids: list) -> Windows:
    order = np.lexsort((windows.target_start, [ids.index(s) for s in windows.series]))
    return windows.subset(order)


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    frame = _panel()
    folder = _write(frame, tmp_path_factory.mktemp("panel") / "data")
    return frame, folder


def test_the_split_gives_the_in_memory_windows(panel):
    frame, folder = panel
    table, _, _, parts = _in_memory(frame, JOB)
    streamed = StreamedTable.scan(folder, JOB)
    assert streamed.ids == table.ids
    assert streamed.lengths.tolist() == list(table.lengths.values())
    for name, part in zip(("training", "validation", "test"), parts, strict=True):
        assert streamed.count(name) == len(part)
        got = _ordered(concatenate_windows(list(streamed.windows(name))), table.ids)
        np.testing.assert_array_equal(got.X, part.X)
        np.testing.assert_array_equal(got.y, part.y)
        assert got.series.tolist() == part.series.tolist()
        np.testing.assert_array_equal(got.target_start, part.target_start)


def test_the_split_by_holdout_steps_gives_the_in_memory_windows(panel):
    frame, folder = panel
    job = dataclasses.replace(JOB, holdout_steps=8)  # the last 8 steps, the 8 before them
    table, _, _, parts = _in_memory(frame, job)
    streamed = StreamedTable.scan(folder, job)
    for name, part in zip(("training", "validation", "test"), parts, strict=True):
        assert streamed.count(name) == len(part) > 0
        got = _ordered(concatenate_windows(list(streamed.windows(name))), table.ids)
        np.testing.assert_array_equal(got.target_start, part.target_start)
    assert streamed.training_lengths() == [length - 16 for length in streamed.lengths]
    assert streamed.first_time == [0, 0, 0] and streamed.last_time == [229, 170, 308]
    assert all(type(time) is int for time in streamed.last_time)  # 229, not 229.0


def test_the_statistics_equal_the_in_memory_ones(panel):
    frame, folder = panel
    table, plan, windows, (train, _, _) = _in_memory(frame, JOB)
    streamed = StreamedTable.scan(folder, JOB)
    stats = stream_statistics(streamed, season=3)
    # global scaling: every input step of every training window, and every target step
    for part, expected in (("training", train), ("all", windows)):
        mean, variance = stats.inputs[part].pooled()
        scaler = LastAxisScaler().fit(expected.X)
        np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12)
        np.testing.assert_allclose(np.sqrt(variance), scaler.scale_, rtol=1e-10)
        mean, variance = stats.targets[part].pooled()
        scaler = LastAxisScaler().fit(expected.y)
        np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12)
        np.testing.assert_allclose(np.sqrt(variance), scaler.scale_, rtol=1e-10)
    # per-series scaling: each series' training rows
    panel = series_inputs(table, JOB, plan)
    rows = [JOB.training_rows(len(values)) for values in panel]
    scales = SeriesScales.fit(table.ids, panel, training_rows=rows)
    np.testing.assert_allclose(stats.rows.mean, scales.location, rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(stats.rows.m2 / stats.rows.weight[:, None]), scales.scale)
    # after per-series scaling, the global statistics of the scaled windows
    scaled = scales.scale_windows(train, target_features=[0])
    mean, variance = stats.inputs["training"].pooled(scales.location, scales.scale)
    scaler = LastAxisScaler().fit(scaled.X)
    np.testing.assert_allclose(mean, scaler.mean_, atol=1e-6)
    np.testing.assert_allclose(np.sqrt(variance), scaler.scale_, rtol=1e-6)
    # MASE's scale: the seasonal naive error of the training parts
    np.testing.assert_allclose(
        stats.naive_scale, panel_naive_scale(training_series(table, JOB), 3), rtol=1e-12
    )


def test_samples_are_the_windows_the_in_memory_choices_read(panel):
    frame, folder = panel
    _, _, _, (train, _, test) = _in_memory(frame, JOB)
    streamed = StreamedTable.scan(folder, JOB)
    whole = stream_statistics(streamed, season=1)
    np.testing.assert_array_equal(whole.samples["training"].X, train.X)  # all, in order
    np.testing.assert_array_equal(whole.samples["test"].y, test.y)
    few = stream_statistics(streamed, season=1, sample=50).samples["training"]
    chosen = np.linspace(0, len(train) - 1, 50).astype(np.int64)  # as choose_normalization
    np.testing.assert_array_equal(few.X, train.X[chosen])


def _keys(batches) -> list[tuple[str, int]]:
    return [(s, int(t)) for b in batches for s, t in zip(b.series, b.target_start, strict=True)]


def test_shuffled_batches_hold_every_window_once_and_repeat_with_the_seed(panel):
    _, folder = panel
    streamed = StreamedTable.scan(folder, JOB)

    def keys(seed):
        batches = list(streamed.batches("training", 32, np.random.default_rng(seed)))
        assert all(len(b) == 32 for b in batches[:-1])
        return [
            (s, int(t)) for b in batches for s, t in zip(b.series, b.target_start, strict=True)
        ]

    first = keys(1)
    assert len(first) == len(set(first)) == streamed.count("training")
    assert keys(1) == first
    assert keys(2) != first
    in_order = [
        (s, int(t))
        for w in streamed.windows("training")
        for s, t in zip(w.series, w.target_start, strict=True)
    ]
    assert first != in_order and sorted(first) == sorted(in_order)


def test_rows_out_of_time_order_are_refused_naming_the_series(tmp_path):
    frame = _panel()
    rows = frame.index[frame["id"] == "s1"][[40, 41]]
    frame.loc[rows, "t"] = frame.loc[rows[::-1], "t"].to_numpy()
    folder = _write(frame, tmp_path / "data")
    with pytest.raises(InvalidInputError, match="time going back from 41 to 40 in series 's1'"):
        StreamedTable.scan(folder, JOB)


def test_streamed_gaps_are_steps_longer_than_the_calendar_s(tmp_path):
    months = pd.date_range("2000-01-01", periods=60, freq="MS")
    frame = pd.DataFrame(
        {
            "id": np.repeat(["a", "b"], 60),
            "t": np.concatenate([months, months]),
            "load": np.arange(120.0),
        }
    )
    job = ForecastJob(
        targets=("load",), input_steps=12, output_steps=3, time_column="t", id_column="id"
    )
    table = StreamedTable.scan(_write(frame, tmp_path / "months"), job)
    assert table.gaps == ()  # 28 to 31 days are one month each
    missing = frame.drop(index=[60 + 7])  # series b skips 2000-08-01
    table = StreamedTable.scan(_write(missing, tmp_path / "missing"), job)
    assert len(table.gaps) == 1 and table.gaps[0].startswith("series 'b': steps from")


def test_a_streamed_run_makes_the_in_memory_run_s_choices(panel, tmp_path):
    """The same data fitted whole and streamed: the same windows, season, MASE scale,
    normalisation and series scales."""
    from seqshape import SequenceModel
    from seqshape.runs import fit_forecast, predict_forecast
    from seqshape.runs.streamed import fit_forecast_streamed

    frame, folder = panel
    job = dataclasses.replace(JOB, refit="never")
    results = {}
    for name, fit in (("whole", fit_forecast), ("streamed", fit_forecast_streamed)):
        model = SequenceModel(epochs=1, units=(4,), normalization="series", random_state=0)
        results[name] = fit(frame if name == "whole" else folder, job, model, tmp_path / name)
    whole, streamed = results["whole"], results["streamed"]
    assert whole["windows"] == streamed["windows"]
    assert whole["season"] == streamed["season"] == 6
    assert streamed["season_source"].startswith(whole["season_source"])
    np.testing.assert_allclose(whole["mase_scale"], streamed["mase_scale"], rtol=1e-12)
    assert whole["normalization"] == streamed["normalization"]
    scales = [
        json.loads((tmp_path / name / "job.json").read_text())["extra"]["series_scales"]
        for name in ("whole", "streamed")
    ]
    np.testing.assert_allclose(scales[0]["location"], scales[1]["location"], rtol=1e-12)
    np.testing.assert_allclose(scales[0]["scale"], scales[1]["scale"], rtol=1e-12)
    # the last value baseline needs no training: the same test scores
    assert whole["test"]["last value"] == pytest.approx(streamed["test"]["last value"])
    forecasts = predict_forecast(tmp_path / "streamed", folder)
    assert forecasts.groupby("id").size().to_dict() == {"s0": 4, "s1": 4, "s2": 4}
    assert forecasts["t"].tolist()[:4] == [230 + 1, 232, 233, 234]  # gap 1: from 231


COVARIATES = ("c1", "c2", "c3", "c4", "c5")


def write_large_table(path: Path, rows: int, series: int = 4, chunk: int = 1 << 20) -> int:
    """A Parquet file of ``series`` series one after the other (id, t, load and five
    covariates: 64 bytes a row in memory), written a row group at a time; returns the
    bytes its rows take in memory as a table (pandas holds the same int64 and float64
    columns).

    The values are rounded to hundredths and the noise is cut from one block, so the
    float columns are dictionary-encoded and the times delta-encoded: the file is about
    8 bytes a row on disk, a seventh of the table, and quick to write."""
    rng = np.random.default_rng(0)
    names = ("id", "t", "load", *COVARIATES)
    schema = pa.schema(
        [(name, pa.int64() if name in ("id", "t") else pa.float64()) for name in names]
    )
    noise = np.round(rng.standard_normal((1 + len(COVARIATES), 2 * chunk)), 2)
    per = rows // series
    with pq.ParquetWriter(
        path,
        schema,
        use_dictionary=["id", "load", *COVARIATES],
        column_encoding={"t": "DELTA_BINARY_PACKED"},
        compression="none",
    ) as writer:
        for number in range(series):
            for start in range(0, per, chunk):
                t = np.arange(start, min(per, start + chunk), dtype=np.int64)
                offset = int(rng.integers(chunk))
                block = noise[:, offset : offset + len(t)]
                load = 10 * number + np.round(np.sin(2 * np.pi * t / 24), 2) + 0.1 * block[0]
                columns = [np.full(len(t), number, dtype=np.int64), t, load, *block[1:]]
                writer.write_table(pa.table(columns, schema=schema), row_group_size=1 << 18)
    return per * series * 8 * len(names)


def _peak(command: list[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "peak_rss.py"), *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    return int(lines[-1].split()[1]), "\n".join(lines[:-1])


def test_a_table_several_times_the_fit_s_peak_memory_trains_and_predicts(tmp_path):
    """5.7 GiB of rows in memory terms (96 million rows of 8 columns): the streamed
    fit's peak resident memory, everything loaded (JAX, Keras, matplotlib) and compiled
    included, is under a quarter of it (measured: 0.73-0.90 GiB, 6.4-7.8 times smaller), the
    model forecasts better than the last value, predict reads each series' last rows
    and evaluate scores every window in bounded memory."""
    table_bytes = write_large_table(tmp_path / "large.parquet", 96_000_000)
    fit = [
        "fit", "large.parquet", "--target", "load", "--covariates", ",".join(COVARIATES),
        "--time-column", "t", "--id-column", "id", "--input-steps", "24", "--output-steps", "4",
        "--stride", "2048", "--epochs", "1", "--units", "8", "--refit", "never",
        "--no-checkpoint", "--verbose", "2", "--out", "run", "--stream", "on",
    ]  # fmt: skip
    peak, console = _peak(fit, tmp_path)
    assert "Streaming: streamed because --stream on was given" in console
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["streamed"]["rows"] == 96_000_000
    print(f"table {table_bytes / 2**30:.2f} GiB; peak of the streamed fit {peak / 2**30:.2f} GiB")
    assert 4 * peak < table_bytes, (peak, table_bytes)
    test = metrics["test"]
    assert test["seqshape"]["MAE"] < 0.5 * test["last value"]["MAE"]
    assert test["seqshape"]["MAE"] < 0.1 * test["mean"]["MAE"]
    peak, console = _peak(["predict", "run", "large.parquet"], tmp_path)
    forecasts = pd.read_csv(io.StringIO(console))
    print(f"table {table_bytes / 2**30:.2f} GiB; peak of predict {peak / 2**30:.2f} GiB")
    assert forecasts.shape == (4 * 4, 4)  # 4 series x 4 steps: step, id, t, load
    assert forecasts.groupby("id")["t"].min().tolist() == [24_000_000] * 4
    assert 4 * peak < table_bytes, (peak, table_bytes)
    peak, console = _peak(["evaluate", "run", "large.parquet", "--include-seen"], tmp_path)
    print(f"table {table_bytes / 2**30:.2f} GiB; peak of evaluate {peak / 2**30:.2f} GiB")
    assert console.startswith("Scored all 46876 windows, including data the fit saw")
    assert 4 * peak < table_bytes, (peak, table_bytes)


def test_fit_streams_when_reading_whole_would_need_more_than_half_the_memory(panel):
    _, folder = panel
    streams, reason = stream_decision(folder, JOB, memory=2**16)
    assert streams and reason.startswith("streamed: the in-memory path would need about")
    streams, reason = stream_decision(folder, JOB, memory=2**40)
    assert not streams and "--stream on to stream it" in reason
    assert stream_decision(folder, JOB, "off") == (False, "read whole (--stream off)")


def test_the_command_line_streams_with_checkpoints_and_predicts(panel, tmp_path, capsys):
    from seqshape.cli import main

    _, folder = panel
    fit = [
        "fit", str(folder), "--target", "load", "--covariates", "temperature",
        "--time-column", "t", "--id-column", "id", "--input-steps", "12",
        "--output-steps", "4", "--epochs", "2", "--units", "4", "--stream", "on",
        "--out", str(tmp_path / "run"), "--verbose", "0",
    ]  # fmt: skip
    assert main(fit) == 0
    console = capsys.readouterr().out
    assert console.startswith("Streaming: streamed because --stream on was given.")
    assert "Refitting on all 665 windows for 2 epochs (streamed)" in console
    assert not (tmp_path / "run.checkpoint").exists()  # checkpointed, then cleaned up
    assert main(["predict", str(tmp_path / "run"), str(folder)]) == 0
    forecasts = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(forecasts) == 3 * 4 and forecasts["load"].notna().all()
    # evaluate reads the folder streamed too: every row was seen by the fit
    assert main(["evaluate", str(tmp_path / "run"), str(folder)]) == 2
    assert "only rows the fit saw" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "run"), str(folder), "--include-seen"]) == 0
    assert "including data the fit saw" in capsys.readouterr().out


def test_a_small_folder_is_read_whole_by_default(panel, tmp_path, capsys):
    from seqshape.cli import main

    _, folder = panel
    fit = [
        "fit", str(folder), "--target", "load", "--time-column", "t", "--id-column", "id",
        "--input-steps", "12", "--output-steps", "4", "--epochs", "1", "--units", "4",
        "--out", str(tmp_path / "run"), "--verbose", "0", "--refit", "never",
    ]  # fmt: skip
    assert main(fit) == 0
    console = capsys.readouterr().out
    assert "Streaming" not in console and "Split by time" in console


@pytest.mark.parametrize(
    ("extra", "data", "message"),
    [
        (["--per-step"], "folder", "Invalid `--per-step`: expected a forecast of numeric"),
        (["--backtest-folds", "2"], "folder", "Invalid `--backtest-folds`"),
        (["--label-column", "id"], "folder", "Invalid `--stream`: expected a forecast"),
        ([], "csv", "Invalid `--stream`: expected a Parquet file or a folder"),
    ],
)
def test_what_a_streamed_fit_does_not_serve_is_one_line(
    panel, tmp_path, capsys, extra, data, message
):
    from seqshape.cli import main

    frame, folder = panel
    if data == "csv":
        folder = tmp_path / "panel.csv"
        frame.to_csv(folder, index=False)
    code = main(
        ["fit", str(folder), "--target", "load", "--time-column", "t", "--id-column", "id",
         "--stream", "on", "--out", str(tmp_path / "run"), *extra]
    )  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def _same_scores(streamed: dict, whole: dict) -> None:
    assert streamed["windows"] == whole["windows"]
    assert streamed["scored"] == whole["scored"]
    assert streamed["scores"].keys() == whole["scores"].keys()
    for name, scores in whole["scores"].items():
        for metric, value in scores.items():
            assert streamed["scores"][name][metric] == pytest.approx(value, rel=1e-5), (
                name,
                metric,
            )


@pytest.mark.parametrize("normalization", ["auto", "series"])
def test_a_streamed_evaluate_scores_what_the_in_memory_one_scores(panel, tmp_path, normalization):
    """Fitted on the first 150 steps of each series, scored on the whole panel read in
    record batches: the same windows (only those after the fit's rows), the same
    scores of the model and of every baseline, per-series scaling included."""
    from seqshape import SequenceModel
    from seqshape.runs import evaluate_forecast, evaluate_forecast_streamed, fit_forecast

    frame, folder = panel
    model = SequenceModel(epochs=2, units=(4,), normalization=normalization, random_state=0)
    fit_forecast(frame[frame["t"] < 150], JOB, model, tmp_path / "run")
    whole = evaluate_forecast(tmp_path / "run", frame)
    streamed = evaluate_forecast_streamed(tmp_path / "run", folder)
    assert whole["scored"].startswith("125 of 332 windows: 450 of 710 rows")
    _same_scores(streamed, whole)
    assert streamed["streamed"] == {"rows": 710, "series": 3, "passes": 3}
    everything = evaluate_forecast(tmp_path / "run", frame, include_seen=True)
    streamed = evaluate_forecast_streamed(tmp_path / "run", folder, include_seen=True)
    _same_scores(streamed, everything)


def test_a_streamed_evaluate_knows_the_rows_of_a_fit_without_a_time_column(panel, tmp_path):
    """Without a time column, the rows an in-memory fit saw are known again by the
    digest of each series' first rows, computed a record batch at a time."""
    from seqshape import SequenceModel
    from seqshape.runs import evaluate_forecast, evaluate_forecast_streamed, fit_forecast

    frame, folder = panel
    job = dataclasses.replace(JOB, time_column=None)
    fit_forecast(frame, job, SequenceModel(epochs=1, units=(4,)), tmp_path / "run")
    with pytest.raises(InvalidInputError, match="only rows the fit saw"):
        evaluate_forecast_streamed(tmp_path / "run", folder)
    changed = frame.assign(load=frame["load"] + (frame["id"] == "s1"))  # s1 is new
    result = evaluate_forecast_streamed(tmp_path / "run", _write(changed, tmp_path / "new"))
    assert result["scored"].startswith("78 of 332 windows: 539 of 710 rows")  # s0 and s2
    _same_scores(result, evaluate_forecast(tmp_path / "run", changed))


def test_the_command_line_evaluates_a_streamed_run_on_newer_rows(tmp_path, capsys):
    """A streamed fit, then ``seqshape evaluate`` on a longer copy of the data: scored
    streamed, only the windows after the fit's last time."""
    from seqshape.cli import main

    frame = _panel()
    _write(frame[frame["t"] < 150], tmp_path / "old")
    newer = _write(frame, tmp_path / "newer")
    fit = [
        "fit", str(tmp_path / "old"), "--target", "load", "--covariates", "temperature",
        "--time-column", "t", "--id-column", "id", "--input-steps", "12",
        "--output-steps", "4", "--epochs", "1", "--units", "4", "--stream", "on",
        "--out", str(tmp_path / "run"), "--verbose", "0", "--no-checkpoint",
    ]  # fmt: skip
    assert main(fit) == 0
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "run"), str(newer), "--json"]) == 0
    console = capsys.readouterr().out
    assert console.startswith("Scored 251 of 665 windows: 450 of 710 rows are data the fit saw")
    result = json.loads(console[console.index("{") :])
    assert result["streamed"]["passes"] == 3
    assert result["scores"]["seqshape"]["MAE"] > 0


def test_a_stopped_streamed_fit_resumes_where_it_stopped(panel, tmp_path, monkeypatch):
    """A streamed fit stopped after its second epoch (as a signal stops it) keeps its
    checkpoint; the same fit again resumes at the third epoch, reads that epoch's
    shuffle (seeded by the epoch number, not restarted) and ends with the loss curve
    of a fit that was never stopped."""
    from seqshape import SequenceModel
    from seqshape.stops import clear_stops, request_stop
    from seqshape.stream_fit import WindowSource, fit_stream

    _, folder = panel
    table = StreamedTable.scan(folder, JOB)
    source = WindowSource(table, stream_statistics(table, season=6))
    settings = {"epochs": 4, "units": (4,), "random_state": 0, "verbose": 0, "patience": 10}
    whole = fit_stream(SequenceModel(**settings), source)

    from seqshape.checkpoint import EpochCheckpoint

    written = EpochCheckpoint.on_epoch_end

    def stop_after_the_second_checkpoint(self, epoch, logs=None):
        written(self, epoch, logs)
        if epoch == 1:
            request_stop(KeyboardInterrupt())  # what the command line's handler records

    checkpoint = tmp_path / "checkpoint"
    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", stop_after_the_second_checkpoint)
    try:
        with pytest.raises(KeyboardInterrupt):
            fit_stream(SequenceModel(**settings, checkpoint_dir=checkpoint), source)
    finally:
        clear_stops()
    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", written)
    assert (checkpoint / "latest").is_file()
    resumed = fit_stream(SequenceModel(**settings, checkpoint_dir=checkpoint), source)
    assert len(resumed.history_["loss"]) == 4
    np.testing.assert_allclose(resumed.history_["loss"], whole.history_["loss"], rtol=1e-4)
    np.testing.assert_allclose(resumed.history_["val_loss"], whole.history_["val_loss"], rtol=1e-4)


def test_a_streamed_fit_combines_its_forecast_with_a_ridge_as_in_memory(tmp_path):
    """Window normalisation streamed: the ridge map is fitted on the sample of training
    windows, its share chosen on the validation windows, and the saved model carries it."""
    from seqshape import SequenceModel, load
    from seqshape.combination import ridge_layer
    from seqshape.runs.streamed import fit_forecast_streamed

    folder = _write(_panel(), tmp_path / "data")
    job = dataclasses.replace(JOB, refit="never")
    model = SequenceModel(epochs=2, units=(4,), random_state=0)
    metrics = fit_forecast_streamed(folder, job, model, tmp_path / "run")
    assert metrics["normalization"]["method"] == "window"
    share = metrics["normalization"]["ridge_share"]
    assert metrics["normalization"]["ridge"].startswith("Ridge combination")
    saved = load(tmp_path / "run" / "model.seqshape")
    assert saved.spec_.ridge_share == share
    assert float(ridge_layer(saved.model_).share.numpy()) == pytest.approx(share)
    assert np.abs(ridge_layer(saved.model_).kernel.numpy()).sum() > 0  # the map was fitted
