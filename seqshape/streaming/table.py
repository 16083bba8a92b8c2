"""A Parquet table larger than memory, read for a forecast job one record batch at a time.

``StreamedTable.scan`` reads a dataset (``pyarrow.dataset``) one record batch at a
time, never whole, and learns what the in-memory path learns from ``read_table``: the
series (in order of first appearance), their lengths, and that each series' times
increase. The table then splits each series by time as ``split_by_time`` does
(``window_ranges``), yields the windows of a part a record batch's worth at a time
(``windows``, ``batches``), and reads what predict and evaluate need in one pass each
(``rows_through``, ``digests``, ``head``, ``tails``). Memory stays bounded by one
record batch and a carry of ``span - 1`` rows for each series whose rows are not all
read yet.

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
    >>> first = next(table.windows("training"))
    >>> first.X.shape, first.series[0]
    ((24, 5, 1), 'a')
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads

from seqshape.calendar import longest_step
from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.streaming.batches import window_batches
from seqshape.streaming.reading import BATCH_ROWS, open_dataset, reading_pool
from seqshape.tables import check_columns, parquet_files
from seqshape.windowing import Windows, window_count

# the first rows read for the season when it comes from autocorrelation
SEASON_ROWS = 200_000
# the first times of the first series kept for the calendar's season
TIME_SAMPLE = 10_000

PARTS = ("training", "validation", "test", "all")


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
                memory_pool=reading_pool(),
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
        return int(value) if float(value).is_integer() else float(value)  # 1971, not 1971.0

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
            # a step longer than any of the calendar's (months: 31 days, business days:
            # 3) misses steps; without a calendar, steps of more than one length do
            regular = longest_step(self.time_sample) if self.time_kind == "datetime" else None
            self.gaps = tuple(
                f"series {self.ids[s]!r}: steps from {self._shown_step(smallest[s])} to "
                f"{self._shown_step(largest[s])} (gaps in time)"
                for s in sorted(smallest)
                if largest[s] > (smallest[s] if regular is None else regular.as_unit("ns").value)
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
        return self.job.cuts(self.lengths)

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
        return [int(first) for first in self.cuts()[0]]

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

    def chunks(self, carry_rows: int) -> Iterator[tuple[int, int, int, np.ndarray]]:
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

    def window_numbers(self, first: int, start: int, size: int) -> tuple[int, int]:
        """The windows whose last step lies in the new rows ``[start, start + size)`` and
        whose first step lies in the chunk (from ``first``)."""
        stride = self.job.stride
        low = max(-((-(start - self.span + 1)) // stride), -((-first) // stride), 0)
        high = (start + size - self.span) // stride + 1
        return low, high

    def cut(self, values: np.ndarray, first: int, numbers: np.ndarray) -> tuple:
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
        for s, first, start, values in self.chunks(self.span - 1):
            a, b = self.window_numbers(first, start, len(values) - (start - first))
            a, b = max(a, int(low[s])), min(b, int(high[s]))
            if a >= b:
                continue
            X, y, target_start = self.cut(values, first, np.arange(a, b))
            yield Windows(X, y, np.full(len(X), ids[s], dtype=ids.dtype), target_start)

    def batches(
        self,
        part: str,
        batch_size: int,
        rng: np.random.Generator | None = None,
        ranges: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Iterator[Windows]:
        """The windows of ``part`` (or of each series' ``ranges``, as ``windows``) in
        batches of ``batch_size`` (the last may be smaller): in dataset order without
        ``rng``, else shuffled through a buffer of at most ``BUFFER_BYTES``
        (``seqshape.streaming.batches``)."""
        low, high = self.window_ranges(part) if ranges is None else ranges
        window_bytes = (self.job.input_steps * self.width + self.job.output_steps) * 8 + 16
        yield from window_batches(
            self.windows(part, (low, high)),
            batch_size,
            rng,
            total=int((high - low).sum()),
            window_bytes=window_bytes,
        )

    # -- one-pass reads for predict and evaluate -----------------------------------------

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


__all__ = ["PARTS", "SEASON_ROWS", "StreamedTable"]
