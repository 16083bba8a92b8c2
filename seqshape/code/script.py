"""The standalone script: the model's source, compiled for the task, fitted on data of
the given shapes, with the scaling seqshape applies.

``keras_script`` takes everything already decided (the spec, the built model, the
training settings and, for a fitted model, what was learned) and writes the text.
``seqshape.code.keras_code`` and ``SequenceModel.to_keras_code`` are its callers.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import keras
import numpy as np

from seqshape.builders.options import ArchitectureOptions
from seqshape.builders.registry import diagram_lines, get_builder, topology_title
from seqshape.code.custom_layers import class_sources
from seqshape.code.source import LINE_LENGTH, model_source, shape_words, split_call
from seqshape.combination import EVEN_SHARE
from seqshape.params import resolved_epochs
from seqshape.spec import TopologySpec

PLACEHOLDER = "PLACEHOLDER"


@dataclass(frozen=True)
class Training:
    """The training settings the script writes (seqshape's defaults unless given)."""

    epochs: str | int = "auto"
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 10
    validation_fraction: float = 0.2
    random_state: int | None = 0


@dataclass(frozen=True)
class Learned:
    """What a fitted model learned that the script must repeat outside the model."""

    x_mean: np.ndarray | None = None  # global standardisation of X, per feature
    x_scale: np.ndarray | None = None
    y_mean: np.ndarray | None = None  # standardisation of regression targets
    y_scale: np.ndarray | None = None
    classes: np.ndarray | None = None  # the user's labels, sorted
    class_weights: np.ndarray | None = None  # each class index's weight in the loss
    ridge_last_value: bool = False  # RidgeCombination's partner: the last value, no map


def _numbers(name: str, values: np.ndarray) -> list[str]:
    """``NAME = np.array([...])`` wrapped to the line length, values round-tripping."""
    items = [repr(float(value)) for value in np.asarray(values).ravel()]
    return _array_lines(name, items)


def _array_lines(name: str, items: list[str]) -> list[str]:
    flat = f"{name} = np.array([{', '.join(items)}])"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    wrapped = textwrap.wrap(", ".join(items) + ",", LINE_LENGTH - 8, break_on_hyphens=False)
    return [f"{name} = np.array(", "    [", *[f"        {line}" for line in wrapped], "    ]", ")"]


def _labels(classes: np.ndarray) -> list[str]:
    items = []
    for label in classes.tolist():
        items.append(f'"{label}"' if isinstance(label, str) else repr(label))
    return _array_lines("CLASSES", [item.replace("\\", "\\\\") for item in items])


def _docstring(spec: TopologySpec, command: str, fitted: bool) -> list[str]:
    title = f"{topology_title(spec)}, {spec.strategy}"
    x_words = shape_words((None, *spec.input_shape)).replace("batch", "samples")
    y_words = shape_words((None, *spec.output_shape)).replace("batch", "samples")
    lines = [f'"""{title}, {spec.task}: X {x_words} -> y {y_words}.', ""]
    if len(lines[0]) > LINE_LENGTH:
        lines = [f'"""{title}, {spec.task}.', "", f"X {x_words} -> y {y_words}.", ""]
    source = "the model seqshape fitted" if fitted else "seqshape's model for these shapes"
    intro = (
        f"Written by `{command}`: {source}, as plain Keras 3 that imports only keras and "
        "numpy. The layers, shapes and parameter count are seqshape's; the code is yours "
        "to change. Replace the placeholder data with your own arrays."
    )
    lines += textwrap.wrap(intro, LINE_LENGTH, break_on_hyphens=False)
    lines += ["", "Why this model:"]
    for reason in spec.reasons:
        if reason:
            lines += textwrap.wrap(
                reason,
                LINE_LENGTH,
                initial_indent="  - ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
    lines += ["", "Diagram:", *[f"  {line}".rstrip() for line in diagram_lines(spec)], '"""']
    return [line.replace("\\", "/") for line in lines]


def _compile_lines(spec: TopologySpec, training: Training) -> list[str]:
    metrics = ', metrics=["accuracy"]' if spec.is_classifier else ""
    optimizer = f"keras.optimizers.Adam(learning_rate={training.learning_rate!r})"
    return split_call(f'model.compile(optimizer={optimizer}, loss="{spec.loss}"{metrics})', "")


def _data_lines(spec: TopologySpec, samples: int, learned: Learned | None) -> list[str]:
    x_shape = (samples, *spec.input_shape)
    lines = [
        f"# ---- {PLACEHOLDER} data: replace X and y with your own arrays of these shapes ----",
        f"# X: {shape_words((None, *spec.input_shape)).replace('batch', 'samples')}"
        + (" integer token ids" if spec.input_kind == "tokens" else " floats")
        + f"; y: {shape_words((None, *spec.output_shape)).replace('batch', 'samples')}"
        + (" class labels" if spec.is_classifier else " floats")
        + ".",
        "rng = np.random.default_rng(0)",
    ]
    if spec.input_kind == "tokens":
        x_code = f"rng.integers(1, {spec.vocabulary_size}, size={x_shape})"
    else:
        x_code = f'rng.normal(size={x_shape}).astype("float32")'
    lines.append(f"X = {x_code}  # {PLACEHOLDER}")
    if spec.mask_value is not None and spec.input_steps and spec.input_steps > 1:
        pad = 0 if spec.input_kind == "tokens" else "MASK_VALUE"
        lines += [
            f"# variable-length sequences: padded steps hold {pad} in every feature",
            f"X[: len(X) // 2, -(X.shape[1] // 4 or 1) :] = {pad}  # {PLACEHOLDER}",
        ]
    y_shape = (samples, *spec.output_shape)
    if spec.task == "regression":
        y_code = f'rng.normal(size={y_shape}).astype("float32")'
    elif learned is not None and learned.classes is not None:
        y_code = f"CLASSES[rng.integers(0, len(CLASSES), size={y_shape})]"
    else:
        classes = 2 if spec.task == "binary" else spec.n_classes
        y_code = f"rng.integers(0, {classes}, size={y_shape})"
    lines.append(f"y = {y_code}  # {PLACEHOLDER}")
    return lines


def _scaling_lines(spec: TopologySpec, learned: Learned | None) -> tuple[list[str], bool]:
    """Lines that define ``scale_inputs`` (and for regression ``scale_targets`` and
    ``unscale``); True when X is standardised outside the model."""
    standardised = spec.input_kind != "tokens" and spec.normalization == "global"
    lines: list[str] = []
    if spec.normalization == "window":
        lines += [
            "# Normalisation happens inside the model: InstanceNormalization removes each",
            "# window's last value and scale, InstanceDenormalization restores them.",
        ]
        if spec.season > 1:
            lines += [
                f"# SeasonalNaive gives {spec.seasonal_base.title}: the network's",
                "# output is a correction added to that forecast before restoring.",
            ]
        if spec.base_weights:
            unit = "season" if spec.season > 1 else "step"
            lines += [
                f"# SeasonalWeights adds a learned weight for each past {unit} of the window",
                "# at each output step (zero at the start).",
            ]
    elif spec.input_kind == "tokens":
        lines.append("# Token ids go into the Embedding as they are.")
    elif spec.normalization == "none":
        lines.append("# No scaling: the inputs are fed as they are.")
    mask = spec.mask_value
    if standardised:
        if learned is not None and learned.x_mean is not None:
            lines.append("# Each feature standardised as seqshape fitted it (training part only).")
            lines += _numbers("X_MEAN", learned.x_mean) + _numbers("X_SCALE", learned.x_scale)
        else:
            lines += [
                "# Each feature standardised with statistics of the training part only.",
                *(["# (the padded steps left out)."] if mask is not None else []),
                "train_steps = X[:n_train].reshape(-1, X.shape[-1])",
            ]
            if mask is not None:
                lines.append("train_steps = train_steps[~np.all(train_steps == MASK_VALUE, -1)]")
            lines += [
                "X_MEAN = train_steps.mean(axis=0)",
                "X_SCALE = train_steps.std(axis=0)",
                "X_SCALE[X_SCALE == 0] = 1.0  # a constant feature: nothing to scale",
            ]
        lines += ["", "", "def scale_inputs(values):"]
        if mask is not None:
            lines += [
                "    padded = np.all(values == MASK_VALUE, axis=-1, keepdims=True)",
                "    scaled = np.where(padded, MASK_VALUE, (values - X_MEAN) / X_SCALE)",
                '    return scaled.astype("float32")',
            ]
        else:
            lines.append('    return ((values - X_MEAN) / X_SCALE).astype("float32")')
        lines.append("")
    else:
        lines += ["", "", "def scale_inputs(values):", "    return values", ""]
    if spec.task == "regression":
        if learned is not None and learned.y_mean is not None:
            lines += ["", "# Targets standardised as fitted by seqshape."]
            lines += _numbers("Y_MEAN", learned.y_mean) + _numbers("Y_SCALE", learned.y_scale)
        elif spec.normalization == "window":
            lines += ["", "# Targets stay in their units: the model restores them."]
            lines += ["Y_MEAN, Y_SCALE = 0.0, 1.0"]
        else:
            lines += [
                "",
                "# Targets standardised with the training part's statistics.",
                "train_targets = y[:n_train].reshape(-1, y.shape[-1] if y.ndim > 1 else 1)",
                "Y_MEAN = train_targets.mean(axis=0)",
                "Y_SCALE = train_targets.std(axis=0)",
                "Y_SCALE[Y_SCALE == 0] = 1.0  # a constant target: nothing to scale",
            ]
        lines += [
            "",
            "",
            "def scale_targets(values):",
            "    flat = values.reshape(len(values), -1, Y_MEAN.size if np.ndim(Y_MEAN) else 1)",
            '    return ((flat - Y_MEAN) / Y_SCALE).reshape(values.shape).astype("float32")',
            "",
            "",
            "def unscale(outputs, shape):",
            "    flat = outputs.reshape(len(outputs), -1, Y_MEAN.size if np.ndim(Y_MEAN) else 1)",
            "    return (flat * Y_SCALE + Y_MEAN).reshape(len(outputs), *shape)",
            "",
        ]
    return lines, standardised


def _fit_lines(spec: TopologySpec, training: Training, learned: Learned | None) -> list[str]:
    lines = ["", f"EPOCHS = {resolved_epochs(training.epochs)}"]
    if training.validation_fraction > 0:
        lines += [
            "# The last samples stop training early (for windows cut from one series, a",
            "# split by time; shuffle independent samples first).",
            f"VALIDATION_FRACTION = {training.validation_fraction!r}",
            "n_train = max(1, int(len(X) * (1 - VALIDATION_FRACTION)))",
        ]
    else:
        lines.append("n_train = len(X)  # nothing held out: training stops on its own loss")
    lines.append("")
    scaling, _ = _scaling_lines(spec, learned)
    lines += scaling
    if spec.task == "regression":
        targets = "scale_targets(y)"
    elif learned is not None and learned.classes is not None:
        targets = "np.searchsorted(CLASSES, y)  # labels -> class indices"
    else:
        targets = "y  # class indices 0, 1, ..."
    held_out = training.validation_fraction > 0
    lines += ["", "inputs_all = scale_inputs(X)", f"targets_all = {targets}", "model.fit("]
    lines += ["    inputs_all[:n_train],", "    targets_all[:n_train],"]
    weighted = learned is not None and learned.class_weights is not None
    if weighted:
        lines.append("    sample_weight=CLASS_WEIGHTS[targets_all[:n_train]],")
    if held_out and weighted:
        lines += [
            "    validation_data=(",
            "        inputs_all[n_train:],",
            "        targets_all[n_train:],",
            "        CLASS_WEIGHTS[targets_all[n_train:]],",
            "    ),",
        ]
    elif held_out:
        lines.append("    validation_data=(inputs_all[n_train:], targets_all[n_train:]),")
    monitor = "val_loss" if held_out else "loss"
    lines += [
        "    epochs=EPOCHS,",
        f"    batch_size={training.batch_size},",
        "    callbacks=[",
        "        keras.callbacks.EarlyStopping(",
        f'            monitor="{monitor}", patience={training.patience}, '
        "restore_best_weights=True",
        "        )",
        "    ],",
        ")",
        "",
    ]
    if spec.ridge_share is not None:
        lines += _ridge_lines(spec, learned)
    if spec.task == "regression":
        lines.append("predictions = unscale(model.predict(inputs_all[:5]), y.shape[1:])")
    elif spec.task == "binary":
        labels = "CLASSES[indices]" if learned is not None and learned.classes is not None else ""
        lines.append("probabilities = model.predict(inputs_all[:5])  # P(class 1)")
        lines.append("indices = (probabilities[..., 0] > 0.5).astype(int)")
        if labels:
            lines.append(f"predictions = {labels}")
    else:
        lines.append("probabilities = model.predict(inputs_all[:5])  # one column a class")
        lines.append("indices = probabilities.argmax(axis=-1)")
        if learned is not None and learned.classes is not None:
            lines.append("predictions = CLASSES[indices]")
    return lines


def _ridge_lines(spec: TopologySpec, learned: Learned | None) -> list[str]:
    """Lines that fit RidgeCombination's map on the training windows and set its share."""
    share = spec.ridge_share if learned is not None else EVEN_SHARE
    why = "the share seqshape chose" if learned is not None else "an even mix"
    if learned is not None and learned.ridge_last_value:
        steps, horizon = spec.input_shape[0], spec.output_steps or 1
        return [
            "# RidgeCombination mixes the forecast with each target's last value in its",
            "# window: its map of the window's past steps is left at zero (seqshape chose",
            "# this partner over a ridge map on the validation windows).",
            f"RIDGE_SHARE = {share!r}  # {why}",
            "ridge = next(layer for layer in model.layers if isinstance(layer, RidgeCombination))",
            f"ridge.kernel.assign(np.zeros(({steps}, {horizon})))",
            "ridge.share.assign(RIDGE_SHARE)",
            "",
        ]
    return [
        "# RidgeCombination mixes the forecast with a ridge map of each window's past steps,",
        "# fitted here in closed form on the training windows: each target's window less",
        "# its last value, over its spread; one map for every target, no intercept, each",
        "# row weighted by its window's spread. (seqshape chooses the share on the",
        "# validation windows.)",
        f"TARGET_FEATURES = {list(spec.target_features)}",
        f"RIDGE_SHARE = {share!r}  # {why}",
        'windows = X[:n_train][:, :, TARGET_FEATURES].astype("float64")',
        'steps = y[:n_train].reshape(n_train, -1, len(TARGET_FEATURES)).astype("float64")',
        "last = windows[:, -1:, :]",
        "spread = np.sqrt(windows.var(axis=1, keepdims=True) + 1e-5)",
        "",
        "",
        "def window_rows(values):  # (n, S, K) -> (n K, S)",
        "    return np.swapaxes((values - last) / spread, 1, 2).reshape(-1, values.shape[1])",
        "",
        "",
        "rows_in, rows_out = window_rows(windows), window_rows(steps)",
        "weight = (spread / spread.mean()).reshape(-1, 1)",
        "gram = (rows_in * weight).T @ rows_in + 1.0 * np.eye(rows_in.shape[1])",
        "kernel = np.linalg.solve(gram, (rows_in * weight).T @ rows_out)",
        "ridge = next(layer for layer in model.layers if isinstance(layer, RidgeCombination))",
        "ridge.kernel.assign(kernel)",
        "ridge.share.assign(RIDGE_SHARE)",
        "",
    ]


def keras_script(
    spec: TopologySpec,
    options: ArchitectureOptions,
    model: keras.Model,
    *,
    training: Training,
    samples: int,
    command: str,
    learned: Learned | None = None,
) -> str:
    """The standalone script for ``model`` built for ``spec``.

    The model's source is its builder's own (``register_builder(code=...)``) when it
    has one, else read off ``model`` (``seqshape.code.source.model_source``).
    """
    builder = get_builder(spec.topology, spec.strategy)
    if builder.code is not None:
        definition = builder.code(spec, options).strip().splitlines()
        classes: list[str] = []
    else:
        source = model_source(model)
        definition, classes = source.lines, source.classes
    lines = [
        *_docstring(spec, command, learned is not None),
        "",
        "import keras",
        "import numpy as np",
    ]
    for block in class_sources(classes):
        lines += ["", "", *block.splitlines()]
    lines += ["", ""] if classes else [""]
    lines.append(f"keras.utils.set_random_seed({training.random_state or 0})")
    if spec.mask_value is not None and spec.input_kind != "tokens":
        lines += [f"MASK_VALUE = {spec.mask_value!r}  # every feature of a padded step", ""]
    if learned is not None and learned.classes is not None:
        lines += [*_labels(learned.classes), ""]
    if learned is not None and learned.class_weights is not None:
        lines += ["# each class's weight in the training loss (class_weight)"]
        lines += [*_numbers("CLASS_WEIGHTS", learned.class_weights), ""]
    lines += definition
    lines += ["", *_compile_lines(spec, training), "", ""]
    lines += _data_lines(spec, samples, learned)
    lines += _fit_lines(spec, training, learned)
    return "\n".join(_tidy(lines)).rstrip() + "\n"


def _tidy(lines: list[str]) -> list[str]:
    """No trailing spaces, and never more than two blank lines in a row."""
    tidy: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and len(tidy) >= 2 and not tidy[-1] and not tidy[-2]:
            continue
        tidy.append(line)
    return tidy
