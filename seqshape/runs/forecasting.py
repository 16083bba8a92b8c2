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
    >>> sorted(os.listdir(out))  # doctest: +NORMALIZE_WHITESPACE
    ['baselines.npz', 'figures', 'job.json', 'metrics.json', 'model.seqshape',
     'report.html', 'report.md']
    >>> predict_forecast(out, frame)["step_ahead"].tolist()
    [1, 2, 3, 4, 5]
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from seqshape.baselines import (
    MeanBaseline,
    RidgeBaseline,
    baseline_state,
    forecasting_baselines,
    label_baselines,
)
from seqshape.calendar import next_times
from seqshape.errors import InvalidInputError
from seqshape.fileio import write_json
from seqshape.metrics import (
    accuracy_by_step,
    classification_scores,
    error_by_step,
    error_by_target,
    panel_naive_scale,
    regression_scores,
)
from seqshape.runs.folder import (
    BASELINES_FILE,
    METRICS_FILE,
    MODEL_FILE,
    Run,
    check_out,
    open_run,
    run_folder,
    save_baselines,
    training_summary,
    write_csv,
)
from seqshape.runs.guard import guard, quiet_run_fit, warn_if_beaten
from seqshape.runs.jobs import ForecastJob, write_job
from seqshape.runs.reporting import (
    data_lines,
    model_line,
    training_line,
    write_forecast_report,
)
from seqshape.runs.series_scaling import SeriesScales, series_scaling_reason
from seqshape.runs.targets import (
    TargetPlan,
    choose_task,
    make_windows,
    series_inputs,
    target_steps,
)
from seqshape.seasons import choose_season
from seqshape.streaming import StreamedTable, is_parquet_source, stream_decision
from seqshape.tables import SeriesTable, check_numeric, read_table
from seqshape.windowing import Windows, rolling_origin, split_by_time

# the baselines that need no training, scored again on new data by ``evaluate_forecast``;
# those that do (mean, ridge, majority class) are kept in the run folder (BASELINES_FILE)
TRAINING_FREE = ("last value", "seasonal naive", "drift", "last label")
STORED = ("mean", "ridge", "majority class")

Say = Callable[[str], None]


def _silent(text: str) -> None:
    """The default ``say``: a run from Python prints nothing."""


def _read(data: Any, job: ForecastJob, sep: str | None = None) -> SeriesTable:
    return read_table(
        data,
        columns=job.covariates,
        label_columns=job.targets,
        time_column=job.time_column,
        id_column=job.id_column,
        sep=sep,
        date_format=job.date_format,
    )


def _plan(table: SeriesTable, job: ForecastJob, extra: dict | None = None) -> TargetPlan:
    """The task: as the fit found it (``extra`` of ``job.json``), else from the data."""
    if extra and "task" in extra:
        plan = TargetPlan(
            extra["task"], tuple(extra.get("classes", ())), tuple(extra["inputs"]), ""
        )
    else:
        plan = choose_task(table.frame, job)
    if not plan.is_classifier:
        check_numeric(table.frame, job.targets)
    return plan


def _target_features(job: ForecastJob) -> tuple[int, ...]:
    return tuple(range(len(job.targets)))


def headline(plan: TargetPlan, scores: dict[str, dict[str, float]], targets: int) -> str:
    """The metric the guard and the console lead with: accuracy for labels; for numbers
    MAE, or MASE where there are several targets (each target's error over its own naive
    error, so that a target in large units does not decide alone: statsmodels' real GDP,
    in billions, beside unemployment, in percent)."""
    if plan.is_classifier:
        return "accuracy"
    if targets > 1 and all(np.isfinite(row.get("MASE", np.nan)) for row in scores.values()):
        return "MASE"
    return "MAE"


def training_series(table: SeriesTable, job: ForecastJob) -> list[np.ndarray]:
    """The training part of every series' targets: ``(steps, targets)`` each.

    These give MASE its scale (``seqshape.metrics.panel_naive_scale``) and, without a
    calendar, the season its autocorrelation.
    """
    parts = []
    for values in table.arrays(job.targets):
        parts.append(values[: job.training_rows(len(values))])
    return parts


