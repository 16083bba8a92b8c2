"""The benchmark command's parsing and table (its timings live in benchmarks/, not here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import parse_args
from benchmarks.harness import FULL, QUICK, compilation_cache, ratios, select, table


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


def test_time_to_target_ratios_against_cold_and_warm_seqshape():
    def median(value):
        return {"median": value, "min": value, "max": value}

    found = ratios(
        {
            "seqshape": {"median_epoch_seconds": median(0.1), "seconds_to_target": median(2.0)},
            "seqshape-warm": {"seconds_to_target": median(0.5)},
            "darts": {"median_epoch_seconds": median(0.2), "seconds_to_target": median(1.0)},
            "neuralforecast": {"median_epoch_seconds": median(0.4)},  # never reached it
        }
    )
    assert found == [
        "darts / seqshape epoch time = 2.00",
        "neuralforecast / seqshape epoch time = 4.00",
        "darts / seqshape time to target = 0.50",
        "darts / seqshape-warm time to target = 2.00",
    ]


def test_only_seqshape_runs_get_a_compilation_cache(tmp_path):
    warm = tmp_path / "warm"
    assert compilation_cache("seqshape-warm", tmp_path, warm) == str(warm)
    cold = {compilation_cache("seqshape", tmp_path, warm) for _ in range(2)}
    assert len(cold) == 2 and all(Path(folder).parent == tmp_path for folder in cold)
    assert all(not any(Path(folder).iterdir()) for folder in cold)  # empty: a cold start
    assert compilation_cache("keras", tmp_path, warm) == "off"
