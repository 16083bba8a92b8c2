"""The forecasting job on a Parquet table larger than memory, streamed.

``fit_forecast_streamed`` is ``fit_forecast`` for a Parquet file or folder read in
record batches (``seqshape.streaming``): the same split by time within each series,
the same scaling (global, by window, or each series by its training rows), trained on
shuffled batches (``seqshape.stream_fit``), scored next to the baselines, refitted on
every window, and written to the same run folder, which ``predict`` and ``evaluate``
read as any other. What differs, and is said in the console, ``metrics.json``
(``"streamed"``) and the report:

- the dataset is read several times, never whole: once for the series (id and time
  columns), once for the statistics, then once a training epoch (and a validation
  epoch when the validation part has more than ``SAMPLE_WINDOWS`` windows);
- choices made from windows (topology, normalisation, seasonal base), the mean and
  ridge baselines and the guard read evenly spaced samples of at most
  ``SAMPLE_WINDOWS`` windows of a part (every window when there are fewer);
- the test scores are those of at most ``SAMPLE_WINDOWS`` test windows, evenly spaced;
- the season comes from the calendar (the first series' first times), or else from the
  autocorrelation of the training rows among the first ``SEASON_ROWS`` rows read;
- the report's figures show steps, not dates.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs import ForecastJob, predict_forecast
    >>> folder = tempfile.mkdtemp()
    >>> t = np.arange(600)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> frame.to_parquet(os.path.join(folder, "load.parquet"), row_group_size=100)
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> out = os.path.join(folder, "run")
    >>> metrics = fit_forecast_streamed(folder, job, SequenceModel(epochs=2, units=(4,)), out)
    >>> metrics["windows"], metrics["streamed"]["passes"]
    ({'train': 396, 'validation': 86, 'test': 86}, 6)
    >>> predict_forecast(out, folder)["step_ahead"].tolist()
    [1, 2, 3, 4, 5]
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from seqshape.baselines import baseline_state
from seqshape.errors import InvalidInputError
from seqshape.fileio import write_json
from seqshape.metrics import error_by_target
from seqshape.runs.folder import (
    BASELINES_FILE,
    METRICS_FILE,
    MODEL_FILE,
    check_out,
    run_folder,
    save_baselines,
    training_summary,
)
from seqshape.runs.forecasting import (
    STORED,
    Say,
    _refit_params,
    _SeriesScaling,
    _silent,
    _target_features,
    by_step,
    headline,
    run_baselines,
    score,
)
from seqshape.runs.guard import guard, quiet_run_fit, warn_if_beaten
from seqshape.runs.jobs import ForecastJob, write_job
from seqshape.runs.reporting import model_line, training_line, write_forecast_report
from seqshape.runs.series_scaling import SeriesScales, series_scaling_reason
from seqshape.runs.targets import TargetPlan
from seqshape.seasons import choose_season
from seqshape.stream_fit import WindowSource, fit_stream
from seqshape.streaming import (
    BATCH_ROWS,
    SAMPLE_WINDOWS,
    StreamedTable,
    StreamStatistics,
    stream_statistics,
)

CHOICES = (
    f"Streamed: the topology, the normalisation and the seasonal base were chosen on an "
    f"evenly spaced sample of at most {SAMPLE_WINDOWS:,} training windows (every window "
    "when there are fewer), the scalers on every training window (streaming statistics), "
    f"the mean and ridge baselines fitted on that sample, and the test scores are those "
    f"of at most {SAMPLE_WINDOWS:,} test windows, evenly spaced."
)


def _refuse(job: ForecastJob) -> None:
    """The settings a streamed fit does not serve, each with its own error."""
    for name, unsupported, why in (
        ("--per-step", job.per_step, "labels per step"),
        ("--backtest-folds", job.backtest_folds, "a rolling-origin backtest"),
        ("--task", job.task == "classification", "classification"),
    ):
        if unsupported:
            raise InvalidInputError(
                name,
                expected="a forecast of numeric targets for a streamed fit",
                received=why,
                fix=f"Leave out {name}, or fit data that fits in memory (--stream off).",
            )


def _season(table: StreamedTable, job: ForecastJob) -> tuple[int, str]:
    """As ``forecast_season``: given, the calendar, else autocorrelation (read from the
    training rows among the first ``SEASON_ROWS`` rows)."""
    if job.season is not None:
        return job.season, "given by the user (--season, or ForecastJob.season)"
    lengths = table.training_lengths()
    if table.time_kind == "datetime":
        return choose_season(lengths, times=table.time_sample, max_lag=job.input_steps)
    values = table.head()
    season, source = choose_season(
        lengths, times=table.time_sample, values=values or None, max_lag=job.input_steps
    )
    rows = sum(len(v) for v in values)
    return season, f"{source}, over the first {rows:,} training rows read"


def _scaling(
    estimator: BaseEstimator, table: StreamedTable, stats: StreamStatistics, job: ForecastJob
) -> tuple[_SeriesScaling, WindowSource]:
    """The per-series scaling, as ``_SeriesScaling.choose`` makes it from every
    series' training rows, and the window source in the model's units."""
    targets = _target_features(job)
    reason = series_scaling_reason(estimator.get_params().get("normalization", "auto"))
    if reason is None:
        return _SeriesScaling(estimator, None, targets, None), WindowSource(table, stats)
    rows = stats.rows
    spread = np.sqrt(rows.m2 / np.maximum(rows.weight, 1)[:, None])
    scales = SeriesScales(tuple(table.ids), rows.mean.copy(), np.where(spread > 0, spread, 1.0))
    scaling = _SeriesScaling(estimator, scales, targets, reason)
    source = WindowSource(
        table,
        stats,
        location=scales.location,
        scale=scales.scale,
        transform=scaling.windows,
    )
    return scaling, source


def _data_lines(table: StreamedTable, job: ForecastJob, counts: dict, season, source) -> list:
    lengths = table.lengths
    rows = (
        f"{lengths.min()}"
        if lengths.min() == lengths.max()
        else (f"{lengths.min()}-{lengths.max()}")
    )
    series = f"{len(lengths)} series" + (f" (by {job.id_column!r})" if job.id_column else "")
    span = ""
    if job.time_column:
        span = f", from {min(table.first_time)} to {max(table.last_time)}"
    gaps = f"; time gaps: {table.gaps[0]}" if table.gaps else ""
    total = sum(counts.values())
    return [
        f"Data: {series} of {rows} rows ({int(lengths.sum()):,} rows){span}{gaps}.",
        f"Windows: {job.input_steps} steps in -> {job.output_steps} out, stride {job.stride}"
        + (f", gap {job.gap}" if job.gap else "")
        + f"; inputs {', '.join(job.inputs)}.",
        f"Split by time within each series{job.holdout_words()}: {counts['train']:,} "
        "training, "
        f"{counts['validation']:,} validation, {counts['test']:,} test windows (of {total:,}; "
        "windows straddling a cut are dropped).",
        f"Task: regression of {', '.join(map(repr, job.targets))} (a streamed fit forecasts "
        f"numbers). Season {season} ({source}).",
    ]


def _seen(table: StreamedTable, job: ForecastJob) -> list[dict[str, Any]]:
    """As ``seen_rows``: each series' rows and last time (without a time column the rows
    cannot be told apart from new ones by content: ``evaluate`` then scores them all)."""
    seen = []
    for number, series_id in enumerate(table.ids):
        entry: dict[str, Any] = {"id": str(series_id), "rows": int(table.lengths[number])}
        if job.time_column:
            last = table.last_time[number]
            entry["last_time"] = last.isoformat() if hasattr(last, "isoformat") else float(last)
        else:
            entry["digest"] = ""
        seen.append(entry)
    return seen


def fit_forecast_streamed(
    data: str | os.PathLike,
    job: ForecastJob,
    estimator: BaseEstimator,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    say: Say | None = None,
    reason: str = "streamed",
) -> dict[str, Any]:
    """``fit_forecast`` on a Parquet file or folder read in record batches (see the
    module's doc); ``reason`` says why it streams. Returns the metrics written."""
    say = say or _silent
    job.check()
    _refuse(job)
    check_out(out, overwrite)
    table = StreamedTable.scan(data, job)
    season, season_source = _season(table, job)
    stats = stream_statistics(table, season)
    counts = {
        "train": table.count("training"),
        "validation": table.count("validation"),
        "test": table.count("test"),
    }
    for name, count in counts.items():
        if count == 0:
            raise job.too_short(name, sorted(int(length) for length in table.lengths))
    passes = 2  # the scan and the statistics
    say(
        f"Streaming: {reason}. The files are read in record batches of {BATCH_ROWS:,} rows, "
        "never whole: once for the series and their times, once for the statistics, "
        "then once a training epoch."
    )
    for line in _data_lines(table, job, counts, season, season_source):
        say(line)
    scaling, source = _scaling(estimator, table, stats, job)
    train_sample = source.sample("training")
    say(model_line(estimator, train_sample))
    say(training_line(estimator))
    say(CHOICES)
    plan = TargetPlan("regression", (), tuple(job.inputs))
    with run_folder(out, overwrite=overwrite) as folder:
        model = clone(scaling.estimator)
        with quiet_run_fit():
            fit_stream(model, source)
        test = stats.samples["test"]
        predictions = {"seqshape": scaling.predict(model, test)}
        fitted = {}
        training = stats.samples["training"]
        for name, baseline in run_baselines(plan, job, season).items():
            fitted[name] = baseline.fit(training.X, training.y)
            predictions[name] = fitted[name].predict(test.X)
        scale = stats.naive_scale
        scores = score(plan, predictions, test.y, scale)
        result = guard(scores, headline(plan, scores, len(job.targets)))
        epochs = len(model.history_["loss"])
        passes += epochs * (1 + (counts["validation"] > SAMPLE_WINDOWS))
        metrics: dict[str, Any] = {
            "task": "forecast",
            "target_task": "regression",
            "windows": counts,
            "season": int(season),
            "season_source": season_source,
            "test": scores,
            "guard": result,
            "error_by_step": {name: by_step(plan, test.y, p) for name, p in predictions.items()},
            **training_summary(model),
            "normalization": scaling.describe(model),
            "gaps": list(table.gaps),
            "read": [],
            "mase_scale": np.asarray(scale).tolist(),
            "error_by_target": {
                name: dict(zip(job.targets, error_by_target(test.y, p), strict=True))
                for name, p in predictions.items()
            },
        }
        saved = model
        if job.refit == "auto":
            total = table.count("all")
            best = int(model.best_epoch_)
            say(
                f"Refitting on all {total:,} windows for {best} epochs (streamed), to "
                "forecast from."
            )
            params = _refit_params(scaling.estimator, best, model)
            saved = clone(scaling.estimator).set_params(**params)
            with quiet_run_fit():
                fit_stream(saved, source.for_refit())
            metrics["refit"] = {"windows": total, "epochs": int(saved.n_epochs_)}
            passes += best
        metrics["streamed"] = {
            "reason": reason,
            "rows": int(table.lengths.sum()),
            "series": len(table.ids),
            "passes": int(passes),
            "test_windows_scored": len(test),
            "choices": CHOICES,
        }
        saved.save(folder / MODEL_FILE)
        save_baselines(
            folder / BASELINES_FILE,
            {name: baseline_state(b) for name, b in fitted.items() if name in STORED},
        )
        extra = {
            "task": "regression",
            "classes": [],
            "inputs": list(job.inputs),
            "seen": _seen(table, job),
            "streamed": True,
            **scaling.extra(),
        }
        write_job(folder, job, extra)
        write_json(folder / METRICS_FILE, metrics)
        report_job = dataclasses.replace(job, time_column=None)  # figures in steps
        write_forecast_report(folder, report_job, model, metrics, None, test, predictions, plan)
    warn_if_beaten(result, "test windows")
    return metrics


__all__ = ["fit_forecast_streamed"]
