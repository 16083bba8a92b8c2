"""``SequenceModel``: the scikit-learn-style estimator that reads shapes, builds and trains.

Example:
    >>> import numpy as np
    >>> from seqshape import SequenceModel
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(64, 12, 2))
    >>> y = X[:, -4:, :].copy()
    >>> model = SequenceModel(units=(8,), epochs=2).fit(X, y)
    >>> model.spec_.topology, model.predict(X).shape
    ('many_to_many', (64, 4, 2))
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager

import keras
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_feature_names

from seqshape._inference import SMALL_BATCH, small_batch_forward
from seqshape.builders import ArchitectureOptions, build_model
from seqshape.checkpoint import (
    EpochCheckpoint,
    ResumableEarlyStopping,
    discard,
    fingerprint,
    resume,
)
from seqshape.errors import InvalidInputError, InvalidTypeError, NotFittedYetError
from seqshape.scaling import LastAxisScaler
from seqshape.spec import infer_spec_from_arrays
from seqshape.validation import (
    as_numeric_array,
    check_fraction,
    check_positive_int,
    check_same_samples,
    describe,
)


class _EpochTimer(keras.callbacks.Callback):
    """Records the seconds of every epoch into the history; stops on a NaN loss.

    The NaN check runs once an epoch: Keras' ``TerminateOnNaN`` reads the loss back
    from the device after every batch, which costs a fifth of an epoch on small models.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._started
            if not np.isfinite(logs.get("loss", 0.0)):
                self.model.stop_training = True


# Inputs whose scaled float32 copy would exceed this are streamed batch by batch.
STREAM_BYTES = 256 * 2**20


class _ScaledBatches(keras.utils.PyDataset):
    """Batches of a large X (and targets) scaled one batch at a time.

    A view of many overlapping windows (``seqshape.windowing``) is never copied whole:
    each batch gathers its rows, scales them and hands them to Keras.
    """

    def __init__(self, estimator, X, targets=None, *, batch_size: int, seed=None):
        super().__init__(max_queue_size=4)  # a few batches prepared ahead, not ten
        self.estimator, self.X, self.targets, self.batch_size = estimator, X, targets, batch_size
        self.order = np.arange(len(X))
        self.rng = None if seed is False else np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def __getitem__(self, index):
        rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
        inputs = self.estimator._model_inputs(self.X[rows])
        if self.targets is None:
            return (inputs,)
        return inputs, self.estimator._scaled_targets(self.targets[rows])

    def on_epoch_end(self):
        if self.rng is not None:
            self.rng.shuffle(self.order)


def _large(X: np.ndarray) -> bool:
    return X.size * 4 > STREAM_BYTES


