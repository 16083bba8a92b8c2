"""What a run's report says: sections and figures composed from its metrics.

``seqshape.report`` draws the tables and figures and writes the pages; this module
decides what goes into the report of each kind of job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqshape import report
from seqshape.runs.guard import guard_line
from seqshape.runs.jobs import ForecastJob
from seqshape.windowing import Windows


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


def forecast_sections(job: ForecastJob, model: Any, metrics: dict) -> list[tuple[str, str]]:
    """The Markdown sections of a forecast report: result, data, model, training, backtest."""
    windows = metrics["windows"]
    data = [
        f"- targets: {', '.join(job.targets)}; covariates: {', '.join(job.covariates) or 'none'}",
        f"- windows of {job.input_steps} input steps -> {job.output_steps} output steps "
        f"(stride {job.stride}, gap {job.gap})",
        f"- windows: {windows['train']} training, {windows['validation']} validation, "
        f"{windows['test']} test (split by time within each series)",
        f"- season used by the seasonal naive baseline and MASE: {metrics['season']} "
        f"({metrics.get('season_source', 'source not recorded')})",
        *(f"- {gap}" for gap in metrics["gaps"][:10]),
    ]
    sections = [
        ("Result", report.text_table(metrics["test"], markdown=True)),
        ("Data", "\n".join(data)),
        _model_section(model),
        ("Training", _training_text(metrics)),
    ]
    if "backtest" in metrics:
        folds = metrics["backtest"]
        rows = {f"fold {fold['fold']} seqshape": fold["seqshape"] for fold in folds}
        rows |= {f"fold {fold['fold']} last value": fold["last value"] for fold in folds}
        sections.append(("Rolling-origin backtest", report.text_table(rows, markdown=True)))
    return sections


def write_forecast_report(
    folder: Path,
    job: ForecastJob,
    model: Any,
    metrics: dict,
    test: Windows,
    predicted: np.ndarray,
) -> None:
    """Write the forecast report (Markdown, HTML, figures) into ``folder``."""
    figures = {
        "loss": report.loss_figure(model.history_, model.best_epoch_),
        "forecasts": report.forecast_figure(test.X, test.y, predicted, list(job.targets)),
        "error_by_step": report.horizon_figure(metrics["error_by_step"]),
        "comparison": report.comparison_figure(metrics["test"], "MAE"),
    }
    report.write_report(
        folder,
        "seqshape forecast report",
        forecast_sections(job, model, metrics),
        figures,
        first_line=guard_line(metrics["guard"], "test windows"),
    )


def write_classification_report(folder: Path, model: Any, metrics: dict, series: int) -> None:
    """Write the classification report (Markdown, HTML, figures) into ``folder``."""
    classes = metrics["classes"]
    sections = [
        ("Result", report.text_table(metrics["test"], markdown=True)),
        (
            "Data",
            f"- {series} series, {len(classes)} classes ({', '.join(map(str, classes))}), "
            f"padded to {metrics['steps']} steps and masked",
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
    )
