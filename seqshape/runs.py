"""The whole job on a table: window, split by time, train, compare with baselines, report.

A run folder holds ``model.seqshape``, ``job.json``, ``metrics.json``, ``report.md``,
``report.html`` and ``figures/``. It is written under a temporary name and renamed when
complete, so a failure leaves no half-written run folder.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape.runs import ForecastJob, fit_forecast
    >>> t = np.arange(400)
    >>> frame = pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2})
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> metrics = fit_forecast(frame, job, {"epochs": 2, "units": (4,)}, out)
    >>> sorted(os.listdir(out))
    ['figures', 'job.json', 'metrics.json', 'model.seqshape', 'report.html', 'report.md']
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from seqshape import report
from seqshape.baselines import (
    classification_baselines,
    detect_season,
    forecasting_baselines,
)
from seqshape.errors import InvalidInputError
from seqshape.estimator import SequenceModel
from seqshape.metrics import (
    classification_scores,
    error_by_step,
    error_by_target,
    regression_scores,
)
from seqshape.persistence import atomic_path, load
from seqshape.tables import SeriesTable, read_table
from seqshape.validation import check_fraction, check_positive_int
from seqshape.windowing import Windows, panel_windows, rolling_origin, split_by_time

PADDING = -1.0e9  # value of padded steps in variable-length classification data


@dataclass(frozen=True)
class ForecastJob:
    """What to forecast from a table of series.

    Args:
        targets: columns to forecast (they are inputs too).
        covariates: further input columns, not forecast.
        input_steps, output_steps: window lengths.
        stride: steps between window starts; gap: steps between input and targets.
        time_column, id_column: see ``seqshape.tables.read_table``.
        validation_fraction, test_fraction: the last parts of each series held out.
        season: season length for the seasonal naive baseline and MASE (detected if None).
        backtest_folds: rolling-origin folds to run after the main fit (0 for none).
    """

    targets: tuple[str, ...]
    covariates: tuple[str, ...] = ()
    input_steps: int = 40
    output_steps: int = 10
    stride: int = 1
    gap: int = 0
    time_column: str | None = None
    id_column: str | None = None
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    season: int | None = None
    backtest_folds: int = 0

    kind = "forecast"

    @property
    def inputs(self) -> tuple[str, ...]:
        return (*self.targets, *self.covariates)

    def check(self) -> None:
        if not self.targets:
            raise InvalidInputError(
                "targets",
                expected="at least one target column",
                received="none",
                fix="Name the columns to forecast, e.g. --target demand,temperature.",
            )
        for name in ("input_steps", "output_steps", "stride"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.gap, "gap", minimum=0)
        check_positive_int(self.backtest_folds, "backtest_folds", minimum=0)
        check_fraction(self.validation_fraction, "validation_fraction", low=0.01)
        check_fraction(self.test_fraction, "test_fraction", low=0.01)
        if self.validation_fraction + self.test_fraction >= 0.9:
            raise InvalidInputError(
                "test_fraction",
                expected="validation + test fractions under 0.9",
                received=f"{self.validation_fraction} + {self.test_fraction}",
                fix="Keep most of each series for training.",
            )


@dataclass(frozen=True)
class ClassificationJob:
    """Classify whole series: one label per series (rows told apart by ``id_column``).

    Series of different lengths are padded to the longest (or cut to ``max_steps``)
    and the padded steps masked.
    """

    features: tuple[str, ...]
    label_column: str
    id_column: str
    time_column: str | None = None
    max_steps: int | None = None
    test_fraction: float = 0.25
    validation_fraction: float = 0.15
    seed: int = 0

    kind = "classification"

    def check(self) -> None:
        if not self.features:
            raise InvalidInputError(
                "features",
                expected="at least one feature column",
                received="none",
                fix="Name the input columns, e.g. --target x,y,z.",
            )
        check_fraction(self.test_fraction, "test_fraction", low=0.01)


JOBS = {"forecast": ForecastJob, "classification": ClassificationJob}


# -- run folders ---------------------------------------------------------------------


class _RunFolder:
    """A run folder written under a temporary name, moved into place when complete."""

    def __init__(self, out: str | os.PathLike, overwrite: bool):
        self.target = Path(out)
        if self.target.exists() and any(self.target.iterdir()) and not overwrite:
            raise InvalidInputError(
                "--out",
                expected="a new or empty folder",
                received=f"{str(self.target)!r}, which already holds files",
                fix="Choose another folder, or pass --overwrite.",
            )

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.scratch = Path(
            tempfile.mkdtemp(
                prefix=f".{self.target.name}.", suffix=".partial", dir=self.target.parent
            )
        )
        return self.scratch

    def __exit__(self, kind, error, trace) -> None:
        if error is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            return
        self.scratch.chmod(0o755)
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.target, old)
            os.replace(self.scratch, self.target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.scratch, self.target)


def _write_json(path: Path, content: dict) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(content, indent=2, default=_plain))


def _write_csv(frame: pd.DataFrame, out) -> None:
    with atomic_path(out) as temporary:
        frame.to_csv(temporary, index=False)


def _training_summary(model: SequenceModel) -> dict:
    seconds = model.history_["epoch_seconds"]
    return {
        "epochs": model.n_epochs_,
        "best_epoch": model.best_epoch_,
        # the first epoch includes compilation
        "median_epoch_seconds": float(np.median(seconds[1:] or seconds)),
    }


def _plain(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def read_job(run_dir: str | os.PathLike):
    """The job a run folder was made with."""
    path = Path(run_dir) / "job.json"
    if not path.is_file():
        raise InvalidInputError(
            "RUN_DIR",
            expected="a run folder written by `seqshape fit`",
            received=f"{str(run_dir)!r} without job.json",
            fix="Pass the --out folder of a finished `seqshape fit`.",
        )
    state = json.loads(path.read_text())
    job_class = JOBS[state.pop("kind")]
    extra = state.pop("extra", {})
    fields = {field.name for field in dataclasses.fields(job_class)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in state.items() if k in fields}
    return job_class(**values), extra


def _job_state(job, extra: dict) -> dict:
    return {"kind": job.kind, **dataclasses.asdict(job), "extra": extra}


# -- forecasting ---------------------------------------------------------------------


def _forecast_windows(table: SeriesTable, job: ForecastJob) -> Windows:
    return panel_windows(
        table.arrays(job.inputs),
        job.input_steps,
        job.output_steps,
        ids=table.ids,
        stride=job.stride,
        gap=job.gap,
        target_columns=range(len(job.targets)),
    )


def _training_series(table: SeriesTable, job: ForecastJob) -> np.ndarray:
    """The training part of every series' targets, stacked (for MASE's scale)."""
    parts = []
    for values in table.arrays(job.targets):
        cut = int(len(values) * (1 - job.validation_fraction - job.test_fraction))
        parts.append(values[:cut])
    return parts


def _mase_scale_series(parts: list[np.ndarray], season: int) -> np.ndarray:
    """Per-target in-sample seasonal naive MAE over all training series."""
    errors = [np.abs(part[season:] - part[:-season]) for part in parts if len(part) > season]
    return np.concatenate(errors).mean(axis=0) if errors else np.full(parts[0].shape[1], np.nan)


def _score_forecasts(predictions: dict, y_test, scale: np.ndarray) -> dict:
    scores = {}
    for name, predicted in predictions.items():
        row = regression_scores(y_test, predicted)
        per_target = np.abs(y_test - predicted).mean(axis=(0, 1))
        row["MASE"] = float(np.nanmean(per_target / np.where(scale > 0, scale, np.nan)))
        scores[name] = row
    return scores


def fit_forecast(data, job: ForecastJob, model_params: dict, out, *, overwrite=False) -> dict:
    """Train a forecaster on ``data`` and write a run folder to ``out``; returns metrics."""
    job.check()
    table = read_table(
        data, columns=job.inputs, time_column=job.time_column, id_column=job.id_column
    )
    windows = _forecast_windows(table, job)
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
                fix="Use shorter windows, smaller validation/test fractions, or more data.",
            )
    with _RunFolder(out, overwrite) as folder:
        model = SequenceModel(**model_params)
        model.fit(train.X, train.y, validation_data=(validation.X, validation.y))
        target_features = tuple(range(len(job.targets)))
        training_series = _training_series(table, job)
        season = job.season or detect_season(training_series[0], max_lag=job.input_steps)
        baselines = forecasting_baselines(season, target_features)
        predictions = {"seqshape": model.predict(test.X)}
        for name, baseline in baselines.items():
            predictions[name] = baseline.fit(train.X, train.y).predict(test.X)
        scale = _mase_scale_series(training_series, season)
        scores = _score_forecasts(predictions, test.y, scale)
        metrics = {
            "task": "forecast",
            "windows": {"train": len(train), "validation": len(validation), "test": len(test)},
            "season": season,
            "test": scores,
            "error_by_step": {name: error_by_step(test.y, p) for name, p in predictions.items()},
            "error_by_target": {
                name: dict(zip(job.targets, error_by_target(test.y, p), strict=True))
                for name, p in predictions.items()
            },
            **_training_summary(model),
            "gaps": list(table.gaps),
        }
        if job.backtest_folds:
            metrics["backtest"] = backtest(windows, job, model_params)
        model.save(folder / "model.seqshape")
        _write_json(folder / "job.json", _job_state(job, {}))
        _write_json(folder / "metrics.json", metrics)
        _forecast_report(folder, job, model, metrics, test, predictions["seqshape"])
    return metrics


def backtest(windows: Windows, job: ForecastJob, model_params: dict) -> list[dict]:
    """Rolling-origin backtest: refit on each fold's past, score on its block."""
    folds = []
    for number, (train, test) in enumerate(
        rolling_origin(windows, job.backtest_folds, job.output_steps), start=1
    ):
        fold_train, fold_test = windows.subset(train), windows.subset(test)
        params = {**model_params, "checkpoint_dir": None}
        model = SequenceModel(**params).fit(fold_train.X, fold_train.y)
        last_value = forecasting_baselines(job.season, tuple(range(len(job.targets))))[
            "last value"
        ].fit(fold_train.X, fold_train.y)
        folds.append(
            {
                "fold": number,
                "train_windows": len(train),
                "test_windows": len(test),
                "seqshape": regression_scores(fold_test.y, model.predict(fold_test.X)),
                "last value": regression_scores(fold_test.y, last_value.predict(fold_test.X)),
            }
        )
    return folds


