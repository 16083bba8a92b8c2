"""The jobs a run folder can hold, and their file ``job.json``.

A job says what to do with a table (which columns, which windows, which split); the
model's own parameters live on the estimator passed beside it. ``job.json`` holds the
job's fields, its ``kind``, and ``extra``: what the fit learned about the data that
``predict`` needs again (the class names and the padded length, for classification).

Example:
    >>> import tempfile
    >>> from seqshape.runs.jobs import ForecastJob, read_job, write_job
    >>> folder = tempfile.mkdtemp()
    >>> write_job(folder, ForecastJob(targets=("load",), output_steps=5))
    >>> job, extra = read_job(folder)
    >>> job.targets, job.output_steps, extra
    (('load',), 5, {})
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seqshape.errors import InvalidInputError, SeqShapeError
from seqshape.fileio import write_json
from seqshape.validation import check_choice, check_fraction, check_positive_int
from seqshape.windowing import series_cuts

JOB_FILE = "job.json"
REFIT_CHOICES = ("auto", "never")
TASK_CHOICES = ("auto", "regression", "classification")


def _check_names(value: object, name: str) -> None:
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise InvalidInputError(
            name,
            expected="a tuple of column names",
            received=repr(value),
            fix=f"Pass the names as a tuple, e.g. {name}=('demand',).",
        )


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
        holdout_steps: instead of the fractions, the last ``holdout_steps`` of each series
            for the test part and as many before them for validation (the last horizon
            of each series, as forecasting competitions hold out: a panel of short
            series has no room for 15% of itself to hold a horizon).
        season: season length for the seasonal naive baseline and MASE (detected if None).
        backtest_folds: rolling-origin folds to run after the main fit (0 for none).
        refit: ``"auto"``: after evaluation, train the saved model again on every window
            of every series (no holdout) for the evaluated fit's best epoch count;
            ``"never"``: save the evaluated model.
        task: ``"auto"`` (text, boolean or categorical target: classification; numbers:
            regression), ``"regression"`` or ``"classification"`` (integer codes are
            classes); see ``seqshape.runs.targets``.
        per_step: the target at each input step, read from the covariates (labelling
            every step), instead of the ``output_steps`` after the window.
        date_format: strftime format of text dates in the time column (None: detected).

    Example:
        >>> ForecastJob(targets=("load",), covariates=("workday",)).inputs
        ('load', 'workday')
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
    holdout_steps: int | None = None
    season: int | None = None
    backtest_folds: int = 0
    refit: str = "auto"
    task: str = "auto"
    per_step: bool = False
    date_format: str | None = None

    kind: ClassVar[str] = "forecast"

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input columns: the targets, then the covariates."""
        return (*self.targets, *self.covariates)

    def cuts(self, lengths: object) -> tuple[np.ndarray, np.ndarray]:
        """Each series' first validation and first test step (``series_cuts``).

        Example:
            >>> [cut.tolist() for cut in ForecastJob(targets=("y",)).cuts([20])]
            [[14], [17]]
        """
        return series_cuts(
            lengths,
            validation_fraction=self.validation_fraction,
            test_fraction=self.test_fraction,
            holdout_steps=self.holdout_steps,
        )

    def holdout_words(self) -> str:
        """How the parts are held out, for the split's line: empty for the fractions.

        Example:
            >>> ForecastJob(targets=("y",), holdout_steps=6).holdout_words()
            ' (the last 6 steps of each series for test, the 6 before them for validation)'
        """
        if self.holdout_steps is None:
            return ""
        steps = self.holdout_steps
        return (
            f" (the last {steps} steps of each series for test, the {steps} before them for "
            "validation)"
        )

    def training_rows(self, length: int) -> int:
        """The steps of a series of ``length`` that the training part holds.

        Example:
            >>> ForecastJob(targets=("y",), holdout_steps=6).training_rows(20)
            8
        """
        return int(self.cuts([length])[0][0])

    def windows_that_fit(self, length: int) -> tuple[int, int] | None:
        """Input and output steps that a series of ``length`` steps holds, split by
        time: the output as asked where the validation and test parts hold it (else
        the most they hold), the input as asked where it leaves as many training windows
        as it has steps (else that much). None where not even one step fits.

        Example:
            >>> ForecastJob(targets=("y",)).windows_that_fit(55)  # 38 training steps
            (15, 8)
            >>> ForecastJob(targets=("y",)).windows_that_fit(500)  # fits as asked
            (40, 10)
        """
        first_cut, second_cut = (int(cut[0]) for cut in self.cuts([length]))
        output = min(self.output_steps, second_cut - first_cut, length - second_cut)
        room = first_cut - self.gap - output  # the training part's steps for inputs
        if output < 1 or room < 2:
            return None
        if room - self.input_steps + 1 >= self.input_steps:
            return self.input_steps, output
        return max(1, (room + 1) // 2), output

    def too_short(self, part: str, lengths: list[int]) -> InvalidInputError:
        """The error for series too short to give ``part`` windows (``lengths``: the
        series' steps, longest last), with windows the longest series holds.

        Example:
            >>> print(ForecastJob(targets=("y",)).too_short("training", [55]).fix)
            Use shorter windows: series of 55 steps hold --input-steps 15 --output-steps 8 \
(16 training windows), or give smaller --validation-fraction/--test-fraction (or \
--holdout-steps), or more data.
        """
        steps = 0 if self.per_step else self.output_steps
        fits = None if self.per_step else self.windows_that_fit(lengths[-1])
        held = (
            "a smaller --holdout-steps"
            if self.holdout_steps
            else "smaller --validation-fraction/--test-fraction (or --holdout-steps)"
        )
        if fits is None or fits == (self.input_steps, self.output_steps):
            fix = f"Use shorter windows (--input-steps, --output-steps), {held}, or more data."
        else:
            inputs, outputs = fits
            room = self.training_rows(lengths[-1])
            count = room - self.gap - outputs - inputs + 1
            fix = (
                f"Use shorter windows: series of {lengths[-1]} steps hold --input-steps "
                f"{inputs} --output-steps {outputs} ({count} training windows), or give "
                f"{held}, or more data."
            )
        shown = ", ".join(str(length) for length in sorted(set(lengths))[:5])
        return InvalidInputError(
            "data",
            expected=f"enough steps for {part} windows of {self.input_steps} + {steps} "
            "steps after splitting each series by time",
            received=f"series of {shown}{', ...' if len(set(lengths)) > 5 else ''} steps",
            fix=fix,
        )

    def check(self) -> None:
        """Raise ``InvalidInputError`` for a setting no run can use."""
        if not self.targets:
            raise InvalidInputError(
                "targets",
                expected="at least one target column",
                received="none",
                fix="Name the columns to forecast, e.g. --target demand,temperature.",
            )
        _check_names(self.targets, "targets")
        _check_names(self.covariates, "covariates")
        for name in ("input_steps", "output_steps", "stride"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.gap, "gap", minimum=0)
        check_positive_int(self.backtest_folds, "backtest_folds", minimum=0)
        if self.season is not None:
            check_positive_int(self.season, "season")
        if self.holdout_steps is not None:
            check_positive_int(self.holdout_steps, "holdout_steps")
            if not self.per_step and self.holdout_steps < self.output_steps:
                raise InvalidInputError(
                    "holdout_steps",
                    expected=f"at least the {self.output_steps} output steps, so that the "
                    "validation and test parts each hold a window's targets",
                    received=str(self.holdout_steps),
                    fix=f"Pass --holdout-steps {self.output_steps} (the last horizon of each "
                    "series), or more.",
                )
        check_choice(self.refit, "refit", REFIT_CHOICES)
        check_choice(self.task, "task", TASK_CHOICES)
        check_fraction(self.validation_fraction, "validation_fraction", low=0.01)
        check_fraction(self.test_fraction, "test_fraction", low=0.01)
        if self.validation_fraction + self.test_fraction >= 0.9:
            raise InvalidInputError(
                "test_fraction",
                expected="validation + test fractions under 0.9",
                received=f"{self.validation_fraction} + {self.test_fraction}",
                fix="Keep most of each series for training: lower --validation-fraction "
                "and --test-fraction (validation_fraction, test_fraction in Python).",
            )


@dataclass(frozen=True)
class ClassificationJob:
    """Classify whole series: one label per series (rows told apart by ``id_column``,
    or a series on each row).

    Series of different lengths are padded to the longest (or cut to ``max_steps``)
    and the padded steps masked.

    Args:
        features: the input columns (none with a series on each row).
        label_column: the column holding each series' label (text allowed).
        id_column: the column telling series apart; None: a series on each row, its
            steps in the columns other than the label, in order (the UCR archive's
            files), missing values after its last step as padding.
        time_column: see ``seqshape.tables.read_table``.
        max_steps: cut longer series to this many steps (None: the longest series).
        test_fraction: share of the series held out for the test scores (stratified).
        validation_fraction: share of the training series held out for early stopping;
            set on the estimator for this job.
        seed: seed of the train/test split.
        date_format: strftime format of text dates in the time column (None: detected).
    """

    features: tuple[str, ...]
    label_column: str
    id_column: str | None
    time_column: str | None = None
    max_steps: int | None = None
    test_fraction: float = 0.25
    validation_fraction: float = 0.15
    seed: int = 0
    date_format: str | None = None

    kind: ClassVar[str] = "classification"

    def check(self) -> None:
        """Raise ``InvalidInputError`` for a setting no run can use."""
        if self.id_column is None:
            if self.features or self.time_column:
                raise InvalidInputError(
                    "features" if self.features else "time_column",
                    expected="no input or time columns for a table with a series on each "
                    "row (no id column): its steps are the columns other than the label",
                    received=repr(self.features or self.time_column),
                    fix="Leave out --target and --time-column, or name the column telling "
                    "series apart in a long table (--id-column).",
                )
        elif not self.features:
            raise InvalidInputError(
                "features",
                expected="at least one feature column",
                received="none",
                fix="Name the input columns, e.g. --target x,y,z.",
            )
        _check_names(self.features, "features")
        if self.max_steps is not None:
            check_positive_int(self.max_steps, "max_steps")
        check_fraction(self.test_fraction, "test_fraction", low=0.01)
        check_fraction(self.validation_fraction, "validation_fraction")


Job = ForecastJob | ClassificationJob
JOBS: dict[str, type[ForecastJob] | type[ClassificationJob]] = {
    "forecast": ForecastJob,
    "classification": ClassificationJob,
}


def job_state(job: Job, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The content of ``job.json``: kind, the job's fields, and ``extra`` (JSON-ready)."""
    return {"kind": job.kind, **dataclasses.asdict(job), "extra": dict(extra or {})}


def write_job(folder: str | os.PathLike, job: Job, extra: dict[str, Any] | None = None) -> None:
    """Write ``job.json`` into ``folder`` (atomically)."""
    write_json(Path(folder) / JOB_FILE, job_state(job, extra))


def _bad_job_file(path: Path, received: str) -> InvalidInputError:
    return InvalidInputError(
        "RUN_DIR",
        expected=f"a {JOB_FILE} written by `seqshape fit`",
        received=f"{str(path)!r}, {received}",
        fix="Fit the run again, or pass the --out folder of a finished `seqshape fit`.",
    )


def job_from_state(state: object, path: Path = Path(JOB_FILE)) -> tuple[Job, dict[str, Any]]:
    """The job and its ``extra`` from the parsed content of ``job.json``, checked.

    Raises ``InvalidInputError`` for an unknown kind, missing or wrong fields.

    Example:
        >>> job_from_state({"kind": "weather"})
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `RUN_DIR`: ... an unknown job kind 'weather' ...
    """
    if not isinstance(state, dict):
        raise _bad_job_file(path, f"which holds {type(state).__name__}, not a JSON object")
    kind = state.get("kind")
    if kind not in JOBS:
        raise _bad_job_file(path, f"with an unknown job kind {kind!r} (known: {sorted(JOBS)})")
    job_class = JOBS[kind]
    extra = state.get("extra", {})
    if not isinstance(extra, dict):
        raise _bad_job_file(path, f"whose 'extra' is {type(extra).__name__}, not an object")
    fields = {field.name for field in dataclasses.fields(job_class)}
    values = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in state.items()
        if name in fields
    }
    try:
        job = job_class(**values)
        job.check()
    except TypeError as error:  # a required field is missing
        raise _bad_job_file(path, f"which does not describe a {kind} job ({error})") from None
    except SeqShapeError as error:
        raise _bad_job_file(path, f"with a bad {kind} job: {error}") from None
    return job, extra


def read_job(run_dir: str | os.PathLike) -> tuple[Job, dict[str, Any]]:
    """The job a run folder was made with, and what its fit learned (``extra``).

    Raises ``InvalidInputError`` when ``job.json`` is missing, is not JSON, or does not
    describe a known job.
    """
    path = Path(run_dir) / JOB_FILE
    if not path.is_file():
        raise InvalidInputError(
            "RUN_DIR",
            expected="a run folder written by `seqshape fit`",
            received=f"{str(run_dir)!r} without {JOB_FILE}",
            fix="Pass the --out folder of a finished `seqshape fit`.",
        )
    try:
        state = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _bad_job_file(path, f"which is not JSON ({error})") from None
    return job_from_state(state, path)
