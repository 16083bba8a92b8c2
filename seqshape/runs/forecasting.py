"""The forecasting pipeline: window, split by time, fit, compare with baselines, report.

Every function takes the model as an unfitted estimator and fits a ``clone`` of it, so
the estimator passed in is never changed.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs import ForecastJob, fit_forecast, predict_forecast
    >>> t = np.arange(400)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> metrics = fit_forecast(frame, job, SequenceModel(epochs=2, units=(4,)), out)
    >>> sorted(os.listdir(out))
    ['figures', 'job.json', 'metrics.json', 'model.seqshape', 'report.html', 'report.md']
    >>> predict_forecast(out, frame)["step_ahead"].tolist()
    [1, 2, 3, 4, 5]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from seqshape.baselines import forecasting_baselines
from seqshape.errors import InvalidInputError
from seqshape.fileio import write_json
from seqshape.metrics import error_by_step, error_by_target, panel_naive_scale, regression_scores
from seqshape.runs.folder import (
    METRICS_FILE,
    MODEL_FILE,
    Run,
    check_out,
    open_run,
    run_folder,
    training_summary,
    write_csv,
)
from seqshape.runs.guard import guard, quiet_validation_check, warn_if_beaten
from seqshape.runs.jobs import ForecastJob, write_job
from seqshape.runs.reporting import write_forecast_report
from seqshape.runs.series_scaling import SeriesScales, series_scaling_reason
from seqshape.seasons import choose_season
from seqshape.tables import SeriesTable, read_table
from seqshape.windowing import Windows, panel_windows, rolling_origin, split_by_time

# the baselines that need no training, scored again on new data by ``evaluate_forecast``
TRAINING_FREE = ("last value", "seasonal naive", "drift")


def _read(data: Any, job: ForecastJob) -> SeriesTable:
    return read_table(
        data, columns=job.inputs, time_column=job.time_column, id_column=job.id_column
    )


def _windows(table: SeriesTable, job: ForecastJob) -> Windows:
    return panel_windows(
        table.arrays(job.inputs),
        job.input_steps,
        job.output_steps,
        ids=table.ids,
        stride=job.stride,
        gap=job.gap,
        target_columns=range(len(job.targets)),
    )


def _target_features(job: ForecastJob) -> tuple[int, ...]:
    return tuple(range(len(job.targets)))


def training_series(table: SeriesTable, job: ForecastJob) -> list[np.ndarray]:
    """The training part of every series' targets: ``(steps, targets)`` each.

    These give MASE its scale (``seqshape.metrics.panel_naive_scale``) and, without a
    calendar, the season its autocorrelation.
    """
    parts = []
    for values in table.arrays(job.targets):
        cut = int(len(values) * (1 - job.validation_fraction - job.test_fraction))
        parts.append(values[:cut])
    return parts


def score_forecasts(
    predictions: dict[str, np.ndarray], y_test: np.ndarray, training: list[np.ndarray], season: int
) -> dict[str, dict[str, float]]:
    """MAE, RMSE, sMAPE and MASE of each model's test forecasts.

    MASE scales each target by its in-sample seasonal naive error over every training
    series (pooled), then averages over the targets.
    """
    scale = panel_naive_scale(training, season)
    return {
        name: regression_scores(y_test, predicted, scale=scale)
        for name, predicted in predictions.items()
    }


def forecast_season(table: SeriesTable, job: ForecastJob) -> tuple[int, str]:
    """The season of a job's series, and where it came from.

    ``job.season`` wins when given; else the calendar of a time column of dates
    (``seqshape.seasons.choose_season``); autocorrelation of the training part only
    without one. Never longer than the input window, nor than half the shortest
    training series.

    Raises:
        InvalidInputError: a time column of dates with no regular frequency.
    """
    if job.season is not None:
        return job.season, "given by the user (--season, or ForecastJob.season)"
    training = training_series(table, job)
    times = table.frame[job.time_column] if job.time_column else None
    return choose_season(
        [len(part) for part in training], times=times, values=training, max_lag=job.input_steps
    )


def _refit_params(estimator: BaseEstimator, epochs: int) -> dict[str, Any]:
    """The settings that train ``epochs`` epochs on every sample: no holdout, no early
    stop, no checkpoints (those of the evaluated fit belong to another fit)."""
    params: dict[str, Any] = {
        "epochs": epochs,
        "patience": epochs,
        "validation_fraction": 0.0,
        "checkpoint_dir": None,
    }
    if "validation" in estimator.get_params():
        params["validation"] = "none"
    return params


def refit_on_everything(estimator: BaseEstimator, windows: Windows, epochs: int) -> BaseEstimator:
    """A clone of ``estimator`` trained on every window for exactly ``epochs`` epochs."""
    model = clone(estimator).set_params(**_refit_params(estimator, epochs))
    with quiet_validation_check():
        return model.fit(windows.X, windows.y)


class _SeriesScaling:
    """What the model sees and gives back: each series standardised on its own
    (``scales``), or the windows as they are (``scales`` None)."""

    def __init__(
        self,
        estimator: BaseEstimator,
        scales: SeriesScales | None,
        targets: tuple[int, ...],
        reason: str | None,
    ) -> None:
        self.scales, self.targets, self.reason = scales, targets, reason
        # on series scaled one by one, the estimator standardises what is left as one
        self.estimator = (
            estimator if scales is None else clone(estimator).set_params(normalization="global")
        )

    @classmethod
    def choose(
        cls, estimator: BaseEstimator, table: SeriesTable, job: ForecastJob
    ) -> _SeriesScaling:
        fraction = 1 - job.validation_fraction - job.test_fraction
        panel = table.arrays(job.inputs)
        normalization = estimator.get_params().get("normalization", "auto")
        reason = series_scaling_reason(normalization)
        scales = None
        if reason is not None:
            scales = SeriesScales.fit(table.ids, panel, training_fraction=fraction)
        return cls(estimator, scales, _target_features(job), reason)

    @classmethod
    def of_run(cls, run: Run, table: SeriesTable) -> _SeriesScaling:
        """A run's scaling, with series not seen in training scaled by all the history
        given for them."""
        state = run.extra.get("series_scales")
        scales = None
        if state is not None:
            try:
                scales = SeriesScales.from_dict(state)
            except (KeyError, TypeError, ValueError) as error:
                raise InvalidInputError(
                    "RUN_DIR",
                    expected="job.json with the series scales its fit wrote",
                    received=f"{str(run.path)!r}, whose series scales are unreadable ({error})",
                    fix="Fit the run again.",
                ) from None
            scales = scales.extended(table.ids, table.arrays(run.job.inputs))
        return cls(run.model, scales, _target_features(run.job), None)

    def windows(self, windows: Windows) -> Windows:
        if self.scales is None:
            return windows
        return self.scales.scale_windows(windows, self.targets)

    def model_inputs(self, windows: Windows) -> np.ndarray:
        if self.scales is None:
            return windows.X
        return self.scales.scale_inputs(windows.X, windows.series)

    def model_targets(self, windows: Windows) -> np.ndarray:
        if self.scales is None:
            return windows.y
        return self.scales.scale_targets(windows.y, windows.series, self.targets)

    def scale_inputs(self, X: np.ndarray, series: list) -> np.ndarray:
        return X if self.scales is None else self.scales.scale_inputs(X, series)

    def restore(self, y: np.ndarray, series) -> np.ndarray:
        return y if self.scales is None else self.scales.restore(y, series, self.targets)

    def predict(self, model: BaseEstimator, windows: Windows) -> np.ndarray:
        """``model``'s forecasts of ``windows``, in each series' own units."""
        return self.restore(model.predict(self.model_inputs(windows)), windows.series)

    def describe(self, model: BaseEstimator) -> dict[str, str]:
        """The normalisation used and why, for metrics.json and the report."""
        if self.scales is not None:
            return {"method": "series", "reason": str(self.reason)}
        spec = getattr(model, "spec_", None)
        method = getattr(spec, "normalization", "global")
        reason = next((r for r in getattr(spec, "reasons", ()) if "ormalis" in r), "")
        return {"method": str(method), "reason": reason}

    def extra(self) -> dict:
        return {} if self.scales is None else {"series_scales": self.scales.to_dict()}


def fit_forecast(
    data: Any,
    job: ForecastJob,
    estimator: BaseEstimator,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Train a clone of ``estimator`` on ``data`` and write a run folder to ``out``.

    The clone is trained on the first part of each series and scored on the last
    (split by time), next to the baselines. A baseline that beats it is reported
    (``metrics["guard"]``, the report's first line, a ``BaselineWinsWarning``). With
    ``job.refit == "auto"`` the model saved is then trained again on every window for
    the evaluated fit's best epoch count; the scores stay those of the evaluated fit.

    Returns the metrics written to ``metrics.json``.
    """
    job.check()
    check_out(out, overwrite)
    table = _read(data, job)
    windows = _windows(table, job)
    train, validation, test = split_by_time(
        windows,
        table.lengths,
        validation_fraction=job.validation_fraction,
        test_fraction=job.test_fraction,
        output_steps=job.output_steps,
    )
    for name, part in (("training", train), ("validation", validation), ("test", test)):
        if len(part) == 0:
            raise InvalidInputError(
                "data",
                expected=f"enough steps for {name} windows of {job.input_steps} + "
                f"{job.output_steps} steps after splitting each series by time",
                received=f"series of {sorted(set(table.lengths.values()))[:5]} steps",
                fix="Use shorter windows (--input-steps, --output-steps), smaller "
                "--validation-fraction/--test-fraction, or more data.",
            )
    season, season_source = forecast_season(table, job)
    scaling = _SeriesScaling.choose(estimator, table, job)
    with run_folder(out, overwrite=overwrite) as folder:
        model = clone(scaling.estimator)
        with quiet_validation_check():
            model.fit(
                scaling.model_inputs(train),
                scaling.model_targets(train),
                validation_data=(
                    scaling.model_inputs(validation),
                    scaling.model_targets(validation),
                ),
            )
        training = training_series(table, job)
        predictions = {"seqshape": scaling.predict(model, test)}
        for name, baseline in forecasting_baselines(season, _target_features(job)).items():
            predictions[name] = baseline.fit(train.X, train.y).predict(test.X)
        scores = score_forecasts(predictions, test.y, training, season)
        result = guard(scores, "MAE")
        metrics = {
            "task": "forecast",
            "windows": {"train": len(train), "validation": len(validation), "test": len(test)},
            "season": int(season),
            "season_source": season_source,
            "test": scores,
            "guard": result,
            "error_by_step": {name: error_by_step(test.y, p) for name, p in predictions.items()},
            "error_by_target": {
                name: dict(zip(job.targets, error_by_target(test.y, p), strict=True))
                for name, p in predictions.items()
            },
            **training_summary(model),
            "normalization": scaling.describe(model),
            "gaps": list(table.gaps),
        }
        if job.backtest_folds:
            metrics["backtest"] = backtest(windows, job, estimator, season, scaling.scales)
        saved = model
        if job.refit == "auto":
            saved = refit_on_everything(
                scaling.estimator, scaling.windows(windows), int(model.best_epoch_)
            )
            metrics["refit"] = {"windows": len(windows), "epochs": int(saved.n_epochs_)}
        saved.save(folder / MODEL_FILE)
        write_job(folder, job, scaling.extra())
        write_json(folder / METRICS_FILE, metrics)
        write_forecast_report(folder, job, model, metrics, test, predictions["seqshape"])
    warn_if_beaten(result, "test windows")
    return metrics


