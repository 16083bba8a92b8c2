"""Reports a person wants to read: text tables, figures (PNG), Markdown, and one
self-contained HTML page.

Tables need nothing beyond the standard library; matplotlib is imported only when a
figure is drawn, and figures are drawn on their own Agg canvas, so nothing here touches
matplotlib's global backend or pyplot's figure list.

Example:
    >>> from seqshape.report import text_table
    >>> scores = {"seqshape": {"MAE": 0.5}, "mean": {"MAE": 1.0}}
    >>> print(text_table(scores, markdown=True))
    | model | MAE |
    |---|---|
    | seqshape | 0.5000 |
    | mean | 1.0000 |
    >>> print(text_table(scores))
    model          MAE
    seqshape    0.5000
    mean        1.0000
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def text_table(
    rows: Mapping[str, Mapping[str, float]], *, markdown: bool = False, label: str = "model"
) -> str:
    """One row per model, one column per metric (the first row's), values to 4 decimals.

    Plain text (the default) aligns the columns, each as wide as its longest name or
    value; ``markdown=True`` gives a Markdown table for reports.

    Example:
        >>> print(text_table({"seqshape": {"accuracy": 0.9, "balanced_accuracy": 0.85}}))
        model     accuracy  balanced_accuracy
        seqshape    0.9000             0.8500
    """
    metrics = list(next(iter(rows.values())))
    cells = {name: [f"{row[metric]:.4f}" for metric in metrics] for name, row in rows.items()}
    if markdown:
        lines = [f"| {label} | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in cells.items()]
        return "\n".join(lines)
    first = max(len(str(name)) for name in [label, *rows])
    widths = [
        max(len(metric), *(len(values[column]) for values in cells.values()))
        for column, metric in enumerate(metrics)
    ]

    def line(name: str, values: list[str]) -> str:
        aligned = (f"  {value:>{width}}" for value, width in zip(values, widths, strict=True))
        return f"{name!s:<{first}}" + "".join(aligned)

    return "\n".join([line(label, metrics), *(line(name, v) for name, v in cells.items())])


# Okabe and Ito's colour-blind-safe palette: the model blue whether it wins or loses
MODEL_COLOUR = "#0072B2"
ACTUAL_COLOUR = "#000000"
INPUT_COLOUR = "#999999"
BASELINE_COLOURS = ("#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
BASELINE_STYLES = ("--", ":", "-.", (0, (5, 1)), (0, (1, 1)), (0, (3, 1, 1, 1)))


def _figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas: no pyplot, no global backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _style(index: int, name: str) -> dict:
    """Line style of the ``index``-th model drawn: the model first, then baselines."""
    if index == 0:
        return {"color": MODEL_COLOUR, "linewidth": 1.8, "label": name}
    slot = (index - 1) % len(BASELINE_COLOURS)
    return {
        "color": BASELINE_COLOURS[slot],
        "linestyle": BASELINE_STYLES[slot],
        "linewidth": 1.2,
        "label": f"{name} (baseline)",
    }


def loss_figure(history: dict[str, list[float]], best_epoch: int) -> bytes:
    """Training and validation loss by epoch, the restored epoch marked."""
    figure = _figure(6.4, 3.4)
    axis = figure.subplots()
    epochs = np.arange(1, len(history["loss"]) + 1)
    axis.plot(epochs, history["loss"], color=MODEL_COLOUR, label="training")
    if "val_loss" in history:
        axis.plot(
            epochs,
            history["val_loss"],
            color=BASELINE_COLOURS[0],
            linestyle="--",
            label="validation",
        )
    axis.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch ({best_epoch})")
    axis.set(xlabel="epoch", ylabel="loss (scaled units)", title="Training and validation loss")
    axis.set_yscale("log")
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _png(figure)


def pick_windows(errors: np.ndarray, count: int = 3) -> list[tuple[int, str]]:
    """Windows to draw, by error: a typical one (the median), a bad one (90th
    percentile) and the worst, as ``(index, caption)``; fewer for few windows.

    Example:
        >>> pick_windows(np.array([0.1, 0.5, 0.2, 0.9, 0.3]))
        [(4, 'typical (median error)'), (1, 'bad (90th percentile)'), (3, 'worst')]
    """
    order = np.argsort(errors, kind="stable")
    picks = [
        (order[len(order) // 2], "typical (median error)"),
        (order[int(0.9 * (len(order) - 1))], "bad (90th percentile)"),
        (order[-1], "worst"),
    ]
    chosen, seen = [], set()
    for index, caption in picks:
        if int(index) not in seen:
            seen.add(int(index))
            chosen.append((int(index), caption))
    return chosen[:count]


def forecast_figure(
    X,
    y_true,
    predictions: Mapping[str, np.ndarray],
    targets: list[str],
    *,
    past_times: list | None = None,
    future_times: list | None = None,
) -> bytes:
    """Forecast against actual on test windows chosen by the model's error (typical,
    bad, worst), the baselines beside it, one row per target.

    ``X`` holds the targets' past (``(windows, input_steps, targets)``), or None when
    the targets are read per step; ``predictions`` maps names to
    ``(windows, steps, targets)``, the model first. With times, the x axis shows them.
    """
    names = list(predictions)
    model = np.asarray(predictions[names[0]], dtype=np.float64)
    truth = np.asarray(y_true, dtype=np.float64)
    errors = np.abs(model - truth).mean(axis=(1, 2))
    picks = pick_windows(errors)
    figure = _figure(4.6 * len(picks), 2.8 * len(targets) + 0.6)
    axes = figure.subplots(len(targets), len(picks), squeeze=False)
    steps_out = truth.shape[1]
    for column, (sample, caption) in enumerate(picks):
        if future_times is not None:
            future = future_times[sample]
            past = past_times[sample] if X is not None else None
        else:
            future = np.arange(1, steps_out + 1)
            past = None if X is None else np.arange(-X.shape[1] + 1, 1)
        for row, name in enumerate(targets):
            axis = axes[row, column]
            if X is not None:
                axis.plot(past, X[sample, :, row], color=INPUT_COLOUR, linewidth=1, label="input")
            axis.plot(future, truth[sample, :, row], color=ACTUAL_COLOUR, label="actual")
            for index, label in enumerate(names):
                values = np.asarray(predictions[label])[sample, :, row]
                axis.plot(future, values, **_style(index, label))
            axis.set_ylabel(name)
            error = np.abs(model[sample, :, row] - truth[sample, :, row]).mean()
            axis.set_title(f"{caption}: MAE {error:.3g}", fontsize=9)
            if future_times is not None:
                axis.tick_params(axis="x", labelrotation=30, labelsize=7)
            else:
                axis.set_xlabel("steps from the forecast origin")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)
    figure.suptitle("Forecast against actual on test windows")
    return _png(figure)


def horizon_figure(
    errors: Mapping[str, Mapping[str, list[float]]],
    *,
    metric: str = "MAE",
    per_step: bool = False,
) -> bytes:
    """``metric`` at each step, one panel per target (each on its own scale), one line
    per model, the legend beside the panels."""
    panels = list(errors)
    figure = _figure(6.4, 2.4 * len(panels) + 0.6)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for axis, panel in zip(axes, panels, strict=True):
        for index, (name, values) in enumerate(errors[panel].items()):
            steps = np.arange(1, len(values) + 1)
            axis.plot(steps, values, marker="o", markersize=3, **_style(index, name))
        axis.set(ylabel=f"{metric} of {panel}" if len(panels) > 1 or panel else metric)
    axes[-1].set_xlabel("step of the window" if per_step else "steps ahead")
    axes[0].set_title(f"{metric} by {'step' if per_step else 'horizon step'}")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize=8, frameon=False)
    return _png(figure)


def comparison_figure(scores: dict[str, dict[str, float]], metric: str) -> bytes:
    """One bar per model for ``metric``: the network blue, the best baseline orange,
    the other baselines grey."""
    names = list(scores)
    values = [scores[name][metric] for name in names]
    higher_is_better = metric in ("accuracy", "balanced_accuracy", "macro_F1")
    baselines = {name: value for name, value in zip(names[1:], values[1:], strict=True)}
    best = (max if higher_is_better else min)(baselines, key=baselines.get) if baselines else None
    figure = _figure(6.4, 0.45 * len(names) + 1.2)
    axis = figure.subplots()
    colours = [
        MODEL_COLOUR if index == 0 else BASELINE_COLOURS[0] if name == best else "#BBBBBB"
        for index, name in enumerate(names)
    ]
    axis.barh(names[::-1], values[::-1], color=colours[::-1])
    for position, value in enumerate(values[::-1]):
        axis.text(value, position, f" {value:.4g}", va="center", fontsize=8)
    axis.set_xlim(0, max(values) * 1.2 if max(values) > 0 else 1)
    better = "higher is better" if higher_is_better else "lower is better"
    axis.set(xlabel=f"{metric} ({better})", title=f"Model against baselines ({metric}, test)")
    return _png(figure)


STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
    "line-height:1.4}"
    ".verdict{font-size:1.15em;padding:.7em 1em;border-left:.4em solid #0072B2;"
    "background:#eef5fb}"
    ".verdict.warning{border-color:#E69F00;background:#fdf3e1}"
    ".table{overflow-x:auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}"
    "pre{background:#f6f6f6;padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere}"
    "img{max-width:100%;height:auto}"
)


def write_report(
    folder: Path,
    title: str,
    sections: list[tuple[str, str]],
    figures: dict[str, bytes],
    *,
    first_line: str | None = None,
    warning: bool = False,
) -> None:
    """Write ``report.md`` (figures beside it) and a self-contained ``report.html``.

    ``sections`` are (heading, Markdown body) pairs; figures are PNG bytes by name.
    ``first_line``, when given, comes before everything else (the title included): the
    verdict a reader must not miss, marked as a warning when ``warning``.
    """
    figure_folder = folder / "figures"
    figure_folder.mkdir(exist_ok=True)
    markdown = [f"> **{first_line}**", ""] if first_line else []
    kind = "verdict warning" if warning else "verdict"
    page = (
        [f'<p class="{kind}"><strong>{html.escape(first_line)}</strong></p>'] if first_line else []
    )
    markdown += [f"# {title}", ""]
    page.insert(0, f"<h1>{html.escape(title)}</h1>")
    for heading, body in sections:
        markdown += [f"## {heading}", "", body, ""]
        page += [f"<h2>{html.escape(heading)}</h2>", _markdown_to_html(body)]
    markdown += ["## Figures", ""]
    page.append("<h2>Figures</h2>")
    for name, png in figures.items():
        (figure_folder / f"{name}.png").write_bytes(png)
        caption = name.replace("_", " ")
        markdown += [f"![{caption}](figures/{name}.png)", ""]
        encoded = base64.b64encode(png).decode()
        page.append(f'<p><img alt="{caption}" src="data:image/png;base64,{encoded}"></p>')
    (folder / "report.md").write_text("\n".join(markdown))
    (folder / "report.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(page)}</body></html>"
    )


def _markdown_to_html(body: str) -> str:
    """The few Markdown forms our reports use: tables, code blocks, bullets, paragraphs."""
    out, table, code = [], [], None
    for line in [*body.splitlines(), ""]:
        if code is not None:
            if line.startswith("```"):
                out.append(f"<pre>{html.escape(chr(10).join(code))}</pre>")
                code = None
            else:
                code.append(line)
            continue
        if line.startswith("```"):
            code = []
        elif line.startswith("|"):
            if not set(line) <= set("|-: "):
                table.append([cell.strip() for cell in line.strip("|").split("|")])
            continue
        elif line.startswith("- "):
            out.append(f"<ul><li>{html.escape(line[2:])}</li></ul>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
        if table and not line.startswith("|"):
            head, *rows = table
            out.insert(
                len(out) - (1 if line.strip() else 0),
                "<div class='table'><table><tr>"
                + "".join(f"<th>{html.escape(cell)}</th>" for cell in head)
                + "</tr>"
                + "".join(
                    "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                    for row in rows
                )
                + "</table></div>",
            )
            table = []
    return "".join(out)
