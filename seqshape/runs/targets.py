"""What a forecast job predicts and from what: numbers or classes, the next steps or each step.

- **regression** (float targets): the targets' past and the covariates in, the next
  ``output_steps`` values of the targets out;
- **classification** (a text, boolean or categorical target, or integer codes with
  ``task="classification"``): the past labels (one column per class, 1 where the label
  was that class) and the covariates in, the next ``output_steps`` labels out;
- **per step** (``per_step=True``): the covariates of ``input_steps`` steps in, the
  target at each of those same steps out (labelling each step, or reading a value off
  its covariates); the target itself is not an input.

Example:
    >>> import pandas as pd
    >>> from seqshape.runs.jobs import ForecastJob
    >>> frame = pd.DataFrame({"sky": ["sun", "rain", "sun"], "hum": [0.2, 0.9, 0.3]})
    >>> plan = choose_task(frame, ForecastJob(targets=("sky",), covariates=("hum",)))
    >>> plan.task, plan.classes, plan.input_names
    ('classification', ('rain', 'sun'), ('sky=rain', 'sky=sun', 'hum'))
    >>> plan.why
    "classification of 'sky': text labels, 2 classes (rain, sun)"
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.tables import SeriesTable
from seqshape.windowing import Windows, panel_windows

TASKS = ("auto", "regression", "classification")
MAX_CLASSES = 100


@dataclass(frozen=True)
class TargetPlan:
    """The task a forecast job was given or found, and the model's input columns.

    Attributes:
        task: ``"regression"`` or ``"classification"``.
        classes: the labels, sorted, for classification (JSON-ready); ``()`` otherwise.
        input_names: the model's input features, in order.
        why: one line for the console: the task and what decided it.
    """

    task: str
    classes: tuple = ()
    input_names: tuple[str, ...] = ()
    why: str = ""

    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"


def _json_label(label: object) -> str | int | float | bool:
    if isinstance(label, (np.integer, np.floating, np.bool_)):
        label = label.item()
    return label if isinstance(label, (str, bool, int, float)) else str(label)


def _kind(values: pd.Series) -> str | None:
    """``"text"``, ``"boolean"``, ``"categorical"`` labels, or None for numbers."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_numeric_dtype(values):
        return None
    return "text"


def choose_task(frame: pd.DataFrame, job) -> TargetPlan:
    """The task of ``job`` on ``frame`` (``job.task`` or, for ``"auto"``, the target's
    type), with its classes and the model's input columns.

    Raises:
        InvalidInputError: classification of more than one target, of a column with
            missing labels or too many classes, or per-step without covariates.
    """
    target = job.targets[0]
    kind = _kind(frame[target]) if target in frame else None
    task = job.task
    if task == "auto":
        task = "classification" if kind else "regression"
    if task == "regression" and kind:
        raise InvalidTypeError(
            target,
            expected="numbers in a target column, for regression",
            received=f"{kind} values such as {frame[target].dropna().iloc[0]!r}",
            fix="Leave --task on auto (or --task classification) to classify the labels.",
        )
    inputs = tuple(job.covariates) if job.per_step else tuple(job.inputs)
    if job.per_step and not job.covariates:
        raise InvalidInputError(
            "--covariates",
            expected="the columns each step is read from, with --per-step",
            received="none",
            fix="Name the input columns with --covariates (the target is not an input "
            "with --per-step).",
        )
    if task == "regression":
        numbers = "float targets" if kind is None else "numbers"
        if job.task == "regression":
            numbers = "--task regression"
        elif all(pd.api.types.is_integer_dtype(frame[name]) for name in job.targets):
            numbers = "integer targets (--task classification takes them as class codes)"
        names = ", ".join(repr(name) for name in job.targets)
        return TargetPlan("regression", (), inputs, f"regression of {names}: {numbers}")
    if len(job.targets) != 1:
        raise InvalidInputError(
            "--target",
            expected="one target column to classify",
            received=f"{len(job.targets)} columns {list(job.targets)}",
            fix="Classify one column per run; pass the others as --covariates.",
        )
    labels = frame[target]
    if labels.isna().any():
        raise InvalidInputError(
            target,
            expected="a label on every row",
            received=f"{int(labels.isna().sum())} missing label(s)",
            fix="Fill in or drop the rows without a label.",
        )
    classes = tuple(_json_label(v) for v in sorted(pd.unique(labels).tolist(), key=str))
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise InvalidInputError(
            target,
            expected=f"between 2 and {MAX_CLASSES} classes to classify",
            received=f"{len(classes)} distinct values",
            fix="Check --target, or pass --task regression for a numeric target.",
        )
    if not job.per_step:
        inputs = (*(f"{target}={label}" for label in classes), *job.covariates)
    source = f"{kind} labels" if kind else "integer codes, by --task classification"
    shown = ", ".join(map(str, classes[:8])) + (", ..." if len(classes) > 8 else "")
    why = f"classification of {target!r}: {source}, {len(classes)} classes ({shown})"
    return TargetPlan("classification", classes, inputs, why)


