"""The ``seqshape`` command line.

Examples:
    seqshape explain --x-shape 1200,40,2 --y-shape 1200,10,2
    seqshape explain --x-shape 1200,40,1 --y-shape 1200,10 --units 12,12,6
    seqshape code --x-shape 1200,40,2 --y-shape 1200,10,2 > model.py
    seqshape doctor my_model.py --x-shape 1200,40,2 --y-shape 1200,10,2
    seqshape demo
    seqshape fit demand.csv --target demand,temperature --input-steps 40 --output-steps 10 \
        --time-column ts --out runs/demand
    seqshape predict runs/demand demand.csv --out forecasts.csv
    seqshape evaluate runs/demand demand.csv
    seqshape export runs/demand --format onnx --out demand.onnx
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqshape.errors import InvalidInputError, SeqShapeError
from seqshape.params import BY_NAME, PARAMS, Param, params_of
from seqshape.stops import clear_stops, is_requested, request_stop

if TYPE_CHECKING:
    from seqshape.builders import ArchitectureOptions

# the jobs' defaults (seqshape.runs.jobs), written here to keep --help free of Keras
FORECAST_TEST_FRACTION = 0.15
CLASSIFICATION_TEST_FRACTION = 0.25
VALIDATION_FRACTION = 0.15


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        shape = ()
    if not shape or any(size < 1 for size in shape):
        raise argparse.ArgumentTypeError(
            f"expected positive sizes separated by commas, such as 1200,40,2; got {text!r}"
        )
    return shape


def _dest(param: Param) -> str:
    """The ``args`` attribute of a parameter's flag (``--seed`` -> ``seed``)."""
    return param.flag_name.lstrip("-").replace("-", "_")


