"""The project's accuracy targets, judged from a results dict, and docs/accuracy.md.

Pure functions of the results (no training), so tests can judge a made-up results dict.
Every target is judged on seqshape's mean over the seeds; each row also says how many
of the seeds meet it on their own.
"""

from __future__ import annotations

import math
from typing import Any

from benchmarks.accuracy.classification import SOURCES

TARGETS = {
    "above_1nn": "every classification set at or above 1-NN (Euclidean)",
    "near_lstm_fcn": "within 2 points of published LSTM-FCN accuracy, where one exists",
    "trending": "MASE below the naive (last value) forecast's on every trending series",
    "seasonal": "better than seasonal naive on every seasonal set",
    "monthly_panel": "sMAPE within 5% of Theta's on the monthly panel",
}

FORECAST_REFERENCES = ("naive", "seasonal naive", "drift", "ridge", "AutoETS", "Theta")


def _row(target, name, seqshape, reference, meets, runs, relation) -> dict[str, Any]:
    return {
        "target": target,
        "set": name,
        "seqshape": seqshape,
        "reference": reference,
        "relation": relation,
        "holds": bool(meets(seqshape)),
        "seeds_meeting": f"{sum(bool(meets(value)) for value in runs)}/{len(runs)}",
    }


def judge(results: dict) -> list[dict[str, Any]]:
    """One row per (target, set): seqshape's mean, the reference, whether the target holds."""
    rows = []
    for name, entry in results.get("classification", {}).items():
        runs = [run["accuracy"] for run in entry["runs"]]
        mean = entry["seqshape"]["accuracy"]["mean"]
        nearest = entry["references"]["1-NN Euclidean"]
        rows.append(
            _row("above_1nn", name, mean, nearest, lambda v, r=nearest: v >= r, runs, ">= 1-NN")
        )
        published = entry.get("published", {}).get("LSTM-FCN")
        if published:
            bar = published["accuracy"] - 0.02
            rows.append(
                _row(
                    "near_lstm_fcn",
                    name,
                    mean,
                    published["accuracy"],
                    lambda v, b=bar: v >= b - 1e-12,
                    runs,
                    ">= LSTM-FCN - 0.02",
                )
            )
    for name, entry in results.get("forecasting", {}).items():
        kinds, references = entry["about"]["kinds"], entry["references"]
        if "trending" in kinds:
            naive = references["naive"]["MASE"]
            runs = [run["MASE"] for run in entry["runs"]]
            rows.append(
                _row(
                    "trending",
                    name,
                    entry["seqshape"]["MASE"]["mean"],
                    naive,
                    lambda v, r=naive: v < r,
                    runs,
                    "MASE < naive's",
                )
            )
        if "seasonal" in kinds:
            metric = entry["about"]["primary"]
            seasonal = references["seasonal naive"][metric]
            runs = [run[metric] for run in entry["runs"]]
            rows.append(
                _row(
                    "seasonal",
                    name,
                    entry["seqshape"][metric]["mean"],
                    seasonal,
                    lambda v, r=seasonal: v < r,
                    runs,
                    f"{metric} < seasonal naive's",
                )
            )
        if "monthly panel" in kinds:
            theta = references["Theta"]["sMAPE"]
            runs = [run["sMAPE"] for run in entry["runs"]]
            rows.append(
                _row(
                    "monthly_panel",
                    name,
                    entry["seqshape"]["sMAPE"]["mean"],
                    theta,
                    lambda v, r=theta: v <= 1.05 * r,
                    runs,
                    "sMAPE <= 1.05 x Theta's",
                )
            )
    return rows


