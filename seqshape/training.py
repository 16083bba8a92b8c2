"""Training one Keras model for an estimator: batches, seeding, early stopping, checkpoints.

``train`` works only on what it is given and returns the trained model and its
history; the estimator assigns them (with the rest of its fitted state) once training
has succeeded, so a failed fit never leaves a half-fitted estimator.

Example:
    >>> import numpy as np
    >>> from seqshape.builders import ArchitectureOptions, infer_spec
    >>> from seqshape.fitted import FittedState
    >>> from seqshape.params import check_params
    >>> from seqshape.scaling import LastAxisScaler
    >>> X, y = np.random.rand(16, 5, 1), np.random.rand(16, 1)
    >>> state = FittedState(spec=infer_spec(X, y), x_scaler=LastAxisScaler().fit(X),
    ...                     y_scaler=LastAxisScaler().fit(y))
    >>> params = check_params({"epochs": 2, "batch_size": 8, "learning_rate": 1e-3,
    ...     "patience": 5, "random_state": 0, "checkpoint_dir": None, "verbose": 0})
    >>> model, history = train(state, ArchitectureOptions(units=3), params, (X, y), None)
    >>> len(history["loss"]), model.output_shape
    (2, (None, 1))
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import keras
import numpy as np

from seqshape._backend import enable_compilation_cache
from seqshape.builders import ArchitectureOptions, build_model
from seqshape.checkpoint import (
    EpochCheckpoint,
    ResumableEarlyStopping,
    discard,
    fingerprint,
    finite_epoch,
    locked,
    resume,
)
from seqshape.distribution import (
    check_same_everywhere,
    global_batch,
    plan_devices,
    reduce_once_per_step,
    training_scope,
    usable_samples,
    wait_for_all,
)
from seqshape.errors import DivergedTrainingWarning, InvalidInputError, TrainingError
from seqshape.fitted import FittedState
from seqshape.progress import Progress
from seqshape.stops import raise_pending

# Early stopping watches the validation loss once this many gradient steps have run.
MIN_STEPS = 100

# A classifier too small to hold out a part to stop on trains this many gradient steps on
# every sample (epochs="auto"), its learning rate decaying along a cosine to
# DECAY_FLOOR of its start: the final weights are kept (Wang et al. 2017 train their FCN
# baseline for 2,000 epochs of full batches with a falling learning rate, and keep the
# last weights too).
SMALL_SET_STEPS = 2000
DECAY_FLOOR = 0.1

# Inputs whose scaled float32 copy would exceed this are streamed batch by batch.
STREAM_BYTES = 256 * 2**20

# Parameters that change nothing in the trained model: left out of the checkpoint's key.
_NOT_IN_FINGERPRINT = ("verbose", "checkpoint_dir", "distribution", "devices")


class EpochTimer(keras.callbacks.Callback):
    """Records the seconds of every epoch into the history."""

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._started


class PendingStop(keras.callbacks.Callback):
    """Raises a stop that a signal handler asked for (``seqshape.stops``) before the
    next batch or epoch."""

    def _raise_pending(self, *args, **kwargs):
        raise_pending()

    on_train_batch_begin = on_test_batch_begin = on_epoch_begin = _raise_pending


class FiniteLoss(keras.callbacks.Callback):
    """Stops training at the first epoch whose loss is NaN or infinite, and keeps the
    weights of the last epoch whose loss was finite (``weights``, ``epoch``, 1-based).

    The check runs once an epoch: Keras' ``TerminateOnNaN`` reads the loss back from
    the device after every batch, which costs a fifth of an epoch on small models.
    """

    def __init__(self, weights: list | None = None, epoch: int = 0):
        super().__init__()
        self.weights, self.epoch, self.diverged_at = weights, epoch, None

    def on_epoch_end(self, epoch, logs=None):
        if finite_epoch(logs):
            self.weights, self.epoch = self.model.get_weights(), epoch + 1
        else:
            self.diverged_at = epoch + 1
            self.model.stop_training = True


class ScaledBatches(keras.utils.PyDataset):
    """Batches of a large X (and targets) scaled one batch at a time; in a fit over
    several processes, this process's share of each global batch.

    A view of many overlapping windows (``seqshape.windowing``) is never copied whole:
    each batch gathers its rows, scales them and hands them to Keras. With ``shuffle``
    the order of each epoch is Keras' own for arrays (one ``np.random.permutation`` of
    the samples an epoch, from the global NumPy generator), so a seeded fit takes the
    same batches streamed or in memory, in one process or several. ``share`` is
    ``(process, processes)``: the ``process``-th ``1/processes`` of every batch
    (``seqshape.distribution``).
    """

    def __init__(
        self,
        state: FittedState,
        X,
        targets=None,
        *,
        batch_size: int,
        shuffle: bool = False,
        share: tuple[int, int] = (0, 1),
    ):
        super().__init__(max_queue_size=4)  # a few batches prepared ahead, not ten
        self.state, self.X, self.targets, self.batch_size = state, X, targets, batch_size
        self.shuffle, self.share = shuffle, share
        self.order = np.arange(len(X))

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        process, processes = self.share
        part = len(rows) // processes
        rows = np.sort(rows[process * part : (process + 1) * part])
        if self.targets is None:
            return (self.state.model_inputs(self.X[rows]),)
        return self.state.training_arrays(self.X[rows], self.targets[rows])

    def on_epoch_begin(self):
        if self.shuffle:
            self.order = np.random.permutation(len(self.X))


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Gradient steps an epoch takes over ``samples`` (the last batch may be smaller).

    Example:
        >>> steps_per_epoch(36, 32), steps_per_epoch(64, 32)
        (2, 2)
    """
    return -(-samples // batch_size)


def watched_from(samples: int, batch_size: int, epochs: int) -> int:
    """The first epoch (0-based) whose validation loss early stopping judges: the one by
    which ``MIN_STEPS`` gradient steps have run (a small set takes few steps an epoch).

    Example:
        >>> watched_from(36, 32, 200), watched_from(1200, 32, 200)
        (49, 2)
    """
    steps = steps_per_epoch(samples, batch_size)
    return min(max(0, -(-MIN_STEPS // steps) - 1), epochs - 1)


def kept_epoch(history: dict[str, list[float]], samples: int, batch_size: int) -> int:
    """The 1-based epoch whose weights ``train`` kept: the best validation loss from
    ``watched_from`` on, or the last epoch when nothing was held out; epochs from the
    first one whose loss is not finite on do not count (training stopped there).

    Example:
        >>> kept_epoch({"loss": [3.0, 2.0, 1.0]}, 10, 10)
        3
        >>> kept_epoch({"loss": [3.0, 2.0, float("nan")]}, 10, 10)
        2
    """
    validation = history.get("val_loss")
    finite = [
        finite_epoch({"loss": loss, "val_loss": None if validation is None else validation[i]})
        for i, loss in enumerate(history["loss"])
    ]
    usable = finite.index(False) if False in finite else len(finite)
    if validation is None:
        return usable
    start = min(watched_from(samples, batch_size, len(validation)), len(validation) - 1)
    if start >= usable:
        return usable
    return start + int(np.argmin(validation[start:usable])) + 1


def small_set_epochs(samples: int, batch_size: int) -> int:
    """The epochs that make ``SMALL_SET_STEPS`` gradient steps on ``samples``.

    Example:
        >>> small_set_epochs(36, 32), small_set_epochs(100, 32)
        (1000, 500)
    """
    return -(-SMALL_SET_STEPS // steps_per_epoch(samples, batch_size))


def auto_epoch_limit(epochs: int, samples: int, batch_size: int) -> int:
    """The epochs ``epochs="auto"`` allows: ``epochs``, or as many as make
    ``SMALL_SET_STEPS`` gradient steps on ``samples`` where that is more (a training
    part of a few batches).

    Example:
        >>> auto_epoch_limit(200, 38, 32), auto_epoch_limit(200, 6400, 32)
        (1000, 200)
    """
    return max(epochs, small_set_epochs(samples, batch_size))


def is_large(X: np.ndarray) -> bool:
    """True when X's scaled float32 copy would pass ``STREAM_BYTES``."""
    return X.size * 4 > STREAM_BYTES


@contextmanager
def seeded(random_state: int | None) -> Iterator[None]:
    """Seed Python, NumPy and Keras for one fit, then give the user's Python and NumPy
    RNG states back, on every path (an error while seeding included)."""
    if random_state is None:
        yield
        return
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        keras.utils.set_random_seed(random_state)
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _diverged(
    model: keras.Model, guard: FiniteLoss, early_stopping, params: dict[str, Any]
) -> None:
    """After a loss turned NaN or infinite: restore the best (or last) finite weights
    with a warning, or raise ``TrainingError`` when no epoch had a finite loss."""
    best = early_stopping.best_weights if early_stopping.restore_best_weights else None
    if best is None and guard.weights is None:
        raise TrainingError(
            "learning_rate",
            expected="training whose loss stays finite",
            received=f"a loss that turned NaN or infinite in epoch {guard.diverged_at}, "
            f"before any epoch ended with a finite loss (learning_rate="
            f"{params['learning_rate']})",
            fix="Lower learning_rate (e.g. to 1e-4), and check X and y for extreme values.",
        )
    kept = early_stopping.best_epoch + 1 if best is not None else guard.epoch
    model.set_weights(best if best is not None else guard.weights)
    warnings.warn(
        f"The loss turned NaN or infinite in epoch {guard.diverged_at}: training stopped "
        f"there and the weights of epoch {kept} were kept. Lower learning_rate (it is "
        f"{params['learning_rate']}) for a model trained to the end.",
        DivergedTrainingWarning,
        stacklevel=4,
    )


def _data(state: FittedState, X: np.ndarray, targets: np.ndarray, plan, **batching):
    """What ``keras.Model.fit`` reads for one part: ``(inputs, targets)`` arrays, and
    each target's weight where classes are weighted (``FittedState.training_arrays``), or
    a ``ScaledBatches`` for a large X or a fit over several processes (its share)."""
    if is_large(X) or plan.processes > 1:
        return ScaledBatches(state, X, targets, **batching, share=plan.share)
    return state.training_arrays(X, targets)


def _restore_optimizer(model: keras.Model, resumed: keras.Model) -> None:
    """Give ``model``'s fresh optimizer the state of ``resumed``'s (step count, Adam's
    moments), built on ``model``'s own variables, so that a resumed data-parallel fit
    continues where it stopped instead of restarting Adam."""
    saved = resumed.optimizer
    if saved is None or not saved.built:
        return
    model.optimizer.build(model.trainable_variables)
    for target, source in zip(model.optimizer.variables, saved.variables, strict=True):
        target.assign(keras.ops.convert_to_numpy(source))  # from any device, or the mesh


def _compiled(state: FittedState, options, params: dict[str, Any]) -> keras.Model:
    """A new model of ``state.spec``, compiled for training (Adam, the spec's loss); with
    ``params["decay_steps"]``, Adam's learning rate decays along a cosine over that many
    steps to ``DECAY_FLOOR`` of its start (a function of the step count alone, so that a
    resumed fit takes the same rates)."""
    model = build_model(state.spec, options)
    learning_rate = params["learning_rate"]
    if params.get("decay_steps"):
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, params["decay_steps"], alpha=DECAY_FLOOR
        )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=state.spec.loss,
    )
    return model


def _on_this_process(model: keras.Model, state, options, params) -> keras.Model:
    """A copy of ``model`` (weights and optimizer state) on this process's default
    device, out of the mesh that spans every process."""
    local = _compiled(state, options, params)
    local.set_weights(model.get_weights())
    _restore_optimizer(local, model)
    return local


def _fit(
    state, options, params, data, callbacks, resumed, plan, batch_size
) -> tuple[keras.Model, dict]:
    """Build and compile the model (or take the ``resumed`` checkpoint's: model, epochs
    done, history) and train it with ``callbacks`` (a ``FiniteLoss`` among them), on the
    devices of ``plan`` with global batches of ``batch_size``."""
    train_data, validation_data = data
    guard = next(c for c in callbacks if isinstance(c, FiniteLoss))
    early_stopping = next(c for c in callbacks if isinstance(c, ResumableEarlyStopping))
    resumed_model, done, earlier = resumed or (None, 0, {})
    # after early stopping: it reads how training ended once the best weights are back
    callbacks = [
        *callbacks,
        Progress(
            params["verbose"] if plan.process == 0 else 0,  # one process reports
            params["epochs"],
            early_stopping,
            resumed_at=done + 1 if resumed is not None else None,
            checkpoint_dir=params["checkpoint_dir"],
        ),
    ]
    with seeded(params["random_state"]), training_scope(plan) as distribution:
        if resumed_model is None or distribution is not None:
            model = _compiled(state, options, params)
            if resumed_model is not None:  # the weights and Adam's state onto the devices
                model.set_weights(resumed_model.get_weights())
                _restore_optimizer(model, resumed_model)
        else:
            model = resumed_model
        if resumed_model is not None:
            guard.weights, guard.epoch = model.get_weights(), done
        if done and hasattr(train_data, "start_at"):  # a stream shuffled by epoch number
            train_data.start_at(done)
        reduce_once_per_step(model, distribution)
        streaming = isinstance(train_data, keras.utils.PyDataset)
        batching = {"batch_size": batch_size, "shuffle": True}
        if streaming:  # ScaledBatches and ordered streams (seqshape.stream_fit) order their
            # own batches (Keras would reorder a PyDataset's batches with Python's random)
            ordered = isinstance(train_data, ScaledBatches) or getattr(
                train_data, "sequential", False
            )
            batching = {"shuffle": False} if ordered else {}
        if streaming:
            arrays = {"x": train_data}
        else:  # inputs, targets, and each target's weight where classes are weighted
            arrays = dict(zip(("x", "y", "sample_weight"), train_data, strict=False))
        fitted = model.fit(
            **arrays,
            validation_data=validation_data,
            epochs=params["epochs"],
            initial_epoch=done,
            callbacks=callbacks,
            verbose=0,  # Progress shows it
            **batching,
        )
    if guard.diverged_at is not None:
        _diverged(model, guard, early_stopping, params)
    if plan.processes > 1:  # off the mesh: predict and save need no other process
        model = _on_this_process(model, state, options, params)
    history = {
        name: [*earlier.get(name, []), *(float(value) for value in values)]
        for name, values in fitted.history.items()
    }
    return model, history


def train(
    state: FittedState,
    options: ArchitectureOptions,
    params: dict[str, Any],
    training: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Build, compile and train the model ``state.spec`` describes; resume from a
    checkpoint in ``params["checkpoint_dir"]`` when one of this same fit is there.

    Args:
        state: the spec, scalers and classes (the model, history and epochs unset).
        options: the architecture.
        params: the checked training parameters (``seqshape.params.check_params``).
        training: X and encoded targets of the training part.
        validation: X and encoded targets for early stopping, or None.

    Returns:
        The trained model (best weights restored) and the history of every epoch,
        those before a resume included.
    """
    enable_compilation_cache()  # set up once, when the first model is trained
    plan = plan_devices(params.get("distribution"), params.get("devices"))
    batch_size = params["batch_size"]
    if isinstance(training, keras.utils.PyDataset):  # windows streamed from a table
        return _train_streamed(state, options, params, (training, validation), plan)
    X_train, targets_train = training
    if plan.active:  # every batch divides by the device count (seqshape.distribution)
        batch_size = global_batch(batch_size, plan.count)
        kept = usable_samples(len(X_train), plan.count)
        X_train, targets_train = X_train[:kept], targets_train[:kept]
        training = (X_train, targets_train)
        if validation is not None:
            kept = usable_samples(len(validation[0]), plan.count)
            validation = (validation[0][:kept], validation[1][:kept]) if kept else None
    train_data = _data(state, X_train, targets_train, plan, batch_size=batch_size, shuffle=True)
    validation_data = None
    if validation is not None:
        validation_batch = global_batch(max(batch_size, 256), plan.count)
        validation_data = _data(state, *validation, plan, batch_size=validation_batch)
    return _train_parts(
        state,
        options,
        params,
        (train_data, validation_data),
        (training, validation),
        len(X_train),
        plan,
        batch_size,
    )


def _train_streamed(state, options, params, data, plan) -> tuple[keras.Model, dict]:
    """``train`` on ``keras.utils.PyDataset`` batches (``seqshape.stream_fit``): their
    ``samples`` count, and their ``identity`` arrays key the checkpoint."""
    training, validation = data
    if plan.active:
        raise InvalidInputError(
            "distribution",
            expected="one device for windows streamed from a table",
            received=f"{plan.count} devices",
            fix="Pass --distribution none (distribution=None) for a streamed fit.",
        )
    batch_size = params["batch_size"]
    validation_data = validation
    if validation is not None and not isinstance(validation, keras.utils.PyDataset):
        validation_data = _data(state, *validation, plan, batch_size=max(batch_size, 256))
    return _train_parts(
        state,
        options,
        params,
        (training, validation_data),
        (training.identity, getattr(validation, "identity", validation)),
        training.samples,
        plan,
        batch_size,
    )


def _train_parts(
    state, options, params, data, hashed, samples, plan, batch_size
) -> tuple[keras.Model, dict]:
    """Early stopping, checkpoints and ``_fit`` on ``data`` (what Keras reads);
    ``hashed``: the training and validation arrays a checkpoint's key digests; with
    ``params["cosine_decay"]``, the learning rate decays over all the fit's steps."""
    training, validation = hashed
    if params.get("cosine_decay"):
        steps = params["epochs"] * steps_per_epoch(samples, batch_size)
        params = {**params, "decay_steps": steps}
    early_stopping = ResumableEarlyStopping(
        monitor="val_loss" if validation is not None else "loss",
        patience=params["patience"],
        # with nothing held out (a refit for a chosen epoch count), the last weights
        restore_best_weights=validation is not None,
        # a small training set takes a few steps an epoch: its first epochs' validation
        # loss says little, so stopping watches once MIN_STEPS gradient steps have run
        start_from_epoch=watched_from(samples, batch_size, params["epochs"]),
    )
    callbacks = [PendingStop(), EpochTimer(), FiniteLoss(), early_stopping]
    folder = params["checkpoint_dir"]
    if folder is None and plan.processes == 1:
        return _fit(state, options, params, data, callbacks, None, plan, batch_size)
    settings = {k: v for k, v in params.items() if k not in _NOT_IN_FINGERPRINT}
    digest = fingerprint(settings, state.spec.to_dict(), training, validation)
    check_same_everywhere(
        digest,
        "X",
        fix="Launch every process with the same data and parameters: each trains on its "
        "share of every batch of the whole data.",
    )
    if folder is None:
        return _fit(state, options, params, data, callbacks, None, plan, batch_size)
    writer = plan.process == 0  # the others neither lock, write nor clear the folder
    with locked(folder) if writer else nullcontext():
        found = _resume(folder, digest, early_stopping, plan)
        earlier = found[2] if found else {}
        if writer:
            callbacks.append(EpochCheckpoint(folder, digest, early_stopping, earlier))
        model, history = _fit(state, options, params, data, callbacks, found, plan, batch_size)
        if writer:
            discard(folder, keep_folder=True)
    if writer:
        discard(folder)  # the folder itself, now unlocked and empty
    return model, history


def _resume(folder, digest: dict[str, str], early_stopping, plan):
    """``resume`` on every process: process 0 first (it clears a checkpoint that is not
    this fit's), then the others, which must find the same epoch."""
    found = resume(folder, digest, early_stopping) if plan.process == 0 else None
    if plan.processes > 1:
        wait_for_all("seqshape: checkpoint read by process 0")
        if plan.process != 0:
            found = resume(folder, digest, early_stopping)
        check_same_everywhere(
            {"checkpoint found": str(found[1] if found else 0)},
            "checkpoint_dir",
            fix="Put checkpoint_dir on a file system every process sees, or delete it to "
            "train from the start.",
        )
    return found
