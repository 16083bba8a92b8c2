"""Data-parallel training: 2 simulated CPU devices (in a subprocess, since the device count
is fixed when JAX starts) give one device's loss curve, reduce the gradients once a
training step, and take batches and sample counts that do not divide by 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import seqshape
from seqshape.distribution import global_batch, plan_devices, usable_samples
from seqshape.errors import InvalidInputError

ROOT = Path(__file__).parent.parent

_TWO_DEVICES = """
import json, warnings
import numpy as np
import seqshape
from seqshape.datasets import coupled_series
from benchmarks.data_parallel import step_collectives

warnings.simplefilter("ignore")
X, y = coupled_series(n_samples=250)   # 200 to train, 50 to validate: both even
result = {"collectives": {"keras": step_collectives(fixed=False, batch=16),
                          "seqshape": step_collectives(fixed=True, batch=16)}}
for name, distribution in (("one", None), ("two", "data_parallel"), ("auto", "auto")):
    model = seqshape.SequenceRegressor(units=(8,), epochs=3, batch_size=32,
                                       validation="random", distribution=distribution)
    model.fit(X, y)
    result[name] = {"loss": model.history_["loss"], "val_loss": model.history_["val_loss"],
                    "prediction": model.predict(X[:3]).tolist()}
odd = seqshape.SequenceRegressor(units=(8,), epochs=2, batch_size=5, validation="random",
                                 distribution="data_parallel").fit(X[:61], y[:61])
result["odd"] = {"epochs": odd.n_epochs_, "shape": list(odd.predict(X[:7]).shape),
                 "finite": bool(np.isfinite(odd.history_["loss"]).all())}

# a data-parallel fit stopped after its second epoch's checkpoint, then resumed
import os, tempfile
from seqshape.checkpoint import EpochCheckpoint
folder = os.path.join(tempfile.mkdtemp(), "checkpoint")
original = EpochCheckpoint.on_epoch_end
def stop_after_two(self, epoch, logs=None):
    original(self, epoch, logs)
    if epoch + 1 == 2:
        raise KeyboardInterrupt
EpochCheckpoint.on_epoch_end = stop_after_two
settings = dict(units=(8,), epochs=4, patience=100, batch_size=32, validation="random",
                distribution="data_parallel", random_state=0)
try:
    seqshape.SequenceRegressor(**settings, checkpoint_dir=folder).fit(X, y)
except KeyboardInterrupt:
    pass
EpochCheckpoint.on_epoch_end = original
resumed = seqshape.SequenceRegressor(**settings, checkpoint_dir=folder).fit(X, y)
straight = seqshape.SequenceRegressor(**settings).fit(X, y)
result["resume"] = {name: {"epochs": model.n_epochs_,
                           "steps": int(model.model_.optimizer.iterations.numpy())}
                    for name, model in (("resumed", resumed), ("straight", straight))}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def two_devices():
    if keras.backend.backend() != "jax":
        pytest.skip("data-parallel training needs the JAX backend")
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", _TWO_DEVICES],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_devices_give_the_loss_curve_of_one(two_devices):
    one, two = two_devices["one"], two_devices["two"]
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-5)
    np.testing.assert_allclose(two["val_loss"], one["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(two["prediction"], one["prediction"], rtol=1e-4, atol=1e-5)
    # "auto" sees two devices and trains data-parallel
    np.testing.assert_allclose(two_devices["auto"]["loss"], two["loss"], rtol=1e-6)


def test_gradients_reduce_once_a_training_step(two_devices):
    counts = two_devices["collectives"]
    # Keras' own DataParallel step all-reduces inside the backward time loops
    # (40 encoder + 10 decoder steps); seqshape's reduces once
    assert counts["keras"]["per_step"] > 40
    assert counts["seqshape"]["per_step"] == 1


def test_batches_and_samples_that_do_not_divide(two_devices):
    odd = two_devices["odd"]  # 61 samples, batch_size 5 on 2 devices: batches of 6
    assert odd == {"epochs": 2, "shape": [7, 10, 2], "finite": True}


def test_the_rules_and_the_plan_on_one_device():
    assert (global_batch(32, 3), global_batch(32, 2), usable_samples(101, 4)) == (33, 32, 100)
    assert not plan_devices("auto", None).active
    assert plan_devices("data_parallel", 1).count == 1
    with pytest.raises(InvalidInputError, match="devices"):
        plan_devices("data_parallel", 64)


def test_parameters_are_checked_and_reach_the_cli():
    X, y = np.zeros((8, 4, 1)), np.zeros(8)
    with pytest.raises(InvalidInputError, match="distribution"):
        seqshape.SequenceRegressor(distribution="model_parallel").fit(X, y)
    with pytest.raises(InvalidInputError, match="devices"):
        seqshape.SequenceRegressor(devices=0).fit(X, y)
    from seqshape.cli import build_parser

    args = build_parser().parse_args(
        ["fit", "d.csv", "--target", "a", "--out", "r", "--distribution", "none", "--devices", "2"]
    )
    assert (args.distribution, args.devices) == (None, 2)


def test_a_resumed_data_parallel_fit_keeps_adams_state(two_devices):
    # with Adam afresh on resume, the step count would hold only the last two epochs'
    assert two_devices["resume"]["resumed"] == two_devices["resume"]["straight"]
    assert two_devices["resume"]["straight"]["epochs"] == 4
