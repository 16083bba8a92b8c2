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

import contextlib
import hashlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np

from seqshape.distribution import off_the_mesh
from seqshape.errors import ModelFileError
from seqshape.fileio import atomic_folder, exclusive, to_json, write_text
from seqshape.validation import sample_chunks

_POINTER = "latest"
_LOCK = "lock"


def _digest(*parts: bytes | memoryview) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _array_parts(arrays: tuple[np.ndarray, ...]) -> Iterator[bytes | memoryview]:
    """Every byte of each array, chunk by chunk (a view of windows is never copied
    whole), after its dtype and shape."""
    for array in arrays:
        yield f"{array.dtype.str}{array.shape}".encode()
        for _, chunk in sample_chunks(array):
            yield np.ascontiguousarray(chunk).data


def fingerprint(
    params: dict,
    spec: dict,
    training: tuple[np.ndarray, ...],
    validation: tuple[np.ndarray, ...] | None,
) -> dict[str, str]:
    """Digests of what a checkpoint belongs to: the settings (parameters and spec), the
    training data and the validation data, each over every byte (one streaming hash,
    fast next to an epoch, which reads every byte too).

    Example:
        >>> X = np.zeros((3, 2))
        >>> first = fingerprint({"epochs": 2}, {}, (X,), None)
        >>> X[2, 1] = 1.0
        >>> sorted(k for k, v in fingerprint({"epochs": 2}, {}, (X,), None).items()
        ...        if v != first[k])
        ['training data']
    """
    return {
        "settings": _digest(json.dumps([params, spec], sort_keys=True, default=str).encode()),
        "training data": _digest(*_array_parts(training)),
        "validation data": "none" if validation is None else _digest(*_array_parts(validation)),
    }


def read_latest(folder: str | os.PathLike) -> dict | None:
    """The state of the last committed checkpoint in ``folder``, or None; ``ValueError``
    (or ``OSError``) for a pointer or state that is not a checkpoint's."""
    pointer = Path(folder) / _POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text(errors="replace").strip()
    if not re.fullmatch(r"epoch-[1-9][0-9]{0,8}", name):
        raise ValueError(f"the pointer {_POINTER!r} names {name[:40]!r}, not a checkpoint")
    state = json.loads((Path(folder) / name / "state.json").read_text())
    if not (
        isinstance(state, dict)
        and state.get("epoch") == int(name.removeprefix("epoch-"))
        and isinstance(state.get("history"), dict)
        and all(
            isinstance(values, list)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            for values in state["history"].values()
        )
        and isinstance(state.get("early_stopping"), dict)
    ):
        raise ValueError(f"{name}/state.json is not a checkpoint's state")
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

    def __init__(self, folder, fingerprint: dict[str, str], early_stopping, history: dict):
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
        with atomic_folder(self.folder / name) as scratch, off_the_mesh():
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


_EARLY_STOPPING_STATE = ("wait", "best", "best_epoch")


def _different(saved: object, expected: dict[str, str]) -> str:
    """What differs between a checkpoint's fingerprint and this fit's, in words."""
    if not isinstance(saved, dict):
        return "it was written by another version of seqshape"
    changed = [name for name, value in expected.items() if saved.get(name) != value]
    return f"the {' and the '.join(changed)} differ" if changed else ""


def _start_over(folder, why: str) -> None:
    warnings.warn(
        f"The checkpoint in {str(folder)!r} is not resumed: {why}. Training starts over "
        "(that checkpoint is replaced).",
        UserWarning,
        stacklevel=5,  # the user's fit
    )
    discard(folder, keep_folder=True)


def resume(folder, expected: dict[str, str], early_stopping: ResumableEarlyStopping):
    """Load the last checkpoint in ``folder``: (model, epochs done, history), or None.

    Restores the early-stopping state into ``early_stopping``. A checkpoint of other
    settings, training data or validation data, or one that cannot be read, is never
    mixed in: training starts over, with a warning that says why. A checkpoint whose
    model carries code is refused (``ModelFileError``).
    """
    try:
        state = read_latest(folder)
    except (OSError, ValueError) as error:
        _start_over(folder, f"it cannot be read ({error})")
        return None
    if state is None:
        return None
    why = _different(state.get("fingerprint"), expected)
    if why:
        _start_over(folder, why)
        return None
    path = Path(state["path"])
    try:
        model = keras.saving.load_model(path / "model.keras", safe_mode=True)
    except Exception as error:  # Keras raises several types for bad or unsafe files
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise ModelFileError(
                str(folder),
                expected="a checkpoint written by seqshape",
                received="a model that carries Python code (a Lambda layer or a function); "
                "loading it would run that code, so safe mode refused it",
                fix=f"Delete {str(folder)!r} to train from the start.",
            ) from None
        _start_over(folder, f"its model cannot be loaded ({str(error)[:200]})")
        return None
    saved = state["early_stopping"]
    restored = {name: saved.get(name) for name in _EARLY_STOPPING_STATE}
    try:
        if (path / "best_weights.npz").is_file():
            with np.load(path / "best_weights.npz") as weights:
                best = [weights[f"arr_{i}"] for i in range(len(weights.files))]
            shapes = [tuple(w.shape) for w in model.weights]
            if [w.shape for w in best] != shapes:
                raise ValueError("best weights of other shapes than the model's")
            restored["best_weights"] = best
    except (OSError, ValueError, KeyError) as error:
        _start_over(folder, f"its best weights cannot be read ({error})")
        return None
    early_stopping.restored = restored
    return model, state["epoch"], state["history"]


_OWN = ("epoch-*", ".epoch-*", _POINTER, f".{_POINTER}.*")


def discard(folder, keep_folder: bool = False) -> None:
    """Remove a run's checkpoints: only what seqshape wrote there, then the folder
    itself once empty (unless ``keep_folder``). Anything else in it is left alone."""
    folder = Path(folder)
    for pattern in _OWN:
        for entry in folder.glob(pattern):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    if not keep_folder:
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def locked(folder) -> Iterator[None]:
    """Hold ``folder``'s lock while a fit checkpoints there: a second fit into the same
    folder fails at once, rather than resuming from the first one's checkpoints."""
    with exclusive(Path(folder) / _LOCK, "checkpoint_dir", folder):
        yield