def score_forecasts(
    predictions: dict[str, np.ndarray], y_test: np.ndarray, scale: np.ndarray | None
) -> dict[str, dict[str, float]]:
    """MAE, RMSE and sMAPE of each model's test forecasts, and MASE given the naive
    ``scale`` of each target (``seqshape.metrics.panel_naive_scale`` of the training
    series, pooled); MASE averages over the targets."""
    return {
        name: regression_scores(y_test, predicted, scale=scale)
        for name, predicted in predictions.items()
    }


def score(
    plan: TargetPlan,
    predictions: dict[str, np.ndarray],
    y_true: np.ndarray,
    scale: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """Each model's scores: regression's errors, or accuracy, balanced accuracy and F1."""
    if plan.is_classifier:
        return {name: classification_scores(y_true, p) for name, p in predictions.items()}
    return score_forecasts(predictions, y_true, scale)


def by_step(plan: TargetPlan, y_true: np.ndarray, predicted: np.ndarray) -> list[float]:
    """MAE (or accuracy) at each target step."""
    if plan.is_classifier:
        return accuracy_by_step(y_true, predicted)
    return error_by_step(y_true, predicted)


def run_baselines(plan: TargetPlan, job: ForecastJob, season: int | None) -> dict:
    """The baselines of this job, by name (unfitted)."""
    if plan.is_classifier:
        return label_baselines(job.per_step, len(plan.classes))
    if job.per_step:  # the target is not an input: nothing to repeat
        return {"mean": MeanBaseline(), "ridge": RidgeBaseline()}
    return forecasting_baselines(season, _target_features(job))


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


def _refit_params(
    estimator: BaseEstimator, epochs: int, evaluated: BaseEstimator
) -> dict[str, Any]:
    """The settings that train ``epochs`` epochs on every sample: no holdout, no early
    stop, no checkpoints (those of the evaluated fit belong to another fit), and the
    seasonal base and ridge share the ``evaluated`` fit chose (the model scored is the
    one refitted)."""
    params: dict[str, Any] = {
        "epochs": epochs,
        "patience": epochs,
        "validation_fraction": 0.0,
        "checkpoint_dir": None,
    }
    if "validation" in estimator.get_params():
        params["validation"] = "none"
    if estimator.get_params().get("seasonal_base") == "auto":
        params["seasonal_base"] = evaluated.spec_.seasonal_base
    if estimator.get_params().get("ridge_share") == "auto":
        params["ridge_share"] = evaluated.spec_.ridge_share
    return params


def refit_on_everything(
    estimator: BaseEstimator, windows: Windows, epochs: int, evaluated: BaseEstimator
) -> BaseEstimator:
    """A clone of ``estimator`` trained on every window for exactly ``epochs`` epochs,
    as the ``evaluated`` fit was set up (``_refit_params``)."""
    model = clone(estimator).set_params(**_refit_params(estimator, epochs, evaluated))
    with quiet_run_fit():
        return model.fit(windows.X, windows.y)


def _split(windows: Windows, table: SeriesTable, job: ForecastJob):
    parts = split_by_time(
        windows,
        table.lengths,
        validation_fraction=job.validation_fraction,
        test_fraction=job.test_fraction,
        holdout_steps=job.holdout_steps,
        output_steps=target_steps(job),
    )
    for name, part in zip(("training", "validation", "test"), parts, strict=True):
        if len(part) == 0:
            raise job.too_short(name, sorted(table.lengths.values()))
    return parts


def seen_rows(table: SeriesTable, job: ForecastJob) -> list[dict[str, Any]]:
    """What the fit saw of each series, to tell new data from it later (JSON-ready):
    the last time (with a time column), else the number of rows and their digest."""
    seen = []
    for series_id, rows in table.series:
        entry: dict[str, Any] = {"id": str(series_id), "rows": len(rows)}
        if job.time_column:
            last = rows[job.time_column].iloc[-1]
            entry["last_time"] = last.isoformat() if hasattr(last, "isoformat") else float(last)
        else:
            entry["digest"] = _digest(rows, job, len(rows))
        seen.append(entry)
    return seen


def _digest(rows: pd.DataFrame, job: ForecastJob, count: int) -> str:
    """A digest of the first ``count`` rows' input values, the same in every process
    (pandas' row hashes of their text, not the bytes of an array of Python objects)."""
    values = rows[list(job.inputs)].iloc[:count].astype(str)
    hashes = pd.util.hash_pandas_object(values, index=False).to_numpy()
    return hashlib.sha256(hashes.tobytes()).hexdigest()


def _new_from(table: SeriesTable, job: ForecastJob, seen: list[dict]) -> dict:
    """Per series id: the first row index that the fit did not see (0: all new)."""
    by_id = {entry["id"]: entry for entry in seen}
    firsts = {}
    for series_id, rows in table.series:
        entry = by_id.get(str(series_id))
        first = 0
        if entry is not None and "last_time" in entry:
            times = rows[job.time_column]
            last = entry["last_time"]
            last = pd.Timestamp(last) if isinstance(last, str) else last
            first = int((times <= last).sum())
        elif (
            entry is not None
            and len(rows) >= entry["rows"]
            and _digest(rows, job, entry["rows"]) == entry["digest"]
        ):
            first = entry["rows"]
        firsts[series_id] = first
    return firsts


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
        cls, estimator: BaseEstimator, table: SeriesTable, job: ForecastJob, plan: TargetPlan
    ) -> _SeriesScaling:
        normalization = estimator.get_params().get("normalization", "auto")
        reason = series_scaling_reason(normalization)
        if reason is None:
            return cls(estimator, None, _target_features(job), None)
        if plan.is_classifier or job.per_step:
            raise InvalidInputError(
                "normalization",
                expected="'series' for forecasts of numeric targets",
                received=f"{plan.task} targets" + (" labelled per step" if job.per_step else ""),
                fix="Leave --normalization on auto (or use global) for labels.",
            )
        panel = series_inputs(table, job, plan)
        rows = [job.training_rows(len(values)) for values in panel]
        scales = SeriesScales.fit(table.ids, panel, training_rows=rows)
        return cls(estimator, scales, _target_features(job), reason)

    @classmethod
    def of_run(cls, run: Run, table: SeriesTable, plan: TargetPlan) -> _SeriesScaling:
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
            scales = scales.extended(table.ids, series_inputs(table, run.job, plan))
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
        """The normalisation used and why, for metrics.json and the report; with a
        ridge combination its share and why."""
        if self.scales is not None:
            return {"method": "series", "reason": str(self.reason)}
        spec = getattr(model, "spec_", None)
        method = getattr(spec, "normalization", "global")
        reason = next((r for r in getattr(spec, "reasons", ()) if "ormalis" in r), "")
        described = {"method": str(method), "reason": reason}
        share = getattr(spec, "ridge_share", None)
        if share is not None:  # the ridge's share of the forecast, and why
            described["ridge_share"] = share
            described["ridge"] = next(r for r in spec.reasons if r.startswith("Ridge comb"))
        return described

    def extra(self) -> dict:
        return {} if self.scales is None else {"series_scales": self.scales.to_dict()}