def _forecast_report(folder: Path, job, model, metrics: dict, test: Windows, predicted) -> None:
    scores = metrics["test"]
    sections = [
        ("Result", report.comparison_table(scores)),
        (
            "Data",
            "\n".join(
                [
                    f"- targets: {', '.join(job.targets)}; "
                    f"covariates: {', '.join(job.covariates) or 'none'}",
                    f"- windows of {job.input_steps} input steps -> {job.output_steps} "
                    f"output steps (stride {job.stride}, gap {job.gap})",
                    f"- windows: {metrics['windows']['train']} training, "
                    f"{metrics['windows']['validation']} validation, "
                    f"{metrics['windows']['test']} test "
                    "(split by time within each series)",
                    f"- season used by the seasonal naive baseline and MASE: {metrics['season']}",
                    *(f"- {gap}" for gap in metrics["gaps"][:10]),
                ]
            ),
        ),
        ("Model", "```\n" + str(model.explain()) + "\n```"),
        (
            "Training",
            f"{metrics['epochs']} epochs, best {metrics['best_epoch']} (restored), "
            f"median epoch {metrics['median_epoch_seconds']:.3f} s.",
        ),
    ]
    if "backtest" in metrics:
        rows = {f"fold {f['fold']} seqshape": f["seqshape"] for f in metrics["backtest"]}
        rows |= {f"fold {f['fold']} last value": f["last value"] for f in metrics["backtest"]}
        sections.append(("Rolling-origin backtest", report.comparison_table(rows)))
    figures = {
        "loss": report.loss_figure(model.history_, model.best_epoch_),
        "forecasts": report.forecast_figure(test.X, test.y, predicted, list(job.targets)),
        "error_by_step": report.horizon_figure(metrics["error_by_step"]),
        "comparison": report.comparison_figure(scores, "MAE"),
    }
    report.write_report(folder, "seqshape forecast report", sections, figures)