def backtest(
    windows: Windows,
    job: ForecastJob,
    estimator: BaseEstimator,
    season: int | None = None,
    scales: SeriesScales | None = None,
) -> list[dict]:
    """Rolling-origin backtest: refit a clone of ``estimator`` on each fold's past
    (without checkpoints), and score it and the last value on the fold's block.
    ``scales``: the per-series scaling the model works in (``normalization="series"``)."""
    folds = []
    splits = rolling_origin(windows, job.backtest_folds, job.output_steps)
    season = season if season is not None else job.season  # None: detected per fold
    scaling = _SeriesScaling(estimator, scales, _target_features(job), None)
    for number, (train, test) in enumerate(splits, start=1):
        fold_train, fold_test = windows.subset(train), windows.subset(test)
        model = clone(scaling.estimator).set_params(checkpoint_dir=None)
        with quiet_validation_check():
            model.fit(scaling.model_inputs(fold_train), scaling.model_targets(fold_train))
        predicted = scaling.predict(model, fold_test)
        last_value = forecasting_baselines(season, _target_features(job))["last value"]
        last_value.fit(fold_train.X, fold_train.y)
        folds.append(
            {
                "fold": number,
                "train_windows": len(train),
                "test_windows": len(test),
                "seqshape": regression_scores(fold_test.y, predicted),
                "last value": regression_scores(fold_test.y, last_value.predict(fold_test.X)),
            }
        )
    return folds


