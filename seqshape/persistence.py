"""Saving and loading a fitted ``SequenceModel`` as one file, safely.

A ``.seqshape`` file is a zip archive holding ``model.keras`` (Keras' own format) and
``seqshape.json`` (spec, parameters, scalers, classes). Nothing is pickled: loading
runs Keras with ``safe_mode=True``, so a file carrying code (a ``Lambda`` layer or an
unknown class) is refused. Files are written to a temporary name and renamed, so an
interrupted save never leaves a half-written file behind.

Example:
    >>> import numpy as np, seqshape, tempfile, os
    >>> model = seqshape.SequenceModel(units=4, epochs=1).fit(
    ...     np.random.rand(16, 5, 1), np.random.rand(16))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.seqshape")
    >>> model.save(path)
    >>> seqshape.load(path).predict(np.ones((2, 5, 1))).shape
    (2,)
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np

from seqshape.errors import ModelFileError
from seqshape.scaling import LastAxisScaler
from seqshape.spec import TopologySpec

FORMAT = "seqshape-model"
FORMAT_VERSION = 1
_MODEL_MEMBER = "model.keras"
_STATE_MEMBER = "seqshape.json"


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give a normal file's mode
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _state(estimator) -> dict:
    classes = estimator.classes_
    names = getattr(estimator, "feature_names_in_", None)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
        "params": estimator.get_params(),
        "spec": estimator.spec_.to_dict(),
        "x_scaler": estimator.x_scaler_.to_dict() if estimator.x_scaler_ else None,
        "y_scaler": estimator.y_scaler_.to_dict() if estimator.y_scaler_ else None,
        "classes": None if classes is None else classes.tolist(),
        "classes_dtype": None if classes is None else classes.dtype.str,
        "feature_names_in": None if names is None else list(names),
        "n_features_in": int(estimator.n_features_in_),
        "history": estimator.history_,
        "best_epoch": estimator.best_epoch_,
        "n_epochs": estimator.n_epochs_,
    }


def save_estimator(estimator, path: str | os.PathLike) -> None:
    """Write ``estimator`` to ``path`` atomically (see the module docstring)."""
    with tempfile.TemporaryDirectory() as scratch:
        model_file = Path(scratch) / _MODEL_MEMBER
        estimator.model_.save(model_file)
        state = json.dumps(_state(estimator), indent=1, default=_json_default)
        with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
            archive.write(model_file, _MODEL_MEMBER)
            archive.writestr(_STATE_MEMBER, state)


def _json_default(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _bad_file(path, received: str, fix: str = "") -> ModelFileError:
    return ModelFileError(
        "path",
        expected="a model file written by SequenceModel.save",
        received=f"{os.fspath(path)!r}: {received}",
        fix=fix or "Check the path, or save the model again with model.save(path).",
    )


def _read_archive(path) -> tuple[dict, bytes]:
    if not Path(path).is_file():
        raise _bad_file(path, "no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            if not {_MODEL_MEMBER, _STATE_MEMBER} <= members:
                raise _bad_file(path, f"a zip archive holding {sorted(members)}")
            state = json.loads(archive.read(_STATE_MEMBER))
            model_bytes = archive.read(_MODEL_MEMBER)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise _bad_file(path, f"not a readable seqshape file ({error})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise _bad_file(path, "a zip archive that is not a seqshape model")
    if state.get("format_version") != FORMAT_VERSION:
        raise _bad_file(
            path,
            f"format version {state.get('format_version')!r}, this seqshape reads "
            f"{FORMAT_VERSION}",
            fix="Load it with the seqshape version that saved it.",
        )
    return state, model_bytes


def _load_keras_model(path, model_bytes: bytes) -> keras.Model:
    with tempfile.TemporaryDirectory() as scratch:
        model_file = Path(scratch) / _MODEL_MEMBER
        model_file.write_bytes(model_bytes)
        try:
            return keras.saving.load_model(model_file, safe_mode=True)
        except Exception as error:  # Keras raises several types for bad or unsafe files
            message = str(error)
            if "safe_mode" in message or "Lambda" in message:
                raise _bad_file(
                    path,
                    "a model that carries Python code (a Lambda layer or a function); "
                    "loading it would run that code, so safe mode refused it",
                    fix="Only load model files from sources you trust; seqshape's own "
                    "files never carry code.",
                ) from None
            raise _bad_file(
                path, f"a Keras model that could not be loaded ({message[:300]})"
            ) from None


def load(path: str | os.PathLike):
    """Load a ``SequenceModel`` saved with ``SequenceModel.save`` (Keras safe mode on)."""
    from seqshape.estimator import SequenceModel

    state, model_bytes = _read_archive(path)
    try:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in state["params"].items()}
        estimator = SequenceModel(**params)
        estimator.spec_ = TopologySpec.from_dict(state["spec"])
        estimator.x_scaler_ = state["x_scaler"] and LastAxisScaler.from_dict(state["x_scaler"])
        estimator.y_scaler_ = state["y_scaler"] and LastAxisScaler.from_dict(state["y_scaler"])
        classes = state["classes"]
        estimator.classes_ = (
            None if classes is None else np.asarray(classes, dtype=state["classes_dtype"])
        )
        if state["feature_names_in"] is not None:
            estimator.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        estimator.n_features_in_ = state["n_features_in"]
        estimator.history_ = state["history"]
        estimator.best_epoch_ = state["best_epoch"]
        estimator.n_epochs_ = state["n_epochs"]
    except (KeyError, TypeError, ValueError) as error:
        raise _bad_file(path, f"a seqshape file with incomplete state ({error!r})") from None
    estimator.model_ = _load_keras_model(path, model_bytes)
    return estimator
