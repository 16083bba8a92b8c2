"""The ``.seqshape`` model file: one zip archive, written atomically, read as data.

A ``.seqshape`` file holds ``model.keras`` (Keras' own format) and ``seqshape.json``
(the estimator's JSON state, written and read by the estimator itself). Nothing is
pickled: the Keras model loads with ``safe_mode=True``, so a file carrying code (a
``Lambda`` layer or an unknown class) is refused. Files are written to a temporary
name beside the target and renamed, so an interrupted save never leaves a
half-written file. This module knows the archive, not what the state means:
``SequenceModel.save`` and ``seqshape.load`` (``seqshape.estimator``) do.

Every read is bounded (``LIMITS``): a member whose declared size passes its limit, or
that claims to expand to more than ``MAX_EXPANSION`` times its stored size (a zip
bomb: seqshape and Keras store members uncompressed), is refused from the archive's
directory alone, before anything is decompressed; reads stop at the declared size, and
the zip checksums catch any edited byte. Anything wrong is a ``ModelFileError``.

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

import errno
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
from keras.src.saving import saving_lib  # file objects: public save/load take paths only

from seqshape.errors import ModelFileError
from seqshape.fileio import atomic_file, to_json

FORMAT = "seqshape-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: the learned attributes at the top level of the state
_MODEL_MEMBER = "model.keras"
_STATE_MEMBER = "seqshape.json"
_HEADER = ("format", "format_version", "keras_version")

MiB = 2**20

LIMITS: dict[str, int] = {
    # the outer archive
    _STATE_MEMBER: 64 * MiB,  # the JSON state (spec, scalers, classes, history)
    _MODEL_MEMBER: 4096 * MiB,  # Keras' file: the weights, uncompressed
    # inside model.keras
    "config.json": 16 * MiB,
    "metadata.json": 1 * MiB,
    "model.weights.h5": 4096 * MiB,
}
"""The most bytes each member may hold, uncompressed. A model past them is refused with
``ModelFileError`` (an LSTM of a million parameters weighs about 4 MiB)."""

MAX_EXPANSION = 100
"""A member larger than 1 MiB may expand to at most this many times its stored size:
seqshape and Keras store members uncompressed (1:1) and deflate cannot pass ~1032:1."""

_KERAS_MEMBERS = ("config.json", "metadata.json", "model.weights.h5")
_REQUIRED_KERAS_MEMBERS = ("config.json", "model.weights.h5")


def model_file_error(path: str | os.PathLike, received: str, fix: str = "") -> ModelFileError:
    """The error for a file that is not a readable, safe seqshape model."""
    return ModelFileError(
        "path",
        expected="a model file written by SequenceModel.save",
        received=f"{os.fspath(path)!r}: {received}",
        fix=fix or "Check the path, or save the model again with model.save(path).",
    )


def _save_error(path: str | os.PathLike, error: OSError) -> ModelFileError:
    """The error for a save the operating system refused (full disk, no permission...)."""
    reason = error.strerror or str(error)
    fixes = {
        errno.ENOSPC: "Free some disk space, or save elsewhere.",
        errno.EFBIG: "The file system refuses files this large: save elsewhere.",
        errno.EDQUOT: "Your disk quota is used up: free some space, or save elsewhere.",
        errno.EACCES: "Choose a folder you may write to.",
        errno.EPERM: "Choose a folder you may write to.",
        errno.EROFS: "The folder is on a read-only file system: save elsewhere.",
    }
    return ModelFileError(
        "path",
        expected="a file path seqshape can write a model file to",
        received=f"{os.fspath(path)!r}: {reason}",
        fix=fixes.get(error.errno, "Choose another path."),
    )


def write_model_file(
    path: str | os.PathLike, keras_model: keras.Model, state: dict[str, Any]
) -> None:
    """Write ``keras_model`` and the JSON-ready ``state`` to ``path`` atomically.

    ``ModelFileError`` when the path cannot take the file (a folder, under a file, no
    permission, a full disk); the old file, if any, is then left as it was.
    """
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(
            "path",
            expected="a file path for the model (such as model.seqshape)",
            received=f"{os.fspath(path)!r}, which is a folder",
            fix=f"Pass a file name inside it, e.g. {os.fspath(target / 'model.seqshape')!r}.",
        )
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
    }
    text = to_json({**header, **state}, indent=1)
    try:
        inner = io.BytesIO()
        saving_lib.save_model(keras_model, inner)  # Keras' own format, in memory
        with atomic_file(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
            archive.writestr(_MODEL_MEMBER, inner.getbuffer())
            archive.writestr(_STATE_MEMBER, text)
    except OSError as error:
        raise _save_error(path, error) from None


def _check_members(path: str | os.PathLike, archive: zipfile.ZipFile, where: str) -> None:
    """Refuse members past ``LIMITS`` or expanding like a zip bomb, from the directory."""
    infos = archive.infolist()
    if len(infos) > 16:
        raise model_file_error(path, f"{where} with {len(infos)} members, not a seqshape model")
    for info in infos:
        limit = LIMITS.get(info.filename)
        if limit is not None and info.file_size > limit:
            raise model_file_error(
                path,
                f"{where} member {info.filename!r} declares {info.file_size} bytes, above "
                f"the limit of {limit} bytes (seqshape.persistence.LIMITS)",
            )
        if info.file_size > MiB and info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
            raise model_file_error(
                path,
                f"{where} member {info.filename!r} expands from {info.compress_size} to "
                f"{info.file_size} bytes: a decompression bomb, refused",
                fix="Only load model files from sources you trust.",
            )


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, at most its limit (the zip checksum is checked at the end)."""
    limit = LIMITS[name]
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"member {name!r} holds more than {limit} bytes")
    return data


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
        try:
            with zipfile.ZipFile(io.BytesIO(self.model_bytes)) as inner:
                _check_members(self.path, inner, _MODEL_MEMBER)
                names = set(inner.namelist())
        except ModelFileError:
            raise
        except Exception as error:  # zipfile raises many types for a damaged archive
            raise model_file_error(self.path, f"a damaged {_MODEL_MEMBER} ({error})") from None
        if not set(_REQUIRED_KERAS_MEMBERS) <= names <= set(_KERAS_MEMBERS):
            raise model_file_error(
                self.path, f"a {_MODEL_MEMBER} holding {sorted(names)}, not a saved Keras model"
            )
        try:
            return saving_lib.load_model(io.BytesIO(self.model_bytes), safe_mode=True)
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
    """Open a model file and check its format; the Keras model is not loaded yet.

    Reads at most ``LIMITS`` bytes of each member; ``ModelFileError`` for anything that
    is not a whole seqshape model file.
    """
    if not Path(path).is_file():
        raise model_file_error(path, "no such file")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(path, archive, "the archive")
            members = set(archive.namelist())
            if not {_MODEL_MEMBER, _STATE_MEMBER} <= members:
                raise model_file_error(path, f"a zip archive holding {sorted(members)}")
            state = json.loads(_read_member(archive, _STATE_MEMBER))
            model_bytes = _read_member(archive, _MODEL_MEMBER)
    except ModelFileError:
        raise
    except Exception as error:  # zipfile and json raise many types for damaged bytes
        raise model_file_error(
            path, f"not a readable seqshape file ({type(error).__name__}: {error})"
        ) from None
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
