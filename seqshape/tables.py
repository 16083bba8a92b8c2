"""Tables of time series: CSV, Parquet, pandas or polars in; checked, sorted series out.

Example:
    >>> import pandas as pd
    >>> from seqshape.tables import read_table
    >>> frame = pd.DataFrame({"t": [1, 2, 3, 5], "load": [1.0, 2.0, 3.0, 4.0]})
    >>> table = read_table(frame, time_column="t", columns=["load"])
    >>> table.lengths, table.gaps
    ({0: 4}, ('series 0: 1 gap(s) in time, the first after 3 (step 1.0)',))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from seqshape.errors import InvalidInputError, InvalidTypeError

READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet}


def series_groups(frame: pd.DataFrame, id_column: str | None) -> list[tuple[object, pd.DataFrame]]:
    """The rows of each series: ``[(series id, rows), ...]`` in order of first appearance.

    The one place rows are grouped into series. Without ``id_column`` the whole frame is
    one series, with id 0.

    Example:
        >>> frame = pd.DataFrame({"id": ["b", "a", "b"], "x": [1.0, 2.0, 3.0]})
        >>> [(series_id, rows["x"].tolist()) for series_id, rows in series_groups(frame, "id")]
        [('b', [1.0, 3.0]), ('a', [2.0])]
    """
    if id_column is None:
        return [(0, frame)]
    return list(frame.groupby(id_column, sort=False))


@dataclass(frozen=True)
class SeriesTable:
    """One or many series, sorted by id and time, with what was found while checking.

    Attributes:
        frame: the rows, sorted by id then time.
        time_column: the name of the time column, or ``None`` (row order is time).
        id_column: the name of the series id column, or ``None`` (one series).
        gaps: human-readable reports of gaps found in time (not errors).
    """

    frame: pd.DataFrame
    time_column: str | None
    id_column: str | None
    gaps: tuple[str, ...] = ()

    @cached_property
    def series(self) -> list[tuple[object, pd.DataFrame]]:
        """``(series id, rows)`` for each series, in order (see ``series_groups``)."""
        return series_groups(self.frame, self.id_column)

    @property
    def ids(self) -> list:
        return [series_id for series_id, _ in self.series]

    @property
    def lengths(self) -> dict:
        return {series_id: len(rows) for series_id, rows in self.series}

    def arrays(self, columns: Sequence[str]) -> list[np.ndarray]:
        """One float array of shape ``(steps, len(columns))`` per series."""
        return [rows[list(columns)].to_numpy(dtype=np.float64) for _, rows in self.series]

    def column_per_series(self, column: str) -> np.ndarray:
        """The single value each series has in ``column`` (e.g. its class label)."""
        values = []
        for series_id, rows in self.series:
            distinct = rows[column].unique()
            if len(distinct) != 1:
                raise InvalidInputError(
                    column,
                    expected="one label per series (the same value on every row of a series)",
                    received=f"{len(distinct)} different values in series {series_id!r}",
                    fix="Give each series a single label, or split it into several series.",
                )
            values.append(distinct[0])
        return np.asarray(values)


def _load(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if hasattr(source, "to_pandas") and hasattr(source, "columns"):  # polars, pyarrow
        return source.to_pandas()
    path = Path(os.fspath(source))
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InvalidInputError(
            "data",
            expected=f"a file ending in one of {sorted(READERS)}, or a data frame",
            received=repr(str(path)),
            fix="Save the data as CSV or Parquet.",
        )
    if not path.is_file():
        raise InvalidInputError(
            "data",
            expected="an existing file",
            received=repr(str(path)),
            fix="Check the path.",
        )
    try:
        return reader(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InvalidInputError(
            "data",
            expected=f"a readable {path.suffix} file",
            received=f"{str(path)!r}, which could not be read ({error})",
            fix="Check that the file is complete and in the format its name says.",
        ) from None


def _check_columns(frame: pd.DataFrame, needed: Sequence[str]) -> None:
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise InvalidInputError(
            "columns",
            expected=f"columns {list(needed)} in the data",
            received=f"no column(s) {missing}; the data has {list(frame.columns)}",
            fix="Check the column names (they are case-sensitive).",
        )


def _check_numeric(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        values = frame[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
            example = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            raise InvalidTypeError(
                column,
                expected="a numeric column",
                received=f"{values.dtype} values such as {example.iloc[0]!r}"
                if len(example)
                else f"{values.dtype} values",
                fix="Convert the column to numbers, or leave it out of --target and --covariates.",
            )
        missing = values.isna()
        if missing.any():
            raise InvalidInputError(
                column,
                expected="a value on every row",
                received=f"{int(missing.sum())} missing value(s), the first on row "
                f"{int(np.flatnonzero(missing.to_numpy())[0])}",
                fix="Fill or drop missing values first (e.g. pandas' interpolate).",
            )


def _time_values(frame: pd.DataFrame, time_column: str) -> pd.Series:
    values = frame[time_column]
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    try:
        return pd.to_datetime(values, format="mixed")
    except (ValueError, TypeError):
        raise InvalidTypeError(
            time_column,
            expected="numbers or dates in the time column",
            received=f"values such as {values.iloc[0]!r} that are neither",
            fix="Write times as ISO dates (2024-01-31 12:00) or as numbers.",
        ) from None


def _check_time(frame: pd.DataFrame, time_column: str, id_column: str | None) -> list[str]:
    gaps = []
    for series_id, rows in series_groups(frame, id_column):
        times = rows[time_column]
        steps = times.diff().iloc[1:]
        if (steps == steps * 0).any() if len(steps) else False:
            position = int(np.flatnonzero((steps == steps * 0).to_numpy())[0]) + 1
            raise InvalidInputError(
                time_column,
                expected="one row per time step in each series",
                received=f"a duplicate time {times.iloc[position]} in series {series_id!r} "
                f"(rows {position - 1} and {position} of that series)",
                fix="Drop or aggregate duplicate rows (e.g. frame.drop_duplicates).",
            )
        if (steps < steps * 0).any() if len(steps) else False:
            position = int(np.flatnonzero((steps < steps * 0).to_numpy())[0]) + 1
            raise InvalidInputError(
                time_column,
                expected="rows sorted by time within each series",
                received=f"time going back from {times.iloc[position - 1]} to "
                f"{times.iloc[position]} in series {series_id!r}",
                fix=f"Sort the rows first: frame.sort_values([{id_column!r}, {time_column!r}])"
                if id_column
                else f"Sort the rows first: frame.sort_values({time_column!r})",
            )
        if len(steps):
            usual = steps.mode().iloc[0]
            wide = np.flatnonzero((steps > usual).to_numpy())
            if len(wide):
                gaps.append(
                    f"series {series_id!r}: {len(wide)} gap(s) in time, the first after "
                    f"{times.iloc[wide[0]]} (step {usual})"
                )
    return gaps


def read_table(
    source,
    *,
    columns: Sequence[str] = (),
    time_column: str | None = None,
    id_column: str | None = None,
    label_columns: Sequence[str] = (),
) -> SeriesTable:
    """Read and check a table of one or many series.

    Args:
        source: a CSV or Parquet path, a pandas or polars data frame.
        columns: the numeric columns the job needs (checked to exist, to be numeric and
            to have no missing values).
        time_column: the time column; it must be sorted with no duplicates within a
            series. Gaps are reported in ``SeriesTable.gaps``. Without it, row order is
            taken as time.
        id_column: the column telling series apart, for a panel of many series.
        label_columns: further columns the job needs, of any type (e.g. class labels):
            checked to exist only.
    """
    frame = _load(source)
    if frame.empty:
        raise InvalidInputError(
            "data",
            expected="a table with at least one row",
            received="an empty table",
            fix="Check the file: it has no data rows.",
        )
    needed = [*columns, *label_columns, *(c for c in (time_column, id_column) if c)]
    _check_columns(frame, needed)
    _check_numeric(frame, columns)
    gaps: list[str] = []
    if time_column:
        frame[time_column] = _time_values(frame, time_column)
        gaps = _check_time(frame, time_column, id_column)
    if id_column:
        missing = frame[id_column].isna().to_numpy()
        if missing.any():
            raise InvalidInputError(
                "id_column",
                expected="a series id on every row of the id column",
                received=f"{int(missing.sum())} row(s) without one in column {id_column!r}, "
                f"the first at row {int(np.flatnonzero(missing)[0])}",
                fix="Fill the missing ids, or drop those rows.",
            )
        order = pd.unique(frame[id_column])
        frame = frame.assign(_order=pd.Categorical(frame[id_column], categories=order))
        frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
    return SeriesTable(frame.reset_index(drop=True), time_column, id_column, tuple(gaps))