def fit_forecast(
    data: Any,
    job: ForecastJob,
    estimator: BaseEstimator,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    say: Say | None = None,
    sep: str | None = None,
) -> dict[str, Any]:
    """Train a clone of ``estimator`` on ``data`` and write a run folder to ``out``.

    The clone is trained on the first part of each series and scored on the last
    (split by time), next to the baselines. A baseline that beats it is reported
    (``metrics["guard"]``, the report's first line, a ``BaselineWinsWarning``). With
    ``job.refit == "auto"`` the model saved is then trained again on every window for
    the evaluated fit's best epoch count; the scores stay those of the evaluated fit.
    ``say`` receives what the run decides, a line at a time (the command line prints
    them); ``sep`` is a text file's column separator (detected when None).

    Returns the metrics written to ``metrics.json``.
    """
    say = say or _silent
    job.check()
    check_out(out, overwrite)
    table = _read(data, job, sep)
    plan = _plan(table, job)
    lengths = sorted(table.lengths.values())
    if not job.per_step and lengths[-1] < job.input_steps + job.gap + job.output_steps:
        raise job.too_short("training", lengths)  # with windows that fit
    windows = make_windows(table, job, plan)
    train, validation, test = _split(windows, table, job)
    if plan.is_classifier:
        season, season_source, scale = None, "no season for labels", None
    else:
        season, season_source = forecast_season(table, job)
        scale = panel_naive_scale(training_series(table, job), season)
    for line in data_lines(table, job, plan, (train, validation, test), season, season_source):
        say(line)
    say(model_line(estimator, train))
    say(training_line(estimator))
    scaling = _SeriesScaling.choose(estimator, table, job, plan)
    with run_folder(out, overwrite=overwrite) as folder:
        model = clone(scaling.estimator)
        with quiet_run_fit():
            model.fit(
                scaling.model_inputs(train),
                scaling.model_targets(train),
                validation_data=(
                    scaling.model_inputs(validation),
                    scaling.model_targets(validation),
                ),
            )
        ridge = scaling.describe(model).get("ridge")
        if ridge:  # decided after training, on the validation windows
            say(ridge)
        predictions = {"seqshape": scaling.predict(model, test)}
        fitted = {}
        for name, baseline in run_baselines(plan, job, season).items():
            fitted[name] = baseline.fit(train.X, train.y)
            predictions[name] = fitted[name].predict(test.X)
        scores = score(plan, predictions, test.y, scale)
        result = guard(scores, headline(plan, scores, len(job.targets)))
        metrics = {
            "task": "forecast",
            "target_task": plan.task,
            "windows": {"train": len(train), "validation": len(validation), "test": len(test)},
            "season": None if season is None else int(season),
            "season_source": season_source,
            "test": scores,
            "guard": result,
            "error_by_step": {name: by_step(plan, test.y, p) for name, p in predictions.items()},
            **training_summary(model),
            "normalization": scaling.describe(model),
            "gaps": list(table.gaps),
            "read": list(table.notes),
        }
        if scale is not None:
            metrics["mase_scale"] = np.asarray(scale).tolist()
        if not plan.is_classifier:
            metrics["error_by_target"] = {
                name: dict(zip(job.targets, error_by_target(test.y, p), strict=True))
                for name, p in predictions.items()
            }
        if job.backtest_folds:
            say(f"Backtest: {job.backtest_folds} rolling-origin folds, each fitted afresh.")
            metrics["backtest"] = backtest(
                windows, job, estimator, season, plan, table, scaling.scales
            )
        saved = model
        if job.refit == "auto":
            say(
                f"Refitting on all {len(windows)} windows for {int(model.best_epoch_)} epochs "
                "(the best epoch of the evaluated fit), to forecast from."
            )
            saved = refit_on_everything(
                scaling.estimator, scaling.windows(windows), int(model.best_epoch_), model
            )
            metrics["refit"] = {"windows": len(windows), "epochs": int(saved.n_epochs_)}
        saved.save(folder / MODEL_FILE)
        save_baselines(
            folder / BASELINES_FILE,
            {name: baseline_state(b) for name, b in fitted.items() if name in STORED},
        )
        extra = {
            "task": plan.task,
            "classes": list(plan.classes),
            "inputs": list(plan.input_names),
            "seen": seen_rows(table, job),
            **scaling.extra(),
        }
        write_job(folder, job, extra)
        write_json(folder / METRICS_FILE, metrics)
        write_forecast_report(folder, job, model, metrics, table, test, predictions, plan)
    warn_if_beaten(result, "test windows")
    return metrics


