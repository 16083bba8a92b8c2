"""``python -m benchmarks [--quick]``: seqshape against hand-written Keras, PyTorch and Darts.

Prints Markdown tables and writes ``benchmarks/results/results-*.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time seqshape against the same model in hand-written Keras, PyTorch "
        "and Darts, interleaved and repeated on this machine.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: one workload, 3 epochs, one round (< 3 minutes)",
    )
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (full: 20)")
    parser.add_argument("--repeats", type=int, default=None, help="rounds (full: 3)")
    parser.add_argument(
        "--envs",
        type=Path,
        default=Path(__file__).parent / ".envs",
        help="where the contenders' virtual environments live",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--only", default=None, help="run only the workloads whose name contains this text"
    )
    parser.add_argument(
        "--contenders",
        default=None,
        help="comma-separated contenders to run (default: each workload's)",
    )
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (3 if args.quick else 20)
    args.repeats = args.repeats or (1 if args.quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from benchmarks import harness

    workloads = harness.select(
        harness.QUICK if args.quick else harness.FULL, args.only, args.contenders
    )
    results = harness.run(workloads, args.epochs, args.repeats, args.envs, args.out)
    print(harness.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
