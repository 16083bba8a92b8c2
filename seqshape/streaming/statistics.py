"""The statistics pass: what the in-memory path learns from all its windows, streamed.

``stream_statistics`` makes one pass over a ``StreamedTable``'s value columns and
computes, exactly, the statistics the in-memory path computes from all its windows:

- the mean and variance of every input feature over the training windows' input steps
  and of every target over their target steps (each row weighted by the number of
  windows that hold it, which is what scaling the array of windows does), for the
  training part and for all windows (the refit);
- each series' mean and variance over its training rows (``normalization="series"``);
- the in-sample seasonal naive error of the training part (MASE's scale);
- evenly spaced samples of at most ``SAMPLE_WINDOWS`` windows of each part (all of them
  when there are fewer), from which the choices made on windows are made.

Moments are merged with Chan et al.'s pairwise formula (no sums of squares).

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape.runs.jobs import ForecastJob
    >>> from seqshape.streaming import StreamedTable
    >>> path = os.path.join(tempfile.mkdtemp(), "load.parquet")
    >>> pd.DataFrame({"load": np.arange(100.0)}).to_parquet(path, row_group_size=30)
    >>> job = ForecastJob(targets=("load",), input_steps=5, output_steps=2)
    >>> stats = stream_statistics(StreamedTable.scan(path, job), season=1)
    >>> stats.samples["training"].X.shape, stats.naive_scale.tolist()
    ((64, 5, 1), [1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from seqshape.streaming.table import PARTS, StreamedTable
from seqshape.windowing import Windows

# the most windows of each part kept in memory as a sample (as choose_normalization and
# the guard use at most 20,000)
SAMPLE_WINDOWS = 20_000


@dataclass
class Moments:
    """Weighted count, mean and sum of squared deviations per series and column."""

    weight: np.ndarray  # (series,)
    mean: np.ndarray  # (series, columns)
    m2: np.ndarray  # (series, columns)

    @classmethod
    def zeros(cls, series: int, columns: int) -> Moments:
        return cls(np.zeros(series), np.zeros((series, columns)), np.zeros((series, columns)))

    def merge(self, s: int, total: float, mean: np.ndarray, m2: np.ndarray) -> None:
        """Merge one chunk's weight, mean and squared deviations into series ``s``
        (Chan et al.'s pairwise update)."""
        if total == 0:
            return
        before = self.weight[s]
        merged = before + total
        delta = mean - self.mean[s]
        self.mean[s] += delta * total / merged
        self.m2[s] += m2 + delta**2 * before * total / merged
        self.weight[s] = merged

    def pooled(
        self, location: np.ndarray | None = None, scale: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The mean and (population) variance over every series, each series' values
        first mapped to ``(x - location) / scale`` when given."""
        mean, m2 = self.mean, self.m2
        if location is not None:
            mean, m2 = (mean - location) / scale, m2 / scale**2
        total = self.weight.sum()
        if total == 0:
            return np.zeros(mean.shape[1]), np.zeros(mean.shape[1])
        pooled = self.weight @ mean / total
        spread = m2.sum(axis=0) + self.weight @ (mean - pooled) ** 2
        return pooled, spread / total


def _chunk_moments(values: np.ndarray, weights: np.ndarray) -> tuple:
    """Weight, mean and squared deviations of ``values`` (rows, columns) under each row
    of ``weights`` (kinds, rows), in one pass: sums of the values shifted by their
    first row (so the squares cancel little), then per kind."""
    shifted = values - values[0]
    sums = weights @ np.concatenate([shifted, shifted**2], axis=1)
    total = weights.sum(axis=1)
    width = values.shape[1]
    safe = np.where(total > 0, total, 1.0)[:, None]
    mean = sums[:, :width] / safe
    m2 = np.maximum(sums[:, width:] - mean**2 * safe, 0.0)
    return total, mean + values[0], m2


def _covered(start: int, size: int, offset: int, length: int, stride: int, count: int):
    """For each position ``start .. start + size - 1``: how many of windows ``0 ..
    count - 1`` (starting every ``stride`` steps) hold it among their steps ``offset ..
    offset + length - 1`` (a running sum of where windows begin and end)."""
    low = max(0, -((-(start - offset - length + 1)) // stride))
    high = min(count, (start + size - 1 - offset) // stride + 1)
    if low >= high:
        return np.zeros(size)
    begins = offset + np.arange(low, high) * stride - start
    bounds = np.clip(np.concatenate([begins, begins + length]), 0, size)
    signs = np.repeat([1.0, -1.0], high - low)
    return np.cumsum(np.bincount(bounds, weights=signs, minlength=size + 1)[:size])


@dataclass
class StreamStatistics:
    """What one streaming pass over the value columns found (see the module's doc).

    ``inputs[part]`` and ``targets[part]`` (``part`` "training" or "all") are the
    window-weighted moments of the input columns and of the targets; ``rows`` the
    moments of each series' training rows; ``naive_scale`` the pooled seasonal naive
    error of the training part per target; ``samples[part]`` the sampled windows.
    """

    inputs: dict[str, Moments]
    targets: dict[str, Moments]
    rows: Moments
    naive_scale: np.ndarray
    samples: dict[str, Windows]


def stream_statistics(
    table: StreamedTable, season: int, sample: int = SAMPLE_WINDOWS
) -> StreamStatistics:
    """One pass over ``table``'s value columns: the moments, the naive scale and the
    samples (see the module's doc). ``season``: the period of MASE's naive error."""
    with threadpool_limits(1, "blas"):  # small products: no BLAS threads spinning
        return _statistics(table, season, sample)


def _statistics(table: StreamedTable, season: int, sample: int) -> StreamStatistics:
    job = table.job
    count, width, targets = len(table.ids), table.width, len(job.targets)
    inputs = {part: Moments.zeros(count, width) for part in ("training", "all")}
    target_moments = {part: Moments.zeros(count, targets) for part in ("training", "all")}
    rows = Moments.zeros(count, width)
    naive_sum, naive_count = np.zeros(targets), 0
    training_rows = np.asarray(table.training_lengths(), dtype=np.int64)
    scaled_rows = np.maximum(2, training_rows)  # per-series scales: at least 2 rows
    ranges = {part: table.window_ranges(part) for part in PARTS}
    window_counts = {part: high - low for part, (low, high) in ranges.items()}
    picks, offsets, kept = {}, {}, {}
    for part in PARTS:
        total = int(window_counts[part].sum())
        picks[part] = np.linspace(0, total - 1, min(total, sample)).astype(np.int64)
        offsets[part] = np.concatenate([[0], np.cumsum(window_counts[part])[:-1]])
        kept[part] = {}
    lead = job.input_steps + job.gap
    ids = table.ids_array()
    carry = max(table.span - 1, season)
    for s, first, start, values in table.chunks(carry):
        new = values[start - first :]
        size = len(new)
        counts = [int(ranges[part][1][s]) for part in ("training", "all")]
        weights = np.stack(
            [
                *(_covered(start, size, 0, job.input_steps, job.stride, n) for n in counts),
                *(_covered(start, size, lead, job.output_steps, job.stride, n) for n in counts),
                (np.arange(start, start + size) < scaled_rows[s]).astype(np.float64),
            ]
        )
        total, mean, m2 = _chunk_moments(new, weights)
        for kind, part in enumerate(("training", "all")):
            inputs[part].merge(s, total[kind], mean[kind], m2[kind])
            merged = (total[kind + 2], mean[kind + 2, :targets], m2[kind + 2, :targets])
            target_moments[part].merge(s, *merged)
        rows.merge(s, total[4], mean[4], m2[4])
        # the seasonal naive error of the training rows, the rows before included
        end = min(int(training_rows[s]) - first, len(values))
        if end > season and start - first < end:
            low = max(season, start - first)
            part = values[:end, :targets]
            naive_sum += np.abs(part[low:] - part[low - season : end - season]).sum(axis=0)
            naive_count += end - low
        a, b = table.window_numbers(first, start, len(new))
        for part in PARTS:
            low, high = max(a, int(ranges[part][0][s])), min(b, int(ranges[part][1][s]))
            if low >= high:
                continue
            numbers = np.arange(low, high)
            index = offsets[part][s] + numbers - ranges[part][0][s]
            found = np.minimum(np.searchsorted(picks[part], index), len(picks[part]) - 1)
            chosen = picks[part][found] == index if len(picks[part]) else index < 0
            if chosen.any():
                X, y, target_start = table.cut(values, first, numbers[chosen])
                kept[part][int(index[chosen][0])] = (X, y, s, target_start)
    samples = {part: _joined(kept[part], ids, job, table.width) for part in PARTS}
    scale = naive_sum / naive_count if naive_count else np.full(targets, np.nan)
    return StreamStatistics(inputs, target_moments, rows, scale, samples)


def _joined(pieces: dict, ids: np.ndarray, job, width: int) -> Windows:
    """The sampled ``pieces`` (by their first window's number: ``(X, y, series,
    target starts)``) in order, as one ``Windows``."""
    ordered = [pieces[key] for key in sorted(pieces)]
    if not ordered:
        targets = len(job.targets)
        return Windows(
            np.zeros((0, job.input_steps, width)),
            np.zeros((0, job.output_steps, targets)),
            ids[:0],
            np.zeros(0, dtype=np.int64),
        )
    X = np.concatenate([piece[0] for piece in ordered])
    y = np.concatenate([piece[1] for piece in ordered])
    series = np.concatenate([np.full(len(p[0]), ids[p[2]], dtype=ids.dtype) for p in ordered])
    starts = np.concatenate([piece[3] for piece in ordered])
    return Windows(X, y, series, starts)


__all__ = ["SAMPLE_WINDOWS", "Moments", "StreamStatistics", "stream_statistics"]
