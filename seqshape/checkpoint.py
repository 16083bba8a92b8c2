"""Training that survives being killed: an atomic checkpoint every epoch, and resume.

Each epoch's checkpoint is a folder ``epoch-N`` (the full model with its optimizer
state, the early-stopping state, the history so far, the best weights) committed by
atomically replacing the small file ``latest``. A kill at any moment leaves either the
previous checkpoint or the new one, never a half-written one; at most the epoch in
progress is lost.

Example:
    >>> import numpy as np, os, tempfile, seqshape
    >>> folder = os.path.join(tempfile.mkdtemp(), "checkpoint")
    >>> X, y = np.random.rand(32, 6, 1), np.random.rand(32)
    >>> model = seqshape.SequenceModel(units=3, epochs=2, checkpoint_dir=folder).fit(X, y)
    >>> model.n_epochs_, os.path.exists(folder)  # a finished fit removes its checkpoint
    (2, False)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import keras
import numpy as np

from seqshape.errors import InvalidInputError
from seqshape.fileio import atomic_folder, to_json, write_text

_POINTER = "latest"


def fingerprint(params: dict, spec: dict, *arrays: np.ndarray) -> str:
    """A digest of the settings and (a sample of) the data a checkpoint belongs to."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([params, spec], sort_keys=True, default=str).encode())
    for array in arrays:
        digest.update(str(array.shape).encode())
        rows = np.ascontiguousarray(array[:: max(1, len(array) // 1000)])  # no full copy
        digest.update(rows.tobytes())
    return digest.hexdigest()


def read_latest(folder: str | os.PathLike) -> dict | None:
    """The state of the last committed checkpoint in ``folder``, or None."""
    pointer = Path(folder) / _POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    state = json.loads((Path(folder) / name / "state.json").read_text())
    state["path"] = str(Path(folder) / name)
    return state


class EpochCheckpoint(keras.callbacks.Callback):
    """Write a resumable checkpoint at the end of every epoch (see the module docstring).

    Args:
        folder: where checkpoints go.
        fingerprint: what the checkpoint belongs to (settings and data).
        early_stopping: the run's ``EarlyStopping``, whose state is saved with it.
        history: the history of the epochs before this ``fit`` call (when resuming).
    """

    def __init__(self, folder, fingerprint: str, early_stopping, history: dict):
        super().__init__()
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.early_stopping = early_stopping
        self.history = {name: list(values) for name, values in history.items()}

    def on_epoch_end(self, epoch, logs=None):
        if not finite_epoch(logs):  # never commit weights that training diverged to
            return
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        name = f"epoch-{epoch + 1}"
        stopper = self.early_stopping
        state = {
            "epoch": epoch + 1,
            "fingerprint": self.fingerprint,
            "history": self.history,
            "early_stopping": {
                "wait": stopper.wait,
                "best": float(stopper.best) if stopper.best is not None else None,
                "best_epoch": stopper.best_epoch,
            },
        }
        with atomic_folder(self.folder / name) as scratch:
            self.model.save(scratch / "model.keras")
            if stopper.best_weights is not None:
                np.savez(scratch / "best_weights.npz", *stopper.best_weights)
            (scratch / "state.json").write_text(to_json(state, indent=None))
        write_text(self.folder / _POINTER, name)  # the commit: this checkpoint is whole
        for old in self.folder.glob("epoch-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` whose waiting count, best value and best weights can be restored
    from a checkpoint (Keras resets them when training begins)."""

    restored: dict | None = None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.restored:
            for name, value in self.restored.items():
                setattr(self, name, value)

    def on_epoch_end(self, epoch, logs=None):
        if finite_epoch(logs):  # a NaN loss is never the best, nor are its weights kept
            super().on_epoch_end(epoch, logs)


def finite_epoch(logs: dict | None) -> bool:
    """True when an epoch's losses (training and validation) are all finite numbers.

    Example:
        >>> finite_epoch({"loss": 0.5, "val_loss": float("nan")}), finite_epoch({"loss": 1.0})
        (False, True)
    """
    return all(
        np.isfinite(value)
        for name, value in (logs or {}).items()
        if name in ("loss", "val_loss") and value is not None
    )


def resume(folder, expected_fingerprint: str, early_stopping: ResumableEarlyStopping):
    """Load the last checkpoint in ``folder``: (model, epochs done, history), or None.

    Restores the early-stopping state into ``early_stopping``. A checkpoint made with
    other settings or data is refused, never silently mixed in.
    """
    state = read_latest(folder)
    if state is None:
        return None
    if state["fingerprint"] != expected_fingerprint:
        raise InvalidInputError(
            "checkpoint_dir",
            expected="a checkpoint of this same fit (same settings and data), or none",
            received=f"a checkpoint in {str(folder)!r} from a different fit",
            fix="Delete that folder or pass another checkpoint_dir to start afresh.",
        )
    path = Path(state["path"])
    model = keras.saving.load_model(path / "model.keras", safe_mode=True)
    restored = dict(state["early_stopping"])
    if (path / "best_weights.npz").is_file():
        with np.load(path / "best_weights.npz") as saved:
            restored["best_weights"] = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    early_stopping.restored = restored
    return model, state["epoch"], state["history"]


def discard(folder) -> None:
    """Remove a finished run's checkpoints."""
    shutil.rmtree(folder, ignore_errors=True)