def _future_times(rows: pd.DataFrame, time_column: str | None, steps: int):
    if time_column is None:
        return [None] * steps
    times = rows[time_column]
    step = times.diff().mode().iloc[0] if len(times) > 1 else 1
    return [times.iloc[-1] + step * (ahead + 1) for ahead in range(steps)]


def predict_forecast(run_dir, data, out=None) -> pd.DataFrame:
    """Forecast the steps after the end of each series in ``data``; optionally to CSV."""
    job, _ = read_job(run_dir)
    model = load(Path(run_dir) / "model.seqshape")
    table = read_table(
        data, columns=job.inputs, time_column=job.time_column, id_column=job.id_column
    )
    rows, inputs = [], []
    groups = (
        [(0, table.frame)]
        if job.id_column is None
        else list(table.frame.groupby(job.id_column, sort=False))
    )
    for series_id, series_rows in groups:
        if len(series_rows) < job.input_steps:
            raise InvalidInputError(
                "data",
                expected=f"at least {job.input_steps} steps per series",
                received=f"{len(series_rows)} steps in series {series_id!r}",
                fix="Pass more history for that series.",
            )
        inputs.append(series_rows[list(job.inputs)].to_numpy(np.float64)[-job.input_steps :])
    forecasts = model.predict(np.stack(inputs))
    for (series_id, series_rows), forecast in zip(groups, forecasts, strict=True):
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
        _write_csv(frame, out)
    return frame