def _shown(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _add_params(
    parser: argparse.ArgumentParser, params: Iterable[Param], defaults: dict | None = None
) -> None:
    """One option per parameter with a flag, from the parameter table (seqshape.params)."""
    for param in params:
        if param.flag is None:
            continue
        text = (param.flag.help or param.help).replace("``", "").rstrip(".")
        if param.flag.parse is None:
            parser.add_argument(
                param.flag_name, action="store_true", help=f"{text} (default: off)"
            )
            continue
        default = (defaults or {}).get(param.name, param.default)
        parser.add_argument(
            param.flag_name,
            type=param.flag.parse,
            default=default,
            help=f"{text} (default: {_shown(default)})",
        )


def _add_architecture(parser: argparse.ArgumentParser) -> None:
    """The options that shape the model: topology, strategy and the architecture."""
    _add_params(parser, (*params_of("spec"), *params_of("architecture")))


def _architecture(args: argparse.Namespace) -> ArchitectureOptions:
    from seqshape.builders import ArchitectureOptions

    values = _model_params(args)
    return ArchitectureOptions(**{p.name: values[p.name] for p in params_of("architecture")})


def _explain(args: argparse.Namespace) -> int:
    from seqshape.builders import build_model, spec_from_shapes
    from seqshape.explain import explain_model

    if args.x_shape[0] != args.y_shape[0]:
        raise InvalidInputError(
            "--y-shape",
            expected=f"the same number of samples as --x-shape ({args.x_shape[0]})",
            received=str(args.y_shape[0]),
            fix="The first size of both shapes is the number of samples.",
        )
    spec = spec_from_shapes(
        args.x_shape[1:],
        args.y_shape[1:],
        topology=args.topology,
        strategy=args.strategy,
        task=args.task,
        n_classes=args.classes,
        vocabulary_size=args.vocabulary_size,
    )
    print(explain_model(spec, build_model(spec, _architecture(args))))
    return 0


def _code(args: argparse.Namespace) -> int:
    from seqshape.code import keras_code

    params = {**_model_params(args), "task": args.task, "vocabulary_size": args.vocabulary_size}
    print(keras_code(args.x_shape, args.y_shape, n_classes=args.classes, **params), end="")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seqshape.doctor import diagnose

    try:
        source = Path(args.snippet).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            "snippet",
            expected="a readable Python file holding the model",
            received=f"{args.snippet!r} ({error.__class__.__name__})",
            fix="Pass the path of the .py file that builds your model.",
        ) from None
    X = y = None
    if args.data:
        try:
            with np.load(args.data, allow_pickle=False) as arrays:
                X, y = arrays["X"], arrays["y"]
        except (OSError, KeyError, ValueError) as error:
            raise InvalidInputError(
                "--data",
                expected="an .npz file with arrays named X and y (np.savez(path, X=X, y=y))",
                received=f"{args.data!r} ({error})",
                fix="Save the arrays with np.savez('xy.npz', X=X, y=y).",
            ) from None
    elif args.x_shape is None or args.y_shape is None:
        raise InvalidInputError(
            "--x-shape",
            expected="--x-shape and --y-shape, or --data",
            received="neither",
            fix="e.g. seqshape doctor my_model.py --x-shape 1200,40,2 --y-shape 1200,10,2",
        )
    diagnosis = diagnose(
        source,
        X,
        y,
        x_shape=args.x_shape,
        y_shape=args.y_shape,
        task=args.task,
        x_dtype=args.x_dtype,
    )
    print(diagnosis)
    if diagnosis.fixed_source is not None and diagnosis.fixed_source != source:
        print("\nThe snippet with every fix applied:\n")
        print(diagnosis.fixed_source.rstrip())
    return 0 if diagnosis.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from seqshape.baselines import LastValueBaseline, MeanBaseline
    from seqshape.datasets import coupled_series
    from seqshape.estimator import SequenceModel
    from seqshape.metrics import regression_scores

    X, y = coupled_series(n_samples=1200, seed=args.seed)
    test = len(X) // 5
    X_train, y_train, X_test, y_test = X[:-test], y[:-test], X[-test:], y[-test:]
    print("The seed question: X of shape (1200, 40, 2) -> y of shape (1200, 10, 2),")
    print("two coupled series, 40 steps in, 10 steps out for both.")
    print(f"Training on the first {len(X_train)} samples, testing on the last {test}.\n")
    model = SequenceModel(**_model_params(args))
    started = time.perf_counter()
    model.fit(X_train, y_train)
    elapsed = time.perf_counter() - started
    print(model.explain())
    epoch_seconds = model.history_["epoch_seconds"]
    print(
        f"\nTrained {model.n_epochs_} epochs in {elapsed:.1f} s (best epoch {model.best_epoch_}, "
        f"median epoch {np.median(epoch_seconds[1:] or epoch_seconds):.3f} s, first epoch "
        f"with compilation {epoch_seconds[0]:.2f} s).\n"
    )
    rows = {"seqshape": regression_scores(y_test, model.predict(X_test))}
    for name, baseline in (
        ("last value (baseline)", LastValueBaseline()),
        ("mean (baseline)", MeanBaseline()),
    ):
        rows[name] = regression_scores(y_test, baseline.fit(X_train, y_train).predict(X_test))
    from seqshape.report import text_table

    print("Test error (original units):")
    print(text_table(rows))
    return 0


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _model_params(args: argparse.Namespace) -> dict:
    """The model parameters given on the command line (every flag of the table the
    command has), and the checkpoint folder beside ``--out`` unless ``--no-checkpoint``."""
    params = {
        param.name: getattr(args, _dest(param))
        for param in PARAMS
        if param.flag and hasattr(args, _dest(param))
    }
    if getattr(args, "mask_value", None) is not None and "mask_value" not in params:
        params["mask_value"] = args.mask_value
    if hasattr(args, "no_checkpoint"):
        out = args.out.rstrip("/")
        params["checkpoint_dir"] = None if args.no_checkpoint else f"{out}.checkpoint"
    return params


def _test_fraction(args: argparse.Namespace, default: float) -> float:
    return default if args.test_fraction is None else args.test_fraction


def _say(text: str) -> None:
    print(text, flush=True)


