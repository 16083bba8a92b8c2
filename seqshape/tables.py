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

import calendar
import csv
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from seqshape.calendar import missing_steps
from seqshape.errors import InvalidInputError, InvalidTypeError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
SEPARATORS = ",;\t|"
# runs of spaces between columns (NumPy's savetxt, the UCR archive's older .txt files)
WHITESPACE = r"\s+"
# a date written with numbers only: day and month in either order, then the year
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})\b")
# quarters as R's zoo and tsibble write them ("1970 Q1"), and "1970Q1", "1970-Q1"
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
# the quarter first, as pmdarima's quarterly series write them ("Q1 1965"), "Q1-1965"
_QUARTER_FIRST = re.compile(r"^\s*[Qq]([1-4])\s*[-/]?\s*(\d{4})\s*$")


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
        notes: how the file was read, where seqshape guessed (the separator, day-first
            dates), for the console and the report.
        time_form: how the time column was written, where it was read as dates from
            another form: ``"quarters"`` (``1970 Q1``), ``"quarters first"``
            (``Q1 1970``), ``"yyyymmdd"`` (``19580329``) or
            ``"utc"`` (times with UTC offsets, read in UTC);
            times written out (forecasts) are written so too (``written_times``).
    """

    frame: pd.DataFrame
    time_column: str | None
    id_column: str | None
    gaps: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    time_form: str = ""

    def written_times(self, times) -> list:
        """``times`` as the data wrote its time column: quarters as ``2016 Q4``, numbers
        of year, month and day as ``20161001``, times read from their UTC offsets in
        UTC with ``+00:00``, other times as they are.

        Example:
            >>> table = SeriesTable(pd.DataFrame(), "date", None, time_form="yyyymmdd")
            >>> table.written_times([pd.Timestamp("2001-12-29")])
            [20011229]
        """
        if self.time_form in ("quarters", "quarters first"):
            return quarter_texts(times, quarter_first=self.time_form == "quarters first")
        if self.time_form == "yyyymmdd":
            return [int(time.strftime("%Y%m%d")) for time in times]
        if self.time_form == "utc":  # read from times with their offsets, in UTC
            return [time.tz_localize("UTC").isoformat(sep=" ") for time in times]
        return list(times)

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


def parquet_files(source: str | os.PathLike) -> list[Path]:
    """The Parquet files of ``source`` (a file, or a folder searched recursively),
    sorted by path: the order rows are read in.

    Raises:
        InvalidInputError: no such file or folder, or a folder without Parquet files.
    """
    path = Path(os.fspath(source))
    if path.is_file() and path.suffix.lower() in PARQUET_SUFFIXES:
        return [path]
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES
        )
        if files:
            return files
    raise InvalidInputError(
        "data",
        expected=f"a Parquet file or a folder of Parquet files (ending in {PARQUET_SUFFIXES})",
        received=repr(str(path)) + (" (a folder without any)" if path.is_dir() else ""),
        fix="Check the path (a folder is read as the Parquet files in it, in path order).",
    )


def sniff_separator(sample: str) -> str:
    """The column separator of a delimited text file, from its first lines: one of
    ``SEPARATORS``, or ``WHITESPACE`` where none is found and every line splits on
    spaces into the same number of columns.

    Example:
        >>> sniff_separator("date;load\\n01/02/2024;1,5\\n")
        ';'
        >>> sniff_separator("a,b\\n1,2\\n")
        ','
        >>> sniff_separator("  1.0  -0.5  0.25\\n  2.0  0.5  -1.0\\n") == WHITESPACE
        True
    """
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        widths = {len(line.split()) for line in sample.splitlines() if line.strip()}
        if len(widths) == 1 and widths.pop() > 1 and not any(s in sample for s in SEPARATORS):
            return WHITESPACE
        return ","


def _separator_words(sep: str) -> str:
    return "spaces" if sep == WHITESPACE else repr(sep)


# rows read to find a column of dates where no time column is named
DATES_SAMPLE_ROWS = 200


def _holds_dates(values: pd.Series) -> bool:
    """Whether a column's values are dates or times: datetime values, or text that all
    reads as dates (ISO, day- or month-first, quarters), not numbers.

    Example:
        >>> _holds_dates(pd.Series(["2020-01-01", "2020-01-02"])), _holds_dates(pd.Series([1, 2]))
        (True, False)
        >>> _holds_dates(pd.Series(["red", "blue"])), _holds_dates(pd.Series(["1970 Q1"]))
        (False, True)
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return False
    texts = values.dropna().astype(str)
    if texts.empty or not texts.str.contains(r"\d[-/.: Q]", regex=True).all():
        return False
    if quarter_starts(texts) is not None:
        return True
    try:
        pd.to_datetime(texts, format="mixed")
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def dates_column(source, *, sep: str | None = None, exclude: Sequence[str] = ()) -> str | None:
    """The one column of ``source`` (a CSV or Parquet path, a folder of Parquet files, a
    data frame) outside ``exclude`` that holds dates, judged on its first rows; None
    where there is none, or several. For a run given no time column.

    Example:
        >>> frame = pd.DataFrame({"day": ["2024-01-01", "2024-01-02"], "sales": [1.0, 2.0]})
        >>> dates_column(frame), dates_column(frame, exclude=["day"])
        ('day', None)
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
            import pyarrow as pa
            import pyarrow.parquet as pq

            files = parquet_files(path) if path.is_dir() else [path]
            if not files or not files[0].is_file():
                return None
            schema = pq.read_schema(files[0])
            found = [
                field.name
                for field in schema
                if field.name not in exclude
                and (pa.types.is_timestamp(field.type) or pa.types.is_date(field.type))
            ]
            return found[0] if len(found) == 1 else None
        if path.suffix.lower() not in TEXT_SUFFIXES or not path.is_file():
            return None
        try:
            frame = _read_text(path, sep, [], rows=DATES_SAMPLE_ROWS)
        except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return None  # read_table says what is wrong with the file
    elif isinstance(source, pd.DataFrame):
        frame = source.head(DATES_SAMPLE_ROWS)
    elif hasattr(source, "to_pandas") and hasattr(source, "head"):  # polars
        frame = source.head(DATES_SAMPLE_ROWS).to_pandas()
    else:
        return None
    found = [
        str(column)
        for column in frame.columns
        if str(column) not in exclude and _holds_dates(frame[column])
    ]
    return found[0] if len(found) == 1 else None


def _read_text(
    path: Path, sep: str | None, notes: list[str], rows: int | None = None
) -> pd.DataFrame:
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        sample = "".join(handle.readline() for _ in range(50))
    if sep is None:
        sep = sniff_separator(sample)
        if sep != ",":
            notes.append(
                f"columns separated by {_separator_words(sep)} (detected; --sep to choose)"
            )
    # "1,5" in a file separated by ';' is a decimal comma (European spreadsheets)
    decimal_comma = r"(^|;)\s*-?(\d+|\d{1,3}(\.\d{3})+),\d+\s*(;|$)"  # 1,5 or 1.200,5
    decimal = "," if sep == ";" and re.search(decimal_comma, sample, re.M) else "."
    if decimal == ",":
        notes.append("decimal commas (1,5 is one and a half)")
    # "1,200" quoted in a file separated by ',' (a spreadsheet's number format), or
    # 1.200,5 beside decimal commas: digits grouped by thousands
    thousands = None
    if sep == "," and re.search(r'"-?\d{1,3}(,\d{3})+(\.\d+)?"', sample):
        thousands = ","
    elif decimal == "," and re.search(r"(^|;)\s*-?\d{1,3}(\.\d{3})+(,\d+)?\s*(;|$)", sample, re.M):
        thousands = "."
    if thousands is not None:
        notes.append(f"thousands grouped by {thousands!r} (1{thousands}200 is twelve hundred)")
    line = sample.splitlines()[0] if sample else ""
    first = line.split() if sep == WHITESPACE else next(csv.reader([line], delimiter=sep), [])
    if len(first) > 1 and all(_is_number(field, decimal) for field in first):
        # no header row: the first row is data (the UCR archive's files, label first)
        frame = pd.read_csv(
            path, sep=sep, decimal=decimal, thousands=thousands, header=None, nrows=rows
        )
        notes.append(
            f"no header row (the first row is numbers): columns named by position, 0 to "
            f"{frame.shape[1] - 1}"
        )
        return frame.rename(columns=str)
    return pd.read_csv(path, sep=sep, decimal=decimal, thousands=thousands, nrows=rows)


def _is_number(field: str, decimal: str = ".") -> bool:
    """Whether a header field is a number (so the row is data, not names).

    Example:
        >>> _is_number(" -0.64 "), _is_number("1,5", ","), _is_number("1960"), _is_number("x")
        (True, True, True, False)
    """
    try:
        float(field.strip().replace(decimal, "."))
    except ValueError:
        return False
    return True


def _load(source, sep: str | None, notes: list[str]) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if hasattr(source, "to_pandas") and hasattr(source, "columns"):  # polars, pyarrow
        return source.to_pandas()
    path = Path(os.fspath(source))
    suffix = path.suffix.lower()
    if path.is_dir():  # a folder of Parquet files, read in path order
        files = parquet_files(path)
        try:
            return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        except (ValueError, OSError) as error:
            raise InvalidInputError(
                "data",
                expected="a folder of readable Parquet files",
                received=f"{str(path)!r}, whose files could not be read ({error})",
                fix="Check that every file is complete Parquet with the same columns.",
            ) from None
    if suffix not in TEXT_SUFFIXES + PARQUET_SUFFIXES:
        raise InvalidInputError(
            "data",
            expected=f"a file ending in one of {sorted(TEXT_SUFFIXES + PARQUET_SUFFIXES)}, "
            "or a data frame",
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
        if suffix in PARQUET_SUFFIXES:
            return pd.read_parquet(path)
        return _read_text(path, sep, notes)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InvalidInputError(
            "data",
            expected=f"a readable {path.suffix} file",
            received=f"{str(path)!r}, which could not be read ({error})",
            fix="Check that the file is complete and in the format its name says"
            + (" (--sep names the column separator)." if suffix in TEXT_SUFFIXES else "."),
        ) from None


def check_columns(names: Sequence[str], needed: Sequence[str]) -> None:
    """Raise a clear error naming the columns of ``needed`` missing from ``names``."""
    missing = [column for column in needed if column not in names]
    if missing:
        one = len(names) == 1 and re.search(r"[\s,;|:]", str(names[0])) is not None
        raise InvalidInputError(
            "columns",
            expected=f"columns {list(needed)} in the data",
            received=f"no column(s) {missing}; the data has {_names_words(names)}",
            fix="Check the column names (they are case-sensitive)."
            + (" The file was read as one column: name its separator with --sep." if one else ""),
        )


# column names shown in an error: at most this many, each cut to NAME_CHARACTERS
SHOWN_NAMES, NAME_CHARACTERS = 20, 40


def _names_words(names: Sequence[str]) -> str:
    """Column names as an error shows them: the first ``SHOWN_NAMES``, each cut short.

    Example:
        >>> _names_words(["a", "x" * 50])
        "['a', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...']"
        >>> _names_words([str(i) for i in range(30)]).endswith("'19', ... (30 columns)]")
        True
    """
    shown = [
        repr(
            name if len(str(name)) <= NAME_CHARACTERS else f"{str(name)[: NAME_CHARACTERS - 3]}..."
        )
        for name in list(names)[:SHOWN_NAMES]
    ]
    more = f", ... ({len(names)} columns)" if len(names) > SHOWN_NAMES else ""
    return f"[{', '.join(shown)}{more}]"


# a wide table has a column for each time: at least this many named as years or months
WIDE_COLUMNS = 3
_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_abbr[number], calendar.month_name[number])
}


def _time_named(names: Sequence[object]) -> tuple[str, list[str]] | None:
    """The columns named as years (``1960``) or months (``JAN``, ``February``), and
    which, where there are ``WIDE_COLUMNS`` or more of one kind.

    Example:
        >>> _time_named(["country", "1960", "1961", "1962"])
        ('years', ['1960', '1961', '1962'])
        >>> _time_named(["YEAR", "JAN", "FEB", "MAR"]), _time_named(["load", "2020"])
        (('months', ['JAN', 'FEB', 'MAR']), None)
    """
    texts = [str(name) for name in names]
    years = [text for text in texts if text.isdigit() and 1000 <= int(text) <= 2999]
    months = [text for text in texts if text.strip().lower() in _MONTHS]
    for kind, found in (("years", years), ("months", months)):
        if len(found) >= WIDE_COLUMNS:
            return kind, found
    return None


def check_long(names: Sequence[object], needed: Sequence[str]) -> None:
    """Refuse a wide table (a column for each year or month) where the job names one of
    those columns, or a column it lacks: say how to make it long.

    Example:
        >>> check_long(["YEAR", "JAN", "FEB", "MAR"], ["JAN"])
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `data`: expected a long table: a row for \
each time step (of each series), a column for each variable; received a wide table: its \
columns JAN, FEB, MAR are months (3 columns), the values of one time each. Make it long \
first, e.g. in pandas: long = frame.melt(id_vars=['YEAR'], var_name='month', \
value_name='value'); long['time'] = pd.to_datetime(long['YEAR'].astype(str) + ' ' + \
long['month'], format='%Y %b'); long.sort_values('time').to_csv('long.csv', \
index=False); then --time-column time --target value.
    """
    wide = _time_named(names)
    if wide is None:
        return
    kind, columns = wide
    if not any(column in columns or column not in names for column in needed):
        return
    others = [str(name) for name in names if str(name) not in columns]
    shown = ", ".join(columns[:3]) + (f", ... {columns[-1]}" if len(columns) > 3 else "")
    if kind == "months" and len(others) == 1:  # a row a year: a column a month
        year = others[0]
        recipe = (
            f"long = frame.melt(id_vars=[{year!r}], var_name='month', value_name='value'); "
            f"long['time'] = pd.to_datetime(long[{year!r}].astype(str) + ' ' + "
            "long['month'], format='%Y %b'); long.sort_values('time').to_csv('long.csv', "
            "index=False); then --time-column time --target value"
        )
    else:  # a row a series: a column a time
        ids = others[:1]
        recipe = (
            f"long = frame.melt(id_vars={others!r}, var_name={kind[:-1]!r}, "
            "value_name='value'); long.to_csv('long.csv', index=False); then "
            f"--time-column {kind[:-1]} --target value"
            + (f" --id-column {ids[0]!r}" if ids else "")
        )
    raise InvalidInputError(
        "data",
        expected="a long table: a row for each time step (of each series), a column for "
        "each variable",
        received=f"a wide table: its columns {shown} are {kind} ({len(columns)} columns), "
        "the values of one time each",
        fix=f"Make it long first, e.g. in pandas: {recipe}.",
    )


def check_numeric(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise a clear error for a column of ``columns`` that is not numbers, or has gaps."""
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
                fix="Convert the column to numbers, or leave it out of --covariates (a text "
                "--target is classified).",
            )
        missing = values.isna()
        if missing.any():
            raise InvalidInputError(
                column,
                expected="a value on every row",
                received=f"{int(missing.sum())} missing value(s), the first on row "
                f"{int(np.flatnonzero(missing.to_numpy())[0])}",
                fix="Fill in or drop the rows with missing values first.",
            )


