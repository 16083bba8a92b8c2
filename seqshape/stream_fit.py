"""Fitting an estimator on windows streamed from a table larger than memory.

``fit_stream`` does what ``fit`` does with arrays of windows, on a ``WindowSource``
(windows read from a ``seqshape.streaming.StreamedTable``), without ever holding the
windows in memory:

- the scalers come from the streaming statistics (the same values as scaling the array
  of every training window);
- the choices ``fit`` makes from the training windows (topology, normalisation,
  seasonal base) are made from the evenly spaced sample of at most
  ``seqshape.streaming.SAMPLE_WINDOWS`` training windows: all of them when there are
  fewer, and the 20,000 ``choose_normalization`` itself would look at otherwise;
- training reads shuffled batches (``StreamedBatches``, a ``keras.utils.PyDataset``);
  validation reads the validation windows, held in memory when there are at most
  ``SAMPLE_WINDOWS`` of them and streamed in order otherwise;
- the baseline check scores the validation sample (at most 20,000 windows, as ``fit``),
  the baselines fitted on the training sample.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape import SequenceModel
    >>> from seqshape.runs.jobs import ForecastJob
    >>> from seqshape.streaming import StreamedTable, stream_statistics
    >>> path = os.path.join(tempfile.mkdtemp(), "load.parquet")
    >>> t = np.arange(400)
    >>> pd.DataFrame({"t": t, "load": np.sin(t / 5) + 2}).to_parquet(path, row_group_size=64)
    >>> job = ForecastJob(targets=("load",), input_steps=20, output_steps=5, time_column="t")
    >>> table = StreamedTable.scan(path, job)
    >>> source = WindowSource(table, stream_statistics(table, season=1))
    >>> model = fit_stream(SequenceModel(epochs=2, units=(4,), verbose=0), source)
    >>> model.predict(source.sample("test").X).shape
    (56, 5, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import keras
import numpy as np

from seqshape.builders import ArchitectureOptions
from seqshape.defaults import choose_normalization
from seqshape.errors import InvalidInputError
from seqshape.fitted import FittedState
from seqshape.params import check_params, params_of, resolved_epochs
from seqshape.scaling import LastAxisScaler
from seqshape.streaming import SAMPLE_WINDOWS, StreamedTable, StreamStatistics
from seqshape.training import auto_epoch_limit, kept_epoch, train
from seqshape.validation import check_float32_range
from seqshape.windowing import Windows

# as the estimator's: the magnitude below which window normalisation is safe in float32
WINDOW_MAGNITUDE = 1e15


@dataclass
class WindowSource:
    """The windows an estimator is fitted on, streamed from ``table``.

    Args:
        table: the dataset, scanned.
        statistics: its streaming statistics (``table.statistics``).
        training: the part trained on: ``"training"``, or ``"all"`` for a refit.
        validation: the part that stops training early, or None.
        location, scale: each series' location and scale per input column
            (``normalization="series"``), or None: the windows as they are.
        transform: maps raw windows to the model's units (the same per-series scaling).
    """

    table: StreamedTable
    statistics: StreamStatistics
    training: str = "training"
    validation: str | None = "validation"
    location: np.ndarray | None = None
    scale: np.ndarray | None = None
    transform: Callable[[Windows], Windows] | None = None

    def count(self, part: str) -> int:
        return self.table.count(part)

    def _mapped(self, windows: Windows) -> Windows:
        return windows if self.transform is None else self.transform(windows)

    def sample(self, part: str) -> Windows:
        """The evenly spaced sample of ``part``'s windows, in the model's units."""
        return self._mapped(self.statistics.samples[part])

    def batches(self, part: str, batch_size: int, rng) -> Iterator[Windows]:
        """``part``'s windows in batches, in the model's units (shuffled with ``rng``)."""
        for windows in self.table.batches(part, batch_size, rng):
            yield self._mapped(windows)

    def moments(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the inputs (``kind="inputs"``) or targets over the
        training part's windows, in the model's units."""
        moments = getattr(self.statistics, kind)[self.training]
        if self.location is None:
            return moments.pooled()
        columns = slice(None) if kind == "inputs" else slice(0, moments.mean.shape[1])
        return moments.pooled(self.location[:, columns], self.scale[:, columns])

    def for_refit(self) -> WindowSource:
        """The same source training on every window, with nothing held out."""
        return replace(self, training="all", validation=None)


