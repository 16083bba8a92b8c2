"""The ``seqshape`` command line.

Examples:
    seqshape explain --x-shape 1200,40,2 --y-shape 1200,10,2
    seqshape explain --x-shape 1200,40,1 --y-shape 1200,10 --units 12,12,6
    seqshape demo
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from seqshape.errors import InvalidInputError, SeqShapeError


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


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes separated by commas such as 12,12,6; got {text!r}"
        ) from None


def _add_architecture(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topology", default="auto", help="force a topology by name")
    parser.add_argument("--strategy", default="auto", help="force a strategy by name")
    parser.add_argument("--units", type=_sizes, default=(32,), help="recurrent sizes, 12,12,6")
    parser.add_argument("--cell", default="lstm", help="lstm, gru or simple_rnn")
    parser.add_argument("--bidirectional", action="store_true")


def _explain(args: argparse.Namespace) -> int:
    from seqshape.builders import ArchitectureOptions, build_model
    from seqshape.explain import explain_model
    from seqshape.spec import spec_from_shapes

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
    options = ArchitectureOptions(
        units=args.units, cell=args.cell, bidirectional=args.bidirectional
    )
    print(explain_model(spec, build_model(spec, options)))
    return 0


def _table(rows: dict[str, dict[str, float]]) -> str:
    metrics = list(next(iter(rows.values())))
    lines = [f"{'':<22}" + "".join(f"{name:>10}" for name in metrics)]
    for label, scores in rows.items():
        lines.append(f"{label:<22}" + "".join(f"{scores[name]:>10.4f}" for name in metrics))
    return "\n".join(lines)


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
    model = SequenceModel(epochs=args.epochs, random_state=args.seed, verbose=args.verbose)
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
    print("Test error (original units):")
    print(_table(rows))
    return 0


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
    explain.add_argument("--task", default="regression", help="regression, binary, multiclass")
    explain.add_argument("--classes", type=int, default=None, help="number of classes")
    explain.add_argument(
        "--vocabulary-size",
        type=int,
        default=None,
        help="X holds token ids from a vocabulary of this size",
    )
    _add_architecture(explain)
    explain.set_defaults(run=_explain)

    demo = commands.add_parser(
        "demo",
        help="solve the seed question end to end on generated data",
        description="Train on X (1200, 40, 2) -> y (1200, 10, 2) and compare with baselines.",
        epilog="example: seqshape demo --epochs 50",
    )
    demo.add_argument("--epochs", type=int, default=200)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=2, help="0 silent, 1 bar, 2 line/epoch")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except SeqShapeError as error:
        print(f"seqshape: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
