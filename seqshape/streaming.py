"""Tables larger than memory: a Parquet file or folder read in record batches.

``StreamedTable.scan`` reads a dataset (``pyarrow.dataset``) one record batch at a
time, never whole, and learns what the in-memory path learns from ``read_table``: the
series (in order of first appearance), their lengths, and that each series' times
increase. ``StreamedTable.statistics`` then makes one pass over the value columns and
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
``StreamedTable.batches`` streams the windows of one part in batches, shuffled through
a buffer of at most ``BUFFER_BYTES`` (like ``tf.data``'s shuffle), with memory bounded
by the buffer, one record batch and a carry of ``span - 1`` rows for each series whose
rows are not all read yet.

Ordering required: within each series, rows come in time order in the dataset's order
(files sorted by path, then row groups, then rows). Series may interleave, and one
series may be spread over many row groups and files.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape.runs.jobs import ForecastJob
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"id": np.repeat(["a", "b"], 50), "t": np.tile(np.arange(50), 2),
    ...                       "load": np.arange(100.0)})
    >>> frame.to_parquet(os.path.join(folder, "part-0.parquet"), row_group_size=30)
    >>> job = ForecastJob(targets=("load",), input_steps=5, output_steps=2,
    ...                   time_column="t", id_column="id")
    >>> table = StreamedTable.scan(folder, job)
    >>> table.ids, table.lengths.tolist(), table.count("training")
    (['a', 'b'], [50, 50], 58)
    >>> stats = table.statistics(season=1)
    >>> stats.samples["training"].X.shape
    (58, 5, 1)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
from threadpoolctl import threadpool_limits

from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.tables import PARQUET_SUFFIXES, check_columns, parquet_files
from seqshape.windowing import Windows, window_count

# rows per record batch read from the dataset
BATCH_ROWS = 1 << 14
# the most windows of each part kept in memory as a sample (as choose_normalization and
# the guard use at most 20,000)
SAMPLE_WINDOWS = 20_000
# the shuffle buffer of training windows
BUFFER_BYTES = 64 * 2**20
# the first rows read for the season when it comes from autocorrelation
SEASON_ROWS = 200_000
# the first times of the first series kept for the calendar's season
TIME_SAMPLE = 10_000
# the share of available memory the in-memory path may need before fit streams
MEMORY_SHARE = 0.5

PARTS = ("training", "validation", "test", "all")


def _reading_pool() -> pa.MemoryPool:
    """The memory pool record batches are decoded into: jemalloc where pyarrow has it.

    pyarrow's default pool (mimalloc on Linux) keeps what a pass freed, so a process's
    resident memory creeps up with every record batch read; jemalloc hands it back.
    Measured on a 96-million-row fit (5.7 GiB table): peak resident memory 0.88 GiB
    with the default pool, 0.36 GiB with jemalloc.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it
        return pa.default_memory_pool()


def is_parquet_source(source: object) -> bool:
    """True for a path to a Parquet file or to a folder (the streamed fit's inputs)."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    path = Path(os.fspath(source))
    return path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES


def open_dataset(source: str | os.PathLike) -> pads.Dataset:
    """A ``pyarrow.dataset`` over ``source``'s Parquet files, in path order."""
    files = parquet_files(source)
    # no pre-buffering of whole row groups' column chunks: memory stays near one row
    # group's decoded columns (pre_buffer=True held several times more)
    options = pads.ParquetFragmentScanOptions(pre_buffer=False)
    try:
        return pads.dataset(
            [str(f) for f in files],
            format=pads.ParquetFileFormat(default_fragment_scan_options=options),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise InvalidInputError(
            "data",
            expected="readable Parquet files with one schema",
            received=f"{str(source)!r}, which could not be opened ({error})",
            fix="Check that every file is complete Parquet with the same columns.",
        ) from None


def decoded_bytes(dataset: pads.Dataset, columns: list[str]) -> int:
    """The uncompressed size of ``columns`` in every row group (Parquet metadata only:
    nothing is read), about what they take once decoded in memory."""
    total = 0
    for fragment in dataset.get_fragments():
        metadata = fragment.metadata
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            for index in range(row_group.num_columns):
                column = row_group.column(index)
                if column.path_in_schema.split(".")[0] in columns:
                    total += column.total_uncompressed_size
    return total


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable`` on Linux, else free pages)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB"