def backtest(
    windows: Windows,
    job: ForecastJob,
    estimator: BaseEstimator,
    season: int | None = None,
    plan: TargetPlan | None = None,
    table: SeriesTable | None = None,
    scales: SeriesScales | None = None,
) -> list[dict]:
    """Rolling-origin backtest: refit a clone of ``estimator`` on each fold's past
    (without checkpoints), and score it and the first baseline on the fold's block.

    Each fold says where its test block lies (its first and last target step, as times
    when ``table`` has a time column). ``scales``: the per-series scaling the model
    works in (``normalization="series"``)."""
    plan = plan or TargetPlan("regression", (), tuple(job.inputs))
    folds = []
    splits = rolling_origin(windows, job.backtest_folds, target_steps(job))
    season = season if season is not None else job.season  # None: detected per fold
    scaling = _SeriesScaling(estimator, scales, _target_features(job), None)
    for number, (train, test) in enumerate(splits, start=1):
        fold_train, fold_test = windows.subset(train), windows.subset(test)
        model = clone(scaling.estimator).set_params(checkpoint_dir=None)
        with quiet_run_fit():
            model.fit(scaling.model_inputs(fold_train), scaling.model_targets(fold_train))
        name, baseline = next(iter(run_baselines(plan, job, season).items()))
        if not plan.is_classifier and not job.per_step:
            name, baseline = (
                "last value",
                forecasting_baselines(season, _target_features(job))["last value"],
            )
        baseline.fit(fold_train.X, fold_train.y)
        scores = score(
            plan,
            {
                "seqshape": scaling.predict(model, fold_test),
                name: baseline.predict(fold_test.X),
            },
            fold_test.y,
        )
        folds.append(
            {
                "fold": number,
                "train_windows": len(train),
                "test_windows": len(test),
                **_block(fold_test, job, table),
                **scores,
            }
        )
    return folds