def _fit_run(args: argparse.Namespace) -> tuple[dict, str]:
    """Fit the job the arguments describe; (metrics, headline metric)."""
    from seqshape.estimator import SequenceModel
    from seqshape.runs import ClassificationJob, ForecastJob, fit_classification, fit_forecast

    estimator = SequenceModel(**_model_params(args))
    if args.label_column and args.stream == "on":
        raise InvalidInputError(
            "--stream",
            expected="a forecast (streamed fits forecast numeric targets)",
            received="--label-column, a classification of whole series",
            fix="Leave out --stream to classify series read whole.",
        )
    if args.label_column:
        if args.target and not args.id_column:
            raise InvalidInputError(
                "--id-column",
                expected="the column telling series apart, for classification of the "
                "--target columns",
                received="nothing",
                fix="Pass --id-column with --label-column; or, for a series on each row, "
                "leave out --target; or, to label every row, --target LABEL --covariates "
                "COLUMNS --per-step.",
            )
        job = ClassificationJob(
            features=args.target or (),
            label_column=args.label_column,
            id_column=args.id_column,
            time_column=args.time_column,
            max_steps=args.input_steps,
            test_fraction=_test_fraction(args, CLASSIFICATION_TEST_FRACTION),
            validation_fraction=args.validation_fraction,
            seed=args.seed,
            date_format=args.date_format,
        )
        metrics = fit_classification(
            args.data,
            job,
            estimator,
            args.out,
            overwrite=args.overwrite,
            say=_say,
            sep=args.sep,
            test_data=args.test_data,
        )
        return metrics, "accuracy"
    time_column = args.time_column
    if time_column is None:  # a column of dates is the time; its calendar gives the season
        from seqshape.tables import dates_column

        named = (*args.target, *args.covariates, args.id_column or "")
        time_column = dates_column(args.data, sep=args.sep, exclude=named)
        if time_column is not None:
            _say(
                f"Time: column {time_column!r} holds dates, so it is taken as the time column "
                "(--time-column names another)."
            )
    job = ForecastJob(
        targets=args.target,
        covariates=args.covariates,
        input_steps=40 if args.input_steps is None else args.input_steps,
        output_steps=args.output_steps,
        stride=args.stride,
        gap=args.gap,
        time_column=time_column,
        id_column=args.id_column,
        validation_fraction=args.validation_fraction,
        test_fraction=_test_fraction(args, FORECAST_TEST_FRACTION),
        holdout_steps=args.holdout_steps,
        season=args.season,
        backtest_folds=args.backtest_folds,
        refit=args.refit,
        task=args.task,
        per_step=args.per_step,
        date_format=args.date_format,
    )
    streamed = _streamed(args, job)
    if streamed is not None:
        from seqshape.runs.streamed import fit_forecast_streamed

        metrics = fit_forecast_streamed(
            args.data,
            job,
            estimator,
            args.out,
            overwrite=args.overwrite,
            say=_say,
            reason=streamed,
        )
        return metrics, metrics["guard"]["metric"]
    metrics = fit_forecast(
        args.data, job, estimator, args.out, overwrite=args.overwrite, say=_say, sep=args.sep
    )
    return metrics, metrics["guard"]["metric"]


def _streamed(args: argparse.Namespace, job) -> str | None:
    """Why ``fit`` streams DATA, or None when it reads it whole (``--stream``; see
    ``seqshape.streaming.stream_decision``)."""
    from seqshape.streaming import is_parquet_source, stream_decision

    if not is_parquet_source(args.data):
        if args.stream == "on":
            raise InvalidInputError(
                "--stream",
                expected="a Parquet file or a folder of Parquet files to stream",
                received=repr(args.data),
                fix="Convert the data to Parquet (pandas: frame.to_parquet(path)), or "
                "leave out --stream.",
            )
        return None
    streams, reason = stream_decision(args.data, job, args.stream)
    return reason if streams else None


