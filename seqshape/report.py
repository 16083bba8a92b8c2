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


def _figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas: no pyplot, no global backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def loss_figure(history: dict[str, list[float]], best_epoch: int) -> bytes:
    """Training and validation loss by epoch, the restored epoch marked."""
    figure = _figure(6.4, 3.6)
    axis = figure.subplots()
    epochs = np.arange(1, len(history["loss"]) + 1)
    axis.plot(epochs, history["loss"], label="training")
    if "val_loss" in history:
        axis.plot(epochs, history["val_loss"], label="validation")
    axis.axvline(best_epoch, color="grey", linestyle=":", label=f"best epoch ({best_epoch})")
    axis.set(xlabel="epoch", ylabel="loss (scaled units)", title="Training and validation loss")
    axis.set_yscale("log")
    axis.legend()
    return _png(figure)


def forecast_figure(X, y_true, y_pred, targets: list[str], count: int = 3) -> bytes:
    """A few test windows: the input context, what happened, and the forecast."""
    count = min(count, len(X))
    picks = np.linspace(0, len(X) - 1, count).astype(int)
    figure = _figure(4.2 * count, 2.6 * len(targets))
    axes = figure.subplots(len(targets), count, squeeze=False)
    steps_in, steps_out = X.shape[1], y_true.shape[1]
    past = np.arange(-steps_in + 1, 1)
    future = np.arange(1, steps_out + 1)
    for column, sample in enumerate(picks):
        for row, name in enumerate(targets):
            axis = axes[row, column]
            axis.plot(past, X[sample, :, row], color="black", linewidth=1, label="input")
            axis.plot(future, y_true[sample, :, row], color="tab:green", label="actual")
            axis.plot(
                future, y_pred[sample, :, row], color="tab:red", linestyle="--", label="forecast"
            )
            axis.axvline(0.5, color="grey", linewidth=0.5)
            axis.set_title(f"{name}, test window {sample}", fontsize=9)
    axes[0, 0].legend(fontsize=8)
    figure.suptitle("Forecast against actual on test windows")
    return _png(figure)


def horizon_figure(errors_by_step: dict[str, list[float]]) -> bytes:
    """MAE at each step ahead, one line per model."""
    figure = _figure(6.4, 3.6)
    axis = figure.subplots()
    for name, errors in errors_by_step.items():
        axis.plot(np.arange(1, len(errors) + 1), errors, marker="o", markersize=3, label=name)
    axis.set(xlabel="steps ahead", ylabel="MAE", title="Error by horizon step")
    axis.legend(fontsize=8)
    return _png(figure)


def comparison_figure(scores: dict[str, dict[str, float]], metric: str) -> bytes:
    """One bar per model for ``metric``; the network's bar coloured."""
    names = list(scores)
    values = [scores[name][metric] for name in names]
    figure = _figure(6.4, 0.5 * len(names) + 1.2)
    axis = figure.subplots()
    colours = ["tab:red" if index == 0 else "tab:grey" for index in range(len(names))]
    axis.barh(names[::-1], values[::-1], color=colours[::-1])
    for position, value in enumerate(values[::-1]):
        axis.text(value, position, f" {value:.4g}", va="center", fontsize=8)
    axis.set(xlabel=metric, title=f"Model against baselines ({metric}, test set)")
    return _png(figure)


def write_report(
    folder: Path,
    title: str,
    sections: list[tuple[str, str]],
    figures: dict[str, bytes],
    *,
    first_line: str | None = None,
) -> None:
    """Write ``report.md`` (figures beside it) and a self-contained ``report.html``.

    ``sections`` are (heading, Markdown body) pairs; figures are PNG bytes by name.
    ``first_line``, when given, comes before everything else (the title included): the
    one sentence a reader must not miss.
    """
    figure_folder = folder / "figures"
    figure_folder.mkdir(exist_ok=True)
    markdown = [first_line, ""] if first_line else []
    page = [f"<p><strong>{html.escape(first_line)}</strong></p>"] if first_line else []
    markdown += [f"# {title}", ""]
    page.append(f"<h1>{html.escape(title)}</h1>")
    for heading, body in sections:
        markdown += [f"## {heading}", "", body, ""]
        page += [f"<h2>{html.escape(heading)}</h2>", _markdown_to_html(body)]
    markdown += ["## Figures", ""]
    page.append("<h2>Figures</h2>")
    for name, png in figures.items():
        (figure_folder / f"{name}.png").write_bytes(png)
        markdown += [f"![{name}](figures/{name}.png)", ""]
        encoded = base64.b64encode(png).decode()
        page.append(f'<p><img alt="{name}" src="data:image/png;base64,{encoded}"></p>')
    (folder / "report.md").write_text("\n".join(markdown))
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
        "pre{background:#f6f6f6;padding:.6em;overflow:auto}img{max-width:100%}"
    )
    (folder / "report.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{style}</style></head><body>{''.join(page)}</body></html>"
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
                "<table><tr>"
                + "".join(f"<th>{html.escape(cell)}</th>" for cell in head)
                + "</tr>"
                + "".join(
                    "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                    for row in rows
                )
                + "</table>",
            )
            table = []
    return "".join(out)
