"""The table workflow from Python in one call: ``seqshape.forecast``.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> import seqshape
    >>> t = np.arange(300)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> run = seqshape.forecast(frame, target="load", time="t", input_steps=20,
    ...                         output_steps=5, out=out, epochs=2, units=(4,))
    >>> sorted(run.metrics["test"])[:3], run.forecasts["step_ahead"].tolist()
    (['drift', 'last value', 'mean'], [1, 2, 3, 4, 5])
    >>> run.report.name
    'report.html'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from seqshape.errors import InvalidInputError
from seqshape.runs.folder import Run, open_run
from seqshape.runs.forecasting import fit_forecast, predict_forecast
from seqshape.runs.guard import guard_line
from seqshape.runs.jobs import ForecastJob


@dataclass(frozen=True)
class ForecastRun:
    """A fitted forecast run: its folder, and what is in it.

    Attributes:
        path: the run folder (``model.seqshape``, ``metrics.json``, the report).
        metrics: the test scores beside the baselines, the verdict (``"guard"``) and more.
        data: the table it was fitted on, to forecast from.
    """

    path: Path
    metrics: dict[str, Any]
    data: Any

    @cached_property
    def run(self) -> Run:
        return open_run(self.path)

    @property
    def model(self) -> Any:
        """The saved ``SequenceModel`` (refitted on all the history unless ``refit="never"``)."""
        return self.run.model

    @cached_property
    def forecasts(self) -> pd.DataFrame:
        """The steps after the end of each series of ``data`` (``seqshape predict``)."""
        return predict_forecast(self.run, self.data)

    @property
    def report(self) -> Path:
        """The self-contained HTML report."""
        return self.path / "report.html"

    @property
    def verdict(self) -> str:
        """One line: the model against the best baseline."""
        return guard_line(self.metrics["guard"], "test windows")


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


# the job's fields that forecast() takes as its own arguments, under other names
_OWN_FIELDS = {"targets", "covariates", "input_steps", "output_steps", "time_column", "id_column"}


def _check_keywords(keywords: dict[str, Any]) -> None:
    """Refuse a keyword that is neither a job field nor a model parameter, naming the
    closest valid ones (``id`` -> ``series``)."""
    from difflib import get_close_matches

    from seqshape.params import BY_NAME

    fields = set(ForecastJob.__dataclass_fields__) - _OWN_FIELDS - {"kind"}
    valid = sorted(fields | set(BY_NAME))
    own = {"id": "series", "id_column": "series", "time_column": "time", "targets": "target"}
    for name in keywords:
        if name not in fields and name not in BY_NAME:
            close = [own[name]] if name in own else get_close_matches(name, valid, n=2)
            raise InvalidInputError(
                name,
                expected="a job field or a model parameter of seqshape.forecast: "
                + ", ".join(valid),
                received=f"the keyword {name!r}",
                fix=f"Did you mean {' or '.join(map(repr, close))}?"
                if close
                else "Pass one of the listed names.",
            )


def forecast(
    data: Any,
    *,
    target: str | Sequence[str],
    time: str | None = None,
    input_steps: int = 40,
    output_steps: int = 10,
    covariates: str | Sequence[str] = (),
    series: str | None = None,
    out: str | os.PathLike | None = None,
    say: Callable[[str], None] | None = None,
    **model_params: Any,
) -> ForecastRun:
    """Forecast the columns ``target`` of a table, as ``seqshape fit`` does on a file.

    Windows each series, splits it by time into train / validation / test, trains a
    ``SequenceModel`` (``model_params``: its parameters, e.g. ``epochs=50``), scores it
    beside the baselines, refits it on all the history, and writes the run folder
    ``out`` (a new temporary folder when None) with the model and the report.

    Args:
        data: a pandas or polars frame, or a CSV or Parquet path.
        target: the column(s) to forecast; a text column is classified.
        time: the time column (row order is time when None).
        input_steps, output_steps: the window lengths.
        covariates: input-only columns.
        series: the column telling series apart, for a panel.
        out: the run folder to write.
        say: receives what the run decides, a line at a time (``print`` to see it).

    Returns:
        The fitted run: ``model``, ``metrics``, ``forecasts``, ``report``, ``verdict``.
        A baseline that beats the model gives a ``BaselineWinsWarning``.
    """
    from seqshape.estimator import SequenceModel

    _check_keywords(model_params)
    job_fields = {
        name: model_params.pop(name)
        for name in list(model_params)
        if name in ForecastJob.__dataclass_fields__
    }
    job = ForecastJob(
        targets=_names(target),
        covariates=_names(covariates),
        input_steps=input_steps,
        output_steps=output_steps,
        time_column=time,
        id_column=series,
        **job_fields,
    )
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="seqshape-")) / "run"
    metrics = fit_forecast(data, job, SequenceModel(**model_params), out, say=say)
    return ForecastRun(out, metrics, data)


__all__ = ["ForecastRun", "forecast"]