def evaluate_forecast(run_dir, data) -> dict:
    """Score a run's model on every window of ``data``, next to the training-free baselines."""
    job, _ = read_job(run_dir)
    model = load(Path(run_dir) / "model.seqshape")
    table = read_table(
        data, columns=job.inputs, time_column=job.time_column, id_column=job.id_column
    )
    windows = _forecast_windows(table, job)
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    baselines = {
        name: baseline
        for name, baseline in forecasting_baselines(
            metrics["season"], tuple(range(len(job.targets)))
        ).items()
        if name in ("last value", "seasonal naive", "drift")
    }
    predictions = {"seqshape": model.predict(windows.X)}
    for name, baseline in baselines.items():
        predictions[name] = baseline.fit(windows.X, windows.y).predict(windows.X)
    return {
        "windows": len(windows),
        "scores": {
            name: regression_scores(windows.y, predicted)
            for name, predicted in predictions.items()
        },
    }


# -- classification ------------------------------------------------------------------


def _label_codes(labels: np.ndarray) -> tuple[np.ndarray, list]:
    """Labels -> integer codes 0..n-1 (text labels allowed here), and the label list."""
    names = sorted(pd.unique(labels).tolist(), key=str)
    lookup = {name: code for code, name in enumerate(names)}
    return np.array([lookup[label] for label in labels]), names


def _padded_series(table: SeriesTable, job: ClassificationJob, steps: int | None) -> np.ndarray:
    import keras

    sequences = table.arrays(job.features)
    steps = steps or max(len(sequence) for sequence in sequences)
    return keras.utils.pad_sequences(
        sequences, maxlen=steps, dtype="float64", padding="post", truncating="post", value=PADDING
    )


