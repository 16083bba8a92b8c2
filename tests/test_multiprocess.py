"""Data-parallel training over 2 processes joined by JAX's distributed runtime on
127.0.0.1 (one CPU device each, gloo collectives): both end with identical weights and
the loss curve of one process with the same global batch; only process 0 writes files;
a fit stopped and resumed from process 0's checkpoint continues in both; processes
given different data stop before training."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import seqshape
from seqshape.datasets import coupled_series

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="JAX's distributed runtime (JAX backend)"
)

ROOT = Path(__file__).parent.parent
SETTINGS = dict(units=(8,), epochs=3, batch_size=32, validation="random", random_state=0)

_PROCESS = """
import json, os, sys, warnings
import numpy as np
import seqshape
from seqshape.datasets import coupled_series
from seqshape.errors import InvalidInputError

warnings.simplefilter("ignore")
folder, process = sys.argv[1], int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
X, y = coupled_series(n_samples=250)   # 200 to train, 50 to validate
model = seqshape.SequenceRegressor(**json.loads(sys.argv[2]), distribution="data_parallel",
                                   checkpoint_dir=os.path.join(folder, "checkpoint"))
model.fit(X, y)
model.save(os.path.join(folder, f"model-{process}.seqshape"))
result = {"loss": model.history_["loss"], "val_loss": model.history_["val_loss"],
          "best_epoch": model.best_epoch_, "n_epochs": model.n_epochs_,
          "steps": int(model.model_.optimizer.iterations.numpy()),
          "weights": [w.tolist() for w in model.model_.get_weights()],
          "prediction": model.predict(X[:4]).tolist()}
# a fit stopped after its second epoch, resumed from process 0's checkpoint by both
from seqshape.progress import Progress
original = Progress.on_epoch_end
def stop_after_two(self, epoch, logs=None):
    original(self, epoch, logs)
    if epoch + 1 == 2:
        raise KeyboardInterrupt
Progress.on_epoch_end = stop_after_two
settings = {**json.loads(sys.argv[2]), "distribution": "data_parallel",
            "checkpoint_dir": os.path.join(folder, "resumed")}
try:
    seqshape.SequenceRegressor(**settings).fit(X, y)
except KeyboardInterrupt:
    pass
Progress.on_epoch_end = original
resumed = seqshape.SequenceRegressor(**settings).fit(X, y)
result["resumed"] = {"loss": resumed.history_["loss"],
                     "steps": int(resumed.model_.optimizer.iterations.numpy())}
# the command line in both processes: one run folder, written by process 0
from seqshape.cli import main
result["cli"] = main(["fit", os.path.join(folder, "series.csv"), "--target", "a,b",
                      "--input-steps", "12", "--output-steps", "3", "--epochs", "2",
                      "--units", "4", "--seed", "0", "--refit", "never",
                      "--out", os.path.join(folder, "run")])
try:  # process 1 with other targets: both stop before training
    seqshape.SequenceRegressor(units=(4,), epochs=1, random_state=0,
                               distribution="data_parallel").fit(X, y + process)
    result["different data"] = "trained"
except InvalidInputError as error:
    result["different data"] = str(error)
print("RESULT " + json.dumps(result))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-processes")
    steps = np.arange(240)
    table = np.column_stack([np.sin(steps / 6), np.cos(steps / 9)])
    np.savetxt(folder / "series.csv", table, delimiter=",", header="a,b", comments="")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "XLA_FLAGS": "",  # one CPU device a process
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{_free_port()}",
        "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
    }
    command = [sys.executable, "-c", _PROCESS, str(folder), json.dumps(SETTINGS)]
    processes = [
        subprocess.Popen(
            command,
            env={**env, "KERAS_DISTRIBUTION_PROCESS_ID": str(index)},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]
    outputs, deadline = [], time.monotonic() + 600
    try:
        for process in processes:  # a hang fails the test instead of CI
            outputs.append(process.communicate(timeout=max(1, deadline - time.monotonic())))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    results = []
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-3000:]
        line = next(line for line in stdout.splitlines() if line.startswith("RESULT "))
        results.append(json.loads(line.removeprefix("RESULT ")))
    return folder, results


def test_both_processes_end_with_identical_weights(two_processes):
    _, (first, second) = two_processes
    assert len(first["weights"]) == len(second["weights"]) > 0
    for mine, theirs in zip(first["weights"], second["weights"], strict=True):
        np.testing.assert_array_equal(mine, theirs)
    # the same decisions: losses read from the one global computation, the same epoch
    for name in ("loss", "val_loss", "best_epoch", "n_epochs", "steps", "prediction"):
        assert first[name] == second[name], name


def test_two_processes_give_the_loss_curve_of_one(two_processes):
    _, (first, _) = two_processes
    X, y = coupled_series(n_samples=250)
    one = seqshape.SequenceRegressor(**SETTINGS, distribution=None).fit(X, y)
    np.testing.assert_allclose(first["loss"], one.history_["loss"], rtol=1e-5)
    np.testing.assert_allclose(first["val_loss"], one.history_["val_loss"], rtol=1e-5)
    # 200 training samples in batches of 32: 7 steps an epoch, as one process takes
    assert first["steps"] == int(one.model_.optimizer.iterations.numpy()) == 21
    np.testing.assert_allclose(first["prediction"], one.predict(X[:4]), rtol=1e-4, atol=1e-5)


def test_only_process_zero_writes(two_processes):
    folder, _ = two_processes
    _, (first, second) = two_processes
    # process 1's save wrote nothing; the finished fits removed their checkpoint
    # folders, which process 1 never locked nor wrote (a second lock fails a fit)
    assert sorted(path.name for path in folder.iterdir()) == [
        "model-0.seqshape",
        "run",
        "series.csv",
    ]
    assert seqshape.load(folder / "model-0.seqshape").n_epochs_ == 3
    # both command lines succeeded; process 0 alone took --out's lock and wrote the run
    assert first["cli"] == second["cli"] == 0
    assert (folder / "run" / "model.seqshape").is_file()
    assert not list(folder.glob(".run*"))  # no lock or scratch folder left


def test_a_fit_resumed_by_both_processes_continues_where_it_stopped(two_processes):
    _, (first, second) = two_processes
    assert first["resumed"] == second["resumed"]
    # Adam's state carries on: the uninterrupted fit's step count; its first two epochs'
    # losses come from the checkpoint, the third (shuffled afresh after the resume, as
    # in one process) is close to the uninterrupted one's (0.25% apart, seen)
    assert first["resumed"]["steps"] == first["steps"]
    assert first["resumed"]["loss"][:2] == first["loss"][:2]
    np.testing.assert_allclose(first["resumed"]["loss"], first["loss"], rtol=1e-2)


def test_processes_with_different_data_stop_before_training(two_processes):
    _, (first, second) = two_processes
    for result in (first, second):
        assert "training data" in result["different data"]
        assert "differ" in result["different data"]
