"""The benchmark command's parsing and table (its timings live in benchmarks/, not here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import parse_args
from benchmarks.harness import FULL, QUICK, select, table


def test_quick_mode_is_one_short_round():
    args = parse_args(["--quick"])
    assert (args.epochs, args.repeats) == (3, 1)
    full = parse_args([])
    assert (full.epochs, full.repeats) == (20, 3)
    assert parse_args(["--quick", "--epochs", "5", "--envs", "/tmp/e"]).envs == Path("/tmp/e")
    assert len(QUICK) == 1 and len(FULL) > len(QUICK)


def test_selecting_workloads_and_contenders():
    chosen = select(FULL, "batch 256", "seqshape,keras")
    assert chosen and all("batch 256" in w.name for w in chosen)
    assert all(w.contenders == ("seqshape", "keras") for w in chosen)


def test_table_reports_medians_spread_and_ratios():
    def entry(value, low, high):
        return {"median": value, "min": low, "max": high}

    results = {
        "machine": {"cpus": 2, "platform": "test", "matmul_gflops": 100.0},
        "epochs": 3,
        "repeats": 2,
        "workloads": {
            "w": {
                "train_samples": 10,
                "flops_per_epoch": 2e9,
                "target_val_error": 0.5,
                "contenders": {
                    "seqshape": {
                        "median_epoch_seconds": entry(0.1, 0.09, 0.11),
                        "fraction_of_matmul_rate": 0.2,
                    },
                    "darts": {
                        "median_epoch_seconds": entry(1.0, 1.0, 1.0),
                        "fraction_of_matmul_rate": 0.02,
                    },
                    "torch": {"error": "environment missing"},
                },
            }
        },
    }
    text = table(results)
    assert "| seqshape | 0.1 (0.09-0.11) |" in text
    assert "darts / seqshape epoch time = 10.00" in text
    assert "failed: 'environment missing'" in text