def _block(test: Windows, job: ForecastJob, table: SeriesTable | None) -> dict[str, str]:
    """The first and last target step of a fold's windows, as times when there are."""
    first = int(test.target_start.min())
    last = int(test.target_start.max()) + target_steps(job) - 1
    if table is None or not job.time_column:
        return {"from": f"step {first}", "to": f"step {last}"}
    times = dict(table.series)[test.series[0]][job.time_column]
    last = min(last, len(times) - 1)
    return {"from": str(times.iloc[first]), "to": str(times.iloc[last])}


def _labels(plan: TargetPlan, values: np.ndarray) -> list:
    if plan.is_classifier:
        return [plan.classes[int(code)] for code in np.ravel(values)]
    return np.ravel(values).tolist()


def _label_steps(run: Run, table: SeriesTable, plan: TargetPlan) -> pd.DataFrame:
    """Per-step targets for every row of every series (windows side by side, the last
    one flush with the end)."""
    job = run.job
    steps = job.input_steps
    inputs = series_inputs(table, job, plan)
    frames = []
    for (series_id, rows), values in zip(table.series, inputs, strict=True):
        if len(values) < steps:
            raise InvalidInputError(
                "data",
                expected=f"at least {steps} steps per series (--input-steps)",
                received=f"{len(values)} steps in series {series_id!r}",
                fix="Pass more rows for that series.",
            )
        starts = sorted({*range(0, len(values) - steps + 1, steps), len(values) - steps})
        predicted = run.model.predict(np.stack([values[s : s + steps] for s in starts]))
        out = np.empty((len(values), predicted.shape[-1]), dtype=predicted.dtype)
        for start, window in zip(starts, predicted, strict=True):
            out[start : start + steps] = window
        frame = rows[[c for c in (job.id_column, job.time_column) if c]].copy()
        if table.time_form:  # written as the data wrote them: 2016 Q4, 20161001
            frame[job.time_column] = table.written_times(frame[job.time_column])
        for column, target in enumerate(job.targets):
            frame[target] = _labels(plan, out[:, column])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def predict_forecast(
    run: str | os.PathLike | Run,
    data: Any,
    out: str | os.PathLike | None = None,
    *,
    sep: str | None = None,
) -> pd.DataFrame:
    """Forecast the steps after the end of each series in ``data`` (or, for a per-step
    job, the target at every row); optionally to CSV.

    A Parquet file or folder is streamed for the last rows of each series when the
    run was fitted streamed, or when it is too large to read whole
    (``seqshape.streaming.stream_decision``).

    ``run`` is a run folder (or one opened with ``seqshape.runs.open_run``).
    """
    run = open_run(run)
    job = run.job
    if streams(run, data):  # the last rows of each series, read in one streamed pass
        data = StreamedTable.open(data, job).tails(job.input_steps + 1)
    table = _read(data, job, sep)
    plan = _plan(table, job, run.extra)
    if job.per_step:
        frame = _label_steps(run, table, plan)
        if out is not None:
            write_csv(frame, out)
        return frame
    inputs = []
    for (series_id, _), values in zip(table.series, series_inputs(table, job, plan), strict=True):
        if len(values) < job.input_steps:
            raise InvalidInputError(
                "data",
                expected=f"at least {job.input_steps} steps per series",
                received=f"{len(values)} steps in series {series_id!r}",
                fix="Pass more history for that series.",
            )
        inputs.append(values[-job.input_steps :])
    scaling = _SeriesScaling.of_run(run, table, plan)
    forecasts = scaling.restore(
        run.model.predict(scaling.scale_inputs(np.stack(inputs), table.ids)), table.ids
    )
    rows = []
    for (series_id, series_rows), forecast in zip(table.series, forecasts, strict=True):
        times = (
            next_times(series_rows[job.time_column], job.output_steps + job.gap)
            if job.time_column
            else None
        )
        if table.time_form:  # written as the data wrote them: 2016 Q4, 20161001
            times = table.written_times(times)
        for ahead in range(job.output_steps):
            row = {"step_ahead": job.gap + ahead + 1}
            if job.id_column:
                row[job.id_column] = series_id
            if job.time_column:
                row[job.time_column] = times[job.gap + ahead]
            row |= dict(zip(job.targets, _labels(plan, forecast[ahead]), strict=True))
            rows.append(row)
    frame = pd.DataFrame(rows)
    if out is not None:
        write_csv(frame, out)
    return frame


