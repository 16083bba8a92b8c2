"""The ``.seqshape`` model file: one zip archive, written atomically, read safely.

A ``.seqshape`` file holds ``model.keras`` (Keras' own format) and ``seqshape.json``
(the estimator's JSON state, written and read by the estimator itself). Nothing is
pickled: the Keras model loads with ``safe_mode=True``, so a file carrying code (a
``Lambda`` layer or an unknown class) is refused. Files are written to a temporary
name beside the target and renamed, so an interrupted save never leaves a
half-written file. This module knows the archive, not what the state means:
``SequenceModel.save`` and ``seqshape.load`` (``seqshape.estimator``) do.

Example:
    >>> import os, tempfile, keras
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    >>> path = os.path.join(tempfile.mkdtemp(), "model.seqshape")
    >>> write_model_file(path, model, {"note": "hello"})
    >>> opened = read_model_file(path)
    >>> opened.state, opened.format_version, opened.keras_model().output_shape
    ({'note': 'hello'}, 2, (None, 1))
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from seqshape.errors import ModelFileError
from seqshape.fileio import atomic_file, to_json

FORMAT = "seqshape-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: the learned attributes at the top level of the state
_MODEL_MEMBER = "model.keras"
_STATE_MEMBER = "seqshape.json"
_HEADER = ("format", "format_version", "keras_version")

atomic_path = atomic_file  # removed once runs uses fileio


def model_file_error(path: str | os.PathLike, received: str, fix: str = "") -> ModelFileError:
    """The error for a file that is not a readable, safe seqshape model."""
    return ModelFileError(
        "path",
        expected="a model file written by SequenceModel.save",
        received=f"{os.fspath(path)!r}: {received}",
        fix=fix or "Check the path, or save the model again with model.save(path).",
    )


def write_model_file(
    path: str | os.PathLike, keras_model: keras.Model, state: dict[str, Any]
) -> None:
    """Write ``keras_model`` and the JSON-ready ``state`` to ``path`` atomically."""
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
    }
    text = to_json({**header, **state}, indent=1)
    with tempfile.TemporaryDirectory() as scratch:
        model_file = Path(scratch) / _MODEL_MEMBER
        keras_model.save(model_file)
        with atomic_file(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
            archive.write(model_file, _MODEL_MEMBER)
            archive.writestr(_STATE_MEMBER, text)


@dataclass(frozen=True)
class ModelFile:
    """A read model file: its JSON state (without the format header) and the bytes
    of its Keras model, loaded on request by ``keras_model()``."""

    path: str
    state: dict[str, Any]
    format_version: int
    model_bytes: bytes

    def keras_model(self) -> keras.Model:
        """The Keras model, loaded with safe mode on; ``ModelFileError`` if refused."""
        with tempfile.TemporaryDirectory() as scratch:
            model_file = Path(scratch) / _MODEL_MEMBER
            model_file.write_bytes(self.model_bytes)
            try:
                return keras.saving.load_model(model_file, safe_mode=True)
            except Exception as error:  # Keras raises several types for bad or unsafe files
                message = str(error)
                if "safe_mode" in message or "Lambda" in message:
                    raise model_file_error(
                        self.path,
                        "a model that carries Python code (a Lambda layer or a function); "
                        "loading it would run that code, so safe mode refused it",
                        fix="Only load model files from sources you trust; seqshape's own "
                        "files never carry code.",
                    ) from None
                raise model_file_error(
                    self.path, f"a Keras model that could not be loaded ({message[:300]})"
                ) from None


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Open a model file and check its format; the Keras model is not loaded yet."""
    if not Path(path).is_file():
        raise model_file_error(path, "no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            if not {_MODEL_MEMBER, _STATE_MEMBER} <= members:
                raise model_file_error(path, f"a zip archive holding {sorted(members)}")
            state = json.loads(archive.read(_STATE_MEMBER))
            model_bytes = archive.read(_MODEL_MEMBER)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise model_file_error(path, f"not a readable seqshape file ({error})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise model_file_error(path, "a zip archive that is not a seqshape model")
    version = state.get("format_version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise model_file_error(
            path,
            f"format version {version!r}, this seqshape reads {FORMAT_VERSION}",
            fix="Load it with the seqshape version that saved it.",
        )
    body = {key: value for key, value in state.items() if key not in _HEADER}
    return ModelFile(os.fspath(path), body, version, model_bytes)