def verdicts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per target: whether it holds on every set judged, and the sets where it fails."""
    out = {}
    for target in TARGETS:
        judged = [row for row in rows if row["target"] == target]
        failing = [row["set"] for row in judged if not row["holds"]]
        out[target] = {
            "judged": len(judged),
            "holds": bool(judged) and not failing,
            "failing": failing,
        }
    return out


# -- Markdown ------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}f}"


def _spread(stats: dict, digits: int = 3) -> str:
    if stats["n"] <= 1:
        return _number(stats["mean"], digits)
    return (
        f"{_number(stats['mean'], digits)} ± {_number(stats['std'], digits)} "
        f"({_number(stats['min'], digits)}-{_number(stats['max'], digits)})"
    )


def _summary_section(results: dict) -> list[str]:
    rows = judge(results)
    overall = verdicts(rows)
    lines = [
        "## Summary: the targets",
        "",
        "Judged on seqshape's mean over the seeds; 'seeds' counts the seeds that meet the "
        "target on their own.",
        "",
        "| target | holds | sets judged | where it fails |",
        "|---|---|---|---|",
    ]
    for target, text in TARGETS.items():
        verdict = overall[target]
        holds = "n/a" if not verdict["judged"] else ("yes" if verdict["holds"] else "**no**")
        failing = ", ".join(verdict["failing"]) or "-"
        lines.append(f"| {text} | {holds} | {verdict['judged']} | {failing} |")
    lines += [
        "",
        "| target | set | seqshape | reference | seeds | holds |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        digits = 2 if row["target"] in ("seasonal", "monthly_panel") else 3
        lines.append(
            f"| {row['relation']} | {row['set']} | {_number(row['seqshape'], digits)} | "
            f"{_number(row['reference'], digits)} | {row['seeds_meeting']} | "
            f"{'yes' if row['holds'] else '**no**'} |"
        )
    return lines


def _classification_section(results: dict) -> list[str]:
    entries = results.get("classification", {})
    if not entries:
        return []
    baseline_names = []
    for entry in entries.values():
        for name in entry["references"]:
            if name != "1-NN Euclidean" and name not in baseline_names:
                baseline_names.append(name)
    header = [
        "set",
        "data (train / test series, steps, channels, classes)",
        "seqshape accuracy",
        "1-NN Euclidean",
        *baseline_names,
        "FCN (published)",
        "LSTM-FCN (published)",
        "epochs",
    ]
    lines = [
        "## Classification: test accuracy",
        "",
        "seqshape: mean ± standard deviation (min-max) over the seeds. The other columns are "
        "deterministic: computed once in the same run, or published.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name, entry in entries.items():
        about = entry["about"]
        data = (
            f"{about['train']} / {about['test']}, {about['steps']}, {about['channels']}, "
            f"{about['classes']}"
            + (", variable length" if about["variable_length"] else "")
            + (", stored by class" if about["stored_by_class"] else "")
        )
        published = entry.get("published", {})
        epochs = sorted({run["epochs"] for run in entry["runs"]})
        cells = [
            name,
            data,
            _spread(entry["seqshape"]["accuracy"]),
            _number(entry["references"]["1-NN Euclidean"]),
            *(_number(entry["references"].get(b)) for b in baseline_names),
            _number(published.get("FCN", {}).get("accuracy")),
            _number(published.get("LSTM-FCN", {}).get("accuracy")),
            ", ".join(str(e) for e in epochs),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _forecasting_section(results: dict) -> list[str]:
    entries = results.get("forecasting", {})
    if not entries:
        return []
    header = ["set", "windows in -> out, test windows", "metric", "seqshape", *FORECAST_REFERENCES]
    lines = [
        "## Forecasting: test MASE and sMAPE",
        "",
        "MASE: each target's MAE over its in-sample seasonal naive MAE (the calendar's season, "
        "pooled over the training part of every series), averaged over the targets. sMAPE in "
        "percent (0-200). Lower is better; the best of each row is in bold. seqshape: mean ± "
        "standard deviation (min-max) over the seeds. The metric the targets are judged on is "
        "marked *.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name, entry in entries.items():
        about, references = entry["about"], entry["references"]
        for metric, digits in (("MASE", 3), ("sMAPE", 2)):
            values = {ref: references[ref][metric] for ref in FORECAST_REFERENCES}
            best = min([entry["seqshape"][metric]["mean"], *values.values()])
            seqshape = _spread(entry["seqshape"][metric], digits)
            if entry["seqshape"][metric]["mean"] == best:
                seqshape = f"**{seqshape}**"
            cells = [
                name if metric == "MASE" else "",
                f"{about['input_steps']} -> {about['output_steps']}, {about['windows']['test']}"
                + (f" (stride {about['stride']})" if about.get("stride", 1) != 1 else "")
                if metric == "MASE"
                else "",
                metric + (" *" if metric == about["primary"] else ""),
                seqshape,
                *(
                    f"**{_number(v, digits)}**" if v == best else _number(v, digits)
                    for v in values.values()
                ),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| set | data | source | season | kinds | note |", "|---|---|---|---|---|---|"]
    for name, entry in entries.items():
        about = entry["about"]
        lines.append(
            f"| {name} | {about['description']} | {about['source']} | "
            f"{about['season']} ({about['frequency']}) | {', '.join(about['kinds'])} | "
            f"{about['note'] or '-'} |"
        )
    return lines


def _checks(results: dict) -> list[str]:
    lines = []
    for name, entry in results.get("classification", {}).items():
        warned = sorted({w for run in entry["runs"] for w in run.get("warnings", [])})
        if warned:
            lines.append(f"- {name}: seqshape warned: " + "; ".join(warned[:3]))
    for name, entry in results.get("forecasting", {}).items():
        if not all(run["same_test_windows"] for run in entry["runs"]):
            lines.append(
                f"- **{name}: the library's test windows differ from the references'** (count "
                "or last-value MAE): the forecasting numbers of this set are not comparable."
            )
        failures = {k: v for k, v in entry.get("statistical_fit_failures", {}).items() if v}
        if failures:
            lines.append(
                f"- {name}: statistical fits that failed and fell back to the last value: "
                + ", ".join(f"{k} {v}" for k, v in failures.items())
            )
        warned = sorted({w for run in entry["runs"] for w in run.get("warnings", [])})
        if warned:
            lines.append(f"- {name}: seqshape warned: " + "; ".join(warned[:3]))
    return lines


def render(results: dict, method: str) -> str:
    """docs/accuracy.md from the results; ``method`` is the fixed text on how it was run."""
    env = results["environment"]
    seeds = results["seeds"]
    head = [
        "# Accuracy: seqshape's defaults on real data",
        "",
        f"Written by `{results['command']}` on {results['date']}: seqshape "
        f"{env.get('seqshape_commit', '?')}, {len(seeds)} seed(s) ({', '.join(map(str, seeds))}), "
        f"{env.get('cpus', '?')} CPU cores, {results['seconds'] / 60:.1f} minutes in all. "
        f"Results: `{results['json']}`.",
        "",
    ]
    if results.get("note"):
        head += [results["note"], ""]
    checks = _checks(results)
    sections = [
        head,
        _summary_section(results),
        [""],
        _classification_section(results),
        [""],
        _forecasting_section(results),
        ["", "## Checks", "", *(checks or ["- every set's test windows matched the library's"])],
        ["", method.strip(), "", "## Sources of published numbers", ""],
        [f"- `{key}`: {text}" for key, text in SOURCES.items()],
    ]
    return "\n".join(line for section in sections for line in section) + "\n"