def _ranked(scores: dict, headline: str) -> dict:
    """The model first, then the baselines from best to worst on ``headline``."""
    sign = -1 if headline == "accuracy" else 1
    model, *baselines = scores
    ordered = sorted(baselines, key=lambda name: sign * scores[name][headline])
    return {name: scores[name] for name in (model, *ordered)}


def _fit(args: argparse.Namespace) -> int:
    from seqshape.distribution import is_writer
    from seqshape.errors import BaselineWinsWarning
    from seqshape.fileio import exclusive
    from seqshape.report import text_table
    from seqshape.runs.guard import guard_line

    # the run's own verdict on its test part is printed below, as one line
    out = Path(args.out.rstrip("/"))
    # several processes: process 0 alone writes the run folder (seqshape.distribution)
    lock = out.parent / f".{out.name}.lock"
    with (
        exclusive(lock, "--out", out) if is_writer() else nullcontext(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", BaselineWinsWarning)
        metrics, headline = _fit_run(args)
    part = "test series" if "series" in metrics else "test windows"
    count = (metrics.get("series") or metrics["windows"])["test"]
    print(f"\nScores on the {count} {part}, the model beside the baselines:")
    print(text_table(_ranked(metrics["test"], headline)))
    for fold_line in _backtest_lines(metrics.get("backtest"), headline):
        print(fold_line)
    if "refit" in metrics:
        refit = metrics["refit"]
        print(
            f"The model saved was refitted on all {refit['windows']} windows for "
            f"{refit['epochs']} epochs (the best epoch of the evaluated fit)."
        )
    line = guard_line(metrics["guard"], part)
    if metrics["guard"]["baseline_wins"]:
        print(f"seqshape: {line[0].lower()}{line[1:]}", file=sys.stderr)
    else:
        print(f"\n{line}")
    if not is_writer():
        print(f"\nRun written by process 0 to {args.out}")
        return 0
    print(f"\nRun written to {args.out}: model.seqshape, metrics.json, report.md, report.html")
    return 0


def _backtest_lines(folds: list | None, headline: str) -> list[str]:
    if not folds:
        return []
    names = [key for key in folds[0] if isinstance(folds[0][key], dict)]
    if headline not in folds[0][names[0]]:  # MASE: the folds are scored without a scale
        headline = "MAE"
    means = ", ".join(
        f"{name} {np.mean([fold[name][headline] for fold in folds]):.4f}" for name in names
    )
    return [f"Backtest, {headline} averaged over {len(folds)} folds: {means}."]


def _predict(args: argparse.Namespace) -> int:
    from seqshape.runs import predict_run

    frame = predict_run(args.run_dir, args.data, args.out, sep=args.sep)
    if args.out:
        print(f"{len(frame)} rows written to {args.out}")
    else:
        print(frame.to_csv(index=False), end="")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from seqshape.fileio import to_json
    from seqshape.report import text_table
    from seqshape.runs import evaluate_run

    result = evaluate_run(args.run_dir, args.data, include_seen=args.include_seen, sep=args.sep)
    print(f"Scored {result['scored']}.")
    headline = "accuracy" if "accuracy" in result["scores"]["seqshape"] else "MAE"
    print(text_table(_ranked(result["scores"], headline)))
    if args.json:
        print(to_json(result))
    return 0


def _export(args: argparse.Namespace) -> int:
    from seqshape.runs import open_run

    open_run(args.run_dir).model.export(args.out, format=args.format)
    print(f"{args.format.upper()} file written to {args.out}")
    return 0


DATA_HELP = "a .csv (any separator), .tsv or .parquet file"
RUN_HELP = "a run folder written by `seqshape fit --out`"


def _add_reading(parser: argparse.ArgumentParser, *, dates: bool = False) -> None:
    """How to read DATA: the separator, and for ``fit`` the dates' format."""
    parser.add_argument(
        "--sep",
        default=None,
        help="column separator of a text file, e.g. ';' (default: detected from the first lines)",
    )
    if dates:
        parser.add_argument(
            "--date-format",
            default=None,
            help="format of the dates in --time-column, e.g. '%%d/%%m/%%Y' for 31/01/2024 "
            "(default: ISO dates; dd/mm/yyyy and mm/dd/yyyy told apart from the data); "
            "kept for predict and evaluate",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqshape",
        description="From the shapes of X and y to the right recurrent sequence model.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    explain = commands.add_parser(
        "explain",
        help="say which topology fits two shapes, why, and the model it builds",
        description="Print the topology, the reasons, a diagram and the layer trace for "
        "X and y of the given shapes, without training.",
        epilog="example: seqshape explain --x-shape 1200,40,2 --y-shape 1200,10,2",
    )
    explain.add_argument("--x-shape", type=_shape, required=True, help="e.g. 1200,40,2")
    explain.add_argument("--y-shape", type=_shape, required=True, help="e.g. 1200,10,2")
    explain.add_argument(
        "--task",
        default="regression",
        choices=("regression", "binary", "multiclass"),
        help="what y holds (default: regression)",
    )
    explain.add_argument(
        "--classes",
        type=int,
        default=None,
        help="number of classes (default: 2 for binary; needed for multiclass)",
    )
    explain.add_argument(
        "--vocabulary-size",
        type=int,
        default=None,
        help="X holds token ids from a vocabulary of this size (default: X holds numbers)",
    )
    _add_architecture(explain)
    explain.set_defaults(run=_explain)

    code = commands.add_parser(
        "code",
        help="print the model for two shapes as a standalone Keras script",
        description="Print a script that imports only keras and numpy and builds, compiles "
        "and fits the model seqshape builds for X and y of the given shapes (placeholder "
        "data marked), with each layer's output shape.",
        epilog="example: seqshape code --x-shape 1200,40,2 --y-shape 1200,10,2 > model.py",
    )
    code.add_argument("--x-shape", type=_shape, required=True, help="e.g. 1200,40,2")
    code.add_argument("--y-shape", type=_shape, required=True, help="e.g. 1200,10,2")
    code.add_argument(
        "--task", default="auto", help="regression, binary, multiclass (default: auto)"
    )
    code.add_argument(
        "--classes",
        type=int,
        default=None,
        help="number of classes (default: from --y-shape and --task)",
    )
    code.add_argument(
        "--vocabulary-size",
        type=int,
        default=None,
        help="X holds token ids from a vocabulary of this size (default: none, X is numbers)",
    )
    if BY_NAME["mask_value"].flag is None:  # unless the parameter table gives it a flag
        code.add_argument(
            "--mask-value",
            type=float,
            default=None,
            help="the value of padded steps (default: none)",
        )
    _add_architecture(code)
    _add_params(code, params_of("training"))
    code.set_defaults(run=_code)

    doctor = commands.add_parser(
        "doctor",
        help="say why a Keras model does not fit data of given shapes, and the fix",
        description="Run the model snippet in SNIPPET (in a subprocess, with a time limit) "
        "and check it against X and y: each problem with its evidence, why, and the fix as "
        "a code change, then the snippet with every fix. Exit 0 when the model fits, 1 "
        "when problems were found, 2 on bad usage.",
        epilog="example: seqshape doctor my_model.py --x-shape 1200,40,2 --y-shape 1200,10,2",
    )
    doctor.add_argument("snippet", help="a .py file that builds the model")
    doctor.add_argument(
        "--x-shape", type=_shape, default=None, help="e.g. 1200,40,2 (default: from --data)"
    )
    doctor.add_argument(
        "--y-shape", type=_shape, default=None, help="e.g. 1200,10,2 (default: from --data)"
    )
    doctor.add_argument(
        "--task",
        choices=("regression", "binary", "multiclass"),
        default=None,
        help="regression, binary or multiclass (default: read from the data or the loss)",
    )
    doctor.add_argument(
        "--x-dtype",
        choices=("float", "int"),
        default="float",
        help="int for token ids (default: float)",
    )
    doctor.add_argument(
        "--data", default=None, help="an .npz file with arrays X and y (default: none)"
    )
    doctor.set_defaults(run=_doctor)

    demo = commands.add_parser(
        "demo",
        help="solve the seed question end to end on generated data",
        description="Train on X (1200, 40, 2) -> y (1200, 10, 2) and compare with baselines.",
        epilog="example: seqshape demo --epochs 50",
    )
    demo_params = [BY_NAME[name] for name in ("epochs", "random_state", "verbose")]
    _add_params(demo, demo_params, defaults={"verbose": 1})
    demo.set_defaults(run=_demo)

    fit = commands.add_parser(
        "fit",
        help="train on a CSV or Parquet file and write a run folder with a report",
        description="Window the series in DATA, split them by time, train, compare with "
        "baselines, and write model.seqshape, metrics.json, report.md and report.html "
        "to --out. With --label-column, classify whole series instead (one label per "
        "series, rows grouped by --id-column).",
        epilog="examples:\n  seqshape fit demand.csv --target demand,temperature "
        "--covariates workday --input-steps 40 --output-steps 10 --out runs/demand\n"
        "  seqshape fit motions.csv --target x,y,z --id-column case --label-column activity "
        "--out runs/motions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("data", help=DATA_HELP)
    fit.add_argument(
        "--target",
        type=_names,
        default=(),
        help="columns to forecast; a text column is classified (or, with "
        "--label-column, the input columns) (default: none, needed but with "
        "--label-column alone: a series on each row)",
    )
    fit.add_argument(
        "--task",
        choices=("auto", "regression", "classification"),
        default="auto",
        help="auto: classify a text, boolean or categorical target, regress numbers; "
        "classification: integer codes are classes (default: auto)",
    )
    fit.add_argument(
        "--per-step",
        action="store_true",
        help="predict the target at each step of the input window from the covariates "
        "(label every row), instead of the --output-steps after it (default: off)",
    )
    fit.add_argument(
        "--covariates", type=_names, default=(), help="input-only columns (default: none)"
    )
    fit.add_argument(
        "--input-steps",
        type=int,
        default=None,
        help="input window (default: 40; for classification, the longest series)",
    )
    fit.add_argument(
        "--output-steps", type=int, default=10, help="steps to forecast (default: 10)"
    )
    fit.add_argument(
        "--stride", type=int, default=1, help="steps between window starts (default: 1)"
    )
    fit.add_argument(
        "--gap", type=int, default=0, help="steps between input and forecast (default: 0)"
    )
    fit.add_argument(
        "--time-column", default=None, help="the time column (default: row order is time)"
    )
    fit.add_argument(
        "--id-column", default=None, help="series id, for many series (default: one series)"
    )
    fit.add_argument(
        "--label-column",
        default=None,
        help="one class label per series: classify instead of forecast (default: none)",
    )
    fit.add_argument(
        "--test-fraction",
        type=float,
        default=None,
        help=f"share held out for the test scores: the last part of each series "
        f"(default: {FORECAST_TEST_FRACTION}), or of the series for classification, "
        f"stratified (default: {CLASSIFICATION_TEST_FRACTION})",
    )
    fit.add_argument(
        "--test-data",
        default=None,
        metavar="PATH",
        help="classification: labelled series in a second file (the UCR archive's _TEST "
        "file) for the test scores; every series of DATA then trains (default: a share "
        "of DATA, --test-fraction)",
    )
    fit.add_argument(
        "--holdout-steps",
        type=int,
        default=None,
        help="instead of the fractions, the last N steps of each series for the test "
        "scores and the N before them for validation: the last horizon of each series, "
        "for panels of short series (default: off)",
    )
    fit.add_argument(
        "--season",
        type=int,
        default=None,
        help="season length in steps (default: from the time column's calendar, e.g. 12 "
        "for monthly; else from autocorrelation)",
    )
    fit.add_argument(
        "--backtest-folds", type=int, default=0, help="rolling-origin folds (default: 0)"
    )
    fit.add_argument(
        "--refit",
        choices=("auto", "never"),
        default="auto",
        help="auto: after evaluation, train the saved model again on all the history for "
        "the best epoch count, to forecast from; never: save the evaluated model "
        "(default: auto)",
    )
    _add_params(
        fit,
        params_of("training"),
        defaults={"verbose": 1, "validation_fraction": VALIDATION_FRACTION},
    )
    if BY_NAME["mask_value"].flag is None:  # unless the parameter table gives it a flag
        fit.add_argument(
            "--mask-value",
            type=float,
            default=None,
            help="the value of every feature on a padded step; padded steps are skipped "
            "(default: none; classification pads and masks by itself)",
        )
    _add_reading(fit, dates=True)
    fit.add_argument(
        "--stream",
        choices=("auto", "on", "off"),
        default="auto",
        help="read a Parquet file or folder in record batches instead of whole, to "
        "forecast from data larger than memory; auto: when reading it whole would need "
        "more than half the available memory (default: auto; docs/large-data.md)",
    )
    fit.add_argument("--out", required=True, help="the run folder to write")
    fit.add_argument(
        "--overwrite", action="store_true", help="replace an existing run folder (default: off)"
    )
    fit.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="do not checkpoint every epoch in OUT.checkpoint (default: checkpoints on: "
        "a killed fit resumes there when run again with the same arguments)",
    )
    _add_architecture(fit)
    fit.set_defaults(run=_fit, parser=fit)

    predict = commands.add_parser(
        "predict",
        help="forecast (or classify) new data with a run folder's model",
        description="Forecast the steps after the end of each series in DATA (or classify "
        "each series), with the model of RUN_DIR. A Parquet source is streamed (each "
        "series' last rows, read in record batches) when the run was fitted streamed or "
        "it is too large to read whole.",
        epilog="example: seqshape predict runs/demand demand.csv --out forecasts.csv",
    )
    predict.add_argument("run_dir", help=RUN_HELP)
    predict.add_argument("data", help=DATA_HELP)
    predict.add_argument("--out", default=None, help="CSV to write (default: print)")
    _add_reading(predict)
    predict.set_defaults(run=_predict)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a run folder's model on labelled data",
        description="Score the model of RUN_DIR on the windows of DATA, next to the "
        "baselines (those fitted on the training part are kept in the run folder). "
        "Windows whose targets the fit saw are left out: rows up to the end of the "
        "data the run was fitted on do not count unless --include-seen. A Parquet source "
        "is streamed (every window scored, read in record batches) when the run was "
        "fitted streamed or it is too large to read whole.",
        epilog="example: seqshape evaluate runs/demand demand_2015.csv",
    )
    evaluate.add_argument("run_dir", help=RUN_HELP)
    evaluate.add_argument("data", help=DATA_HELP)
    evaluate.add_argument(
        "--include-seen",
        action="store_true",
        help="also score windows whose targets the fit saw: optimistic (default: off)",
    )
    _add_reading(evaluate)
    evaluate.add_argument(
        "--json", action="store_true", help="also print the scores as JSON (default: off)"
    )
    evaluate.set_defaults(run=_evaluate)

    export = commands.add_parser(
        "export",
        help="write a run folder's model as one file for serving (ONNX)",
        description="Write the model of RUN_DIR, with its input scaling and output "
        "restoring, to one ONNX file that onnxruntime serves without seqshape (needs "
        "pip install 'seqshape[export]').",
        epilog="example: seqshape export runs/demand --format onnx --out demand.onnx",
    )
    export.add_argument("run_dir", help=RUN_HELP)
    export.add_argument("--format", default="onnx", help="onnx (default: onnx)")
    export.add_argument("--out", required=True, help="the file to write, e.g. model.onnx")
    export.set_defaults(run=_export)
    return parser


def _quiet_closed_pipe() -> int:
    """Output piped into a program that stopped reading (``seqshape explain | head``):
    end quietly, as ``cat`` does; what is left to write goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, as a shell reports it


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that every ``with`` block cleans up."""


def _terminate(signum, frame):
    stop = _Terminated()
    request_stop(stop)  # raised again at the next batch if this one is lost
    raise stop


def _interrupt(signum, frame):
    stop = KeyboardInterrupt()
    request_stop(stop)
    raise stop


def _quiet_lost_stop(unraisable) -> None:
    """``sys.unraisablehook`` while the command runs: a stop raised inside a
    garbage-collector callback is lost there ("Exception ignored in ...", with a
    traceback) and raised again before the fit's next batch (``seqshape.stops``), so
    nothing is printed for it; anything else goes to Python's own hook."""
    if not is_requested(unraisable.exc_value):
        sys.__unraisablehook__(unraisable)


# a parameter's name in an error becomes its flag (``random_state`` -> ``--seed``)
_FLAGS = {param.name: param.flag_name for param in PARAMS if param.flag} | {
    "checkpoint_dir": "--out",
    "id_column": "--id-column",
    "time_column": "--time-column",
}


def _for_the_command_line(error: SeqShapeError) -> SeqShapeError:
    flag = _FLAGS.get(error.argument)
    if flag is None:
        return error
    return type(error)(flag, expected=error.expected, received=error.received, fix=error.fix)


def _interrupted(args: argparse.Namespace) -> str:
    """One line for an interrupted command: where its checkpoint is, if it has one."""
    checkpoint = _model_params(args).get("checkpoint_dir") if args.command == "fit" else None
    if checkpoint and (Path(checkpoint) / "latest").is_file():
        return (
            f"seqshape: interrupted; checkpoint kept at {checkpoint}; run the same command "
            "to resume"
        )
    return "seqshape: interrupted; nothing was written"


def _os_error(error: OSError) -> str:
    """One line for a file the operating system refused to read or write."""
    path = error.filename2 if error.filename2 is not None else error.filename
    where = f" {os.fspath(path)!r}" if path is not None else ""
    return f"seqshape: error: cannot use{where}: {error.strerror or error}"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status: 2 for bad input (one line, no
    traceback), 130 after Ctrl-C and 143 after SIGTERM (cleaned up, one line)."""
    args = build_parser().parse_args(argv)
    if args.run is _fit and not args.target and not args.label_column:
        args.parser.error(  # as argparse says it, before anything heavy is imported
            "the following arguments are required: --target (or --label-column alone, "
            "for a table with a series on each row)"
        )
    if args.run is _fit and args.test_data is not None and not args.label_column:
        args.parser.error(
            "--test-data is for classification (with --label-column); a forecast holds out "
            "the last steps of each series (--test-fraction, --holdout-steps)"
        )
    if args.run is _fit and args.test_data is not None and args.test_fraction is not None:
        args.parser.error("--test-data and --test-fraction: give one of them")
    handles_signals = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if handles_signals else None
    # Ctrl-C as Python raises it, remembered so that a fit cannot lose it; an ignored
    # SIGINT (a background job) stays ignored
    interrupting = (
        handles_signals and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    previous_interrupt = signal.signal(signal.SIGINT, _interrupt) if interrupting else None
    previous_hook, sys.unraisablehook = sys.unraisablehook, _quiet_lost_stop
    clear_stops()
    try:
        return args.run(args)
    except SeqShapeError as error:
        print(f"seqshape: error: {_for_the_command_line(error)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_closed_pipe()
    except OSError as error:
        print(_os_error(error), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, _Terminated) as stop:
        print(_interrupted(args), file=sys.stderr)
        return 143 if isinstance(stop, _Terminated) else 130
    finally:
        clear_stops()
        sys.unraisablehook = previous_hook
        if handles_signals:
            signal.signal(signal.SIGTERM, previous)
        if interrupting:
            signal.signal(signal.SIGINT, previous_interrupt)


if __name__ == "__main__":
    sys.exit(main())
