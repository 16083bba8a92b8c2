"""Run the contenders side by side: interleaved, repeated, medians and spread."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.workloads import DATA, Workload, matmul_rate, target_error, training_flops

HERE = Path(__file__).parent
SCRIPTS = {
    "seqshape": "keras_bench.py",
    "seqshape-warm": "keras_bench.py",
    "keras": "keras_bench.py",
    "torch": "torch_bench.py",
    "darts": "darts_bench.py",
    "neuralforecast": "neuralforecast_bench.py",
}
# Each contender's own virtual environment (pins in requirements-*.txt); None: this one.
ENVIRONMENTS = {
    "seqshape": None,
    "seqshape-warm": None,
    "keras": None,
    "torch": "torch",
    "darts": "darts",
    "neuralforecast": "neuralforecast",
}

# Workloads Darts and NeuralForecast do not run: the 12-12-6 stack (one hidden size per
# layer, which they do not take) and classification.
WITHOUT_FORECASTING_LIBRARIES = ("seqshape", "seqshape-warm", "keras", "torch")

FULL = [
    Workload(
        "seed 40x2->10x2, LSTM 12-12-6, batch 32",
        (12, 12, 6),
        32,
        contenders=WITHOUT_FORECASTING_LIBRARIES,
    ),
    Workload(
        "seed 40x2->10x2, LSTM 12-12-6, batch 256",
        (12, 12, 6),
        256,
        contenders=WITHOUT_FORECASTING_LIBRARIES,
    ),
    Workload("seed 40x2->10x2, LSTM 64x2, batch 32", (64, 64), 32),
    Workload("seed 40x2->10x2, LSTM 64x2, batch 256", (64, 64), 256),
    Workload(
        "elecdemand 40x2->10x2, LSTM 64x2, batch 32", (64, 64), 32, extra={"data": "elecdemand"}
    ),
    Workload(
        "GunPoint 150x1 -> class, LSTM 64, batch 16",
        (64,),
        16,
        task="classification",
        contenders=WITHOUT_FORECASTING_LIBRARIES,
        extra={"data": "gunpoint"},
    ),
]
QUICK = FULL[:1]  # the seed problem, 12-12-6 at batch 32


def select(workloads: list[Workload], only: str | None, contenders: str | None):
    """The workloads whose name contains ``only``, each limited to ``contenders``."""
    chosen = [w for w in workloads if only is None or only in w.name]
    if contenders:
        wanted = set(contenders.split(","))
        chosen = [
            dataclasses.replace(w, contenders=tuple(c for c in w.contenders if c in wanted))
            for w in chosen
        ]
    return [w for w in chosen if w.contenders]


def python_for(contender: str, envs: Path) -> str | None:
    name = ENVIRONMENTS[contender]
    if name is None:
        return sys.executable
    candidate = envs / name / "bin" / "python"
    return str(candidate) if candidate.exists() else None


def ensure_environments(envs: Path, contenders: set[str]) -> None:
    """Create the contenders' virtual environments from requirements-*.txt if missing."""
    for contender in sorted(contenders):
        name = ENVIRONMENTS[contender]
        if name is None or (envs / name / "bin" / "python").exists():
            continue
        requirements = HERE / f"requirements-{name}.txt"
        print(f"creating the {name} environment in {envs / name} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(envs / name)], check=True)
        pip = [str(envs / name / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "torch==2.13.0"], check=True)  # the CPU build, first
        subprocess.run([*pip, "-r", str(requirements)], check=True)


def compilation_cache(contender: str, scratch: Path, warm: Path) -> str:
    """seqshape's compilation cache for one run: "seqshape" starts from an empty cache
    every run (a first run on a new machine), "seqshape-warm" from the programs of an
    earlier, untimed run of the same workload (every later run); the others use none."""
    if contender == "seqshape-warm":
        return str(warm)
    if contender == "seqshape":
        return tempfile.mkdtemp(prefix="xla-cold-", dir=scratch)
    return "off"


def run_one(
    python: str, contender: str, data_path: Path, config: dict, cache: str = "off"
) -> dict:
    script = HERE / "contenders" / SCRIPTS[contender]
    started = time.perf_counter()
    finished = subprocess.run(
        [python, str(script), str(data_path), json.dumps({**config, "contender": contender})],
        capture_output=True,
        text=True,
        timeout=1800,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])
            ),
            "SEQSHAPE_COMPILATION_CACHE": cache,
        },
    )
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if finished.returncode != 0 or not lines:
        return {"error": (finished.stderr or finished.stdout)[-2000:]}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def summarise(runs: list[dict]) -> dict:
    good = [run for run in runs if "error" not in run]
    if not good:
        return {"error": runs[-1]["error"]}
    summary = {}
    for key in good[0]:
        values = [run[key] for run in good if run[key] is not None]
        if values:
            summary[key] = {
                "median": float(np.median(values)),
                "min": float(min(values)),
                "max": float(max(values)),
            }
    summary["runs"] = len(good)
    return summary


