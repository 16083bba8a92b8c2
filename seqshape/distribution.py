"""Data-parallel training over several devices with Keras' own distribution API (JAX).

``SequenceModel(distribution=...)`` chooses:

- ``"auto"`` (the default): data-parallel when more than one local device is there
  (GPUs, TPUs, or CPU devices forced with
  ``XLA_FLAGS=--xla_force_host_platform_device_count=N``), else one device;
- ``"data_parallel"``: ``keras.distribution.DataParallel`` over the local devices
  (``devices=N``: the first N), even over one;
- ``None``: one device, Keras' default.

The rules, stated once:

- **Batch**: ``batch_size`` is the global batch, split evenly across the devices, so
  it is rounded up to a multiple of the device count (32 on 3 devices: 33).
- **Samples that do not divide**: the training and validation parts are each cut to a
  multiple of the device count; at most ``devices - 1`` samples of each (the last ones)
  are left out. Every batch of an epoch then divides by the device count: the last,
  partial batch of ``samples % batch_size`` samples is itself a multiple of it.
- **Learning rate**: not changed. With the same ``batch_size``, data-parallel training
  takes the same steps as one device and gives the same losses (to float rounding). To
  use N devices for throughput, raise ``batch_size`` N times and, as a rule of thumb,
  the learning rate with it (linear scaling, Goyal et al. 2017; for large factors
  warm up or scale by sqrt(N) instead).
- **One reduction a step**: Keras' ``DataParallel`` lets XLA's partitioner place the
  gradient all-reduce, and for a recurrent layer it puts one inside the backward time
  loop (an all-reduce on every step of every sequence: 51 a training step for the seed
  question's encoder-decoder, 40 + 10 steps). seqshape computes each device's gradients
  in a ``shard_map`` and averages them once (``jax.lax.pmean``): 1 all-reduce a step.
  ``benchmarks/data_parallel.py`` counts them in the compiled program.
- **Several processes or hosts** (JAX's distributed runtime): when
  ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the coordinator's ``host:port`` first),
  ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID`` are set and
  ``distribution`` is not None, seqshape calls ``keras.distribution.initialize()``
  before training and the mesh spans every process's devices (``devices`` must then
  be None or all of them; every process has the same number of devices). Every
  process runs the same program on the same X and y; the device-count rules above
  count the devices of all processes.

  - *Each process trains on its share*: every epoch's order is the one a single
    process would take (``np.random.permutation`` once an epoch from the seeded
    global NumPy generator, as Keras' own array batches), and process ``p`` of ``P``
    feeds the ``p``-th ``1/P`` of each global batch, validation batches included;
    Keras joins the shares into one global batch
    (``jax.make_array_from_process_local_data``). N processes therefore take the
    steps of one process with the same ``batch_size`` and give its losses.
  - *One seed*: without ``random_state``, process 0 draws one and gives it to every
    process, so the validation split, the initial weights and the batch order agree
    (it changes between launches: resuming from a checkpoint needs ``random_state``).
  - *Same data*: the processes compare digests of their settings, training and
    validation data before training and stop with ``InvalidInputError`` when they
    differ.
  - *Same decisions*: the losses are computed once for the global batch and read by
    every process, so early stopping, the kept epoch and a NaN stop agree.
  - *After fit*: each process holds the trained model on its own devices (the
    weights and the optimizer state copied back from the mesh): ``predict``,
    ``score`` and the rest need no other process.
  - *Files*: only process 0 writes: ``save``, the checkpoints in ``checkpoint_dir``
    (and their lock) and the CLI's run folder (and its lock); the others skip those
    writes (and only process 0 shows the progress of training). Which process is 0
    is read from ``KERAS_DISTRIBUTION_PROCESS_ID`` when the launch variables are set. A fit
    resumed from a checkpoint reads it on every process, so ``checkpoint_dir`` must
    be a folder every process sees (one machine, or a shared file system); processes
    that find different checkpoints stop with ``InvalidInputError``.

Example:
    >>> plan = plan_devices("auto", None)   # one CPU device here
    >>> plan.count, plan.active
    (1, False)
    >>> global_batch(32, 3), usable_samples(101, 4)
    (33, 100)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from seqshape.errors import InvalidInputError

DISTRIBUTION_NAMES = ("auto", "data_parallel")
PROCESS_VARIABLES = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)
BATCH_AXIS = "batch"


def global_batch(batch_size: int, devices: int) -> int:
    """``batch_size`` rounded up to a multiple of ``devices``."""
    return -(-batch_size // devices) * devices


def usable_samples(samples: int, devices: int) -> int:
    """The samples kept: ``samples`` cut down to a multiple of ``devices``."""
    return samples - samples % devices


def _initialize_processes() -> None:
    """``keras.distribution.initialize()`` once, when the launch variables are set."""
    if not all(os.environ.get(name) for name in PROCESS_VARIABLES):
        return
    import jax

    if jax.distributed.is_initialized():
        return
    keras.distribution.initialize()


def _processes() -> tuple[int, int]:
    """(this process's index, the process count): (0, 1) unless JAX's distributed
    runtime joins several (JAX is not imported for that)."""
    if "jax" not in sys.modules or keras.backend.backend() != "jax":
        return 0, 1
    import jax

    if not jax.distributed.is_initialized():
        return 0, 1
    return jax.process_index(), jax.process_count()


def is_writer() -> bool:
    """True in the process that writes files: the only one, or process 0 of several
    (by the launch variables, before the processes have joined).

    Example:
        >>> is_writer()
        True
    """
    if all(os.environ.get(name) for name in PROCESS_VARIABLES):
        return os.environ["KERAS_DISTRIBUTION_PROCESS_ID"].strip() == "0"
    return _processes()[0] == 0


def shared_random_state(random_state: int | None, distribution: str | None) -> int | None:
    """``random_state``; or, in a fit over several processes without one, a seed drawn
    by process 0 and given to all, so that they split, initialise and shuffle alike.

    Example:
        >>> shared_random_state(7, "auto"), shared_random_state(None, "auto")
        (7, None)
    """
    if random_state is not None or distribution is None or keras.backend.backend() != "jax":
        return random_state
    _initialize_processes()
    if _processes()[1] == 1:
        return None
    from jax.experimental import multihost_utils

    drawn = np.int32(secrets.randbelow(2**31))
    return int(multihost_utils.broadcast_one_to_all(drawn))


def check_same_everywhere(digests: dict[str, str], argument: str, fix: str) -> None:
    """Stop with ``InvalidInputError`` (about ``argument``) when the processes'
    ``digests`` (name -> text) differ, naming what differs; nothing to do in one
    process."""
    if _processes()[1] == 1:
        return
    from jax.experimental import multihost_utils

    names = sorted(digests)
    mine = np.stack([np.frombuffer(_hashed(digests[name]), np.uint8) for name in names])
    everyone = np.asarray(multihost_utils.process_allgather(mine))
    differ = [name for i, name in enumerate(names) if (everyone[:, i] != mine[i]).any()]
    if differ:
        raise InvalidInputError(
            argument,
            expected="the same settings and data in every process of a distributed fit",
            received=f"processes whose {' and '.join(differ)} differ",
            fix=fix,
        )


def _hashed(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def wait_for_all(name: str) -> None:
    """Wait until every process reaches this point (nothing to do in one process)."""
    if _processes()[1] > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


@dataclass(frozen=True)
class DevicePlan:
    """The devices a fit trains on: ``count`` of them, data-parallel when ``active``."""

    count: int
    active: bool
    devices: tuple = ()
    processes: int = 1  # JAX processes the devices belong to
    process: int = 0  # this one's index among them

    @property
    def share(self) -> tuple[int, int]:
        """(this process's index, the process count): its share of each global batch."""
        return self.process, self.processes

    def distribution(self):
        """The ``keras.distribution.DataParallel`` of these devices, or None."""
        if not self.active:
            return None
        mesh = keras.distribution.DeviceMesh(
            shape=(self.count,), axis_names=(BATCH_AXIS,), devices=list(self.devices)
        )
        # several processes: each feeds its own share (seqshape.training.ScaledBatches),
        # which Keras must not shard again (it shards only tf.data, and refuses the rest)
        return keras.distribution.DataParallel(device_mesh=mesh, auto_shard_dataset=False)


def plan_devices(distribution: str | None, devices: int | None) -> DevicePlan:
    """The devices ``distribution`` and ``devices`` (checked parameters) ask for."""
    if distribution is None or keras.backend.backend() != "jax":
        if distribution == "data_parallel":
            raise InvalidInputError(
                "distribution",
                expected="the JAX backend for data-parallel training",
                received=f"KERAS_BACKEND={keras.backend.backend()!r}",
                fix="Set KERAS_BACKEND=jax before importing seqshape, or distribution=None.",
            )
        return DevicePlan(1, False)
    _initialize_processes()
    import jax

    available = jax.devices()  # every process's devices once initialised
    process, processes = _processes()
    if processes > 1 and devices not in (None, len(available)):
        raise InvalidInputError(
            "devices",
            expected=f"None or all {len(available)} devices of the {processes} processes "
            "(each process trains on its own devices)",
            received=str(devices),
            fix="Pass devices=None, and choose each process's devices when launching it "
            "(e.g. CUDA_VISIBLE_DEVICES).",
        )
    if devices is not None and devices > len(available):
        raise InvalidInputError(
            "devices",
            expected=f"at most the {len(available)} device(s) JAX sees ({available[0].platform})",
            received=str(devices),
            fix="Pass fewer devices, or devices=None for all of them.",
        )
    chosen = tuple(available if devices is None else available[:devices])
    if distribution == "auto" and len(chosen) == 1:
        return DevicePlan(1, False)
    return DevicePlan(len(chosen), True, chosen, processes, process)


@contextmanager
def training_scope(plan: DevicePlan) -> Iterator[Any]:
    """Build, compile and fit inside this: the plan's distribution, or nothing."""
    distribution = plan.distribution()
    with distribution.scope() if distribution is not None else nullcontext():
        yield distribution


@contextmanager
def off_the_mesh() -> Iterator[None]:
    """No distribution inside: what Keras creates here (saving a model makes a
    reference optimizer) stays on this process, and creating it needs no other process
    (on the mesh of several processes, creating a variable is a collective)."""
    from keras.src.distribution import distribution_lib

    previous = distribution_lib.distribution()
    distribution_lib.set_distribution(None)
    try:
        yield
    finally:
        distribution_lib.set_distribution(previous)


def reduce_once_per_step(model: keras.Model, distribution) -> None:
    """Make ``model``'s training step average the gradients once a step.

    Each device computes the loss and gradients of its part of the batch inside a
    ``shard_map``; the gradients are averaged with one ``pmean``; the optimizer then
    updates the replicated weights as Keras' own step does. Keras' step left to XLA's
    partitioner reduces the recurrent weights' gradients on every time step.
    """
    if distribution is None:
        return
    model.train_step = _sharded_train_step(model, distribution.device_mesh.backend_mesh)


def _sharded_train_step(model: keras.Model, mesh) -> Callable:
    import jax
    from jax.sharding import PartitionSpec
    from keras.src.trainers.data_adapters import data_adapter_utils

    replicated, split = PartitionSpec(), PartitionSpec(BATCH_AXIS)

    def gradients(trainable, non_trainable, metrics, optimizer_variables, batch):
        x, y, sample_weight = batch
        (_, aux), grads = jax.value_and_grad(model.compute_loss_and_updates, has_aux=True)(
            trainable,
            non_trainable,
            metrics,
            x,
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_variables,
        )
        unscaled_loss, y_pred, non_trainable, _ = aux
        grads, unscaled_loss = jax.lax.pmean((grads, unscaled_loss), BATCH_AXIS)
        return grads, unscaled_loss, y_pred, non_trainable

    def train_step(state, data):
        trainable, non_trainable, optimizer_variables, metrics = state
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        batch = (x, y, sample_weight)
        local = jax.shard_map(
            gradients,
            mesh=mesh,
            in_specs=(replicated, replicated, replicated, replicated, split),
            out_specs=(replicated, replicated, split, replicated),
            check_vma=False,  # the seed generators' states are equal on every device
        )
        grads, unscaled_loss, y_pred, non_trainable = local(
            trainable, non_trainable, metrics, optimizer_variables, batch
        )
        trainable, optimizer_variables = model.optimizer.stateless_apply(
            optimizer_variables, grads, trainable
        )
        logs, metrics = model._update_metrics_variables(
            metrics, unscaled_loss, x, y, y_pred, sample_weight
        )
        return logs, (trainable, non_trainable, optimizer_variables, metrics)

    return train_step


__all__ = [
    "DISTRIBUTION_NAMES",
    "DevicePlan",
    "check_same_everywhere",
    "global_batch",
    "is_writer",
    "off_the_mesh",
    "plan_devices",
    "reduce_once_per_step",
    "shared_random_state",
    "training_scope",
    "usable_samples",
    "wait_for_all",
]