class StreamedBatches(keras.utils.PyDataset):
    """Batches of one part of a ``WindowSource``, scaled as the fitted state says.

    The batches come from a stream: Keras reads them in order (``sequential``); each
    epoch reshuffles with its own seed (``random_state`` and the epoch number).
    ``seed=False``: in order, unshuffled (validation).
    """

    sequential = True  # read batch 0, 1, 2, ...: Keras must not shuffle their order

    def __init__(
        self,
        source: WindowSource,
        part: str,
        state: FittedState,
        *,
        batch_size: int,
        seed: int | bool | None,
    ):
        super().__init__()
        self.source, self.part, self.state = source, part, state
        self.batch_size, self.seed, self.epoch = batch_size, seed, 0
        self.samples = source.count(part)
        self.identity = (np.frombuffer(source.table.identity() + part.encode(), np.uint8),)
        self._stream: Iterator[Windows] | None = None
        self._next = 0

    def __len__(self) -> int:
        return -(-self.samples // self.batch_size)

    def _restart(self) -> None:
        rng = None
        if self.seed is not False:
            rng = np.random.default_rng(None if self.seed is None else [self.seed, self.epoch])
        self._stream = self.source.batches(self.part, self.batch_size, rng)
        self._next = 0

    def __getitem__(self, index: int):
        if self._stream is None or index != self._next:
            self._restart()
            for _ in range(index):
                next(self._stream)
        windows = next(self._stream)
        self._next = index + 1
        state = self.state
        return state.model_inputs(windows.X), state.scaled_targets(state.encode_targets(windows.y))

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._stream = None

    def start_at(self, epoch: int) -> None:
        """Go on from ``epoch`` epochs done (a resumed fit): the next epochs take the
        shuffles an uninterrupted fit would have taken."""
        self.epoch += epoch
        self._stream = None


def _scaler(mean: np.ndarray, variance: np.ndarray, name: str, mask_value=None) -> LastAxisScaler:
    """A ``LastAxisScaler`` from streamed moments (a constant feature scales by 1)."""
    spread = np.sqrt(np.maximum(variance, 0.0))
    scale = np.where(spread > 1e-12 * np.maximum(1.0, np.abs(mean)), spread, 1.0)
    try:
        return LastAxisScaler.from_dict(
            {"mean": mean.tolist(), "scale": scale.tolist(), "mask_value": mask_value}
        )
    except ValueError:
        raise InvalidInputError(
            name,
            expected="values whose mean and spread per feature float32 can hold",
            received=f"means {mean.tolist()} and scales {scale.tolist()}",
            fix=f"Rescale `{name}` (for example divide it by a power of ten) before fitting.",
        ) from None


def fit_stream(estimator, source: WindowSource):
    """Fit ``estimator`` (a ``SequenceModel`` or ``SequenceRegressor``) on the windows
    of ``source`` without holding them in memory, and return it (see the module's doc).

    Like ``fit``, every learned attribute is assigned at the end.
    """
    params = check_params(estimator.get_params())
    auto_epochs = params["epochs"] == "auto"
    params["epochs"] = resolved_epochs(params["epochs"])
    options = ArchitectureOptions(**{p.name: params[p.name] for p in params_of("architecture")})
    sample = source.sample(source.training)
    state = estimator._read_spec(sample.X, sample.y, params)
    if state.spec.is_classifier:
        raise InvalidInputError(
            "task",
            expected="regression for a streamed fit (numeric targets)",
            received=f"a {state.spec.task} task",
            fix="Pass task='regression', or fit labels on data that fits in memory.",
        )
    state.n_features_in, state.feature_names_in = sample.X.shape[-1], None
    training_count = source.count(source.training)
    validation_count = source.count(source.validation) if source.validation else 0
    if validation_count:
        method = "given"
        reason = (
            f"Validation: the {validation_count} validation windows (the validation part of "
            "each series, split by time) stop training early."
        )
    else:
        method, reason = "none", "Validation: none; every window trains."
    if auto_epochs:  # as fit: at least SMALL_SET_STEPS gradient steps' worth
        params["epochs"] = auto_epoch_limit(params["epochs"], training_count, params["batch_size"])
    state.validation = {
        "method": method,
        "reason": reason,
        "train": training_count,
        "validation": validation_count,
        "epoch_limit": params["epochs"],
    }
    chosen = choose_normalization(
        params["normalization"],
        state.spec,
        sample.X,
        sample.y,
        params["seasonal_base"],
        params["ridge_share"],
    )
    normalization, targets = chosen.method, chosen.target_features
    state.spec = chosen.applied_to(state.spec, reason)
    if normalization == "window":
        check_float32_range(
            sample.X,
            "X",
            WINDOW_MAGNITUDE,
            "with normalization='window' each window's spread is computed in float32 "
            "(pass normalization='global' for larger values)",
        )
    mask = state.spec.mask_value
    if normalization == "global":
        state.x_scaler = _scaler(*source.moments("inputs"), "X", mask)
    else:
        state.x_scaler = LastAxisScaler(mask).fit(sample.X[:0])
    if normalization == "window":
        state.y_scaler = state.x_scaler.subset(targets)
    else:
        state.y_scaler = _scaler(*source.moments("targets"), "y")
    batch_size = params["batch_size"]
    training = StreamedBatches(
        source, source.training, state, batch_size=batch_size, seed=params["random_state"]
    )
    held = source.sample(source.validation) if validation_count else None
    validation = None
    if held is not None and validation_count <= SAMPLE_WINDOWS:  # all of them, in memory
        validation = (held.X, state.encode_targets(held.y))
    elif held is not None:
        validation = StreamedBatches(
            source, source.validation, state, batch_size=max(batch_size, 256), seed=False
        )
    model, history = train(state, options, params, training, validation)
    state.model, state.history = model, history
    state.best_epoch = kept_epoch(history, training_count, batch_size)
    state.n_epochs = len(history["loss"])
    if state.spec.ridge_share is not None:  # the map fitted on the sample of training windows
        none = (sample.X[:0], sample.y[:0])
        held_out = none if held is None else (held.X, held.y)
        estimator._combine(state, (sample.X, sample.y), held_out, params["ridge_share"])
    if held is not None:
        state.baseline_check = estimator._check_baselines(
            state, sample.X, sample.y, held.X, held.y
        )
    estimator._set_state(state)
    return estimator


__all__ = ["StreamedBatches", "WindowSource", "fit_stream"]
