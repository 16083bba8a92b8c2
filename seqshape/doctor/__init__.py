"""Why your model doesn't fit your data, and the fix: ``diagnose`` and ``seqshape doctor``.

``diagnose(source_or_model, X, y)`` reads a Keras model, as a snippet of the user's code
(``model = Sequential()``, ``model.add(...)``, optionally ``model.compile(...)``; imports
from ``keras``, ``tensorflow.keras`` or ``tensorflow.python.keras``, mapped to Keras 3)
or as a model object, and returns a ``Diagnosis``: each problem with its evidence (the
layer, the shapes), why it is wrong, and the fix as a code change; ``fixed_source`` is the
snippet with every fix applied. A snippet runs in a subprocess with a time limit, since
it is the user's own code (``seqshape.doctor.probe``).

Fixes are found in passes: once a layer's construction or shapes are fixed, the fixed
snippet is run again, since the layers after it only then receive the shapes they will
really get. A pass runs every snippet of a batch in one subprocess.

Example:
    >>> from seqshape.doctor import diagnose
    >>> snippet = '''
    ... from tensorflow.keras.models import Sequential
    ... from tensorflow.keras.layers import LSTM, Dense
    ... model = Sequential()
    ... model.add(LSTM(12, input_shape=(40, 2)))
    ... model.add(LSTM(6))
    ... model.add(Dense(1))
    ... '''
    >>> diagnosis = diagnose(snippet, x_shape=(1200, 40, 2), y_shape=(1200,))
    >>> [problem.kind for problem in diagnosis.problems]
    ['keras_3_imports', 'return_sequences_missing']
    >>> print(diagnosis.fixed_source.strip().splitlines()[3])
    model.add(LSTM(12, input_shape=(40, 2), return_sequences=True))
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqshape.doctor import edits as ed
from seqshape.doctor.checks import Data, Finding, run_checks
from seqshape.errors import InvalidInputError, InvalidTypeError

__all__ = ["Data", "Diagnosis", "Problem", "diagnose", "diagnose_all", "read_data"]

PROBE = Path(__file__).with_name("probe.py")
PASSES = 4  # fixes applied, then the snippet run again, at most this many times
TIMEOUT = 120.0  # seconds for one run of the probe


@dataclass(frozen=True)
class Problem:
    """One problem: what kind, how bad, the evidence, why it is wrong, and the fix.

    ``severity`` is ``"error"`` (the model cannot fit the data), ``"warning"`` (it runs
    but is wrong or unsafe) or ``"info"``. ``change`` shows the fix on the user's lines
    (``- old`` / ``+ new``), when the model came as source.
    """

    kind: str
    severity: str
    evidence: str
    why: str
    fix: str
    change: str = ""

    def __str__(self) -> str:
        lines = [
            f"[{self.severity}] {self.kind}: {self.evidence}",
            f"  why: {self.why}",
            f"  fix: {self.fix}",
        ]
        lines += [f"    {line}" for line in self.change.splitlines()]
        return "\n".join(lines)


@dataclass(frozen=True)
class Diagnosis:
    """The problems found (in the order found) and the snippet with every fix applied."""

    problems: tuple[Problem, ...]
    fixed_source: str | None
    output_shape: tuple | None = None  # the fixed model's output per sample, when known

    @property
    def ok(self) -> bool:
        """True when nothing but information was found: the model fits the data."""
        return not any(problem.severity != "info" for problem in self.problems)

    def __str__(self) -> str:
        if not self.problems:
            return "No problems found: the model fits data of these shapes."
        count = sum(problem.severity != "info" for problem in self.problems)
        head = f"{count} problem(s) found." if count else "The model fits the data."
        return "\n\n".join([head, *map(str, self.problems)])


def _data(X, y, x_shape, y_shape, task, x_dtype, n_classes) -> Data:
    """What the checks know of X and y: shapes per sample, and facts read off the arrays."""
    facts: dict[str, Any] = {}
    if X is not None:
        X = np.asarray(X)
        x_shape = X.shape
        x_dtype = "int" if X.dtype.kind in "iub" else "float"
        if x_dtype == "int" and X.size:
            facts["x_max"] = int(X.max())
        facts["padding"] = _zero_padding(X)
    if y is not None:
        y = np.asarray(y)
        y_shape = y.shape
        if y.dtype.kind in "iub" or y.dtype.kind in "OU":
            if task is None:
                labels = np.unique(y)
                task = "binary" if len(labels) <= 2 else "multiclass"
            if n_classes is None and y.size:
                n_classes = int(y.max()) + 1 if y.dtype.kind in "iu" else len(np.unique(y))
        elif y.dtype.kind == "f" and y.size:
            one_hot = (
                y.ndim == 2
                and y.shape[1] > 1
                and np.isin(y, (0, 1)).all()
                and (y.sum(axis=1) == 1).all()
            )
            if one_hot:
                task = task or "multiclass"
                facts["y_one_hot"] = True
                n_classes = n_classes or y.shape[1]
            facts["y_outside_unit"] = bool(y.min() < 0 or y.max() > 1)
    shapes = []
    for name, shape in (("x_shape", x_shape), ("y_shape", y_shape)):
        if shape is None:
            shapes.append(None)
            continue
        try:
            sizes = tuple(int(size) for size in shape)
        except (TypeError, ValueError):
            sizes = ()
        if not sizes or any(size < 1 for size in sizes):
            raise InvalidInputError(
                name,
                expected="the shape of the whole array, samples first (e.g. X.shape)",
                received=repr(shape),
                fix=f"Pass {name}=(1200, 40, 2) or the array itself.",
            )
        shapes.append(sizes[1:])
    if task is not None and task not in ("regression", "binary", "multiclass"):
        raise InvalidInputError(
            "task",
            expected="'regression', 'binary' or 'multiclass'",
            received=repr(task),
            fix="Leave it out to read the task from y (or from the loss).",
        )
    return Data(shapes[0], shapes[1], x_dtype, task, n_classes, **facts)


def _zero_padding(X: np.ndarray) -> str | None:
    """ "end" or "start" when X holds sequences padded with all-zero steps to one length
    (of different real lengths), else None."""
    if X.ndim < 2 or len(X) < 2 or X.shape[1] < 2:
        return None
    steps = X.reshape(len(X), X.shape[1], -1)
    zero = ~steps.any(axis=-1)  # (samples, steps): every feature 0
    for side, ordered in (("end", zero[:, ::-1]), ("start", zero)):
        run = np.argmin(np.concatenate([ordered, np.zeros((len(X), 1), bool)], axis=1), axis=1)
        if (run > 0).mean() >= 0.1 and len(np.unique(run)) > 1 and (run < X.shape[1]).all():
            return side
    return None


def _probe(snippets: list[tuple[str, Data]], timeout: float) -> list[dict]:
    request = {
        "snippets": [
            {
                "source": source,
                "x_shape": None if data.x_shape is None else list(data.x_shape),
                "x_dtype": data.x_dtype,
            }
            for source, data in snippets
        ]
    }
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        done = subprocess.run(
            [sys.executable, str(PROBE)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout * max(1, len(snippets)),
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise InvalidInputError(
            "source",
            expected=f"a snippet that defines its model within {timeout:.0f} s",
            received="one that was still running (loading data, or training outside model.fit?)",
            fix="Keep only the imports, the model's layers and compile; or pass a larger timeout.",
        ) from None
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if len(results) != len(snippets):
        raise InvalidInputError(
            "source",
            expected="a snippet that runs in a fresh Python process",
            received=f"a process that ended with: {done.stderr.strip()[-500:]}",
            fix="Run the snippet on its own to see the error.",
        )
    return results


def _read_source(source: str) -> str:
    if not isinstance(source, str):
        raise InvalidTypeError(
            "model_or_source",
            expected="Python source text (a str) or a keras.Model",
            received=type(source).__name__,
            fix="Pass the snippet's text, e.g. Path('my_model.py').read_text().",
        )
    mapped = ed.keras_3_imports(source)
    try:
        compile(mapped, "<snippet>", "exec")
    except SyntaxError as error:
        raise InvalidInputError(
            "source",
            expected="Python source that parses",
            received=f"a syntax error at line {error.lineno}: {error.msg}",
            fix="Fix the line (a snippet copied from a web page often loses a bracket or "
            "doubles its quotes).",
        ) from None
    return mapped


def _change(source: str, finding: Finding) -> str:
    if not finding.edits:
        return ""
    fixed = ed.apply(source, finding.edits)
    before, after = source.splitlines(), fixed.splitlines()
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        lines.append(line)
    return "\n".join(lines)


def _problem(source: str | None, finding: Finding) -> Problem:
    change = _change(source, finding) if source is not None else ""
    return Problem(
        finding.kind, finding.severity, finding.evidence, finding.why, finding.fix, change
    )


def _no_model(facts: dict, source: str, data: Data) -> list[Finding] | None:
    """The findings for a snippet whose model was never made (a layer failed on the
    way: the functional API builds as it goes); an error when nothing explains it."""
    if facts.get("model") is None and not facts.get("crash"):
        findings = run_checks(facts, source, data)
        if findings:
            return findings
    _require_model(facts)
    return None


def _require_model(facts: dict) -> None:
    if facts.get("crash"):
        raise InvalidInputError(
            "source",
            expected="a snippet seqshape can run",
            received=facts["crash"][-300:],
            fix="Run the snippet on its own to see the error.",
        )
    if facts.get("model") is None:
        errors = "; ".join(
            f"line {e['line']}: {e['type']}: {e['message']}" for e in facts.get("errors", [])
        )
        raise InvalidInputError(
            "source",
            expected="a snippet that makes a Keras model (model = Sequential(), "
            "model.add(...), or keras.Model(inputs, outputs))",
            received="no model" + (f" ({errors})" if errors else ""),
            fix="Define the model in the snippet, named `model`.",
        )
    return None


def _import_notes(source: str, mapped: str) -> list[Problem]:
    """Information on imports mapped to Keras 3, with the change."""
    if mapped == source:
        return []
    change = [
        line
        for line in difflib.unified_diff(
            source.splitlines(), mapped.splitlines(), lineterm="", n=0
        )
        if not line.startswith(("---", "+++", "@@"))
    ]
    return [
        Problem(
            "keras_3_imports",
            "info",
            "the snippet imports Keras from tensorflow.keras, tensorflow.python.keras or "
            "Keras 2's submodules",
            "Keras 3 is the keras package (tensorflow.python.keras is TensorFlow's private "
            "copy of Keras 2); the snippet was run, and is fixed, with Keras 3's imports.",
            "Import from keras.",
            "\n".join(change),
        )
    ]


def diagnose_all(snippets: list[tuple[str, Data]], *, timeout: float = TIMEOUT) -> list[Diagnosis]:
    """``diagnose`` for several snippets, each with its data: one subprocess a pass."""
    current = [_read_source(source) for source, _ in snippets]
    datas = [data for _, data in snippets]
    found: list[list[Problem]] = [
        _import_notes(source, mapped)
        for (source, _), mapped in zip(snippets, current, strict=True)
    ]
    shapes: list = [None] * len(snippets)
    pending = list(range(len(snippets)))
    for _ in range(PASSES):
        if not pending:
            break
        results = _probe([(current[i], datas[i]) for i in pending], timeout)
        still = []
        for index, facts in zip(pending, results, strict=True):
            findings = _no_model(facts, current[index], datas[index])
            if findings is None:
                findings = run_checks(facts, current[index], datas[index])
            shapes[index] = (facts.get("model") or {}).get("output_shape")
            seen = {(p.kind, p.evidence) for p in found[index]}
            found[index] += [
                _problem(current[index], f) for f in findings if (f.kind, f.evidence) not in seen
            ]
            fixes = [
                edit
                for finding in findings
                if finding.severity != "info"
                for edit in finding.edits
            ]
            if fixes:
                fixed = ed.apply(current[index], fixes)
                if fixed != current[index]:
                    current[index] = fixed
                    still.append(index)
        pending = still
    return [
        Diagnosis(tuple(found[i]), current[i], None if shapes[i] is None else tuple(shapes[i]))
        for i in range(len(snippets))
    ]


def read_data(
    X=None,
    y=None,
    *,
    x_shape=None,
    y_shape=None,
    task: str | None = None,
    x_dtype: str = "float",
    n_classes: int | None = None,
) -> Data:
    """What the checks know of X and y (see ``diagnose`` for the arguments)."""
    if x_dtype not in ("float", "int"):
        raise InvalidInputError(
            "x_dtype",
            expected="'float' or 'int'",
            received=repr(x_dtype),
            fix="'int' for token ids, else 'float'.",
        )
    return _data(X, y, x_shape, y_shape, task, x_dtype, n_classes)


def diagnose(
    model_or_source,
    X=None,
    y=None,
    *,
    x_shape=None,
    y_shape=None,
    task: str | None = None,
    x_dtype: str = "float",
    n_classes: int | None = None,
    timeout: float = TIMEOUT,
) -> Diagnosis:
    """Why a Keras model does not fit data of these shapes, and the fix.

    Args:
        model_or_source: the model snippet's source text, or a ``keras.Model``.
        X, y: the data (optional): shapes are read from them, and more is checked
            (token ids against the Embedding, zero padding, labels against the loss).
        x_shape, y_shape: the arrays' shapes, samples first, when X and y are not given.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``; read from y or the
            loss when left out.
        x_dtype: ``"float"`` or ``"int"`` (token ids), when X is not given.
        n_classes: the number of classes, when y is not given.
        timeout: seconds the snippet may run.
    """
    data = read_data(
        X, y, x_shape=x_shape, y_shape=y_shape, task=task, x_dtype=x_dtype, n_classes=n_classes
    )
    import keras

    if isinstance(model_or_source, keras.Model):
        from seqshape.doctor.probe import model_facts

        facts = {
            "errors": [],
            "compile": _compiled(model_or_source),
            "model": model_facts(model_or_source),
        }
        findings = run_checks(facts, None, data)
        output = facts["model"]["output_shape"]
        return Diagnosis(
            tuple(_problem(None, f) for f in findings),
            None,
            None if output is None else tuple(output),
        )
    return diagnose_all([(model_or_source, data)], timeout=timeout)[0]


def _compiled(model) -> dict | None:
    loss = getattr(model, "loss", None)
    if loss is None:
        return None
    return {
        "loss": getattr(loss, "__name__", None) or getattr(loss, "name", None) or loss,
        "from_logits": bool(getattr(loss, "from_logits", False)),
        "span": None,
    }
