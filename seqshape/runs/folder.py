"""The run folder: written whole or not at all, and read back once per file.

A run folder holds ``model.seqshape``, ``job.json``, ``metrics.json``,
``baselines.npz`` (the baselines fitted on the training part), ``report.md``,
``report.html`` and ``figures/``. It is built under a temporary name beside ``--out``
and swapped in when complete (``seqshape.fileio.atomic_folder``), so a failure leaves
no half-written run folder, and an existing one as it was.

Example:
    >>> import os, tempfile
    >>> from seqshape.runs.folder import run_folder
    >>> out = os.path.join(tempfile.mkdtemp(), "run")
    >>> with run_folder(out) as folder:
    ...     _ = (folder / "notes.txt").write_text("done")
    >>> os.listdir(out)
    ['notes.txt']
    >>> with run_folder(out) as folder:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    seqshape.errors.InvalidInputError: Invalid `--out`: ... already holds files. ...
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqshape.distribution import is_writer
from seqshape.errors import InvalidInputError
from seqshape.estimator import load
from seqshape.fileio import atomic_file, atomic_folder
from seqshape.runs.jobs import Job, read_job

MODEL_FILE = "model.seqshape"
METRICS_FILE = "metrics.json"
# the fitted state of the baselines that learn from the training part (mean, ridge,
# majority class), so that `evaluate` scores them on new data too; NumPy arrays only
BASELINES_FILE = "baselines.npz"


def check_out(out: str | os.PathLike, overwrite: bool = False) -> None:
    """Refuse an ``--out`` that already holds files, unless ``overwrite``."""
    target = Path(out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not overwrite:
        raise InvalidInputError(
            "--out",
            expected="a new or empty folder",
            received=f"{str(target)!r}, which already holds files",
            fix="Choose another folder, or pass --overwrite.",
        )


@contextmanager
def run_folder(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty folder to fill; it becomes ``out`` only if the block succeeds.

    In a fit over several processes only process 0 writes ``out``: the others fill a
    temporary folder that is then removed (``seqshape.distribution``).
    """
    check_out(out, overwrite)
    if not is_writer():
        with tempfile.TemporaryDirectory(prefix="seqshape-run-") as scratch:
            yield Path(scratch)
        return
    with atomic_folder(out) as scratch:
        yield scratch


def write_csv(frame: pd.DataFrame, out: str | os.PathLike) -> None:
    """Write ``frame`` to the CSV file ``out`` atomically, without the index."""
    with atomic_file(out) as temporary:
        frame.to_csv(temporary, index=False)


def training_summary(model: Any) -> dict[str, Any]:
    """Epochs, best epoch and median epoch time of a fitted ``SequenceModel`` (JSON-ready)."""
    seconds = model.history_["epoch_seconds"]
    return {
        "epochs": int(model.n_epochs_),
        "best_epoch": int(model.best_epoch_),
        # the first epoch includes compilation
        "median_epoch_seconds": float(np.median(seconds[1:] or seconds)),
    }


def save_baselines(path: Path, states: dict[str, dict[str, np.ndarray]]) -> None:
    """Write the baselines' states (``seqshape.baselines.baseline_state``) into one
    ``.npz`` file, atomically: ``name/key`` -> array."""
    arrays = {
        f"{name}/{key}": value for name, state in states.items() for key, value in state.items()
    }
    with atomic_file(path) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, **arrays)


def load_baselines(path: Path) -> dict[str, Any]:
    """The fitted baselines ``save_baselines`` wrote (none when the file is missing:
    a run folder from an older seqshape)."""
    from seqshape.baselines import baseline_from_state

    if not path.is_file():
        return {}
    states: dict[str, dict[str, np.ndarray]] = {}
    try:
        with np.load(path, allow_pickle=False) as saved:
            for key in saved.files:
                name, _, field = key.partition("/")
                states.setdefault(name, {})[field] = saved[key]
        return {name: baseline_from_state(state) for name, state in states.items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise InvalidInputError(
            "RUN_DIR",
            expected=f"a readable {BASELINES_FILE} written by `seqshape fit`",
            received=f"{str(path)!r} ({type(error).__name__}: {error})",
            fix="Fit the run again.",
        ) from None


@dataclass(frozen=True)
class Run:
    """A finished run folder, read lazily: each file at most once.

    Attributes:
        path: the folder.
        job: the job it was made with.
        extra: what the fit learned about the data (see ``seqshape.runs.jobs``).
    """

    path: Path
    job: Job
    extra: dict[str, Any]

    @cached_property
    def model(self) -> Any:
        """The fitted model (``model.seqshape``, loaded with Keras' safe mode on)."""
        return load(self.path / MODEL_FILE)

    @cached_property
    def baselines(self) -> dict[str, Any]:
        """The fitted baselines kept from the fit (``baselines.npz``), by name."""
        return load_baselines(self.path / BASELINES_FILE)

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """The scores written at fit time (``metrics.json``)."""
        path = self.path / METRICS_FILE
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise InvalidInputError(
                "RUN_DIR",
                expected=f"a readable {METRICS_FILE} written by `seqshape fit`",
                received=f"{str(path)!r} ({error})",
                fix="Fit the run again.",
            ) from None


def open_run(run: str | os.PathLike | Run) -> Run:
    """The run folder at ``run`` (its job read now, the rest when first used)."""
    if isinstance(run, Run):
        return run
    job, extra = read_job(run)
    return Run(Path(run), job, extra)
