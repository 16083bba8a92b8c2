"""``evaluate`` on a Parquet table larger than memory, streamed.

``evaluate_forecast_streamed`` scores a run's model on every window of a Parquet file
or folder next to the baselines, as ``evaluate_forecast`` does, without reading the
table whole: one pass over the id and time columns finds the series and their
lengths, one more finds the rows the fit saw (by time, or for a fit read whole
without a time column by the digest of each series' first rows), and one pass over
the input columns cuts the windows whose targets are all new, a record batch at a
time. Each model's errors are summed as the windows go by
(``seqshape.metrics.RunningRegressionScores``), so every window is scored, not a
sample, and memory stays bounded by a record batch and a batch of windows.

``seqshape.runs.evaluate_run`` (and ``seqshape evaluate``) take this path when
``predict`` would stream the same source (``seqshape.runs.forecasting.streams``).

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs import ForecastJob, fit_forecast
    >>> folder = tempfile.mkdtemp()
    >>> t = np.arange(700)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> out = os.path.join(folder, "run")
    >>> _ = fit_forecast(frame[:600], job, SequenceModel(epochs=2, units=(4,)), out)
    >>> frame.to_parquet(os.path.join(folder, "newer.parquet"), row_group_size=100)
    >>> result = evaluate_forecast_streamed(out, os.path.join(folder, "newer.parquet"))
    >>> result["scored"].split(":")[0], result["streamed"]["passes"]
    ('96 of 676 windows', 3)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from seqshape.errors import InvalidInputError
from seqshape.metrics import RunningRegressionScores
from seqshape.runs.folder import Run, open_run
from seqshape.runs.forecasting import (
    TRAINING_FREE,
    _SeriesScaling,
    _target_features,
    run_baselines,
    scored_words,
)
from seqshape.runs.series_scaling import SeriesScales
from seqshape.runs.targets import TargetPlan
from seqshape.streaming import StreamedTable

# windows predicted at a time (record batches hold a few windows each)
PREDICT_WINDOWS = 8192


def _first_new_rows(run: Run, table: StreamedTable) -> tuple[np.ndarray, bool, bool]:
    """Each series' first row the fit did not see; whether the fit's rows could be
    told from new ones (a streamed fit without a time column keeps no digest); and
    whether the table was read once more to tell them (when the fit saw any of its
    series)."""
    job = run.job
    by_id = {entry["id"]: entry for entry in run.extra.get("seen", [])}
    entries = [by_id.get(str(series_id)) for series_id in table.ids]
    known = [entry for entry in entries if entry is not None]
    if not known:
        return np.zeros(len(table.ids), dtype=np.int64), True, False
    if job.time_column:
        last = np.full(len(table.ids), np.nan)
        for s, entry in enumerate(entries):
            if entry is not None and "last_time" in entry:
                value = entry["last_time"]
                last[s] = pd.Timestamp(value).value if isinstance(value, str) else value
        return table.rows_through(last), True, True
    if not any(entry.get("digest") for entry in known):
        return np.zeros(len(table.ids), dtype=np.int64), False, False
    rows = np.asarray([0 if e is None else int(e["rows"]) for e in entries], dtype=np.int64)
    digests = table.digests(rows)
    same = [
        entry is not None and digest is not None and digest == entry.get("digest")
        for entry, digest in zip(entries, digests, strict=True)
    ]
    return np.where(same, rows, 0), True, True


def _scaling(run: Run, table: StreamedTable) -> _SeriesScaling:
    """The run's per-series scaling; every series must be one the fit scaled."""
    state = run.extra.get("series_scales")
    targets = _target_features(run.job)
    if state is None:
        return _SeriesScaling(run.model, None, targets, None)
    scales = SeriesScales.from_dict(state)
    fitted = set(scales.ids)
    new = [series_id for series_id in table.ids if series_id not in fitted]
    if new:
        raise InvalidInputError(
            "data",
            expected="only series the run was fitted on, for a streamed evaluate of a run "
            "that scales each series on its own (normalization 'series')",
            received=f"{len(new)} series it did not see, e.g. {new[0]!r}",
            fix="Evaluate those series from data read whole (a smaller file), or refit with them.",
        )
    return _SeriesScaling(run.model, scales, targets, None)


def evaluate_forecast_streamed(
    run: str | os.PathLike | Run, data: str | os.PathLike, *, include_seen: bool = False
) -> dict[str, Any]:
    """``evaluate_forecast`` on a Parquet file or folder read in record batches (see
    the module's doc): every window scored, those whose targets the fit saw left out
    unless ``include_seen``. ``streamed`` says how the data was read."""
    run = open_run(run)
    job = run.job
    if run.extra.get("task") != "regression":
        raise InvalidInputError(
            "data",
            expected="a run that forecasts numbers, for a streamed evaluate",
            received=f"a run of {run.extra.get('task')} targets",
            fix="Evaluate labels on data that fits in memory (a smaller Parquet file).",
        )
    table = StreamedTable.scan(data, job)
    firsts, told, read_again = _first_new_rows(run, table)
    passes = 2 + read_again
    seen_rows = int(firsts.sum())
    ranges = table.window_ranges("all")
    total = int((ranges[1] - ranges[0]).sum())
    if seen_rows and not include_seen:
        ranges = table.ranges_after(firsts)
    kept = int((ranges[1] - ranges[0]).sum())
    rows = int(table.lengths.sum())
    scored = scored_words(kept, total, seen_rows, rows, include_seen)
    if not told:
        scored = (
            f"all {total} windows: the run was fitted streamed without a time column, "
            "so the rows it saw cannot be told from new ones (scores on rows it saw are "
            "optimistic)"
        )
    plan = TargetPlan("regression", (), tuple(job.inputs))
    scaling = _scaling(run, table)
    baselines = {
        name: baseline
        for name, baseline in run_baselines(plan, job, run.metrics.get("season")).items()
        if name in TRAINING_FREE
    }
    running: dict[str, RunningRegressionScores] = {}
    for windows in table.batches("all", PREDICT_WINDOWS, ranges=ranges):
        predictions = {"seqshape": scaling.predict(run.model, windows)}
        for name, baseline in baselines.items():
            predictions[name] = baseline.fit(windows.X, windows.y).predict(windows.X)
        for name, baseline in run.baselines.items():
            predictions[name] = baseline.predict(windows.X)
        for name, predicted in predictions.items():
            running.setdefault(name, RunningRegressionScores()).add(windows.y, predicted)
    scale = run.metrics.get("mase_scale")
    scale = None if scale is None else np.asarray(scale, dtype=np.float64)
    return {
        "windows": kept,
        "scored": scored,
        "scores": {name: sums.scores(scale) for name, sums in running.items()},
        "streamed": {"rows": rows, "series": len(table.ids), "passes": int(passes)},
    }


__all__ = ["PREDICT_WINDOWS", "evaluate_forecast_streamed"]
