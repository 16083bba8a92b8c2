"""Shapes -> topology spec: the one place where the shapes of X and y are interpreted.

``spec_from_shapes`` is a pure function of per-sample shapes; ``infer_spec`` reads
the arrays (dtype, labels) and calls it. Everything downstream (builders, estimator,
explanation, saving) reads the immutable ``TopologySpec`` it returns.

Example:
    >>> from seqshape.spec import spec_from_shapes
    >>> spec = spec_from_shapes((40, 2), (10, 2))
    >>> spec.topology, spec.strategy
    ('many_to_many', 'encoder_decoder')
    >>> print(spec.reasons[0])
    X holds one sequence per sample: 40 steps of 2 features.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from seqshape.errors import InvalidInputError
from seqshape.validation import as_numeric_array, check_choice, check_positive_int, describe

TASKS = ("regression", "binary", "multiclass")
INPUT_KINDS = ("vector", "sequence", "tokens", "frames")

_TOPOLOGY_WORDS = {
    "one_to_one": "one-to-one",
    "one_to_many": "one-to-many",
    "many_to_one": "many-to-one",
    "many_to_many_aligned": "many-to-many (aligned)",
    "many_to_many": "many-to-many (different lengths)",
    "channel_independent": "channel-independent many-to-many",
    "spatio_temporal": "spatio-temporal",
}


@dataclass(frozen=True)
class TopologySpec:
    """What seqshape decided from the shapes, and why.

    Shapes are per sample (without the leading samples axis). ``input_steps`` and
    ``output_steps`` are ``None`` where a sample is one vector rather than a sequence.
    """

    topology: str
    strategy: str
    input_kind: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    input_steps: int | None
    input_features: int
    output_steps: int | None
    output_features: int
    task: str = "regression"
    n_classes: int | None = None
    vocabulary_size: int | None = None
    mask_value: float | None = None
    reasons: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    @property
    def per_step(self) -> bool:
        """True when y holds a sequence per sample (one output per output step)."""
        return self.output_steps is not None

    @property
    def head_units(self) -> int:
        """Width of the output layer per step (or per sample)."""
        return {"regression": self.output_features, "binary": 1}.get(
            self.task, self.n_classes or 0
        )

    @property
    def head_activation(self) -> str:
        return {"regression": "linear", "binary": "sigmoid", "multiclass": "softmax"}[self.task]

    @property
    def loss(self) -> str:
        return {
            "regression": "mean_squared_error",
            "binary": "binary_crossentropy",
            "multiclass": "sparse_categorical_crossentropy",
        }[self.task]

    @property
    def target_shape(self) -> tuple[int, ...]:
        """Per-sample shape of the targets the Keras model is trained on."""
        width = self.output_features if self.task == "regression" else 1
        return (self.output_steps, width) if self.per_step else (width,)

    @property
    def title(self) -> str:
        """Human name of the topology and strategy: ``many-to-one (last_state)``."""
        return f"{_TOPOLOGY_WORDS.get(self.topology, self.topology)}, {self.strategy}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TopologySpec:
        values = dict(data)
        for name in ("input_shape", "output_shape", "reasons"):
            values[name] = tuple(values[name])
        return cls(**values)


def _steps_words(steps: int) -> str:
    return f"{steps} step" if steps == 1 else f"{steps} steps"


def _features_words(count: int) -> str:
    return f"{count} feature" if count == 1 else f"{count} features"


def _read_input(
    x_shape: tuple[int, ...], vocabulary_size: int | None
) -> tuple[str, int | None, int, str]:
    """Interpret the per-sample X shape: (kind, steps, features, reason)."""
    rank = len(x_shape)
    if vocabulary_size is not None:
        if rank != 1:
            raise InvalidInputError(
                "X",
                expected="token ids of shape (samples, steps) when vocabulary_size is given",
                received=f"{rank + 1}D samples of shape {x_shape}",
                fix="Pass integer token ids as a 2D array, or leave vocabulary_size unset "
                "for numeric features.",
            )
        return (
            "tokens",
            x_shape[0],
            1,
            f"X holds integer token ids, {_steps_words(x_shape[0])} per sample, from a "
            f"vocabulary of {vocabulary_size}: an Embedding turns each id into a vector.",
        )
    if rank == 1:
        return (
            "vector",
            None,
            x_shape[0],
            f"X holds one vector of {_features_words(x_shape[0])} per sample (2D X).",
        )
    if rank == 2:
        return (
            "sequence",
            x_shape[0],
            x_shape[1],
            f"X holds one sequence per sample: {_steps_words(x_shape[0])} of "
            f"{_features_words(x_shape[1])}.",
        )
    if rank == 4:
        steps, height, width, channels = x_shape
        return (
            "frames",
            steps,
            channels,
            f"X holds a sequence of images per sample: {_steps_words(steps)} of "
            f"{height}x{width} frames with {channels} channel(s) (5D X).",
        )
    raise InvalidInputError(
        "X",
        expected="2D (samples, features), 3D (samples, steps, features) or 5D "
        "(samples, steps, height, width, channels)",
        received=f"a {rank + 1}D array, samples of shape {x_shape}",
        fix="Add a trailing axis of size 1 for a single feature or channel "
        "(X[..., None]); flatten extra axes into features.",
    )


def _read_output(y_shape: tuple[int, ...]) -> tuple[int | None, int, str]:
    """Interpret the per-sample y shape: (steps, features, reason)."""
    rank = len(y_shape)
    if rank == 0:
        return None, 1, "y holds one value per sample (1D y)."
    if rank == 1:
        return (
            None,
            y_shape[0],
            f"y holds one vector of {_features_words(y_shape[0])} per sample (2D y).",
        )
    if rank == 2:
        return (
            y_shape[0],
            y_shape[1],
            f"y holds one sequence per sample: {_steps_words(y_shape[0])} of "
            f"{_features_words(y_shape[1])} (3D y).",
        )
    raise InvalidInputError(
        "y",
        expected="1D (samples,), 2D (samples, outputs) or 3D (samples, steps, outputs)",
        received=f"a {rank + 1}D array, samples of shape {y_shape}",
        fix="Flatten the extra axes of y into outputs.",
    )


def sequence_topology(input_steps: int, output_steps: int | None) -> str:
    """The topology of a sequence input against an output: per sample, aligned or not."""
    if output_steps is None:
        return "many_to_one"
    return "many_to_many_aligned" if output_steps == input_steps else "many_to_many"


def _auto_topology(kind: str, input_steps: int | None, output_steps: int | None) -> str:
    if kind == "frames":
        return "spatio_temporal"
    if kind == "vector":
        return "one_to_one" if output_steps is None else "one_to_many"
    if kind == "sequence" and input_steps == 1 and output_steps is None:
        return "one_to_one"
    return sequence_topology(input_steps, output_steps)


def _topology_reason(topology: str, spec_steps: tuple[int | None, int | None]) -> str:
    input_steps, output_steps = spec_steps
    reasons = {
        "one_to_one": "One input, one output per sample: one-to-one.",
        "one_to_many": f"One input vector, a sequence of {output_steps} steps out: "
        "one-to-many (the vector is repeated for each output step).",
        "many_to_one": "A sequence in, one output per sample: many-to-one (the "
        "recurrent layer's last state feeds the output).",
        "many_to_many_aligned": f"A sequence in and out, both {input_steps} steps: "
        "many-to-many aligned (one output per input step).",
        "many_to_many": f"A sequence of {input_steps} steps in and {output_steps} steps "
        "out: many-to-many with different lengths.",
        "channel_independent": "Each input channel is forecast by one shared univariate "
        "model (channel-independent).",
        "spatio_temporal": "Frames are encoded by a CNN per step, then a recurrent layer "
        "reads the sequence of frame features (spatio-temporal).",
    }
    return reasons[topology]


_STRATEGY_REASONS = {
    ("one_to_one", "dense"): "Strategy dense: a feed-forward network, since there is no "
    "sequence to recur over.",
    ("one_to_one", "recurrent"): "Strategy recurrent: the recurrent layer runs over the "
    "single step, then a Dense layer.",
    ("many_to_many", "encoder_decoder"): "Strategy encoder_decoder (the default for "
    "different lengths): an encoder reads all input steps into a state, which is "
    "repeated once per output step and decoded. Alternatives: last_steps, pad, dense_head.",
    ("many_to_many", "last_steps"): "Strategy last_steps: the recurrent layer returns "
    "every step and the last T_out steps are kept (Cropping1D, no Lambda).",
    ("many_to_many", "pad"): "Strategy pad: the input is padded with zeros to T_out steps "
    "(ZeroPadding1D), then treated as aligned.",
    ("many_to_many", "dense_head"): "Strategy dense_head: the last state feeds "
    "Dense(T_out * outputs), reshaped to (T_out, outputs).",
}


def _check_task(task: str, n_classes: int | None, output_features: int, per_step: bool):
    check_choice(task, "task", TASKS)
    if task == "regression":
        return None
    if output_features != 1:
        layout = "(samples, steps, 1)" if per_step else "(samples,)"
        raise InvalidInputError(
            "y",
            expected=f"one class label per {'step' if per_step else 'sample'}, "
            f"shape {layout}, for {task} classification",
            received=f"{output_features} outputs per {'step' if per_step else 'sample'}",
            fix="For per-step labels pass y of shape (samples, steps, 1) (y[..., None]); "
            "for several numeric targets pass float y (regression).",
        )
    if n_classes is None or n_classes < 2:
        raise InvalidInputError(
            "y",
            expected=f"at least 2 classes for {task} classification",
            received=f"{n_classes} class(es)",
            fix="Check the labels: a single class leaves nothing to learn; use "
            "task='binary' for two classes.",
        )
    return n_classes


def spec_from_shapes(
    x_shape: tuple[int, ...],
    y_shape: tuple[int, ...],
    *,
    topology: str = "auto",
    strategy: str = "auto",
    task: str = "regression",
    n_classes: int | None = None,
    vocabulary_size: int | None = None,
    mask_value: float | None = None,
) -> TopologySpec:
    """Decide the topology and strategy from per-sample shapes (samples axis removed).

    Args:
        x_shape: shape of one input sample: ``(F,)``, ``(T, F)``, ``(T,)`` token ids
            (with ``vocabulary_size``) or ``(T, H, W, C)`` frames.
        y_shape: shape of one target sample: ``()``, ``(K,)`` or ``(T_out, K)``.
        topology: ``"auto"`` or a registered topology name to force.
        strategy: ``"auto"`` or a registered strategy of that topology to force.
        task: ``"regression"``, ``"binary"`` or ``"multiclass"``.
        n_classes: number of classes, for classification.
        vocabulary_size: number of distinct token ids, when X holds tokens.
        mask_value: the value of padded steps in variable-length sequences (every
            feature equal to it); those steps are skipped. For tokens, only 0.

    Example:
        >>> spec_from_shapes((40, 1), (10,)).topology
        'many_to_one'
        >>> spec_from_shapes((5, 3), (8, 1), strategy="pad").strategy
        'pad'
    """
    from seqshape.builders.registry import default_strategy, get_builder, topologies

    x_shape = tuple(int(size) for size in x_shape)
    y_shape = tuple(int(size) for size in y_shape)
    for name, shape in (("X", x_shape), ("y", y_shape)):
        if any(size < 1 for size in shape):
            raise InvalidInputError(
                name,
                expected="every axis at least 1 long",
                received=f"samples of shape {shape}",
                fix="Zero-length sequences or features cannot be learned from; check "
                "the windowing or slicing.",
            )
    if vocabulary_size is not None:
        vocabulary_size = check_positive_int(vocabulary_size, "vocabulary_size", minimum=2)
    kind, input_steps, input_features, input_reason = _read_input(x_shape, vocabulary_size)
    output_steps, output_features, output_reason = _read_output(y_shape)
    n_classes = _check_task(task, n_classes, output_features, output_steps is not None)

    if topology == "auto":
        chosen = _auto_topology(kind, input_steps, output_steps)
        topology_reason = _topology_reason(chosen, (input_steps, output_steps))
    else:
        chosen = check_choice(topology, "topology", topologies())
        topology_reason = f"Topology {chosen} was asked for by name. " + _topology_reason(
            chosen, (input_steps, output_steps)
        )
    if strategy == "auto":
        strategy_name = default_strategy(chosen, kind)
        strategy_reason = _STRATEGY_REASONS.get((chosen, strategy_name))
    else:
        strategy_name = strategy
        strategy_reason = f"Strategy {strategy} was asked for by name."
    builder = get_builder(chosen, strategy_name)
    reasons = [input_reason, output_reason, topology_reason]
    reasons += [reason for reason in (strategy_reason, builder.summary) if reason]
    if mask_value is not None:
        mask_value = _check_mask_value(mask_value, kind)
        reasons.append(
            f"Steps whose features all equal {mask_value} are padding and are skipped "
            f"({'Embedding(mask_zero=True)' if kind == 'tokens' else 'Masking'})."
        )
    if task != "regression":
        reasons.append(
            f"y holds {n_classes} classes: {task} classification, "
            f"{'sigmoid' if task == 'binary' else 'softmax'} output and "
            f"{'binary' if task == 'binary' else 'sparse categorical'} cross-entropy."
        )
    spec = TopologySpec(
        topology=chosen,
        strategy=strategy_name,
        input_kind=kind,
        input_shape=x_shape,
        output_shape=y_shape,
        input_steps=input_steps,
        input_features=input_features,
        output_steps=output_steps,
        output_features=output_features,
        task=task,
        n_classes=n_classes,
        vocabulary_size=vocabulary_size,
        mask_value=mask_value,
        reasons=tuple(reasons),
    )
    problem = builder.unsupported(spec)
    if problem:
        valid = [
            f"{name}/{option}"
            for name in topologies()
            for option in _strategies_serving(name, spec)
        ]
        raise InvalidInputError(
            "strategy" if strategy != "auto" else "topology",
            expected=f"a topology and strategy that can serve X samples {x_shape} -> "
            f"y samples {y_shape}",
            received=f"{chosen}/{strategy_name}: {problem}",
            fix=f"Leave topology and strategy on 'auto', or pick one of {valid}.",
        )
    return spec


def _check_mask_value(mask_value: object, kind: str) -> float:
    if kind not in ("sequence", "tokens"):
        raise InvalidInputError(
            "mask_value",
            expected="None unless X holds sequences (3D X, or token ids)",
            received=f"{mask_value!r} with X samples that are {kind}s",
            fix="Leave mask_value unset: only sequences are padded.",
        )
    if (
        isinstance(mask_value, bool)
        or not isinstance(mask_value, (int, float, np.number))
        or (not np.isfinite(mask_value))
    ):
        raise InvalidInputError(
            "mask_value",
            expected="a finite number marking padded steps",
            received=repr(mask_value),
            fix="Pad with a value real data never takes, e.g. mask_value=-999.0.",
        )
    if kind == "tokens" and mask_value != 0:
        raise InvalidInputError(
            "mask_value",
            expected="0 for token ids (id 0 is the padding token)",
            received=repr(mask_value),
            fix="Pad token sequences with 0 and keep 0 for padding only.",
        )
    return float(mask_value)


def _strategies_serving(topology: str, spec: TopologySpec) -> list[str]:
    from seqshape.builders.registry import get_builder, strategies

    return [
        name
        for name in strategies(topology)
        if not get_builder(topology, name).unsupported(
            dataclasses.replace(spec, topology=topology, strategy=name)
        )
    ]


def classification_task(y: np.ndarray) -> tuple[str, np.ndarray]:
    """The task for integer or boolean y, and its sorted distinct labels."""
    classes = np.unique(y)
    return ("binary" if len(classes) <= 2 else "multiclass"), classes


def infer_spec(
    X: object,
    y: object,
    *,
    topology: str = "auto",
    strategy: str = "auto",
    task: str = "auto",
    vocabulary_size: int | None = None,
    mask_value: float | None = None,
) -> TopologySpec:
    """Read X and y and decide the topology, strategy and task.

    Integer or boolean y means classification (binary for two labels, multiclass for
    more); float y means regression. ``task`` overrides that.

    Example:
        >>> import numpy as np
        >>> spec = infer_spec(np.zeros((8, 40, 2)), np.zeros((8, 10, 2)))
        >>> spec.topology, spec.input_steps, spec.output_steps
        ('many_to_many', 40, 10)
        >>> infer_spec(np.zeros((8, 20, 3)), np.array([0, 1] * 4)).task
        'binary'
    """
    return infer_spec_from_arrays(
        as_numeric_array(X, "X"),
        as_numeric_array(y, "y"),
        topology=topology,
        strategy=strategy,
        task=task,
        vocabulary_size=vocabulary_size,
        mask_value=mask_value,
    )


def infer_spec_from_arrays(
    X: np.ndarray,
    y: np.ndarray,
    *,
    topology: str = "auto",
    strategy: str = "auto",
    task: str = "auto",
    vocabulary_size: int | None = None,
    mask_value: float | None = None,
) -> TopologySpec:
    """``infer_spec`` for arrays already checked by ``as_numeric_array``."""
    if X.ndim < 2:
        raise InvalidInputError(
            "X",
            expected="at least 2 axes (samples, features)",
            received=describe(X),
            fix="Reshape your data with X.reshape(-1, 1) for one feature, or "
            "X.reshape(1, -1) for one sample.",
        )
    check_choice(task, "task", ("auto", *TASKS))
    n_classes = None
    if task == "auto":
        task = "regression"
        if y.dtype.kind in "biu":
            task, classes = classification_task(y)
            n_classes = len(classes)
    elif task != "regression":
        if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
            raise InvalidInputError(
                "y",
                expected=f"whole-number class labels for task={task!r}",
                received=f"fractional values in {describe(y)}",
                fix="Pass integer labels, or task='regression' for continuous targets.",
            )
        n_classes = len(np.unique(y))
    return spec_from_shapes(
        X.shape[1:],
        y.shape[1:],
        topology=topology,
        strategy=strategy,
        task=task,
        n_classes=n_classes,
        vocabulary_size=vocabulary_size,
        mask_value=mask_value,
    )
