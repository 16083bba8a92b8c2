"""The classification pipeline: one label per series, padded and masked, against baselines.

Series of different lengths are padded to one length with ``PADDING``; the clone of the
estimator gets ``mask_value=PADDING`` (and the job's ``validation_fraction``), so its
recurrent layers skip the padded steps.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs import ClassificationJob, fit_classification, predict_run
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame(
    ...     [
    ...         {"case": case, "x": rng.normal() + case % 2, "kind": "ab"[case % 2]}
    ...         for case in range(20)
    ...         for _ in range(5 + case % 3)
    ...     ]
    ... )
    >>> job = ClassificationJob(features=("x",), label_column="kind", id_column="case")
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> metrics = fit_classification(frame, job, SequenceModel(epochs=2, units=(4,)), out)
    >>> metrics["classes"], metrics["steps"]
    (['a', 'b'], 7)
    >>> list(predict_run(out, frame).columns)
    ['case', 'kind', 'probability_a', 'probability_b']
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import train_test_split

from seqshape.baselines import baseline_state, classification_baselines
from seqshape.defaults import split_keeping_classes
from seqshape.errors import InvalidInputError
from seqshape.fileio import write_json
from seqshape.metrics import classification_scores
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
from seqshape.runs.jobs import ClassificationJob, write_job
from seqshape.runs.reporting import lengths_words, training_line, write_classification_report
from seqshape.tables import SeriesTable, check_numeric, read_table

PADDING = -1.0e9  # value of padded steps in variable-length classification data
# the long table a file with a series on each row becomes: the row's number, its values
ROW_ID, ROW_VALUE = "row", "value"
# what a fit saw, to read a table to predict: its steps and its classes
Fitted = tuple[int, list]


def _unlabelled(frame: pd.DataFrame, job: ClassificationJob, fitted: Fitted | None) -> bool:
    """Whether a table to predict has no label column, so every column is a step: it
    has no column of the label's name, or exactly as many columns as the fit's steps,
    or (a narrower file whose columns are named by position) a label column holding
    values that are not classes the fit saw."""
    if fitted is None or job.label_column not in frame.columns:
        return fitted is not None
    steps, classes = fitted
    if len(frame.columns) == steps:
        return True
    known = {str(name) for name in classes}
    return not all(
        str(_json_label(value)) in known for value in frame[job.label_column].dropna().tolist()
    )


def _rows_as_series(
    data: Any, job: ClassificationJob, *, labels: bool, sep: str | None, fitted: Fitted | None
) -> SeriesTable:
    """A table with a series on each row (the UCR archive's files: the label, then a
    column a step) as the long table of the other jobs: a ``row`` id, a ``value`` a
    step. Missing values after a row's last step are padding (variable lengths).
    To predict (``labels`` False, ``fitted`` the fit's steps and classes), a table
    without a label column (``_unlabelled``) has a step in every column.

    Example:
        >>> job = ClassificationJob(features=(), label_column="0", id_column=None)
        >>> frame = pd.DataFrame({"0": [0.5, 0.1], "1": [0.7, 0.2]})       # no labels
        >>> _rows_as_series(frame, job, labels=False, sep=None, fitted=(3, [1, 2])).lengths
        {0: 2, 1: 2}
    """
    wide = read_table(data, label_columns=[job.label_column] if labels else [], sep=sep)
    columns = list(wide.frame.columns)
    unlabelled = not labels and _unlabelled(wide.frame, job, fitted)
    steps = [column for column in columns if unlabelled or column != job.label_column]
    values = wide.frame[steps]
    check_numeric(values.fillna(0.0), steps)
    present = values.notna().to_numpy()
    lengths = present.sum(axis=1)
    padded = np.arange(present.shape[1]) >= lengths[:, None]  # after each row's last step
    bad = np.flatnonzero((present == padded).any(axis=1) | (lengths == 0))
    if bad.size:
        raise InvalidInputError(
            "data",
            expected="a series on each row: its steps from the first column on, missing "
            "values only after its last step (padding)",
            received=f"row {int(bad[0])} with a missing value before its last step, or no "
            "step at all",
            fix="Fill in the missing steps, or drop the row.",
        )
    keep = present.ravel()
    long = pd.DataFrame(
        {
            ROW_ID: np.repeat(np.arange(len(values)), values.shape[1])[keep],
            ROW_VALUE: values.to_numpy(dtype=np.float64).ravel()[keep],
        }
    )
    if labels:
        long[job.label_column] = np.repeat(wide.frame[job.label_column].to_numpy(), lengths)
    table = read_table(
        long,
        columns=[ROW_VALUE],
        id_column=ROW_ID,
        label_columns=[job.label_column] if labels else [],
    )
    notes = (*wide.notes, f"a series on each row, its {len(steps)} steps from column {steps[0]!r}")
    return dataclasses.replace(table, notes=notes)


def _read(
    data: Any,
    job: ClassificationJob,
    *,
    labels: bool,
    sep: str | None = None,
    fitted: Fitted | None = None,
) -> SeriesTable:
    if job.id_column is None:
        return _rows_as_series(data, job, labels=labels, sep=sep, fitted=fitted)
    return read_table(
        data,
        columns=job.features,
        time_column=job.time_column,
        id_column=job.id_column,
        label_columns=[job.label_column] if labels else [],
        sep=sep,
        date_format=job.date_format,
    )


def _split_series(
    codes: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """Training and test series, and how they were drawn: stratified where every class
    has a series for each part (scikit-learn's ``train_test_split``); otherwise at
    random, a class's last series kept for training (52 classes of 2 series, as in the
    UCR archive's PigCVP, leave room for 26 test series of 26 classes).

    Example:
        >>> codes = np.repeat(np.arange(4), 2)                       # 4 classes of 2
        >>> train, test, words = _split_series(codes, 0.25, seed=0)
        >>> len(test), len(set(codes[train])), words
        (2, 4, 'random, every class kept in training')
    """
    index = np.arange(len(codes))
    classes = len(np.unique(codes))
    tested = int(np.ceil(test_fraction * len(codes)))  # as train_test_split counts
    if np.bincount(codes).min() >= 2 and classes <= tested <= len(codes) - classes:
        train, test = train_test_split(
            index, test_size=test_fraction, random_state=seed, stratify=codes
        )
        return train, test, "stratified"
    train, test = split_keeping_classes(codes, tested, seed)
    return train, test, "random, every class kept in training"


def _codes_of(labels: np.ndarray, names: list) -> np.ndarray:
    """The codes of labels read from test data, by the training data's class ``names``;
    a label the training data lacks is an error that names it.

    Example:
        >>> _codes_of(np.array([2, 1, 2]), [1, 2]).tolist()
        [1, 0, 1]
    """
    lookup = {name: code for code, name in enumerate(names)}
    unknown = sorted({str(label) for label in labels.tolist() if _json_label(label) not in lookup})
    if unknown:
        raise InvalidInputError(
            "test_data",
            expected=f"labels among the training data's classes {names[:10]}",
            received=f"label(s) {unknown[:5]} that the training data does not have",
            fix="Check that the test data is labelled as the training data is (the same "
            "--label-column), or add series of those classes to the training data.",
        )
    return np.asarray([lookup[_json_label(label)] for label in labels.tolist()])


def _json_label(label: object) -> str | int | float | bool:
    """A label as JSON writes it back: numbers, booleans and text stay, others become text."""
    if isinstance(label, (str, bool, int, float)):
        return label
    return str(label)


def _label_codes(labels: np.ndarray) -> tuple[np.ndarray, list]:
    """Labels -> integer codes 0..n-1 (text labels allowed here), and the label names.

    Numbers are ordered as numbers (2 before 10), other labels as text.

    Example:
        >>> codes, names = _label_codes(np.array(["b", "a", "b"]))
        >>> codes.tolist(), names
        ([1, 0, 1], ['a', 'b'])
        >>> _label_codes(np.array([10.0, 2.0, 1.0]))[1]
        [1.0, 2.0, 10.0]
    """

    def order(label: object) -> tuple:
        number = isinstance(label, (int, float)) and not isinstance(label, bool)
        return (0, label, "") if number else (1, 0, str(label))

    distinct = sorted(pd.unique(labels).tolist(), key=order)
    lookup = {label: code for code, label in enumerate(distinct)}
    return np.array([lookup[label] for label in labels]), [_json_label(v) for v in distinct]


def _padded_series(table: SeriesTable, job: ClassificationJob, steps: int | None) -> np.ndarray:
    import keras

    sequences = table.arrays(job.features or (ROW_VALUE,))
    steps = steps or max(len(sequence) for sequence in sequences)
    return keras.utils.pad_sequences(
        sequences, maxlen=steps, dtype="float64", padding="post", truncating="post", value=PADDING
    )


def fit_classification(
    data: Any,
    job: ClassificationJob,
    estimator: BaseEstimator,
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    say: Callable[[str], None] | None = None,
    sep: str | None = None,
    test_data: Any = None,
) -> dict[str, Any]:
    """Train a clone of ``estimator`` to classify the series of ``data``; write a run
    folder to ``out``. A baseline with a better test accuracy is reported
    (``metrics["guard"]``, the report's first line, a ``BaselineWinsWarning``).
    ``say`` receives what the run decides, a line at a time; ``sep`` is a text file's
    column separator (detected when None). ``test_data``, labelled series in the same
    form (the UCR archive's ``_TEST`` file), gives the test scores instead of a share of
    ``data``: every series of ``data`` trains. Returns the metrics written to
    ``metrics.json``."""
    say = say or (lambda text: None)
    job.check()
    check_out(out, overwrite)
    table = _read(data, job, labels=True, sep=sep)
    codes, names = _label_codes(table.column_per_series(job.label_column))
    tested = None if test_data is None else _read(test_data, job, labels=True, sep=sep)
    steps = job.max_steps or max(
        max(part.lengths.values()) for part in (table, tested) if part is not None
    )
    X = _padded_series(table, job, steps)
    if len(names) < 2 or len(X) < 4:
        raise InvalidInputError(
            job.label_column,
            expected="at least 2 classes over at least 4 series",
            received=f"{len(names)} class(es) over {len(X)} series",
            fix="Check --label-column and --id-column.",
        )
    if tested is None:
        train_index, test_index, split_words = _split_series(codes, job.test_fraction, job.seed)
        split_line = (
            f"Split: {len(train_index)} training and {len(test_index)} test series "
            f"({split_words}, seed {job.seed})."
        )
    else:
        test_codes = _codes_of(tested.column_per_series(job.label_column), names)
        train_index = np.arange(len(X))
        X = np.concatenate([X, _padded_series(tested, job, steps)])
        codes = np.concatenate([codes, test_codes])
        test_index = np.arange(len(train_index), len(X))
        split_line = (
            f"Split: all {len(train_index)} series train; the {len(test_index)} series "
            "of the test data give the test scores."
        )
    if not len(test_index):
        raise InvalidInputError(
            job.label_column,
            expected="a class with at least 2 series, so that one is held out for the test "
            "scores and the class stays in training",
            received=f"{len(names)} classes of one series each",
            fix="Add series, or check --label-column and --id-column.",
        )
    steps = int(X.shape[1])
    lengths = (min(table.lengths.values()), max(table.lengths.values()))  # shortest, longest
    counts = np.bincount(codes[: len(table.lengths)], minlength=len(names))  # the data's
    read = f" Read with {'; '.join(table.notes)}." if table.notes else ""
    shape = lengths_words(lengths, steps)
    say(
        f"Data: {len(table.lengths)} series ("
        + (f"by {job.id_column!r}" if job.id_column else "a row each")
        + f") of {shape}; inputs {', '.join(job.features or (ROW_VALUE,))}.{read}"
    )
    say(
        f"Labels: {len(names)} classes in {job.label_column!r}: "
        + ", ".join(f"{name} ({count})" for name, count in zip(names, counts, strict=True))
        + "."
    )
    say(split_line)
    say(training_line(estimator, classifier=True))
    with run_folder(out, overwrite=overwrite) as folder:
        model = clone(estimator).set_params(
            validation_fraction=job.validation_fraction, mask_value=PADDING
        )
        with quiet_run_fit():
            model.fit(X[train_index], codes[train_index])
        predictions = {
            "seqshape": (model.predict(X[test_index]), model.predict_proba(X[test_index]))
        }
        fitted_baselines = classification_baselines(PADDING)
        for name, baseline in fitted_baselines.items():
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
            "steps": steps,
            "lengths": list(lengths),
            "classes": names,
            "test": scores,
            "guard": guard(scores, "accuracy"),
            **training_summary(model),
        }
        model.save(folder / MODEL_FILE)
        save_baselines(
            folder / BASELINES_FILE,
            {"majority class": baseline_state(fitted_baselines["majority class"])},
        )
        write_job(folder, job, {"classes": names, "steps": steps})
        write_json(folder / METRICS_FILE, metrics)
        write_classification_report(folder, model, metrics, len(X))
    warn_if_beaten(metrics["guard"], "test series")
    return metrics


def _predict_table(run: Run, table: SeriesTable) -> pd.DataFrame:
    job, names = run.job, run.extra["classes"]
    X = _padded_series(table, job, run.extra["steps"])
    probabilities = run.model.predict_proba(X)
    frame = pd.DataFrame(
        {
            job.id_column or ROW_ID: table.ids,
            job.label_column: [names[code] for code in run.model.predict(X)],
        }
    )
    for code, name in enumerate(names):
        frame[f"probability_{name}"] = probabilities[:, code]
    return frame


def predict_classification(
    run: str | os.PathLike | Run,
    data: Any,
    out: str | os.PathLike | None = None,
    *,
    sep: str | None = None,
) -> pd.DataFrame:
    """The class of each series in ``data``, with its probabilities; optionally to CSV."""
    run = open_run(run)
    fitted = (run.extra["steps"], run.extra["classes"])
    table = _read(data, run.job, labels=False, sep=sep, fitted=fitted)
    frame = _predict_table(run, table)
    if out is not None:
        write_csv(frame, out)
    return frame


def evaluate_classification(
    run: str | os.PathLike | Run, data: Any, *, sep: str | None = None, **_: Any
) -> dict[str, Any]:
    """Score a run's classifier on the labelled series of ``data``, next to the
    majority class of its training series."""
    run = open_run(run)
    table = _read(data, run.job, labels=True, sep=sep)
    predicted = _predict_table(run, table)[run.job.label_column]
    truth = [str(label) for label in table.column_per_series(run.job.label_column)]
    names = run.extra["classes"]
    predictions = {"seqshape": [str(label) for label in predicted]}
    majority = run.baselines.get("majority class")
    if majority is not None:
        predictions["majority class"] = [
            str(names[int(code)]) for code in majority.predict(np.zeros((len(truth), 1)))
        ]
    return {
        "series": len(truth),
        "scored": f"all {len(truth)} series",
        "scores": {
            name: classification_scores(truth, labels) for name, labels in predictions.items()
        },
    }
