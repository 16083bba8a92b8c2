"""Backend set-up: JAX unless the user chose another backend (when seqshape is
imported, so before Keras is), and a persistent cache of compiled XLA programs (once,
when the first model is trained or loaded: importing seqshape changes no global state
of JAX).

Compiling a small recurrent model's training step takes seconds on CPU, several times
longer than training it for an epoch. JAX can keep compiled programs on disk and reuse
them in the next process that builds the same model on the same machine; seqshape
turns that on unless the user has configured JAX's cache or turned seqshape's off:

- ``SEQSHAPE_COMPILATION_CACHE=off`` (or ``0``, ``false``, ``no``): no cache.
- ``SEQSHAPE_COMPILATION_CACHE=/some/folder``: the cache lives there.
- unset: ``$XDG_CACHE_HOME/seqshape/xla`` (``~/.cache/seqshape/xla``), at most 1 GiB,
  least recently used programs removed first.

JAX keys each entry by the program, the compiler options and the device, so a cached
program is the one a fresh compilation would give.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

CACHE_VARIABLE = "SEQSHAPE_COMPILATION_CACHE"
CACHE_MAX_BYTES = 2**30
_OFF = {"0", "off", "false", "no"}


def use_jax_unless_chosen() -> None:
    """Set ``KERAS_BACKEND=jax`` when the user has not set a backend.

    JAX trains these recurrent models several times faster per epoch than the
    TensorFlow and torch backends on CPU. ``KERAS_BACKEND`` set by the user wins.
    """
    os.environ.setdefault("KERAS_BACKEND", "jax")


def default_cache_folder() -> Path:
    """``$XDG_CACHE_HOME/seqshape/xla``, or ``~/.cache/seqshape/xla``.

    Example:
        >>> default_cache_folder().parts[-2:]
        ('seqshape', 'xla')
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqshape" / "xla"


def compilation_cache_folder() -> Path | None:
    """Where seqshape keeps compiled programs, or None when the cache is off.

    Example:
        >>> folder = compilation_cache_folder()
        >>> folder is None or folder.name == "xla" or "SEQSHAPE_COMPILATION_CACHE" in os.environ
        True
    """
    chosen = os.environ.get(CACHE_VARIABLE, "").strip()
    if chosen.lower() in _OFF:
        return None
    return Path(chosen).expanduser() if chosen else default_cache_folder()


@functools.cache
def enable_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache (see the module docstring), once per
    process: seqshape calls it when it first trains or loads a model.

    Leaves JAX alone on other backends, when the user set JAX's own cache folder
    (``JAX_COMPILATION_CACHE_DIR`` or ``jax.config``), when the cache is turned off, or
    when the folder cannot be created (a read-only home): training then compiles as
    usual. Returns the folder in use, or None.
    """
    if os.environ.get("KERAS_BACKEND") != "jax" or os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return None
    folder = compilation_cache_folder()
    if folder is None:
        return None
    import jax

    if jax.config.jax_compilation_cache_dir:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Keras' training steps for small models compile in well under JAX's default
    # threshold of one second each, yet together they are most of a first epoch.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)
    return folder
