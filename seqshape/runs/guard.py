"""The honest guard: does the model beat every baseline on the test part?

After a run is evaluated, the model's test score is compared with every baseline's on
one metric (for forecasts MAE, or MASE where there are several targets, lower is
better; accuracy for classification, higher is better). ``guard`` gives the comparison
as it goes into ``metrics.json``; ``guard_line`` gives the sentence at the top of the
report; ``warn_if_beaten`` warns (``seqshape.errors.BaselineWinsWarning``) when a
baseline wins. The estimator's own
check on its validation part (``seqshape.guard``) is silenced inside a run: the run
judges on its test part, once.

Example:
    >>> scores = {
    ...     "seqshape": {"MAE": 1.45},
    ...     "drift": {"MAE": 1.23},
    ...     "mean": {"MAE": 2.0},
    ... }
    >>> result = guard(scores, "MAE")
    >>> result["best_baseline"], result["baseline_wins"]
    ('drift', True)
    >>> print(guard_line(result, "test windows"))
    Warning: the baseline 'drift' beats the model on the test windows: MAE 1.230 against ...
    >>> print(guard_line(guard({"seqshape": {"MAE": 0.88}, "ridge": {"MAE": 1.0}}, "MAE")))
    seqshape beats the best baseline (ridge) by 12% on MAE: 0.8800 against 1.000.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from seqshape.errors import AxesWarning, BaselineWinsWarning
from seqshape.guard import judge, verdict

MODEL = "seqshape"


def guard(scores: Mapping[str, Mapping[str, float]], metric: str) -> dict[str, Any]:
    """Compare the model's ``metric`` with every baseline's (JSON-ready, see
    ``seqshape.guard.judge``); ``scores`` holds test scores by name, the model's under
    ``"seqshape"``."""
    flat = {name: row[metric] for name, row in scores.items()}
    return judge(flat, metric, model=MODEL, part="test windows")


def guard_line(result: Mapping[str, Any], part: str = "test windows") -> str:
    """The report's first line: a warning when a baseline wins, else the model's margin.

    ``part`` names what was scored (``"test windows"``, ``"test series"``).
    """
    return verdict({**result, "part": part}, model_name=MODEL)


@contextmanager
def quiet_run_fit() -> Iterator[None]:
    """Silence, inside a run, two of the estimator's warnings that the run answers
    itself: ``BaselineWinsWarning`` on the validation part (the run warns on its test
    part instead) and ``AxesWarning`` (a table's rows are its steps, so the windows cut
    from it cannot be transposed, whatever the count of its columns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BaselineWinsWarning)
        warnings.simplefilter("ignore", AxesWarning)
        yield


def warn_if_beaten(result: Mapping[str, Any], part: str = "test windows") -> None:
    """Warn (``BaselineWinsWarning``) when a baseline beat the model."""
    if result["baseline_wins"]:
        warnings.warn(guard_line(result, part), BaselineWinsWarning, stacklevel=3)
