"""Tables in: CSV, Parquet, pandas and polars; bad files get a clear error each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from seqshape import InvalidInputError, InvalidTypeError
from seqshape.calendar import season_from_times
from seqshape.tables import read_table, series_groups


def _panel() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a"] * 4 + ["b"] * 3,
            "t": [1, 2, 3, 4, 1, 2, 4],
            "x": np.arange(7.0),
        }
    )


def test_reads_csv_parquet_pandas_and_polars_alike(tmp_path):
    frame = _panel()
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet")
    tables = [
        read_table(source, columns=["x"], time_column="t", id_column="id")
        for source in (
            tmp_path / "data.csv",
            tmp_path / "data.parquet",
            frame,
            pl.from_pandas(frame),
        )
    ]
    for table in tables:
        assert table.lengths == {"a": 4, "b": 3}
        np.testing.assert_array_equal(table.arrays(["x"])[1][:, 0], [4.0, 5.0, 6.0])
        assert table.gaps == ("series 'b': 1 gap(s) in time, the first after 2 (step 1.0)",)


def test_gaps_are_steps_missing_from_the_calendar():
    weekdays = pd.DataFrame({"t": pd.bdate_range("2024-01-01", periods=60), "x": np.arange(60.0)})
    assert read_table(weekdays, columns=["x"], time_column="t").gaps == ()  # weekends
    holiday = weekdays.drop([10]).reset_index(drop=True)
    assert read_table(holiday, columns=["x"], time_column="t").gaps == (
        "series 0: 1 gap(s) in time, the first after 2024-01-12 (on business days)",
    )
    months = pd.DataFrame({"t": pd.date_range("2000-01-01", periods=40, freq="MS")})
    months["x"] = np.arange(40.0)
    assert read_table(months, columns=["x"], time_column="t").gaps == ()  # 28 to 31 days
    assert read_table(months.drop([5]), columns=["x"], time_column="t").gaps == (
        "series 0: 1 gap(s) in time, the first after 2000-05-01 (monthly)",
    )


def test_the_users_frame_is_not_modified():
    frame = _panel().sample(frac=1.0, random_state=0).sort_values(["id", "t"])
    before = frame.copy()
    read_table(frame, columns=["x"], time_column="t", id_column="id")
    pd.testing.assert_frame_equal(frame, before)


def test_dates_as_text_are_parsed():
    frame = pd.DataFrame({"ts": ["2024-01-01 00:00", "2024-01-01 00:30"], "x": [1.0, 2.0]})
    table = read_table(frame, columns=["x"], time_column="ts")
    assert pd.api.types.is_datetime64_any_dtype(table.frame["ts"])


@pytest.mark.parametrize(
    ("frame", "arguments", "error", "pattern"),
    [
        (_panel(), {"columns": ["y"]}, InvalidInputError, r"no column\(s\) \['y'\]"),
        (_panel(), {"columns": ["id"]}, InvalidTypeError, "numeric column"),
        (
            _panel().assign(x=[1.0, None, 3, 4, 5, 6, 7]),
            {"columns": ["x"]},
            InvalidInputError,
            "missing value",
        ),
        (
            _panel().assign(t=[1, 3, 2, 4, 1, 2, 3]),
            {"columns": ["x"], "time_column": "t", "id_column": "id"},
            InvalidInputError,
            "sorted by time",
        ),
        (
            _panel().assign(t=[1, 2, 2, 4, 1, 2, 3]),
            {"columns": ["x"], "time_column": "t", "id_column": "id"},
            InvalidInputError,
            "duplicate time",
        ),
        (
            pd.DataFrame({"t": ["soon", "later"], "x": [1.0, 2.0]}),
            {"columns": ["x"], "time_column": "t"},
            InvalidTypeError,
            "numbers or dates",
        ),
        (pd.DataFrame({"x": []}), {"columns": ["x"]}, InvalidInputError, "empty"),
    ],
    ids=[
        "missing_column",
        "text_target",
        "missing_values",
        "unsorted",
        "duplicates",
        "bad_times",
        "empty",
    ],
)
def test_bad_tables(frame, arguments, error, pattern):
    with pytest.raises(error, match=pattern):
        read_table(frame, **arguments)


def test_bad_files(tmp_path):
    with pytest.raises(InvalidInputError, match="existing file"):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInputError, match="empty"):
        read_table(tmp_path / "empty.csv")
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(InvalidInputError, match="CSV or Parquet"):
        read_table(tmp_path / "data.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InvalidInputError, match="could not be read"):
        read_table(tmp_path / "broken.parquet")


def test_series_are_grouped_in_one_place_in_order_of_first_appearance():
    frame = pd.DataFrame({"id": ["b", "a", "b", "a"], "x": [1.0, 2.0, 3.0, 4.0]})
    groups = series_groups(frame, "id")
    assert [(series_id, rows["x"].tolist()) for series_id, rows in groups] == [
        ("b", [1.0, 3.0]),
        ("a", [2.0, 4.0]),
    ]
    assert [series_id for series_id, _ in series_groups(frame, None)] == [0]
    table = read_table(frame, columns=["x"], id_column="id")
    assert table.ids == ["b", "a"] and table.lengths == {"b": 2, "a": 2}
    assert [rows["x"].tolist() for _, rows in table.series] == [[1.0, 3.0], [2.0, 4.0]]


def test_label_columns_may_hold_text_and_are_read_with_the_features():
    frame = _panel().assign(label=["up"] * 4 + ["down"] * 3)
    table = read_table(frame, columns=["x"], id_column="id", label_columns=["label"])
    assert table.column_per_series("label").tolist() == ["up", "down"]
    with pytest.raises(InvalidInputError, match=r"no column\(s\) \['kind'\]"):
        read_table(frame, columns=["x"], id_column="id", label_columns=["kind"])
    mixed = frame.assign(label=["up", "down", "up", "up", "down", "down", "down"])
    table = read_table(mixed, columns=["x"], id_column="id", label_columns=["label"])
    with pytest.raises(InvalidInputError, match="one label per series"):
        table.column_per_series("label")


def test_numbers_grouped_by_thousands_are_numbers(tmp_path):
    """A spreadsheet's number format writes "1,200" (quoted in a CSV): read as text,
    the target was taken for class labels and classified."""
    us = tmp_path / "us.csv"
    us.write_text(
        'time,sales,price\n2024-01-01,"1,200",3.5\n2024-01-02,"1,350.5",4\n2024-01-03,980,4.5\n'
    )
    table = read_table(us, columns=["sales", "price"], time_column="time")
    assert table.frame["sales"].tolist() == [1200.0, 1350.5, 980.0]
    assert table.frame["price"].tolist() == [3.5, 4.0, 4.5]
    assert "thousands grouped by ','" in table.notes[0]
    eu = tmp_path / "eu.csv"
    eu.write_text("time;sales\n2024-01-01;1.200,5\n2024-01-02;1.350,25\n2024-01-03;980\n")
    table = read_table(eu, columns=["sales"], time_column="time")
    assert table.frame["sales"].tolist() == [1200.5, 1350.25, 980.0]
    assert any("decimal commas" in note for note in table.notes)
    assert any("thousands grouped by '.'" in note for note in table.notes)
    plain = tmp_path / "plain.csv"  # no grouping: nothing said, nothing changed
    plain.write_text("time,sales\n2024-01-01,1200.5\n2024-01-02,1.5\n")
    assert read_table(plain, columns=["sales"]).notes == ()


def test_a_semicolon_file_with_decimal_commas_is_read_right(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("date;load;sky\n30/01/2024;1,5;rain\n31/01/2024;2,5;sun\n01/02/2024;3;rain\n")
    table = read_table(path, columns=["load"], time_column="date", label_columns=["sky"])
    assert table.frame["load"].tolist() == [1.5, 2.5, 3.0]
    assert table.frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-30",
        "2024-01-31",
        "2024-02-01",
    ]
    assert any("separated by ';'" in note for note in table.notes)
    assert any("day-first" in note for note in table.notes)
    tabs = tmp_path / "tabs.tsv"
    tabs.write_text("t\tx\n1\t2.0\n2\t3.0\n")
    assert read_table(tabs, columns=["x"]).frame["x"].tolist() == [2.0, 3.0]
    wrong = read_table(path, columns=[], sep=",", label_columns=["date;load;sky"])
    assert wrong.frame.columns[0] == "date;load;sky"  # --sep wins over the guess


def test_ambiguous_day_first_dates_are_read_by_their_order():
    days = pd.date_range("2024-01-01", periods=12, freq="D")  # every day and month <= 12
    frame = pd.DataFrame({"d": days.strftime("%d/%m/%Y"), "x": np.arange(12.0)})
    table = read_table(frame, columns=["x"], time_column="d")
    assert (table.frame["d"] == days).all()
    assert "day-first" in table.notes[0]
    month_first = pd.DataFrame({"d": days.strftime("%m/%d/%Y"), "x": np.arange(12.0)})
    assert (read_table(month_first, columns=["x"], time_column="d").frame["d"] == days).all()


def test_quarters_as_r_writes_them_are_quarterly_times():
    """fpp's and aeon's Uschange.csv write its time column '1970 Q1', which pandas
    cannot parse: it was refused as neither numbers nor dates."""
    quarters = [f"{year} Q{quarter}" for year in (1970, 1971, 1972) for quarter in (1, 2, 3, 4)]
    frame = pd.DataFrame({"Quarter": quarters, "x": np.arange(12.0)})
    table = read_table(frame, columns=["x"], time_column="Quarter")
    assert table.frame["Quarter"].iloc[[0, 1, -1]].dt.strftime("%Y-%m-%d").tolist() == [
        "1970-01-01",
        "1970-04-01",
        "1972-10-01",
    ]
    assert "quarters written as '1970 Q1'" in table.notes[0]
    assert season_from_times(table.frame["Quarter"])[0] == 4
    assert frame["Quarter"].iloc[0] == "1970 Q1"  # the user's frame is left alone
    # the quarter first, as pmdarima's quarterly series write them: read, written back so
    first = frame.assign(Quarter=[f"Q{q[-1]} {q[:4]}" for q in quarters])
    table = read_table(first, columns=["x"], time_column="Quarter")
    assert table.frame["Quarter"].iloc[-1] == pd.Timestamp("1972-10-01")
    assert table.written_times([pd.Timestamp("1973-01-01")]) == ["Q1 1973"]


def test_a_year_column_beside_its_quarter_is_told_to_become_one_time_column():
    """statsmodels' macrodata.csv writes the time in two columns, year and quarter;
    passing the year alone gave "drop or aggregate the duplicate rows"."""
    frame = pd.DataFrame(
        {"year": np.repeat([1959, 1960], 4), "quarter": np.tile([1, 2, 3, 4], 2), "x": 0.0}
    )
    with pytest.raises(InvalidInputError) as raised:
        read_table(frame, columns=["x"], time_column="year")
    assert "'year' holds years and 'quarter' the quarter" in raised.value.fix
    assert "'1959 Q1'" in raised.value.fix and "--id-column" in raised.value.fix
    frame["time"] = frame["year"].astype(str) + " Q" + frame["quarter"].astype(str)
    table = read_table(frame, columns=["x"], time_column="time")  # as the fix says
    assert season_from_times(table.frame["time"])[0] == 4
    with pytest.raises(InvalidInputError) as raised:  # no such column: the usual fix
        read_table(frame.drop(columns="quarter"), columns=["x"], time_column="year")
    assert raised.value.fix.startswith("Keep one row per time step")


def test_dates_written_as_numbers_are_dates_and_other_numbers_stay_numbers():
    """statsmodels' co2.csv writes its dates 19580329: read as numbers they made every
    month's end a gap and the season came from autocorrelation (47, not 52)."""
    weeks = pd.date_range("1958-03-29", periods=60, freq="7D")
    frame = pd.DataFrame({"date": weeks.strftime("%Y%m%d").astype(int), "co2": np.arange(60.0)})
    table = read_table(frame, columns=["co2"], time_column="date")
    assert (table.frame["date"] == weeks).all()
    assert table.notes == ("dates written as numbers (year, month, day: 19580329) in 'date'",)
    assert table.gaps == ()
    assert season_from_times(table.frame["date"])[0] == 52
    assert frame["date"].iloc[0] == 19580329  # the user's frame is left alone
    for numbers in ([1, 2, 3], [20000130, 20000131, 20000132], [1.9e7, 1.9e7 + 1, 1.9e7 + 2]):
        kept = read_table(pd.DataFrame({"t": numbers, "x": 0.0}), columns=["x"], time_column="t")
        assert kept.frame["t"].tolist() == numbers and kept.notes == ()


