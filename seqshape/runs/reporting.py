"""What a run's report says: sections and figures composed from its metrics.

``seqshape.report`` draws the tables and figures and writes the pages; this module
decides what goes into the report of each kind of job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqshape import report
from seqshape.calendar import frequency_words
from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.params import resolved_epochs
from seqshape.runs.guard import guard_line
from seqshape.runs.jobs import ForecastJob
from seqshape.runs.targets import TargetPlan, target_steps
from seqshape.tables import SeriesTable
from seqshape.training import SMALL_SET_STEPS
from seqshape.windowing import Windows


def _when(times: pd.Series) -> tuple[str, str]:
    """The first and last time as text, without the clock when every time is midnight."""
    if (times.dt.normalize() == times).all():
        return str(times.min().date()), str(times.max().date())
    return f"{times.min():%Y-%m-%d %H:%M}", f"{times.max():%Y-%m-%d %H:%M}"


def _span(table: SeriesTable) -> str:
    """``hourly from 2024-01-01 00:00 to 2024-01-30 03:00``, or how time was read."""
    if not table.time_column:
        return "row order taken as time (no --time-column)"
    times = table.frame[table.time_column]
    if not pd.api.types.is_datetime64_any_dtype(times):
        return f"{table.time_column} from {times.min()} to {times.max()}"
    try:
        every = frequency_words(times, column=table.time_column)
    except (InvalidInputError, InvalidTypeError):  # no regular frequency: the span alone
        every = ""
    first, last = _when(times)
    return f"{every} from {first} to {last}".strip()


def training_line(estimator: Any, classifier: bool = False) -> str:
    """How long training may run, and whether progress is shown; a ``classifier`` with
    ``epochs="auto"`` may instead train every sample for a budget of steps (where its
    held-out part is too small to stop on: ``SequenceModel.fit`` decides).

    Example:
        >>> from seqshape import SequenceModel
        >>> print(training_line(SequenceModel(verbose=1), classifier=True))
        ... # doctest: +NORMALIZE_WHITESPACE
        Training: at most 200 epochs (or as many as make 2,000 gradient steps, where that is
        more), stopping after 10 without a better validation loss; where the held-out part
        would be too small to stop on, 2,000 gradient steps on every series instead.
    """
    params = estimator.get_params()
    auto = params["epochs"] == "auto"
    more = f" (or as many as make {SMALL_SET_STEPS:,} gradient steps, where that is more)"
    line = (
        f"Training: at most {resolved_epochs(params['epochs'])} epochs{more if auto else ''}, "
        f"stopping after {params['patience']} without a better validation loss"
    )
    if classifier and auto:
        line += (
            f"; where the held-out part would be too small to stop on, {SMALL_SET_STEPS:,} "
            "gradient steps on every series instead"
        )
    if params.get("verbose") == 0:
        return line + " (no progress shown: verbose 0) ..."
    return line + "."


def data_lines(
    table: SeriesTable,
    job: ForecastJob,
    plan: TargetPlan,
    parts: tuple[Windows, Windows, Windows],
    season: int | None,
    season_source: str,
) -> list[str]:
    """What a forecast run found in its data and decided, for the console: the series,
    the windows, the split, then the task."""
    lengths = sorted(table.lengths.values())
    rows = f"{lengths[0]}" if lengths[0] == lengths[-1] else f"{lengths[0]}-{lengths[-1]}"
    count = len(lengths)
    series = f"{count} series" + (f" (by {job.id_column!r})" if job.id_column else "")
    gaps = f"time gaps: {table.gaps[0]}" if table.gaps else "no gaps in time"
    if len(table.gaps) > 1:
        gaps += f" (and {len(table.gaps) - 1} more series with gaps)"
    train, validation, test = parts
    total = len(train) + len(validation) + len(test)
    if job.per_step:
        shape = (
            f"{job.input_steps} steps in, the target at each of them (--per-step), "
            f"stride {job.stride}"
        )
    else:
        shape = f"{job.input_steps} steps in -> {job.output_steps} out, stride {job.stride}"
        shape += f", gap {job.gap}" if job.gap else ""
    lines = [
        f"Data: {series} of {rows} rows, {_span(table)}; {gaps}.",
        f"Windows: {shape}; inputs {', '.join(plan.input_names)}.",
        f"Split by time within each series{job.holdout_words()}: {len(train)} training, "
        f"{len(validation)} validation, {len(test)} test windows (of {total}; windows "
        "straddling a cut are dropped).",
        f"Task: {plan.why}."
        + (f" Season {season} ({season_source})." if season is not None else ""),
    ]
    if table.notes:
        lines.insert(1, f"Read with {'; '.join(table.notes)}.")
    return lines


def model_line(estimator: Any, train: Windows) -> str:
    """``Model: <topology title>: <why>``: the topology the fit will choose, and why."""
    from seqshape.builders import get_topology, infer_spec
    from seqshape.errors import SeqShapeError

    params = estimator.get_params()
    sample = np.arange(min(len(train), 2048))
    if train.y.dtype.kind in "biuUSO":  # labels: a window with each class, wherever it is
        labels = train.y.reshape(len(train.y), -1)
        first = np.unique(labels.ravel(), return_index=True)[1] // labels.shape[1]
        sample = np.union1d(sample, first)
    try:
        spec = infer_spec(
            train.X[sample],
            train.y[sample],
            topology=params.get("topology", "auto"),
            strategy=params.get("strategy", "auto"),
            task=params.get("task", "auto"),
            mask_value=params.get("mask_value"),
        )
    except SeqShapeError:  # the fit says what is wrong, with its own words
        return "Model: chosen by the fit."
    reason = get_topology(spec.topology).reason(spec)
    return f"Model: {spec.title} ({spec.task}). {reason}"


def _model_section(model: Any) -> tuple[str, str]:
    return ("Model", "```\n" + str(model.explain()) + "\n```")


def _training_text(metrics: dict) -> str:
    text = (
        f"{metrics['epochs']} epochs, best {metrics['best_epoch']} (restored), "
        f"median epoch {metrics['median_epoch_seconds']:.3f} s. The scores are those of "
        "this evaluated fit."
    )
    refit = metrics.get("refit")
    if refit is None:
        return text + " The model saved is the evaluated one (no refit)."
    return text + (
        f" The model saved was refitted on all {refit['windows']} windows for "
        f"{refit['epochs']} epochs (the best epoch of the evaluated fit), with no holdout."
    )


def backtest_table(folds: list[dict], metric: str) -> str:
    """The backtest's folds with their dates, each model's ``metric``, and the average."""
    names = [key for key in folds[0] if isinstance(folds[0][key], dict)]
    lines = [
        "| fold | from | to | test windows | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for fold in folds:
        values = " | ".join(f"{fold[name][metric]:.4f}" for name in names)
        lines.append(
            f"| {fold['fold']} | {fold.get('from', '')} | {fold.get('to', '')} | "
            f"{fold['test_windows']} | {values} |"
        )
    means = " | ".join(f"{np.mean([f[name][metric] for f in folds]):.4f}" for name in names)
    lines.append(f"| average | | | {sum(f['test_windows'] for f in folds)} | {means} |")
    return "\n".join(lines) + f"\n\n{metric} of each fold's test block."


def forecast_sections(job: ForecastJob, model: Any, metrics: dict) -> list[tuple[str, str]]:
    """The Markdown sections of a forecast report: result, data, model, training, backtest."""
    windows = metrics["windows"]
    metric = "accuracy" if metrics.get("target_task") == "classification" else "MAE"
    data = [
        f"- targets: {', '.join(job.targets)} ({metrics.get('target_task', 'regression')}); "
        f"covariates: {', '.join(job.covariates) or 'none'}",
        f"- windows of {job.input_steps} input steps -> "
        + (
            "the target at each of those steps"
            if job.per_step
            else f"{job.output_steps} output steps"
        )
        + f" (stride {job.stride}, gap {job.gap})",
        f"- windows: {windows['train']} training, {windows['validation']} validation, "
        f"{windows['test']} test (split by time within each series{job.holdout_words()})",
        *(f"- read with {note}" for note in metrics.get("read", [])),
        *(f"- {gap}" for gap in metrics["gaps"][:10]),
    ]
    if "streamed" in metrics:
        streamed = metrics["streamed"]
        data.append(
            f"- {streamed['rows']:,} rows in {streamed['series']:,} series, {streamed['reason']}"
            f" ({streamed['passes']} passes over the files). {streamed['choices']}"
        )
    if metrics.get("season") is not None:
        data.insert(
            3,
            f"- season used by the seasonal naive baseline and MASE: {metrics['season']} "
            f"({metrics.get('season_source', 'source not recorded')})",
        )
    sections = [
        ("Result", report.text_table(metrics["test"], markdown=True)),
        ("Data", "\n".join(data)),
        _model_section(model),
        ("Training", _training_text(metrics)),
    ]
    if "backtest" in metrics:
        sections.append(("Rolling-origin backtest", backtest_table(metrics["backtest"], metric)))
    return sections


def _window_times(
    table: SeriesTable, job: ForecastJob, test: Windows
) -> tuple[list | None, list | None]:
    """For each test window, the times of its input steps and of its target steps."""
    if not job.time_column:
        return None, None
    rows = dict(table.series)
    past, future = [], []
    steps = target_steps(job)
    for series_id, start in zip(test.series, test.target_start, strict=True):
        times = rows[series_id][job.time_column].to_numpy()
        first_input = start if job.per_step else start - job.gap - job.input_steps
        past.append(times[first_input : first_input + job.input_steps])
        future.append(times[start : start + steps])
    return past, future


def write_forecast_report(
    folder: Path,
    job: ForecastJob,
    model: Any,
    metrics: dict,
    table: SeriesTable,
    test: Windows,
    predictions: dict[str, np.ndarray],
    plan: TargetPlan,
) -> None:
    """Write the forecast report (Markdown, HTML, figures) into ``folder``."""
    best = metrics["guard"].get("best_baseline")
    metric = "accuracy" if plan.is_classifier else "MAE"
    figures = {"loss": report.loss_figure(model.history_, model.best_epoch_)}
    if plan.is_classifier:
        figures["accuracy_by_step"] = report.horizon_figure(
            {"all targets": metrics["error_by_step"]}, metric="accuracy", per_step=job.per_step
        )
    else:
        past_times, future_times = _window_times(table, job, test)
        shown = {"seqshape": predictions["seqshape"]}
        for name in dict.fromkeys([best, "last value"]):
            if name in predictions and name != "seqshape":
                shown[name] = predictions[name]
        figures["forecasts"] = report.forecast_figure(
            None if job.per_step else test.X[:, :, : len(job.targets)],
            test.y,
            shown,
            list(job.targets),
            past_times=past_times,
            future_times=future_times,
        )
        figures["error_by_step"] = report.horizon_figure(
            {
                target: {
                    name: np.abs(test.y[:, :, index] - predicted[:, :, index])
                    .mean(axis=0)
                    .tolist()
                    for name, predicted in shown.items()
                }
                for index, target in enumerate(job.targets)
            },
            metric="MAE",
            per_step=job.per_step,
        )
    figures["comparison"] = report.comparison_figure(metrics["test"], metric)
    report.write_report(
        folder,
        "seqshape forecast report",
        forecast_sections(job, model, metrics),
        figures,
        first_line=guard_line(metrics["guard"], "test windows"),
        warning=bool(metrics["guard"]["baseline_wins"]),
    )


def lengths_words(lengths: tuple[int, int] | list[int], steps: int) -> str:
    """The series' shortest and longest lengths (in steps: a long table's rows, or a
    wide table's columns) as the data lines say them, with what was done to bring them
    to ``steps``: padded (and masked) and/or cut.

    Example:
        >>> lengths_words((100, 100), 100), lengths_words((80, 100), 100)
        ('100 steps each', '80-100 steps, padded to 100 and masked')
        >>> lengths_words((120, 120), 100)
        '120 steps each, cut to 100'
    """
    shortest, longest = lengths
    words = f"{longest} steps each" if shortest == longest else f"{shortest}-{longest} steps"
    if longest > steps:
        words += f", cut to {steps}"
    if shortest < steps:
        words += f", padded to {steps} and masked"
    return words


def write_classification_report(folder: Path, model: Any, metrics: dict, series: int) -> None:
    """Write the classification report (Markdown, HTML, figures) into ``folder``."""
    classes = metrics["classes"]
    sections = [
        ("Result", report.text_table(metrics["test"], markdown=True)),
        (
            "Data",
            f"- {series} series, {len(classes)} classes ({', '.join(map(str, classes))}), "
            + lengths_words(metrics["lengths"], metrics["steps"]),
        ),
        _model_section(model),
    ]
    figures = {
        "loss": report.loss_figure(model.history_, model.best_epoch_),
        "comparison": report.comparison_figure(metrics["test"], "accuracy"),
    }
    report.write_report(
        folder,
        "seqshape classification report",
        sections,
        figures,
        first_line=guard_line(metrics["guard"], "test series"),
        warning=bool(metrics["guard"]["baseline_wins"]),
    )