def day_first(texts: pd.Series) -> tuple[bool, str] | None:
    """Whether dates written with numbers only (``03/04/2024``) put the day first, and
    why; ``None`` when the values are not such dates.

    A first number above 12 means day first, a second number above 12 month first.
    When neither says, day first is chosen when it gives a regular, increasing series
    of dates and month first does not.

    Example:
        >>> day_first(pd.Series(["30/01/2024", "31/01/2024", "01/02/2024"]))
        (True, 'day-first dates (30/01/2024 has a day above 12)')
        >>> day_first(pd.Series(["2024-01-30"])) is None
        True
    """
    found = texts.astype(str).str.extract(_NUMERIC_DATE)
    if found[0].isna().any():
        return None
    first, second = found[0].astype(int), found[2].astype(int)
    if (first > 12).any():
        example = texts.iloc[int(np.argmax((first > 12).to_numpy()))]
        return True, f"day-first dates ({example} has a day above 12)"
    if (second > 12).any():
        return False, "month-first dates (a second number above 12)"
    regular = {}
    for dayfirst in (True, False):
        parsed = pd.to_datetime(texts, dayfirst=dayfirst, format="mixed", errors="coerce")
        steps = parsed.diff().iloc[1:]
        regular[dayfirst] = (
            bool(len(steps))
            and (steps > pd.Timedelta(0)).all()
            and (steps.nunique() <= max(2, len(steps) // 10))
        )
    if regular[True] and not regular[False]:
        return True, "day-first dates (read month-first they would not be in order)"
    return False, "month-first dates (the day and month could be either; --date-format to choose)"


def quarter_starts(texts: pd.Series) -> pd.Series | None:
    """Quarters written as R's zoo and tsibble write them (``1970 Q1``; also
    ``1970Q1``, ``1970-Q1``), or the quarter first (``Q1 1970``, ``Q1-1970``), as the
    first day of each quarter; ``None`` when the values are not all such quarters.

    Example:
        >>> quarter_starts(pd.Series(["1970 Q4", "1971 Q1"])).dt.strftime("%Y-%m-%d").tolist()
        ['1970-10-01', '1971-01-01']
        >>> quarter_starts(pd.Series(["Q4 1970", "Q1 1971"])).dt.strftime("%Y-%m").tolist()
        ['1970-10', '1971-01']
        >>> quarter_starts(pd.Series(["1970-01-01"])) is None
        True
    """
    texts = texts.astype(str)
    year, quarter = 0, 1
    found = texts.str.extract(_QUARTER)
    if len(found) and found[0].isna().any():
        year, quarter = 1, 0
        found = texts.str.extract(_QUARTER_FIRST)
    if not len(found) or found[0].isna().any():
        return None
    starts = pd.PeriodIndex.from_fields(
        year=found[year].astype(int).to_numpy(),
        quarter=found[quarter].astype(int).to_numpy(),
        freq="Q",
    ).to_timestamp()
    return pd.Series(starts, index=texts.index, name=texts.name)


def quarter_texts(times, quarter_first: bool = False) -> list[str]:
    """Times written as ``quarter_starts`` reads them back: ``1970 Q1``, or with
    ``quarter_first`` ``Q1 1970``.

    Example:
        >>> quarter_texts([pd.Timestamp("2016-10-01"), pd.Timestamp("2017-01-01")])
        ['2016 Q4', '2017 Q1']
        >>> quarter_texts([pd.Timestamp("2016-10-01")], quarter_first=True)
        ['Q4 2016']
    """
    if quarter_first:
        return [f"Q{time.quarter} {time.year}" for time in times]
    return [f"{time.year} Q{time.quarter}" for time in times]


def compact_dates(values: pd.Series) -> pd.Series | None:
    """Integers that all read as dates written year, month, day (``19580329``, as
    statsmodels' co2 and many exports write them) as those dates; ``None`` when any does
    not (counts, years, Unix times stay numbers).

    Example:
        >>> compact_dates(pd.Series([19580329, 19580405])).dt.strftime("%Y-%m-%d").tolist()
        ['1958-03-29', '1958-04-05']
        >>> compact_dates(pd.Series([20000131, 20000132])) is None
        True
    """
    if not pd.api.types.is_integer_dtype(values) or not len(values):
        return None
    if not values.between(10000101, 29991231).all():
        return None
    dates = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
    return None if dates.isna().any() else dates


def _time_values(
    frame: pd.DataFrame, time_column: str, date_format: str | None, notes: list[str]
) -> tuple[pd.Series, str]:
    """The time column as times, and the form it was written in where it was read as
    dates from another (``SeriesTable.time_form``)."""
    values = frame[time_column]
    if date_format is None and pd.api.types.is_numeric_dtype(values):
        dates = compact_dates(values)
        if dates is None:
            return values, ""
        notes.append(
            f"dates written as numbers (year, month, day: {values.iloc[0]}) in {time_column!r}"
        )
        return dates, "yyyymmdd"
    if date_format is None and pd.api.types.is_datetime64_any_dtype(values):
        return values, ""
    if date_format is not None:
        try:
            return pd.to_datetime(values.astype(str), format=date_format), ""
        except (ValueError, TypeError) as error:
            raise InvalidInputError(
                "--date-format",
                expected=f"dates in the time column {time_column!r} written as {date_format!r}",
                received=f"values such as {values.iloc[0]!r} ({error})",
                fix="Give the format of the dates with strftime codes, e.g. --date-format "
                "'%d/%m/%Y' for 31/01/2024 (date_format= in Python).",
            ) from None
    quarters = quarter_starts(values)
    if quarters is not None:
        notes.append(
            f"quarters written as {values.iloc[0]!r} in {time_column!r}, read as their first day"
        )
        first = _QUARTER_FIRST.match(str(values.iloc[0])) is not None
        return quarters, "quarters first" if first else "quarters"
    order = day_first(values)
    try:
        if order is None:
            return pd.to_datetime(values, format="mixed"), ""
        notes.append(f"{order[1]} in {time_column!r}")
        return pd.to_datetime(values, format="mixed", dayfirst=order[0]), ""
    except (ValueError, TypeError):
        pass
    try:  # times with their UTC offsets, which change with daylight-saving time
        times = pd.to_datetime(values, format="ISO8601", utc=True)
    except (ValueError, TypeError):
        times = None
    if times is not None:
        notes.append(
            f"times with UTC offsets in {time_column!r} (such as {values.iloc[0]!r}), read "
            "in UTC: a clock change repeats or skips no hour there"
        )
        return times.dt.tz_localize(None), "utc"
    raise InvalidTypeError(
        time_column,
        expected="numbers or dates in the time column",
        received=f"values such as {values.iloc[0]!r} that are neither",
        fix="Write times as ISO dates (2024-01-31 12:00) or as numbers, or give their "
        "format: --date-format '%d.%m.%Y %H:%M' (date_format= in Python).",
    )


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
                fix=_duplicate_time_fix(frame, time_column, id_column),
            )
        if (steps < steps * 0).any() if len(steps) else False:
            position = int(np.flatnonzero((steps < steps * 0).to_numpy())[0]) + 1
            raise InvalidInputError(
                time_column,
                expected="rows sorted by time within each series",
                received=f"time going back from {times.iloc[position - 1]} to "
                f"{times.iloc[position]} in series {series_id!r}",
                fix=f"Sort the rows by {time_column!r}"
                + (f" within each {id_column!r}" if id_column else "")
                + ". If the dates are day-first (31/01/2024) or in another order, give "
                "their format: --date-format '%d/%m/%Y' (date_format= in Python).",
            )
        frequency, wide = _gaps(times, steps) if len(steps) else ("", ())
        if len(wide):
            after = times.iloc[wide[0]]
            if isinstance(after, pd.Timestamp) and after == after.normalize():
                after = after.date()  # 1958-05-03, not 1958-05-03 00:00:00
            gaps.append(
                f"series {series_id!r}: {len(wide)} gap(s) in time, the first after "
                f"{after} ({frequency})"
            )
    return gaps


# a column holding the part of a time within the year: "quarter", "qtr", "month", "mon"
_PART_OF_YEAR = re.compile(r"^(quarter|qtr|q|month|mon|m)$", re.IGNORECASE)


def _duplicate_time_fix(frame: pd.DataFrame, time_column: str, id_column: str | None) -> str:
    """What to do about a repeated time: a year column beside its quarter or month
    (statsmodels' macrodata.csv: year, quarter) is one time written in two columns."""
    fix = "keep one row per time step: drop or aggregate the duplicate rows"
    if id_column is None:
        fix += ", or give the column telling series apart: --id-column (id_column=)"
    steps = frame[time_column].diff().dropna()
    if pd.api.types.is_timedelta64_dtype(steps) and (steps < pd.Timedelta(days=1)).mean() > 0.5:
        fix += (
            "; local clock times repeat an hour when daylight-saving time ends: write them "
            "in UTC, or with their UTC offset (2023-10-29T02:00:00+02:00), which is read "
            "in UTC"
        )
    parts = [c for c in frame.columns if c != time_column and _PART_OF_YEAR.match(str(c))]
    years = frame[time_column]
    if parts and pd.api.types.is_integer_dtype(years) and years.between(1000, 2999).all():
        part = parts[0]
        quarterly = str(part).lower().startswith("q")
        example = "1959 Q1" if quarterly else "1959-01"
        fix = (
            f"{time_column!r} holds years and {part!r} the {'quarter' if quarterly else 'month'}: "
            f"write them as one time column, e.g. {example!r} (read as "
            f"{'quarterly' if quarterly else 'monthly'}), and pass that column; else " + fix
        )
    return fix[0].upper() + fix[1:] + "."


def _gaps(times: pd.Series, steps: pd.Series) -> tuple[str, np.ndarray]:
    """The steps a series' times miss: from their calendar (months, business days, ...),
    else (numbers, times with no regular step) every step longer than the most common one."""
    calendar = missing_steps(times)
    if calendar is not None:
        return calendar
    usual = steps.mode().iloc[0]
    return f"step {usual}", np.flatnonzero((steps > usual).to_numpy())


def read_table(
    source,
    *,
    columns: Sequence[str] = (),
    time_column: str | None = None,
    id_column: str | None = None,
    label_columns: Sequence[str] = (),
    sep: str | None = None,
    date_format: str | None = None,
) -> SeriesTable:
    """Read and check a table of one or many series.

    Args:
        source: a CSV or Parquet path, a folder of Parquet files (read in path order),
            a pandas or polars data frame.
        columns: the numeric columns the job needs (checked to exist, to be numeric and
            to have no missing values).
        time_column: the time column; it must be sorted with no duplicates within a
            series. Gaps are reported in ``SeriesTable.gaps``. Without it, row order is
            taken as time.
        id_column: the column telling series apart, for a panel of many series.
        label_columns: further columns the job needs, of any type (e.g. class labels):
            checked to exist only.
        sep: the column separator of a text file (``--sep``); detected when None.
        date_format: the strftime format of text dates in the time column
            (``--date-format``); when None, ISO dates are read, and dates written with
            numbers only are read day-first or month-first as ``day_first`` decides.
    """
    notes: list[str] = []
    frame = _load(source, sep, notes)
    if frame.empty:
        raise InvalidInputError(
            "data",
            expected="a table with at least one row",
            received="an empty table",
            fix="Check the file: it has no data rows.",
        )
    needed = [*columns, *label_columns, *(c for c in (time_column, id_column) if c)]
    check_long(list(frame.columns), needed)
    check_columns(list(frame.columns), needed)
    check_numeric(frame, columns)
    gaps: list[str] = []
    time_form = ""
    if time_column:
        frame[time_column], time_form = _time_values(frame, time_column, date_format, notes)
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
    return SeriesTable(
        frame.reset_index(drop=True), time_column, id_column, tuple(gaps), tuple(notes), time_form
    )