def fit_classification(
    data, job: ClassificationJob, model_params: dict, out, *, overwrite=False
) -> dict:
    """Train a series classifier on ``data`` and write a run folder to ``out``."""
    job.check()
    table = read_table(
        data, columns=job.features, time_column=job.time_column, id_column=job.id_column
    )
    codes, names = _label_codes(
        read_table(
            data, columns=[job.label_column], id_column=job.id_column, numeric=False
        ).column_per_series(job.label_column)
    )
    X = _padded_series(table, job, job.max_steps)
    if len(names) < 2 or len(X) < 4:
        raise InvalidInputError(
            job.label_column,
            expected="at least 2 classes over at least 4 series",
            received=f"{len(names)} class(es) over {len(X)} series",
            fix="Check --label-column and --id-column.",
        )
    stratify = codes if np.bincount(codes).min() >= 2 else None
    train_index, test_index = train_test_split(
        np.arange(len(X)), test_size=job.test_fraction, random_state=job.seed, stratify=stratify
    )
    with _RunFolder(out, overwrite) as folder:
        params = {
            "validation_fraction": job.validation_fraction,
            **model_params,
            "mask_value": PADDING,
        }
        model = SequenceModel(**params).fit(X[train_index], codes[train_index])
        predictions = {
            "seqshape": (model.predict(X[test_index]), model.predict_proba(X[test_index]))
        }
        for name, baseline in classification_baselines(PADDING).items():
            baseline.fit(X[train_index], codes[train_index])
            predictions[name] = (
                baseline.predict(X[test_index]),
                baseline.predict_proba(X[test_index]),
            )
        scores = {
            name: classification_scores(
                codes[test_index], labels, probabilities, classes=list(range(len(names)))
            )
            for name, (labels, probabilities) in predictions.items()
        }
        metrics = {
            "task": "classification",
            "series": {"train": len(train_index), "test": len(test_index)},
            "steps": X.shape[1],
            "classes": names,
            "test": scores,
            **_training_summary(model),
        }
        model.save(folder / "model.seqshape")
        _write_json(folder / "job.json", _job_state(job, {"classes": names, "steps": X.shape[1]}))
        _write_json(folder / "metrics.json", metrics)
        sections = [
            ("Result", report.comparison_table(scores)),
            (
                "Data",
                f"- {len(X)} series, {len(names)} classes ({', '.join(map(str, names))}), "
                f"padded to {X.shape[1]} steps and masked",
            ),
            ("Model", "```\n" + str(model.explain()) + "\n```"),
        ]
        figures = {
            "loss": report.loss_figure(model.history_, model.best_epoch_),
            "comparison": report.comparison_figure(scores, "accuracy"),
        }
        report.write_report(folder, "seqshape classification report", sections, figures)
    return metrics


def predict_classification(run_dir, data, out=None) -> pd.DataFrame:
    """The class of each series in ``data``; optionally written to CSV."""
    job, extra = read_job(run_dir)
    model = load(Path(run_dir) / "model.seqshape")
    table = read_table(
        data, columns=job.features, time_column=job.time_column, id_column=job.id_column
    )
    X = _padded_series(table, job, extra["steps"])
    probabilities = model.predict_proba(X)
    names = extra["classes"]
    frame = pd.DataFrame(
        {job.id_column: table.ids, job.label_column: [names[code] for code in model.predict(X)]}
    )
    for code, name in enumerate(names):
        frame[f"probability_{name}"] = probabilities[:, code]
    if out is not None:
        _write_csv(frame, out)
    return frame


def evaluate_classification(run_dir, data) -> dict:
    """Score a run's classifier on labelled series in ``data``."""
    job, _ = read_job(run_dir)
    predicted = predict_classification(run_dir, data)
    truth = read_table(
        data, columns=[job.label_column], id_column=job.id_column, numeric=False
    ).column_per_series(job.label_column)
    return {
        "series": len(truth),
        "scores": {
            "seqshape": classification_scores(
                [str(label) for label in truth],
                [str(label) for label in predicted[job.label_column]],
            )
        },
    }


_PREDICT = {"forecast": predict_forecast, "classification": predict_classification}
_EVALUATE = {"forecast": evaluate_forecast, "classification": evaluate_classification}


def predict_run(run_dir, data, out=None) -> pd.DataFrame:
    """Predictions of a run folder's model on ``data`` (forecasts or classes)."""
    job, _ = read_job(run_dir)
    return _PREDICT[job.kind](run_dir, data, out)


def evaluate_run(run_dir, data) -> dict:
    """Scores of a run folder's model on labelled ``data``."""
    job, _ = read_job(run_dir)
    return _EVALUATE[job.kind](run_dir, data)
