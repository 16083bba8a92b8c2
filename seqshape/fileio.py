"""Writing files and folders atomically: the one place seqshape puts anything on disk.

Every file is written under a hidden temporary name beside its target and renamed onto
it only when complete, so a kill at any moment leaves the old file or the new one,
never half of one. Folders are built the same way and swapped in whole.

Example:
    >>> import os, tempfile
    >>> from seqshape.fileio import atomic_file, write_json
    >>> folder = tempfile.mkdtemp()
    >>> write_json(os.path.join(folder, "metrics.json"), {"MAE": 0.5})
    >>> with atomic_file(os.path.join(folder, "notes.txt")) as temporary:
    ...     _ = temporary.write_text("done")
    >>> sorted(os.listdir(folder))
    ['metrics.json', 'notes.txt']
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
import numpy as np

from seqshape.errors import InvalidInputError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale(target: Path) -> None:
    """Remove the temporaries of ``target`` that processes no longer alive left (killed
    part-way: ``.NAME.PID.*.partial``), and put back ``target`` from ``.NAME.old`` when a
    folder swap was cut between its two renames."""
    for entry in target.parent.glob(f".{glob.escape(target.name)}.*.partial"):
        pid = entry.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    old = target.with_name(f".{target.name}.old")
    if old.is_dir() and not target.exists():
        os.replace(old, target)


def _prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.
    Temporaries that killed processes left beside ``path`` are removed first."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    handle, temporary = tempfile.mkstemp(
        prefix=_prefix(target), suffix=".partial", dir=target.parent
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


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; swap it in for ``path`` on success.

    An existing folder at ``path`` is replaced whole; on failure it is left as it was and
    the temporary folder removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    scratch = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=".partial", dir=target.parent))
    try:
        yield scratch
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    umask = os.umask(0)
    os.umask(umask)
    scratch.chmod(0o777 & ~umask)  # mkdtemp makes 0700; give a normal folder's mode
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(scratch, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(scratch, target)


def json_default(value: object) -> object:
    """Plain JSON for the NumPy scalars, arrays and tuples seqshape's state holds.

    Example:
        >>> json_default(np.float32(0.5)), json_default(np.arange(2)), json_default((1, 2))
        (0.5, [0, 1], [1, 2])
    """
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (np.ndarray, tuple)):
        return np.asarray(value).tolist() if isinstance(value, np.ndarray) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(content: object, indent: int | None = 2) -> str:
    """``content`` as JSON text, NumPy values made plain (see ``json_default``)."""
    return json.dumps(content, indent=indent, default=json_default)


def write_json(path: str | os.PathLike, content: object) -> None:
    """Write ``content`` as JSON to ``path`` atomically."""
    with atomic_file(path) as temporary:
        temporary.write_text(to_json(content))


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path) as temporary:
        temporary.write_text(text)


@contextmanager
def exclusive(
    lock_path: str | os.PathLike, argument: str, target: str | os.PathLike
) -> Iterator[None]:
    """Hold the lock file ``lock_path`` while the block runs, so that two processes
    never write the folder ``target`` at once; the second fails at once, with
    ``InvalidInputError`` naming ``argument``. The lock file is removed when released.

    Example:
        >>> folder = tempfile.mkdtemp()
        >>> lock = os.path.join(folder, ".run.lock")
        >>> with exclusive(lock, "--out", "run"), exclusive(lock, "--out", "run"):
        ...     pass  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `--out`: expected ... no other ...
    """
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise InvalidInputError(
            argument,
            expected="a folder that no other running seqshape fit is writing",
            received=f"{os.fspath(target)!r}, in use: another process holds its lock "
            f"{os.fspath(lock_path)!r}",
            fix="Wait for the other fit to finish, or write elsewhere.",
        ) from None
    try:
        yield
    finally:
        Path(lock_path).unlink(missing_ok=True)  # while held: no one else has it open
        lock.release()