def scored_words(kept: int, total: int, seen_rows: int, rows: int, include_seen: bool) -> str:
    """What ``evaluate`` scored, in words: ``kept`` of ``total`` windows, ``seen_rows``
    of the data's ``rows`` being rows the fit saw.

    Raises:
        InvalidInputError: the fit saw every target, and ``include_seen`` is off.
    """
    if seen_rows and not include_seen:
        if kept == 0:
            raise InvalidInputError(
                "data",
                expected="rows after the data the run was fitted on",
                received=f"only rows the fit saw, or at times it saw ({seen_rows} of {rows})",
                fix="Pass newer data. If these rows are another recording over the same "
                "times, --include-seen scores them all (include_seen=True in Python); on "
                "the data the run was fitted on, its scores would be optimistic.",
            )
        return (
            f"{kept} of {total} windows: {seen_rows} of {rows} rows are data the fit saw, "
            "so only windows whose targets are all new were scored (--include-seen scores "
            "all)"
        )
    if seen_rows:
        return (
            f"all {total} windows, including data the fit saw ({seen_rows} of {rows} rows): "
            "those scores are optimistic"
        )
    return f"all {total} windows (none overlaps the data the run was fitted on)"


def streams(run: Run, data: Any) -> bool:
    """Whether ``predict`` and ``evaluate`` read ``data`` streamed: a Parquet source,
    for a forecast (not labels per step), when the run was fitted streamed or the
    source is too large to read whole (``seqshape.streaming.stream_decision``)."""
    job = run.job
    return (
        not job.per_step
        and is_parquet_source(data)
        and bool(run.extra.get("streamed") or stream_decision(data, job)[0])
    )


def evaluate_forecast(
    run: str | os.PathLike | Run,
    data: Any,
    *,
    include_seen: bool = False,
    sep: str | None = None,
) -> dict[str, Any]:
    """Score a run's model on the windows of ``data`` next to the baselines: those that
    need no training, and the mean, ridge or majority class kept from the fit.

    Windows whose targets the fit saw (the rows up to the end of the data it was
    fitted on) are left out unless ``include_seen``: scores on data the model was
    trained on are optimistic. ``scored`` says what was scored, in words.
    """
    run = open_run(run)
    job = run.job
    table = _read(data, job, sep)
    plan = _plan(table, job, run.extra)
    windows = make_windows(table, job, plan)
    total = len(windows)
    firsts = _new_from(table, job, run.extra.get("seen", []))
    seen_rows_count = sum(firsts.values())
    if seen_rows_count and not include_seen:
        first = np.array([firsts[series_id] for series_id in windows.series])
        windows = windows.subset(windows.target_start >= first)
    scored = scored_words(len(windows), total, seen_rows_count, len(table.frame), include_seen)
    season = run.metrics.get("season")
    predictions = {"seqshape": _SeriesScaling.of_run(run, table, plan).predict(run.model, windows)}
    for name, baseline in run_baselines(plan, job, season).items():
        if name in TRAINING_FREE:
            predictions[name] = baseline.fit(windows.X, windows.y).predict(windows.X)
    for name, baseline in run.baselines.items():
        predictions[name] = baseline.predict(windows.X)
    scale = run.metrics.get("mase_scale")
    return {
        "windows": len(windows),
        "scored": scored,
        "scores": score(
            plan, predictions, windows.y, None if scale is None else np.asarray(scale)
        ),
    }
