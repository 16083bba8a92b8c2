"""The whole job on a table: window, split by time, train, compare with baselines, report.

One module per job:

- ``jobs``: ``ForecastJob`` and ``ClassificationJob``, and their file ``job.json``;
- ``forecasting``: the forecasting pipeline (fit, backtest, predict, evaluate);
- ``classification``: the classification pipeline (one label per series);
- ``streamed`` and ``streamed_evaluate``: fit and evaluate on Parquet tables larger
  than memory, read in record batches;
- ``folder``: the run folder, written whole or not at all, and read back;
- ``reporting``: what each report says.

The pipelines take an unfitted estimator (a ``SequenceModel``) and fit a ``clone`` of
it; settings that belong to the job are set on the clone.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs import ForecastJob, evaluate_run, fit_forecast
    >>> t = np.arange(400)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> metrics = fit_forecast(frame, job, SequenceModel(epochs=2, units=(4,)), out)
    >>> t = np.arange(500)                              # 100 steps after the fit's data
    >>> newer = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> result = evaluate_run(out, newer)
    >>> sorted(result["scores"])
    ['drift', 'last value', 'mean', 'ridge', 'seasonal naive', 'seqshape']
    >>> result["scored"].split(":")[0]                 # only targets the fit did not see
    '96 of 476 windows'

"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from seqshape.runs.classification import (
    PADDING,
    evaluate_classification,
    fit_classification,
    predict_classification,
)
from seqshape.runs.folder import Run, open_run
from seqshape.runs.forecasting import (
    backtest,
    evaluate_forecast,
    fit_forecast,
    predict_forecast,
    streams,
)
from seqshape.runs.jobs import JOBS, ClassificationJob, ForecastJob, Job, read_job
from seqshape.runs.streamed_evaluate import evaluate_forecast_streamed

_PREDICT = {"forecast": predict_forecast, "classification": predict_classification}
_EVALUATE = {"forecast": evaluate_forecast, "classification": evaluate_classification}


def predict_run(
    run_dir: str | os.PathLike | Run,
    data: Any,
    out: str | os.PathLike | None = None,
    *,
    sep: str | None = None,
) -> pd.DataFrame:
    """Predictions of a run folder's model on ``data`` (forecasts or classes)."""
    run = open_run(run_dir)
    return _PREDICT[run.job.kind](run, data, out, sep=sep)


def evaluate_run(
    run_dir: str | os.PathLike | Run,
    data: Any,
    *,
    include_seen: bool = False,
    sep: str | None = None,
) -> dict[str, Any]:
    """Scores of a run folder's model on labelled ``data``, next to the baselines;
    ``scored`` says what was scored (see ``evaluate_forecast`` for ``include_seen``).
    A Parquet source that ``predict`` would stream is scored streamed
    (``seqshape.runs.streamed_evaluate``)."""
    run = open_run(run_dir)
    if run.job.kind == "forecast" and streams(run, data) and run.extra.get("task") == "regression":
        return evaluate_forecast_streamed(run, data, include_seen=include_seen)
    return _EVALUATE[run.job.kind](run, data, include_seen=include_seen, sep=sep)


__all__ = [
    "JOBS",
    "PADDING",
    "ClassificationJob",
    "ForecastJob",
    "Job",
    "Run",
    "backtest",
    "evaluate_classification",
    "evaluate_forecast",
    "evaluate_forecast_streamed",
    "evaluate_run",
    "fit_classification",
    "fit_forecast",
    "open_run",
    "predict_classification",
    "predict_forecast",
    "predict_run",
    "read_job",
]