def stream_decision(
    source: str | os.PathLike, job, asked: str = "auto", memory: int | None = None
) -> tuple[bool, str]:
    """Whether ``seqshape fit`` streams ``source``, and why (a sentence).

    ``asked`` is ``--stream``: ``"on"`` and ``"off"`` decide; ``"auto"`` streams when
    the in-memory path would need more than ``MEMORY_SHARE`` of the available memory:
    three copies of the table's columns (read, sorted, as arrays) plus the windows,
    which a panel holds as copies (``rows / stride`` windows of input and target steps
    in float64).
    """
    if asked == "on":
        return True, "streamed because --stream on was given"
    if asked == "off":
        return False, "read whole (--stream off)"
    dataset = open_dataset(source)
    columns = [c for c in (job.id_column, job.time_column, *job.inputs) if c]
    table = decoded_bytes(dataset, columns)
    rows = sum(f.metadata.num_rows for f in dataset.get_fragments())
    window = (job.input_steps * len(job.inputs) + job.output_steps * len(job.targets)) * 8
    need = 3 * table + rows // max(job.stride, 1) * window
    memory = available_memory() if memory is None else memory
    words = (
        f"the in-memory path would need about {_gib(need)} (the table's columns take "
        f"{_gib(table)} decoded, its windows more) and {_gib(memory)} is available"
    )
    if need > MEMORY_SHARE * memory:
        return True, f"streamed: {words} (--stream off to read it whole)"
    return False, f"read whole: {words} (--stream on to stream it)"