def _future_times(rows: pd.DataFrame, time_column: str | None, steps: int) -> list:
    if time_column is None:
        return [None] * steps
    times = rows[time_column]
    step = times.diff().mode().iloc[0] if len(times) > 1 else 1
    return [times.iloc[-1] + step * (ahead + 1) for ahead in range(steps)]


def predict_forecast(
    run: str | os.PathLike | Run, data: Any, out: str | os.PathLike | None = None
) -> pd.DataFrame:
    """Forecast the steps after the end of each series in ``data``; optionally to CSV.

    ``run`` is a run folder (or one opened with ``seqshape.runs.open_run``).
    """
    run = open_run(run)
    job = run.job
    table = _read(data, job)
    inputs = []
    for (series_id, _), values in zip(table.series, table.arrays(job.inputs), strict=True):
        if len(values) < job.input_steps:
            raise InvalidInputError(
                "data",
                expected=f"at least {job.input_steps} steps per series",
                received=f"{len(values)} steps in series {series_id!r}",
                fix="Pass more history for that series.",
            )
        inputs.append(values[-job.input_steps :])
    scaling = _SeriesScaling.of_run(run, table)
    forecasts = scaling.restore(
        run.model.predict(scaling.scale_inputs(np.stack(inputs), table.ids)), table.ids
    )
    rows = []
    for (series_id, series_rows), forecast in zip(table.series, forecasts, strict=True):
        times = _future_times(series_rows, job.time_column, job.output_steps + job.gap)
        for ahead in range(job.output_steps):
            row = {"step_ahead": job.gap + ahead + 1}
            if job.id_column:
                row[job.id_column] = series_id
            if job.time_column:
                row[job.time_column] = times[job.gap + ahead]
            row |= dict(zip(job.targets, forecast[ahead].tolist(), strict=True))
            rows.append(row)
    frame = pd.DataFrame(rows)
    if out is not None:
        write_csv(frame, out)
    return frame


def evaluate_forecast(run: str | os.PathLike | Run, data: Any) -> dict[str, Any]:
    """Score a run's model on every window of ``data``, next to the training-free baselines."""
    run = open_run(run)
    job = run.job
    table = _read(data, job)
    windows = _windows(table, job)
    baselines = forecasting_baselines(run.metrics["season"], _target_features(job))
    scaling = _SeriesScaling.of_run(run, table)
    predictions = {"seqshape": scaling.predict(run.model, windows)}
    for name in TRAINING_FREE:
        predictions[name] = baselines[name].fit(windows.X, windows.y).predict(windows.X)
    return {
        "windows": len(windows),
        "scores": {
            name: regression_scores(windows.y, predicted)
            for name, predicted in predictions.items()
        },
    }