def test_a_date_format_is_used_and_a_wrong_one_names_the_flag():
    frame = pd.DataFrame({"d": ["01.02.2024", "02.02.2024"], "x": [1.0, 2.0]})
    table = read_table(frame, columns=["x"], time_column="d", date_format="%d.%m.%Y")
    assert table.frame["d"].dt.month.tolist() == [2, 2]
    with pytest.raises(InvalidInputError, match="--date-format"):
        read_table(frame, columns=["x"], time_column="d", date_format="%Y-%m-%d")


def test_unsorted_times_suggest_the_date_format_not_python():
    frame = pd.DataFrame({"t": [3, 2, 1], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidInputError) as raised:
        read_table(frame, columns=["x"], time_column="t")
    assert "--date-format" in str(raised.value) and "frame." not in str(raised.value)


def test_a_wide_table_is_told_how_to_become_long(tmp_path):
    # a row a year, a column a month (as statsmodels' elnino): the recipe given runs
    rng = np.random.default_rng(0)
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    frame = pd.DataFrame(rng.normal(20, 1, (6, 12)), columns=months)
    frame.insert(0, "YEAR", range(1950, 1956))
    with pytest.raises(InvalidInputError, match="a wide table: its columns JAN") as caught:
        read_table(frame, columns=["JAN"], time_column="YEAR")
    recipe = caught.value.fix.split("in pandas: ")[1].split("; then")[0]
    namespace = {"frame": frame, "pd": pd}
    exec(recipe.replace("; ", "\n").replace(".to_csv('long.csv', index=False)", ""), namespace)
    long = namespace["long"].sort_values("time")
    table = read_table(long, columns=["value"], time_column="time")
    assert table.lengths == {0: 72} and not table.gaps
    assert long["value"].iloc[13] == frame.loc[1, "FEB"]  # February 1951
    # a row a series, a column a year (as statsmodels' fertility); a target it lacks
    years = pd.DataFrame(rng.normal(3, 1, (2, 5)), columns=[str(y) for y in range(2000, 2005)])
    years.insert(0, "country", ["A", "B"])
    with pytest.raises(InvalidInputError, match="--id-column 'country'"):
        read_table(years, columns=["value"])
    # a table with a few year-named columns beside its own is read as it is
    read_table(years.assign(value=1.0), columns=["value"])


def test_times_with_utc_offsets_across_a_clock_change_are_read_in_utc():
    local = pd.date_range("2023-10-28", periods=72, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame({"time": local.astype(str), "load": np.arange(72.0)})
    assert frame["time"].iloc[0].endswith("+02:00") and frame["time"].iloc[-1].endswith("+01:00")
    table = read_table(frame, columns=["load"], time_column="time")
    assert not table.gaps and table.lengths == {0: 72}  # hourly in UTC, nothing repeated
    assert any("read in UTC" in note for note in table.notes)
    assert table.frame["time"].iloc[0] == pd.Timestamp("2023-10-27 22:00")
    assert table.written_times([pd.Timestamp("2023-10-31 00:00")]) == ["2023-10-31 00:00:00+00:00"]
    # the same local clock times without their offsets repeat 02:00 on 2023-10-29
    frame["time"] = local.tz_localize(None).astype(str)
    with pytest.raises(InvalidInputError, match="daylight-saving time ends: write them in UTC"):
        read_table(frame, columns=["load"], time_column="time")


def test_columns_separated_by_spaces_are_read_as_numpy_and_the_ucr_archive_write_them(tmp_path):
    values = np.asarray([[1.0, -0.5, 0.25], [2.0, 0.5, -1.0]])
    path = tmp_path / "Coffee_TRAIN.txt"
    np.savetxt(path, values, fmt="%15.7e")  # leading spaces, runs of spaces between
    table = read_table(path, columns=["1", "2"], label_columns=["0"])
    np.testing.assert_array_equal(table.frame[["0", "1", "2"]].to_numpy(), values)
    assert any("separated by spaces" in note for note in table.notes)
    # a header of names separated by spaces too
    named = tmp_path / "named.txt"
    named.write_text("t x\n1 2.5\n2 3.5\n")
    assert read_table(named, columns=["x"]).frame["x"].tolist() == [2.5, 3.5]
    # a one-column file whose name holds a space stays one column
    single = tmp_path / "single.csv"
    single.write_text("monthly sales\n1\n2\n")
    assert read_table(single, columns=["monthly sales"]).frame.shape == (2, 1)


def test_a_file_read_as_one_column_is_told_to_name_its_separator(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("a:" + ":".join(f"column{i}" * 8 for i in range(30)) + "\n1:2\n")
    with pytest.raises(InvalidInputError, match="name its separator with --sep") as raised:
        read_table(path, columns=["a"])
    assert len(str(raised.value)) < 500  # the long name is cut short