@contextmanager
def _seeded(random_state: int | None):
    """Seed Python, NumPy and Keras for one fit, then give the user's RNG state back."""
    if random_state is None:
        yield
        return
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(random_state)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class SequenceModel(BaseEstimator):
    """A recurrent sequence model whose topology follows from the shapes of X and y.

    ``fit`` reads the shapes (see ``seqshape.infer_spec``), builds the Keras model
    for that topology, scales features on the training part only, holds out the
    last ``validation_fraction`` of the samples (in order: no shuffling across that
    boundary) and trains with early stopping, restoring the best weights.

    Args:
        topology: ``"auto"`` or a topology name (``seqshape.topologies()``).
        strategy: ``"auto"`` or a strategy of the topology (``seqshape.strategies(t)``).
        task: ``"auto"`` (integer y: classification, float y: regression),
            ``"regression"``, ``"binary"`` or ``"multiclass"``.
        units: size of each stacked recurrent layer, e.g. ``(12, 12, 6)``.
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        bidirectional: read sequences in both directions.
        dropout: input dropout of each recurrent layer.
        vocabulary_size: for integer token ids in X: the number of distinct ids.
        mask_value: for variable-length sequences padded to one length: the value of
            every feature on a padded step (e.g. from ``keras.utils.pad_sequences``);
            padded steps are skipped by the recurrent layers. 0 for token ids.
        embedding_dim: size of each token vector.
        filters: Conv2D filters per frame-encoder block, for sequences of images.
        epochs: most epochs to train; early stopping usually ends sooner.
        batch_size: samples per gradient step.
        learning_rate: Adam's learning rate.
        validation_fraction: share of the last samples held out for early stopping.
        patience: epochs without validation improvement before stopping.
        random_state: seed for weights and shuffling; ``None`` for a fresh one.
        checkpoint_dir: a folder for a checkpoint after every epoch; a ``fit`` killed
            part-way resumes from it when called again with the same settings and
            data. Removed when ``fit`` completes. ``None`` (default): no checkpoints.
        verbose: Keras' progress display: 0 silent, 1 progress bar, 2 a line an epoch.

    Attributes (after ``fit``):
        spec_: the ``TopologySpec`` (topology, strategy, task and reasons).
        model_: the trained Keras model.
        history_: the Keras training history (a dict of lists).
        classes_: the class labels, for classification.
    """

    def __init__(
        self,
        topology: str = "auto",
        strategy: str = "auto",
        task: str = "auto",
        units: int | tuple[int, ...] = (32,),
        cell: str = "lstm",
        bidirectional: bool = False,
        dropout: float = 0.0,
        vocabulary_size: int | None = None,
        mask_value: float | None = None,
        embedding_dim: int = 32,
        filters: tuple[int, ...] = (16, 32),
        epochs: int = 200,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        validation_fraction: float = 0.2,
        patience: int = 10,
        random_state: int | None = 0,
        checkpoint_dir: str | None = None,
        verbose: int = 0,
    ):
        self.topology = topology
        self.strategy = strategy
        self.task = task
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.vocabulary_size = vocabulary_size
        self.mask_value = mask_value
        self.embedding_dim = embedding_dim
        self.filters = filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose

    # -- scikit-learn contract -------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        tags.non_deterministic = self.random_state is None
        return tags

    # -- fitting ---------------------------------------------------------------------

    def _architecture(self) -> ArchitectureOptions:
        return ArchitectureOptions(
            units=self.units,
            cell=self.cell,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            embedding_dim=self.embedding_dim,
            filters=self.filters,
        )

    def _check_training_params(self) -> None:
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.patience, "patience", minimum=0)
        check_fraction(self.validation_fraction, "validation_fraction")
        if not isinstance(self.learning_rate, (int, float)) or not self.learning_rate > 0:
            raise InvalidInputError(
                "learning_rate",
                expected="a number greater than 0",
                received=repr(self.learning_rate),
                fix="Pass a small positive number such as 1e-3.",
            )
        if self.random_state is not None:
            check_positive_int(self.random_state, "random_state", minimum=0)
        if self.verbose not in (0, 1, 2):
            raise InvalidInputError(
                "verbose",
                expected="0, 1 or 2",
                received=repr(self.verbose),
                fix="0 is silent, 1 shows a progress bar, 2 prints a line per epoch.",
            )

    def fit(self, X, y, validation_data: tuple | None = None) -> SequenceModel:
        """Infer the topology from X and y, build the Keras model and train it.

        Args:
            X: inputs, ``(samples, features)``, ``(samples, steps, features)``,
                ``(samples, steps)`` token ids or ``(samples, steps, h, w, channels)``.
            y: targets, ``(samples,)``, ``(samples, outputs)`` or
                ``(samples, steps, outputs)``.
            validation_data: optional ``(X_val, y_val)`` used for early stopping
                instead of holding out the last samples of X.
        """
        options = self._architecture()
        self._check_training_params()
        _check_feature_names(self, X, reset=True)
        X_array = as_numeric_array(X, "X")
        y_array = as_numeric_array(y, "y")
        check_same_samples(X_array, y_array)
        spec = infer_spec_from_arrays(
            X_array,
            y_array,
            topology=self.topology,
            strategy=self.strategy,
            task=self.task,
            vocabulary_size=self.vocabulary_size,
            mask_value=self.mask_value,
        )
        self.spec_ = spec
        self.n_features_in_ = X_array.shape[-1]
        self.classes_ = np.unique(y_array) if spec.is_classifier else None

        if validation_data is None:
            held_out = round(len(X_array) * self.validation_fraction)
            if held_out < 1 or held_out >= len(X_array):
                held_out = 0
            split = len(X_array) - held_out
            X_train, y_train = X_array[:split], y_array[:split]
            X_val, y_val = X_array[split:], y_array[split:]
        else:
            X_train, y_train = X_array, y_array
            X_val = self._check_input(as_numeric_array(validation_data[0], "validation_data[0]"))
            y_val = as_numeric_array(validation_data[1], "validation_data[1]")
            check_same_samples(X_val, y_val)

        self._check_token_range(X_array)
        self.x_scaler_ = (
            None if spec.input_kind == "tokens" else LastAxisScaler(spec.mask_value).fit(X_train)
        )
        targets_train = self._encode_targets(y_train)
        self.y_scaler_ = LastAxisScaler().fit(targets_train) if spec.task == "regression" else None
        streaming = _large(X_train)
        if streaming:  # large inputs, e.g. views of many windows: scaled batch by batch
            train = (
                _ScaledBatches(
                    self,
                    X_train,
                    targets_train,
                    batch_size=self.batch_size,
                    seed=self.random_state,
                ),
            )
        else:
            train = (self._model_inputs(X_train), self._scaled_targets(targets_train))
        validation = None
        if len(X_val):
            targets_val = self._encode_targets(y_val)
            validation = (
                _ScaledBatches(
                    self, X_val, targets_val, batch_size=max(self.batch_size, 256), seed=False
                )
                if _large(X_val)
                else (self._model_inputs(X_val), self._scaled_targets(targets_val))
            )

        early_stopping = ResumableEarlyStopping(
            monitor="val_loss" if validation is not None else "loss",
            patience=self.patience,
            restore_best_weights=True,
        )
        callbacks = [_EpochTimer(), early_stopping]
        resumed, done, earlier = None, 0, {}
        if self.checkpoint_dir is not None:
            settings = {
                k: v
                for k, v in self.get_params().items()
                if k not in ("verbose", "checkpoint_dir")
            }
            digest = fingerprint(settings, spec.to_dict(), X_train, targets_train)
            resumed = resume(self.checkpoint_dir, digest, early_stopping)
            if resumed is not None:
                resumed, done, earlier = resumed
            callbacks.append(EpochCheckpoint(self.checkpoint_dir, digest, early_stopping, earlier))
        with _seeded(self.random_state):
            if resumed is None:
                self.model_ = build_model(spec, options)
                self.model_.compile(
                    optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate),
                    loss=spec.loss,
                )
            else:
                self.model_ = resumed
            batching = {} if streaming else {"batch_size": self.batch_size, "shuffle": True}
            history = self.model_.fit(
                *train,
                validation_data=validation,
                epochs=self.epochs,
                initial_epoch=done,
                callbacks=callbacks,
                verbose=self.verbose,
                **batching,
            )
        self.history_ = {
            name: [*earlier.get(name, []), *(float(value) for value in values)]
            for name, values in history.history.items()
        }
        if self.checkpoint_dir is not None:
            discard(self.checkpoint_dir)
        monitored = self.history_.get("val_loss", self.history_["loss"])
        self.best_epoch_ = int(np.argmin(monitored)) + 1
        self.n_epochs_ = len(monitored)
        return self

    # -- input and target plumbing ---------------------------------------------------

    def _check_token_range(self, X_array: np.ndarray) -> None:
        if self.spec_.input_kind != "tokens":
            return
        if X_array.dtype.kind not in "iub":
            raise InvalidTypeError(
                "X",
                expected="integer token ids when vocabulary_size is given",
                received=describe(X_array),
                fix="Pass X as integers (X.astype(int)), or leave vocabulary_size unset.",
            )
        low, high = int(X_array.min()), int(X_array.max())
        if low < 0 or high >= self.spec_.vocabulary_size:
            raise InvalidInputError(
                "X",
                expected=f"token ids in [0, {self.spec_.vocabulary_size - 1}] "
                f"(vocabulary_size={self.spec_.vocabulary_size})",
                received=f"ids from {low} to {high}",
                fix=f"Pass vocabulary_size={high + 1} or more, or map ids into the vocabulary.",
            )

    def _model_inputs(self, X_array: np.ndarray) -> np.ndarray:
        if self.x_scaler_ is None:
            return X_array.astype(np.int32)
        return self.x_scaler_.transform(X_array)

    def _encode_targets(self, y_array: np.ndarray) -> np.ndarray:
        """y in the model's target shape: class indices for classification."""
        samples = len(y_array)
        if self.spec_.is_classifier:
            unknown = ~np.isin(y_array, self.classes_)
            if unknown.any():
                raise InvalidInputError(
                    "y",
                    expected=f"labels among the training classes {self.classes_.tolist()}",
                    received=f"{int(unknown.sum())} other label(s), e.g. "
                    f"{y_array[unknown].ravel()[0]!r}",
                    fix="Validation labels must be classes seen in training.",
                )
            indices = np.searchsorted(self.classes_, y_array)
            return indices.reshape(samples, *self.spec_.target_shape).astype(np.int32)
        return y_array.reshape(samples, *self.spec_.target_shape)

    def _scaled_targets(self, targets: np.ndarray) -> np.ndarray:
        return targets if self.y_scaler_ is None else self.y_scaler_.transform(targets)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedYetError(
                "self",
                expected="a fitted SequenceModel",
                received="one that has not been fitted yet",
                fix="Call fit(X, y) first, or load a saved model with seqshape.load(path).",
            )

    def _check_input(self, X_array: np.ndarray, name: str = "X") -> np.ndarray:
        spec = self.spec_
        expected = spec.input_shape
        received = X_array.shape[1:]
        if X_array.ndim != len(expected) + 1:
            raise InvalidInputError(
                name,
                expected=f"samples of shape {expected}, as in fit (a {len(expected) + 1}D array)",
                received=describe(X_array),
                fix="Reshape your data to the layout used in fit, e.g. X.reshape(-1, "
                f"{', '.join(map(str, expected))}) for samples of that shape.",
            )
        if received[-1] != expected[-1]:
            raise InvalidInputError(
                name,
                expected=f"{expected[-1]} features per step",
                received=f"X has {received[-1]} features, but SequenceModel is expecting "
                f"{expected[-1]} features as input",
                fix="Pass the same feature columns, in the same order, as in fit.",
            )
        if received != expected:
            raise InvalidInputError(
                name,
                expected=f"samples of shape {expected}, as in fit",
                received=f"samples of shape {received}",
                fix="Window the data with the same number of input steps as in fit.",
            )
        return X_array

    def _predict_outputs(self, X) -> np.ndarray:
        self._check_fitted()
        _check_feature_names(self, X, reset=False)
        X_array = self._check_input(as_numeric_array(X, "X"))
        self._check_token_range(X_array)
        if len(X_array) <= SMALL_BATCH:
            return small_batch_forward(self.model_)(self._model_inputs(X_array))
        if _large(X_array):
            batches = _ScaledBatches(
                self, X_array, batch_size=max(self.batch_size, 256), seed=False
            )
            return self.model_.predict(batches, verbose=0)
        inputs = self._model_inputs(X_array)
        return self.model_.predict(inputs, batch_size=max(self.batch_size, 256), verbose=0)

    # -- predicting ------------------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """Predictions in y's own shape and units; class labels for classification."""
        outputs = self._predict_outputs(X)
        samples = len(outputs)
        shape = (samples, *self.spec_.output_shape)
        if self.spec_.task == "regression":
            return self.y_scaler_.inverse_transform(outputs).reshape(shape)
        if self.spec_.task == "binary":
            indices = (outputs[..., 0] > 0.5).astype(np.int64)
        else:
            indices = np.argmax(outputs, axis=-1)
        return self.classes_[indices].reshape(shape)

    def _is_classifier_or_unfitted(self) -> bool:
        return not hasattr(self, "spec_") or self.spec_.is_classifier

    @available_if(_is_classifier_or_unfitted)
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, last axis ordered as ``classes_``."""
        outputs = self._predict_outputs(X)
        outputs = np.asarray(outputs, dtype=np.float64)
        if self.spec_.task == "binary":
            return np.concatenate([1.0 - outputs, outputs], axis=-1)
        return outputs / outputs.sum(axis=-1, keepdims=True)  # exact sums after float32

    def score(self, X, y) -> float:
        """Accuracy for classification (over every label), R^2 for regression."""
        predicted = self.predict(X)
        truth = as_numeric_array(y, "y").reshape(predicted.shape)
        if self.spec_.is_classifier:
            return float(accuracy_score(truth.ravel(), predicted.ravel()))
        samples = len(truth)
        return float(r2_score(truth.reshape(samples, -1), predicted.reshape(samples, -1)))

    # -- explaining and saving -------------------------------------------------------

    def explain(self):
        """The topology, why it was chosen, a diagram and the layer-by-layer trace."""
        from seqshape.explain import explain_model

        self._check_fitted()
        return explain_model(self.spec_, self.model_)

    def save(self, path) -> None:
        """Save model, scalers and spec to one ``.seqshape`` file (written atomically)."""
        from seqshape.persistence import save_estimator

        self._check_fitted()
        save_estimator(self, path)
