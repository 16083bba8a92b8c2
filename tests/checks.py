"""Assertions shared by the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest


def on_accelerator() -> bool:
    """True when Keras computes on a GPU or TPU (JAX backend)."""
    if keras.backend.backend() != "jax":
        return False
    import jax

    return jax.devices()[0].platform != "cpu"


def assert_same_predictions(first, second, *, convolutional: bool = False) -> None:
    """Bit-identical on CPU (where CI runs).

    On a GPU two separately compiled programs may pick other algorithms: for recurrent
    and dense layers differences of about 1e-5 absolute were seen on an H100 (conftest
    asks for full float32 there); for convolutions, up to 0.05 with bit-identical
    weights, which is compilation, not saving: that comparison is skipped, saying so.
    """
    if not on_accelerator():
        np.testing.assert_array_equal(first, second)
    elif convolutional:
        pytest.skip(
            "GPU convolutions differ between two compilations of the same weights "
            "(up to 0.05 seen on an H100); the weights were checked bit-identical"
        )
    else:
        np.testing.assert_allclose(first, second, rtol=1e-3, atol=1e-5)


# The command line in a child that sees Ctrl-C. A shell starting the tests in the
# background ignores SIGINT, the child inherits that and Python then never raises
# ``KeyboardInterrupt``; the child puts Python's own handler back before running the CLI.
# (Not a ``preexec_fn``: that makes subprocess fork a multithreaded JAX process and run
# Python in the child before ``exec``, which can deadlock.)
_CLI_SEEING_CTRL_C = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from seqshape.cli import main; sys.exit(main(sys.argv[1:]))"
)


def start_fit(data: Path, out: Path, epochs: int = 100_000) -> subprocess.Popen:
    """Start ``seqshape fit`` on a one-column CSV (column ``a``) in a child process that
    trains until stopped, reacting to SIGINT and SIGTERM as from a terminal."""
    command = [sys.executable, "-c", _CLI_SEEING_CTRL_C, "fit", str(data), "--target", "a"]
    command += ["--input-steps", "8", "--output-steps", "2", "--epochs", str(epochs)]
    command += ["--patience", str(epochs), "--verbose", "0", "--out", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