def label_codes(values: pd.Series, classes: tuple, column: str) -> np.ndarray:
    """Labels -> codes 0..n-1 in the order of ``classes``; an unknown label is an error.

    Example:
        >>> label_codes(pd.Series(["b", "a"]), ("a", "b"), "sky").tolist()
        [1, 0]
    """
    lookup = {str(label): code for code, label in enumerate(classes)}
    text = values.astype(str)
    unknown = sorted(set(text) - set(lookup))
    if unknown:
        raise InvalidInputError(
            column,
            expected=f"labels the model was trained on ({', '.join(map(str, classes))})",
            received=f"new label(s) {unknown[:5]}",
            fix="Fit the run again on data holding those labels.",
        )
    return text.map(lookup).to_numpy(dtype=np.int64)


def series_inputs(table: SeriesTable, job, plan: TargetPlan) -> list[np.ndarray]:
    """One ``(steps, inputs)`` float array per series: the model's input columns."""
    arrays = []
    for _, rows in table.series:
        columns = []
        if plan.is_classifier and not job.per_step:
            codes = label_codes(rows[job.targets[0]], plan.classes, job.targets[0])
            columns.append(np.eye(len(plan.classes))[codes])
        else:
            numeric = [name for name in plan.input_names if name in rows]
            columns.append(rows[numeric].to_numpy(dtype=np.float64))
        if plan.is_classifier and not job.per_step and job.covariates:
            columns.append(rows[list(job.covariates)].to_numpy(dtype=np.float64))
        arrays.append(np.concatenate(columns, axis=1))
    return arrays


def series_targets(table: SeriesTable, job, plan: TargetPlan) -> list[np.ndarray]:
    """One ``(steps, targets)`` array per series: floats, or label codes."""
    if plan.is_classifier:
        column = job.targets[0]
        return [
            label_codes(rows[column], plan.classes, column)[:, None] for _, rows in table.series
        ]
    return table.arrays(job.targets)


def _aligned(inputs, targets, ids, steps: int, stride: int) -> Windows:
    """Windows whose targets are the same steps as their inputs."""
    parts = []
    for series_id, X, y in zip(ids, inputs, targets, strict=True):
        if len(X) < steps:
            continue
        view_X = sliding_window_view(X, steps, axis=0)[::stride].transpose(0, 2, 1)
        view_y = sliding_window_view(y, steps, axis=0)[::stride].transpose(0, 2, 1)
        starts = np.arange(len(view_X)) * stride
        parts.append((view_X, view_y, np.full(len(view_X), series_id, dtype=object), starts))
    if not parts:
        raise InvalidInputError(
            "data",
            expected=f"at least one series of --input-steps = {steps} steps",
            received=f"only shorter series (the longest has {max(map(len, inputs))} steps)",
            fix="Use fewer --input-steps, or more data.",
        )
    X, y, series, starts = (np.concatenate(column) for column in zip(*parts, strict=True))
    if all(isinstance(series_id, (int, np.integer)) for series_id in ids):
        series = series.astype(np.int64)
    return Windows(X, y, series, starts)


def make_windows(table: SeriesTable, job, plan: TargetPlan) -> Windows:
    """The job's windows: next ``output_steps`` after each input window, or per step."""
    inputs, targets = series_inputs(table, job, plan), series_targets(table, job, plan)
    if job.per_step:
        return _aligned(inputs, targets, table.ids, job.input_steps, job.stride)
    panel = [np.concatenate([x, t], axis=1) for x, t in zip(inputs, targets, strict=True)]
    width = len(plan.input_names)
    windows = panel_windows(
        panel,
        job.input_steps,
        job.output_steps,
        ids=table.ids,
        stride=job.stride,
        gap=job.gap,
        input_columns=range(width),
        target_columns=range(width, width + targets[0].shape[1]),
    )
    if plan.is_classifier:
        windows = Windows(
            windows.X, windows.y.astype(np.int64), windows.series, windows.target_start
        )
    return windows


def target_steps(job) -> int:
    """The number of target steps in each window."""
    return job.input_steps if job.per_step else job.output_steps


__all__ = [
    "TASKS",
    "TargetPlan",
    "choose_task",
    "label_codes",
    "make_windows",
    "series_inputs",
    "series_targets",
    "target_steps",
]