def run(workloads: list[Workload], epochs: int, repeats: int, envs: Path, out: Path) -> dict:
    wanted = {c for w in workloads for c in w.contenders}
    ensure_environments(envs, wanted)
    rate = matmul_rate()
    results = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "matmul_gflops": rate / 1e9,
        },
        "epochs": epochs,
        "repeats": repeats,
        "workloads": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for index, workload in enumerate(workloads):
            data = DATA[workload.extra.get("data", "seed")]()
            data_path = scratch / "data.npz"
            np.savez(data_path, **data)
            config = {
                "units": list(workload.units),
                "batch_size": workload.batch_size,
                "epochs": epochs,
                "learning_rate": workload.learning_rate,
                "task": workload.task,
                "classes": 2,
                "target": target_error(data, workload.task),
            }
            flops = training_flops(data, workload.units, workload.task)
            runs: dict[str, list[dict]] = {c: [] for c in workload.contenders}
            warm = scratch / f"xla-warm-{index}"
            if "seqshape-warm" in workload.contenders:
                print(f"[{workload.name}] filling seqshape's compilation cache", flush=True)
                run_one(sys.executable, "seqshape-warm", data_path, config, str(warm))
            for repeat in range(repeats):  # interleaved: every contender once per round
                order = list(workload.contenders)
                order = order[repeat % len(order) :] + order[: repeat % len(order)]
                for contender in order:
                    python = python_for(contender, envs)
                    if python is None:
                        runs[contender].append({"error": "environment missing"})
                        continue
                    print(
                        f"[{workload.name}] round {repeat + 1}/{repeats}: {contender}", flush=True
                    )
                    cache = compilation_cache(contender, scratch, warm)
                    runs[contender].append(run_one(python, contender, data_path, config, cache))
            summary = {contender: summarise(values) for contender, values in runs.items()}
            for contender_summary in summary.values():
                epoch = contender_summary.get("median_epoch_seconds", {}).get("median")
                if epoch:
                    contender_summary["fraction_of_matmul_rate"] = flops / epoch / rate
            results["workloads"][workload.name] = {
                "train_samples": len(data["X_train"]),
                "flops_per_epoch": flops,
                "target_val_error": config["target"],
                "contenders": summary,
            }
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))
    return results


def _value(summary: dict, key: str, digits: int = 3) -> str:
    entry = summary.get(key)
    if entry is None:
        return "-"
    if entry["min"] == entry["max"]:
        return f"{entry['median']:.{digits}g}"
    return f"{entry['median']:.{digits}g} ({entry['min']:.{digits}g}-{entry['max']:.{digits}g})"


def _median(summary: dict, key: str) -> float | None:
    return summary.get(key, {}).get("median")


def ratios(contenders: dict) -> list[str]:
    """Other / seqshape for the epoch time, and for the time to the target against
    seqshape from an empty and from a warm compilation cache."""
    found = []
    for ours, key, what in [
        ("seqshape", "median_epoch_seconds", "epoch time"),
        ("seqshape", "seconds_to_target", "time to target"),
        ("seqshape-warm", "seconds_to_target", "time to target"),
    ]:
        reference = _median(contenders.get(ours, {}), key)
        for other, summary in contenders.items():
            theirs = _median(summary, key)
            if not other.startswith("seqshape") and reference and theirs:
                found.append(f"{other} / {ours} {what} = {theirs / reference:.2f}")
    return found


def table(results: dict) -> str:
    """Markdown tables: per workload, one row per contender, and the ratios we hold to."""
    columns = [
        ("median_epoch_seconds", "epoch s"),
        ("first_epoch_seconds", "first epoch s"),
        ("samples_per_second", "samples/s"),
        ("seconds_to_target", "s to target"),
        ("val_error", "val error"),
        ("test_error", "test error"),
        ("predict_p50_ms", "predict p50 ms"),
        ("predict_p99_ms", "p99 ms"),
        ("batch_predict_samples_per_second", "batch predict/s"),
        ("peak_rss_mb", "peak MB"),
        ("import_seconds", "import s"),
    ]
    lines = [
        f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['platform']}, "
        f"measured matmul rate {results['machine']['matmul_gflops']:.1f} GFLOP/s. "
        f"{results['epochs']} epochs, {results['repeats']} interleaved repeats; "
        "median (min-max).",
        "",
    ]
    for name, workload in results["workloads"].items():
        lines += [
            f"### {name}",
            "",
            f"{workload['train_samples']} training samples, "
            f"{workload['flops_per_epoch'] / 1e9:.2f} GFLOP per training epoch, "
            f"target validation error {workload['target_val_error']:.4g}.",
            "",
            "| contender | " + " | ".join(label for _, label in columns) + " | % of matmul rate |",
            "|---|" + "---|" * (len(columns) + 1),
        ]
        contenders = workload["contenders"]
        for contender, summary in contenders.items():
            if "error" in summary:
                lines.append(f"| {contender} | failed: {summary['error'][-120:]!r} |")
                continue
            fraction = summary.get("fraction_of_matmul_rate")
            lines.append(
                f"| {contender} | "
                + " | ".join(_value(summary, key) for key, _ in columns)
                + (f" | {100 * fraction:.2f} |" if fraction else " | - |")
            )
        lines += ["", "Ratios: " + "; ".join(ratios(contenders)) + ".", ""]
    return "\n".join(lines)