def _float_columns(batch: pa.RecordBatch, names: tuple[str, ...]) -> np.ndarray:
    """The columns ``names`` of a record batch as one float64 array (rows, columns)."""
    return np.column_stack(
        [
            np.asarray(batch.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
            for name in names
        ]
    )


def _groups(codes: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(code, row positions)`` for each code of a batch, rows in their order."""
    if len(codes) and (codes == codes[0]).all():  # one series (files sorted by id)
        yield int(codes[0]), np.arange(len(codes))
        return
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    edges = np.flatnonzero(np.diff(sorted_codes)) + 1
    for rows in np.split(order, edges):
        if len(rows):
            yield int(codes[rows[0]]), rows


@dataclass
class _Moments:
    """Weighted count, mean and sum of squared deviations per series and column."""

    weight: np.ndarray  # (series,)
    mean: np.ndarray  # (series, columns)
    m2: np.ndarray  # (series, columns)

    @classmethod
    def zeros(cls, series: int, columns: int) -> _Moments:
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

    inputs: dict[str, _Moments]
    targets: dict[str, _Moments]
    rows: _Moments
    naive_scale: np.ndarray
    samples: dict[str, Windows]


class StreamedTable:
    """A Parquet dataset read for a forecast job, one record batch at a time.

    Build it with ``StreamedTable.scan``. Series are numbered in order of first
    appearance; ``ids``, ``lengths``, ``first_time`` and ``last_time`` are indexed by
    that number.
    """

    def __init__(self, dataset: pads.Dataset, job, source: str | os.PathLike) -> None:
        self.dataset, self.job, self.source = dataset, job, source
        self.ids: list = []
        self.index: dict = {}
        self.lengths = np.zeros(0, dtype=np.int64)
        self.first_time: list = []
        self.last_time: list = []
        self.time_sample: pd.Series | None = None
        self.gaps: tuple[str, ...] = ()
        self.time_kind: str | None = None
        self.width = len(job.inputs)
        self.span = job.input_steps + job.gap + job.output_steps

    # -- reading ------------------------------------------------------------------------

    def _batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """The dataset's record batches, in file, row group and row order."""
        for fragment in self.dataset.get_fragments():
            yield from fragment.to_batches(
                columns=columns,
                batch_size=BATCH_ROWS,
                batch_readahead=1,
                fragment_readahead=1,
                memory_pool=_reading_pool(),
            )

    def _codes(self, batch: pa.RecordBatch, *, grow: bool = False) -> np.ndarray:
        """Each row's series number (new series are numbered when ``grow``)."""
        if self.job.id_column is None:
            if grow and not self.ids:
                self.ids, self.index = [0], {0: 0}
            return np.zeros(batch.num_rows, dtype=np.int64)
        column = batch.column(self.job.id_column)
        if column.null_count:
            raise InvalidInputError(
                "id_column",
                expected="a series id on every row of the id column",
                received=f"{column.null_count} row(s) without one in column "
                f"{self.job.id_column!r}",
                fix="Fill the missing ids, or drop those rows.",
            )
        if len(column) and column.unique().to_pylist() == [column[0].as_py()]:
            local, uniques = np.zeros(len(column), dtype=np.int64), [column[0].as_py()]
        else:
            local, uniques = pd.factorize(column.to_numpy(zero_copy_only=False))
            uniques = uniques.tolist()
        numbers = []
        for value in uniques:
            if value not in self.index:
                if not grow:
                    raise InvalidInputError(
                        "data",
                        expected="the same rows on every read of the dataset",
                        received=f"a series {value!r} not seen when it was scanned",
                        fix="Do not change the files while seqshape fits on them.",
                    )
                self.index[value] = len(self.ids)
                self.ids.append(value)
            numbers.append(self.index[value])
        return np.asarray(numbers, dtype=np.int64)[local]

    def _times(self, batch: pa.RecordBatch) -> np.ndarray:
        """The time column as int64 nanoseconds (dates) or float64 (numbers)."""
        name = self.job.time_column
        column = batch.column(name)
        if column.null_count:
            raise InvalidInputError(
                name,
                expected="a time on every row",
                received=f"{column.null_count} missing time(s)",
                fix="Fill in or drop the rows without a time.",
            )
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            self.time_kind = "numeric"
            return np.asarray(column.to_numpy(), dtype=np.float64)
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            values = column.to_numpy(zero_copy_only=False)
        else:
            try:
                values = pd.to_datetime(
                    column.to_numpy(zero_copy_only=False),
                    format=self.job.date_format or "ISO8601",
                )
            except (ValueError, TypeError) as error:
                raise InvalidTypeError(
                    name,
                    expected="numbers, Parquet timestamps or ISO dates in the time column "
                    "(or dates in --date-format)",
                    received=f"values that are neither ({error})",
                    fix="Store the times as Parquet timestamps, or give --date-format.",
                ) from None
        self.time_kind = "datetime"
        return np.asarray(values, dtype="datetime64[ns]").view(np.int64)

    def _shown_step(self, value: float) -> object:
        return pd.Timedelta(int(value)) if self.time_kind == "datetime" else f"{value:g}"

    def _shown_time(self, value: float) -> object:
        if self.time_kind == "datetime":
            return pd.Timestamp(int(value))
        return float(value)

    # -- the scan: series, lengths, time order -------------------------------------------

    @classmethod
    def open(cls, source: str | os.PathLike, job) -> StreamedTable:
        """``source`` opened, not scanned yet (``tails`` needs no scan)."""
        return cls(open_dataset(source), job, source)

    @classmethod
    def scan(cls, source: str | os.PathLike, job) -> StreamedTable:
        """Open ``source`` and read its id and time columns once: the series, their
        lengths, and a check that each series' times increase.

        Raises:
            InvalidInputError: missing columns, an empty dataset, a series whose times
                repeat or go back (naming the series and the times).
            InvalidTypeError: an input column that is not numeric.
        """
        table = cls.open(source, job)
        table._check_schema()
        table._scan()
        return table

    def _check_schema(self) -> None:
        schema = self.dataset.schema
        job = self.job
        needed = [c for c in (*job.inputs, job.time_column, job.id_column) if c]
        check_columns(schema.names, needed)
        for name in job.inputs:
            kind = schema.field(name).type
            if not (
                pa.types.is_integer(kind)
                or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind)
            ):
                raise InvalidTypeError(
                    name,
                    expected="a numeric column (a streamed fit forecasts numbers)",
                    received=f"a column of {kind}",
                    fix="Convert the column to numbers, or fit labels on data that fits in "
                    "memory (--stream off).",
                )

    def _scan(self) -> None:
        job = self.job
        columns = [c for c in (job.id_column, job.time_column) if c]
        counts: list[int] = []
        last: dict[int, float] = {}
        smallest: dict[int, float] = {}
        largest: dict[int, float] = {}
        first: dict[int, float] = {}
        sample: list[np.ndarray] = []
        kept = 0
        batches = self._batches(columns) if columns else self._row_counts()
        for batch in batches:
            codes = self._codes(batch, grow=True)
            counts.extend([0] * (len(self.ids) - len(counts)))
            for s, n in enumerate(np.bincount(codes, minlength=len(self.ids)).tolist()):
                counts[s] += n
            if not job.time_column:
                continue
            times = self._times(batch)
            for s, rows in _groups(codes):
                chunk = times[rows]
                if s in last:
                    chunk_with = np.concatenate([[last[s]], chunk])
                else:
                    chunk_with, first[s] = chunk, chunk[0]
                steps = np.diff(chunk_with)
                self._check_order(s, chunk_with, steps, counts[s] - len(rows))
                if len(steps):
                    smallest[s] = min(smallest.get(s, np.inf), float(steps.min()))
                    largest[s] = max(largest.get(s, -np.inf), float(steps.max()))
                last[s] = chunk[-1]
                if s == 0 and kept < TIME_SAMPLE:
                    sample.append(chunk[: TIME_SAMPLE - kept])
                    kept += len(sample[-1])
        if not counts or sum(counts) == 0:
            raise InvalidInputError(
                "data",
                expected="a table with at least one row",
                received="an empty dataset",
                fix="Check the files: they hold no data rows.",
            )
        self.lengths = np.asarray(counts, dtype=np.int64)
        if job.time_column:
            self.first_time = [self._shown_time(first[s]) for s in range(len(self.ids))]
            self.last_time = [self._shown_time(last[s]) for s in range(len(self.ids))]
            values = np.concatenate(sample)
            self.time_sample = pd.Series(
                values.view("datetime64[ns]") if self.time_kind == "datetime" else values,
                name=job.time_column,
            )
            self.gaps = tuple(
                f"series {self.ids[s]!r}: steps from {self._shown_step(smallest[s])} to "
                f"{self._shown_step(largest[s])} (gaps in time)"
                for s in sorted(smallest)
                if largest[s] > smallest[s]
            )

    def _row_counts(self) -> Iterator[pa.RecordBatch]:
        """Without id and time columns: empty batches with the row counts."""
        for fragment in self.dataset.get_fragments():
            yield pa.record_batch([pa.array(np.zeros(fragment.count_rows()))], names=["rows"])

    def _check_order(self, s: int, times: np.ndarray, steps: np.ndarray, done: int) -> None:
        bad = np.flatnonzero(steps <= 0)
        if not len(bad):
            return
        where = int(bad[0])
        before, after = (
            self._shown_time(v) if self.time_kind == "datetime" else f"{v:g}"
            for v in (times[where], times[where + 1])
        )
        name = self.job.time_column
        repeated = steps[where] == 0
        raise InvalidInputError(
            name,
            expected="each series' rows in time order in the files (sorted by path), one row "
            "per time step: a streamed fit reads the rows once, in that order",
            received=(
                f"a duplicate time {after}"
                if repeated
                else f"time going back from {before} to {after}"
            )
            + f" in series {self.ids[s]!r} (around its row {done + where})",
            fix=f"Write the files sorted by {name!r}"
            + (f" within each {self.job.id_column!r}" if self.job.id_column else "")
            + (", with one row per time step" if repeated else "")
            + " (e.g. pyarrow: table.sort_by(...) before writing).",
        )

    # -- the split -----------------------------------------------------------------------

    def cuts(self) -> tuple[np.ndarray, np.ndarray]:
        """Each series' first validation and first test step, as ``split_by_time``."""
        job = self.job
        lengths = self.lengths.astype(np.float64)
        first = np.floor(lengths * (1 - job.validation_fraction - job.test_fraction))
        second = np.floor(lengths * (1 - job.test_fraction))
        return first.astype(np.int64), second.astype(np.int64)

    def _window_counts(self) -> np.ndarray:
        """Each series' number of windows."""
        job = self.job
        return np.asarray(
            [
                window_count(int(n), job.input_steps, job.output_steps, job.stride, job.gap)
                for n in self.lengths
            ],
            dtype=np.int64,
        )

    def _starting_from(self, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Each series' first window whose targets start at or after its row ``rows``."""
        lead = self.job.input_steps + self.job.gap
        return np.clip(-((-(rows - lead)) // self.job.stride), 0, counts)

    def window_ranges(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """For each series, the numbers ``[low, high)`` of its windows in ``part``.

        Window ``k`` reads steps from ``k * stride``; its targets start ``input_steps
        + gap`` later. As ``split_by_time``: a window is in a part when all its targets
        are.
        """
        counts = self._window_counts()
        if part == "all":
            return np.zeros_like(counts), counts
        first, second = self.cuts()

        def ending_by(cut):  # windows whose targets end at or before ``cut``
            return np.clip((cut - self.span) // self.job.stride + 1, 0, counts)

        if part == "training":
            return np.zeros_like(counts), ending_by(first)
        if part == "validation":
            low = self._starting_from(first, counts)
            return low, np.maximum(low, ending_by(second))
        if part == "test":
            return self._starting_from(second, counts), counts
        raise ValueError(f"unknown part {part!r}; one of {PARTS}")

    def ranges_after(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each series, the numbers ``[low, high)`` of the windows whose targets all
        lie at or after its row ``rows[s]`` (the rows a fit did not see)."""
        counts = self._window_counts()
        return self._starting_from(np.asarray(rows, dtype=np.int64), counts), counts

    def count(self, part: str) -> int:
        """The number of windows in ``part``."""
        low, high = self.window_ranges(part)
        return int((high - low).sum())

    def training_lengths(self) -> list[int]:
        """Each series' training rows, as ``forecasting.training_series`` cuts them."""
        fraction = 1 - self.job.validation_fraction - self.job.test_fraction
        return [int(n * fraction) for n in self.lengths]

    def ids_array(self) -> np.ndarray:
        """The series ids as ``panel_windows`` holds them: int64 when all are integers."""
        if all(isinstance(i, (int, np.integer)) for i in self.ids):
            return np.asarray(self.ids, dtype=np.int64)
        values = np.empty(len(self.ids), dtype=object)
        values[:] = self.ids
        return values

    def identity(self) -> bytes:
        """A digest of what was read: the files (path, size, modification time), the
        job and the series' lengths (for a checkpoint's key)."""
        digest = hashlib.blake2b(digest_size=16)
        for path in parquet_files(self.source):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        digest.update(repr(self.job).encode())
        digest.update(self.lengths.tobytes())
        return digest.digest()

    # -- series chunks and their windows -------------------------------------------------

    def _chunks(self, carry_rows: int) -> Iterator[tuple[int, int, int, np.ndarray]]:
        """``(series, position of values[0], position of the new rows, values)``: the
        rows of one series in one record batch, after the ``carry_rows`` rows before
        them (bounded: a series' carry is dropped once all its rows are read)."""
        job = self.job
        columns = [c for c in (job.id_column, *job.inputs) if c]
        carry: dict[int, np.ndarray] = {}
        seen = np.zeros(len(self.ids), dtype=np.int64)
        for batch in self._batches(columns):
            codes = self._codes(batch)
            values = _float_columns(batch, job.inputs)
            missing = np.isnan(values)
            if missing.any():
                row, column = np.argwhere(missing)[0]
                raise InvalidInputError(
                    job.inputs[int(column)],
                    expected="a value on every row",
                    received=f"a missing value in series {self.ids[codes[row]]!r}",
                    fix="Fill in or drop the rows with missing values first.",
                )
            for s, rows in _groups(codes):
                new = values[rows]
                start = int(seen[s])
                seen[s] += len(new)
                before = carry.pop(s, None)
                joined = new if before is None else np.concatenate([before, new])
                if carry_rows and seen[s] < self.lengths[s]:
                    carry[s] = joined[-carry_rows:].copy()
                yield s, start - (0 if before is None else len(before)), start, joined

    def _window_numbers(self, first: int, start: int, size: int) -> tuple[int, int]:
        """The windows whose last step lies in the new rows ``[start, start + size)`` and
        whose first step lies in the chunk (from ``first``)."""
        stride = self.job.stride
        low = max(-((-(start - self.span + 1)) // stride), -((-first) // stride), 0)
        high = (start + size - self.span) // stride + 1
        return low, high

    def _cut(self, values: np.ndarray, first: int, numbers: np.ndarray) -> tuple:
        """Windows ``numbers`` (X, y, target start) from ``values`` (rows from ``first``)."""
        job = self.job
        starts = numbers * job.stride - first
        lead = job.input_steps + job.gap
        X = values[starts[:, None] + np.arange(job.input_steps)]
        y = values[starts[:, None] + lead + np.arange(job.output_steps)][:, :, : len(job.targets)]
        return X, y, numbers * job.stride + lead

    def windows(
        self, part: str, ranges: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Iterator[Windows]:
        """The windows of ``part`` (or of each series' ``ranges`` of window numbers) in
        dataset order, a record batch's worth at a time."""
        low, high = self.window_ranges(part) if ranges is None else ranges
        ids = self.ids_array()
        for s, first, start, values in self._chunks(self.span - 1):
            a, b = self._window_numbers(first, start, len(values) - (start - first))
            a, b = max(a, int(low[s])), min(b, int(high[s]))
            if a >= b:
                continue
            X, y, target_start = self._cut(values, first, np.arange(a, b))
            yield Windows(X, y, np.full(len(X), ids[s], dtype=ids.dtype), target_start)

    def batches(
        self, part: str, batch_size: int, rng: np.random.Generator | None = None
    ) -> Iterator[Windows]:
        """The windows of ``part`` in batches of ``batch_size`` (the last may be
        smaller): in dataset order without ``rng``, else shuffled through a buffer of
        at most ``BUFFER_BYTES``."""
        window_bytes = (self.job.input_steps * self.width + self.job.output_steps) * 8 + 16
        capacity = max(batch_size, min(self.count(part), BUFFER_BYTES // window_bytes))
        buffer = _ShuffleBuffer(capacity, batch_size, rng)
        for windows in self.windows(part):
            yield from buffer.add(windows)
        yield from buffer.drain()

    # -- the statistics pass -------------------------------------------------------------

    def statistics(self, season: int, sample: int = SAMPLE_WINDOWS) -> StreamStatistics:
        """One pass over the value columns: the moments, the naive scale and the
        samples (see the module's doc). ``season``: the period of MASE's naive error."""
        with threadpool_limits(1, "blas"):  # small products: no BLAS threads spinning
            return self._statistics(season, sample)

    def _statistics(self, season: int, sample: int) -> StreamStatistics:
        job = self.job
        count, width, targets = len(self.ids), self.width, len(job.targets)
        inputs = {part: _Moments.zeros(count, width) for part in ("training", "all")}
        target_moments = {part: _Moments.zeros(count, targets) for part in ("training", "all")}
        rows = _Moments.zeros(count, width)
        naive_sum, naive_count = np.zeros(targets), 0
        training_rows = np.asarray(self.training_lengths(), dtype=np.int64)
        fraction = 1 - job.validation_fraction - job.test_fraction
        scaled_rows = np.maximum(2, (self.lengths * fraction).astype(np.int64))
        ranges = {part: self.window_ranges(part) for part in PARTS}
        window_counts = {part: high - low for part, (low, high) in ranges.items()}
        picks, offsets, kept = {}, {}, {}
        for part in PARTS:
            total = int(window_counts[part].sum())
            picks[part] = np.linspace(0, total - 1, min(total, sample)).astype(np.int64)
            offsets[part] = np.concatenate([[0], np.cumsum(window_counts[part])[:-1]])
            kept[part] = {}
        lead = job.input_steps + job.gap
        ids = self.ids_array()
        carry = max(self.span - 1, season)
        for s, first, start, values in self._chunks(carry):
            new = values[start - first :]
            size = len(new)
            counts = [int(ranges[part][1][s]) for part in ("training", "all")]
            weights = np.stack(
                [
                    *(_covered(start, size, 0, job.input_steps, job.stride, n) for n in counts),
                    *(
                        _covered(start, size, lead, job.output_steps, job.stride, n)
                        for n in counts
                    ),
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
            a, b = self._window_numbers(first, start, len(new))
            for part in PARTS:
                low, high = max(a, int(ranges[part][0][s])), min(b, int(ranges[part][1][s]))
                if low >= high:
                    continue
                numbers = np.arange(low, high)
                index = offsets[part][s] + numbers - ranges[part][0][s]
                found = np.minimum(np.searchsorted(picks[part], index), len(picks[part]) - 1)
                chosen = picks[part][found] == index if len(picks[part]) else index < 0
                if chosen.any():
                    X, y, target_start = self._cut(values, first, numbers[chosen])
                    kept[part][int(index[chosen][0])] = (X, y, s, target_start)
        samples = {part: self._joined(kept[part], ids, job) for part in PARTS}
        scale = naive_sum / naive_count if naive_count else np.full(targets, np.nan)
        return StreamStatistics(inputs, target_moments, rows, scale, samples)

    def _joined(self, pieces: dict, ids: np.ndarray, job) -> Windows:
        ordered = [pieces[key] for key in sorted(pieces)]
        if not ordered:
            width, targets = self.width, len(job.targets)
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

    def rows_through(self, last_times: np.ndarray) -> np.ndarray:
        """Each series' number of rows whose time is at or before ``last_times[s]``
        (NaN: none), in one pass over the id and time columns. Dates are given as
        int64 nanoseconds (as ``float``), numbers as they are."""
        job = self.job
        counts = np.zeros(len(self.ids), dtype=np.int64)
        columns = [c for c in (job.id_column, job.time_column) if c]
        for batch in self._batches(columns):
            codes = self._codes(batch)
            times = self._times(batch)
            inside = times <= np.asarray(last_times, dtype=np.float64)[codes]
            counts += np.bincount(codes[inside], minlength=len(self.ids))
        return counts

    def digests(self, rows: np.ndarray) -> list[str | None]:
        """For each series with at least ``rows[s] > 0`` rows, the digest of its first
        ``rows[s]`` rows' input values that an in-memory fit keeps to know those rows
        again (``seqshape.runs.forecasting._digest``: pandas' hashes of each row's
        text, the same row by row however the rows are read); None for the others."""
        job = self.job
        wanted = np.minimum(np.asarray(rows, dtype=np.int64), self.lengths)
        hashers = {
            s: hashlib.sha256() for s in range(len(self.ids)) if 0 < rows[s] <= self.lengths[s]
        }
        seen = np.zeros(len(self.ids), dtype=np.int64)
        columns = [c for c in (job.id_column, *job.inputs) if c]
        for batch in self._batches(columns):
            codes = self._codes(batch)
            for s, positions in _groups(codes):
                keep = max(0, min(len(positions), int(wanted[s] - seen[s])))
                seen[s] += len(positions)
                if keep and s in hashers:
                    frame = batch.take(pa.array(positions[:keep])).select(list(job.inputs))
                    text = frame.to_pandas().astype(str)
                    hashers[s].update(pd.util.hash_pandas_object(text, index=False).to_numpy())
        return [hashers[s].hexdigest() if s in hashers else None for s in range(len(self.ids))]

    def head(self, rows: int = SEASON_ROWS) -> list[np.ndarray]:
        """The training targets of each series among the first ``rows`` rows read
        (the season's autocorrelation reads them): one ``(steps, targets)`` array each."""
        job = self.job
        parts: dict[int, list[np.ndarray]] = {}
        seen = np.zeros(len(self.ids), dtype=np.int64)
        training = self.training_lengths()
        read = 0
        columns = [c for c in (job.id_column, *job.targets) if c]
        for batch in self._batches(columns):
            codes = self._codes(batch)
            values = _float_columns(batch, job.targets)
            for s, positions in _groups(codes):
                keep = max(0, min(len(positions), training[s] - int(seen[s])))
                seen[s] += len(positions)
                if keep:
                    parts.setdefault(s, []).append(values[positions[:keep]])
            read += batch.num_rows
            if read >= rows:
                break
        return [np.concatenate(chunks) for _, chunks in sorted(parts.items())]

    def tails(self, steps: int) -> pd.DataFrame:
        """The last ``steps`` rows of every series (id, time and input columns), read
        in one pass with ``steps`` rows kept per series: what forecasting from the end
        of each series needs. Series in order of first appearance."""
        job = self.job
        columns = [c for c in (job.id_column, job.time_column, *job.inputs) if c]
        kept: dict[int, pd.DataFrame] = {}
        for batch in self._batches(columns):
            codes = self._codes(batch, grow=True)
            for s, positions in _groups(codes):
                rows = batch.take(pa.array(positions[-steps:])).to_pandas()
                if s in kept:
                    rows = pd.concat([kept[s], rows]).iloc[-steps:]
                kept[s] = rows
        return pd.concat([kept[s] for s in range(len(self.ids))], ignore_index=True)


class _ShuffleBuffer:
    """Windows in, shuffled batches out: a buffer of ``capacity`` windows from which
    each batch is drawn at random once it is full (``rng`` None: in order)."""

    def __init__(self, capacity: int, batch_size: int, rng: np.random.Generator | None):
        self.capacity, self.batch_size, self.rng = capacity, batch_size, rng
        self.arrays: list[np.ndarray] | None = None
        self.free = np.arange(capacity)[::-1]  # a stack of free slots
        self.free_count = capacity
        self.pending: list[Windows] = []

    def add(self, windows: Windows) -> Iterator[Windows]:
        if self.rng is None:
            yield from self._in_order(windows)
            return
        columns = (windows.X, windows.y, windows.series, windows.target_start)
        if self.arrays is None:
            self.arrays = [np.empty((self.capacity, *c.shape[1:]), dtype=c.dtype) for c in columns]
        done = 0
        while done < len(windows.X):
            take = min(self.free_count, len(windows.X) - done)
            slots = self.free[self.free_count - take : self.free_count]
            for array, column in zip(self.arrays, columns, strict=True):
                array[slots] = column[done : done + take]
            self.free_count -= take
            done += take
            if self.free_count == 0:
                drawn = self.rng.choice(self.capacity, self.batch_size, replace=False)
                yield Windows(*(array[drawn] for array in self.arrays))
                self.free[: self.batch_size] = drawn
                self.free_count = self.batch_size

    def _in_order(self, windows: Windows) -> Iterator[Windows]:
        self.pending.append(windows)
        held = sum(len(w) for w in self.pending)
        if held < self.batch_size:
            return
        joined = _concatenate(self.pending)
        whole = held - held % self.batch_size
        for begin in range(0, whole, self.batch_size):
            yield joined.subset(slice(begin, begin + self.batch_size))
        self.pending = [joined.subset(slice(whole, held))] if whole < held else []

    def drain(self) -> Iterator[Windows]:
        if self.rng is None:
            if self.pending:
                yield _concatenate(self.pending)
            return
        if self.arrays is None:
            return
        used = np.setdiff1d(np.arange(self.capacity), self.free[: self.free_count])
        used = self.rng.permutation(used)
        for begin in range(0, len(used), self.batch_size):
            drawn = used[begin : begin + self.batch_size]
            yield Windows(*(array[drawn] for array in self.arrays))


def _concatenate(parts: list[Windows]) -> Windows:
    if len(parts) == 1:
        return parts[0]
    return Windows(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in ("X", "y", "series", "target_start")
        )
    )


__all__ = [
    "StreamStatistics",
    "StreamedTable",
    "decoded_bytes",
    "is_parquet_source",
    "open_dataset",
    "parquet_files",
    "stream_decision",
]
