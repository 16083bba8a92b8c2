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
  ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID`` are set,
  seqshape calls ``keras.distribution.initialize()`` before training and the mesh spans
  every process's devices. Not yet tested: each process still reads every sample (no
  per-process share of the data), see docs/distributed.md.

Example:
    >>> plan = plan_devices("auto", None)   # one CPU device here
    >>> plan.count, plan.active
    (1, False)
    >>> global_batch(32, 3), usable_samples(101, 4)
    (33, 100)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import keras

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


@dataclass(frozen=True)
class DevicePlan:
    """The devices a fit trains on: ``count`` of them, data-parallel when ``active``."""

    count: int
    active: bool
    devices: tuple = ()

    def distribution(self):
        """The ``keras.distribution.DataParallel`` of these devices, or None."""
        if not self.active:
            return None
        mesh = keras.distribution.DeviceMesh(
            shape=(self.count,), axis_names=(BATCH_AXIS,), devices=list(self.devices)
        )
        return keras.distribution.DataParallel(device_mesh=mesh)


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
    return DevicePlan(len(chosen), True, chosen)


@contextmanager
def training_scope(plan: DevicePlan) -> Iterator[Any]:
    """Build, compile and fit inside this: the plan's distribution, or nothing."""
    distribution = plan.distribution()
    with distribution.scope() if distribution is not None else nullcontext():
        yield distribution


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
    "global_batch",
    "plan_devices",
    "reduce_once_per_step",
    "training_scope",
    "usable_samples",
]
