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


# -- the accuracy suite (benchmarks/accuracy): its targets judged from made-up results ----


def _accuracy_results():
    from benchmarks.accuracy.stats import spread

    def classification(accuracies, nearest, lstm_fcn=None):
        published = {"LSTM-FCN": {"accuracy": lstm_fcn, "source": "karim2017"}}
        return {
            "about": {
                "train": 10,
                "test": 20,
                "steps": 50,
                "channels": 1,
                "classes": 3,
                "variable_length": False,
                "stored_by_class": True,
            },
            "references": {"1-NN Euclidean": nearest, "majority class": 0.3},
            "published": published if lstm_fcn else {},
            "runs": [{"seed": s, "accuracy": a, "epochs": 4} for s, a in enumerate(accuracies)],
            "seqshape": {"accuracy": spread(accuracies)},
        }

    def forecasting(kinds, primary, runs, references):
        names = ("naive", "seasonal naive", "drift", "ridge", "AutoETS", "Theta")
        return {
            "about": {
                "description": "d",
                "source": "s",
                "targets": ["x"],
                "series": 1,
                "steps": 100,
                "input_steps": 24,
                "output_steps": 12,
                "season": 12,
                "frequency": "monthly",
                "kinds": kinds,
                "primary": primary,
                "windows": {"train": 50, "test": 10},
                "note": "",
            },
            "references": {n: references.get(n, {"MASE": 9.0, "sMAPE": 90.0}) for n in names},
            "runs": [{"seed": s, **run, "same_test_windows": True} for s, run in enumerate(runs)],
            "seqshape": {m: spread([run[m] for run in runs]) for m in ("MASE", "sMAPE")},
        }

    return {
        "command": "python -m benchmarks.accuracy",
        "date": "2026-01-01",
        "seeds": [0, 1, 2],
        "seconds": 60.0,
        "json": "benchmarks/results/accuracy-test.json",
        "environment": {"seqshape_commit": "abc1234", "cpus": 2},
        # at 1-NN exactly (holds) and within 2 points of LSTM-FCN (0.95 >= 0.96 - 0.02)
        "classification": {
            "Good": classification([0.9, 0.95, 1.0], nearest=0.95, lstm_fcn=0.96),
            "Bad": classification([0.5, 0.6, 0.7], nearest=0.8),
        },
        "forecasting": {
            # mean MASE 1.967 < naive's 2.0 although one seed of three is above it
            "Trend": forecasting(
                ["trending"],
                "MASE",
                [
                    {"MASE": 1.5, "sMAPE": 5.0},
                    {"MASE": 2.5, "sMAPE": 6.0},
                    {"MASE": 1.9, "sMAPE": 5.5},
                ],
                {"naive": {"MASE": 2.0, "sMAPE": 6.0}},
            ),
            # the M3 numbers: better than seasonal naive, not within 5% of Theta
            "Panel": forecasting(
                ["seasonal", "monthly panel"],
                "sMAPE",
                [{"MASE": 1.0, "sMAPE": v} for v in (15.5, 15.9, 15.7)],
                {
                    "seasonal naive": {"MASE": 0.5, "sMAPE": 17.2},
                    "Theta": {"MASE": 0.9, "sMAPE": 13.8},
                },
            ),
        },
    }


def test_accuracy_targets_are_judged_on_the_mean_over_seeds():
    from benchmarks.accuracy.summary import judge, verdicts

    rows = {(row["target"], row["set"]): row for row in judge(_accuracy_results())}
    assert set(rows) == {
        ("above_1nn", "Good"),
        ("near_lstm_fcn", "Good"),
        ("above_1nn", "Bad"),
        ("trending", "Trend"),
        ("seasonal", "Panel"),
        ("monthly_panel", "Panel"),
    }
    assert rows["above_1nn", "Good"]["holds"]  # 0.95 against 0.95: "at or above"
    assert rows["near_lstm_fcn", "Good"]["holds"]
    assert not rows["above_1nn", "Bad"]["holds"]
    assert rows["trending", "Trend"]["holds"]
    assert rows["trending", "Trend"]["seeds_meeting"] == "2/3"
    # panels are judged on sMAPE, not on MASE (where seasonal naive would win here)
    assert rows["seasonal", "Panel"]["holds"] and rows["seasonal", "Panel"]["reference"] == 17.2
    assert not rows["monthly_panel", "Panel"]["holds"]  # 15.7 > 1.05 x 13.8

    overall = verdicts(judge(_accuracy_results()))
    assert overall["above_1nn"] == {"judged": 2, "holds": False, "failing": ["Bad"]}
    assert overall["near_lstm_fcn"]["holds"] and overall["trending"]["holds"]
    assert overall["seasonal"]["holds"]
    assert overall["monthly_panel"] == {"judged": 1, "holds": False, "failing": ["Panel"]}


def test_accuracy_document_shows_the_verdicts_and_the_spread():
    from benchmarks.accuracy.summary import render

    results = _accuracy_results()
    results["forecasting"]["Trend"]["runs"][1]["same_test_windows"] = False
    text = render(results, "## How it was run")
    assert "| every classification set at or above 1-NN (Euclidean) | **no** | 2 | Bad |" in text
    assert "| sMAPE within 5% of Theta's on the monthly panel | **no** | 1 | Panel |" in text
    assert "| better than seasonal naive on every seasonal set | yes | 1 | - |" in text
    assert "0.950 ± 0.050 (0.900-1.000)" in text  # seqshape's mean ± sd (min-max)
    assert "Trend: the library's test windows differ" in text


def test_accuracy_options_and_pins():
    import tomllib

    from benchmarks.accuracy.__main__ import parse_args

    quick = parse_args(["--quick"])
    assert quick.seeds == 1 and quick.doc is None and "accuracy-quick-" in quick.json.name
    full = parse_args(["--seeds", "2", "--only", "GunPoint, goog"])
    assert full.seeds == 2 and full.names == ["gunpoint", "goog"]
    assert parse_args([]).doc.name == "accuracy.md"

    # the suite's environment keeps seqshape's own pins: nothing in its requirements file
    # pins a package that pyproject.toml pins too, and what is installed --no-deps is pinned
    root = Path(__file__).resolve().parents[1]
    core = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    core_names = {pin.split("==")[0].lower() for pin in core}
    lines = (root / "benchmarks" / "requirements-accuracy.txt").read_text().splitlines()
    pinned = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    no_deps = [line.removeprefix("#no-deps ") for line in lines if line.startswith("#no-deps ")]
    assert not {pin.split("==")[0].lower() for pin in pinned + no_deps} & core_names
    assert {pin.split("==")[0] for pin in no_deps} == {"aeon", "statsforecast", "fugue"}
    assert all("==" in pin for pin in pinned + no_deps)
