"""Shapes -> what they say: ``TopologySpec`` and the readers of per-sample shapes.

This module reads shapes and knows no topology. The builders layer chooses the topology
and strategy from what it reads here (``seqshape.builders.choice``: ``spec_from_shapes``
and ``infer_spec``, also at ``seqshape.spec_from_shapes`` and ``seqshape.infer_spec``).
Everything downstream (builders, estimator, explanation, saving) reads the immutable
``TopologySpec`` that comes out.

Example:
    >>> from seqshape.spec import read_shapes
    >>> draft = read_shapes((40, 2), (10, 2))
    >>> draft.input_kind, draft.input_steps, draft.output_steps, draft.topology
    ('sequence', 40, 10, 'auto')
    >>> print(draft.reasons[0])
    X holds one sequence per sample: 40 steps of 2 features.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from seqshape.errors import InvalidInputError
from seqshape.validation import NAN_PADDING, check_choice, check_positive_int

TASKS = ("regression", "binary", "multiclass")
INPUT_KINDS = ("vector", "sequence", "tokens", "frames")


class SeasonalBase(NamedTuple):
    """The naive forecast that window normalisation restores a network's output onto:
    the network learns corrections to it (``seqshape.layers.SeasonalNaive``).

    ``season`` is its period (1: the window's last value); ``seasons`` how many past
    seasons it averages (less noise, more lag); ``drift`` whether it adds the window's
    change per season (a trending season); ``weights`` whether the network also learns
    a weight for each of the window's past seasons (steps, for period 1) at each output
    step (``seqshape.layers.SeasonalWeights``). A tuple, so that it saves with a model's
    parameters as a list.

    Example:
        >>> SeasonalBase(12, seasons=3).title
        'the mean of the last 3 seasons of 12 steps'
        >>> SeasonalBase(4, drift=True).title
        "the last season of 4 steps plus the window's change per season"
    """

    season: int = 1
    seasons: int = 1
    drift: bool = False
    weights: bool = False

    @property
    def title(self) -> str:
        if self.season == 1:
            return "the window's last value"
        if self.drift:
            return f"the last season of {self.season} steps plus the window's change per season"
        if self.seasons > 1:
            return f"the mean of the last {self.seasons} seasons of {self.season} steps"
        return f"the seasonal naive forecast of period {self.season}"

    @property
    def steps(self) -> int:
        """The input steps it reads: the window must hold at least these."""
        return self.season * max(self.seasons, 2 if self.drift else 1)


@dataclass(frozen=True)
class TopologySpec:
    """What seqshape decided from the shapes, and why.

    Shapes are per sample (without the leading samples axis). ``input_steps`` and
    ``output_steps`` are ``None`` where a sample is one vector rather than a sequence.
    ``topology_title`` is the registered topology's human name (``many-to-one``); a spec
    read by ``read_shapes`` has topology and strategy ``"auto"`` until one is chosen.

    Example:
        >>> spec = read_shapes((40, 1), ())
        >>> spec.per_step, spec.head_units, spec.loss, spec.target_shape
        (False, 1, 'mean_squared_error', (1,))
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
    topology_title: str = field(default="", compare=False)
    # "window": instance normalisation inside the model, restoring output feature k
    # from input feature target_features[k]; "global" or "none": nothing in the model
    normalization: str = "global"
    target_features: tuple[int, ...] | None = None
    # with "window": the forecast restored onto, the naive forecast of this period
    # (1: the window's last value; m > 1: seasonal naive, the body learns corrections)
    season: int = 1
    # how many past seasons the seasonal base averages (less noise, more lag)
    base_seasons: int = 1
    # the seasonal base adds the window's change per season (a trending season)
    base_drift: bool = False
    # the body learns a weight for each past season of the window (SeasonalWeights)
    base_weights: bool = False
    # the forecast is combined with a ridge map of the window (RidgeCombination): the
    # ridge's share, chosen after training (None: the network alone)
    ridge_share: float | None = None

    @property
    def seasonal_base(self) -> SeasonalBase:
        """The forecast window normalisation restores onto (period 1 without it)."""
        return SeasonalBase(self.season, self.base_seasons, self.base_drift, self.base_weights)

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
        """Human name of the topology and strategy: ``many-to-one, last_state``."""
        return f"{self.topology_title or self.topology}, {self.strategy}"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TopologySpec:
        values = dict(data)
        for name in ("input_shape", "output_shape", "reasons"):
            values[name] = tuple(values[name])
        if values.get("target_features") is not None:
            values["target_features"] = tuple(values["target_features"])
        return cls(**values)


CHANNELS_FIRST_FEATURES = 64
"""One step of this many features or more looks like one channel of that many steps;
fewer is the one-to-one input ``(1, F)`` (tabular rows given one step)."""


def looks_channels_first(steps: int | None, features: int) -> bool:
    """Whether a sequence sample of ``steps`` by ``features`` looks transposed, as
    (channels, steps) samples from aeon's and sktime's loaders read as (steps, features):
    under half as many steps as features, and for one step, ``CHANNELS_FIRST_FEATURES``
    features or more (a univariate series).

    Example:
        >>> looks_channels_first(6, 100), looks_channels_first(1, 251)
        (True, True)
        >>> looks_channels_first(251, 1), looks_channels_first(10, 12), looks_channels_first(1, 8)
        (False, False, False)
    """
    if steps is None or not 2 * steps < features:
        return False
    return steps > 1 or features >= CHANNELS_FIRST_FEATURES


def transposed_words(steps: int, features: int) -> str:
    """What a sample of ``steps`` by ``features`` holds if it is (channels, steps): the
    sentence both the explanation and ``AxesWarning`` give.

    Example:
        >>> transposed_words(6, 100).partition("give it, ")[2]
        'X.transpose(0, 2, 1) holds 100 steps of 6 features.'
    """
    return (
        "If X is laid out (samples, channels, steps), as aeon's and sktime's loaders give "
        f"it, X.transpose(0, 2, 1) holds {_steps_words(features)} of "
        f"{_features_words(steps)}."
    )


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
        steps, features = x_shape
        transposed = (
            f" Under half as many steps as features. {transposed_words(steps, features)}"
            if looks_channels_first(steps, features)
            else ""
        )
        return (
            "sequence",
            steps,
            features,
            f"X holds one sequence per sample: {_steps_words(steps)} of "
            f"{_features_words(features)}.{transposed}",
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


def read_shapes(
    x_shape: tuple[int, ...],
    y_shape: tuple[int, ...],
    *,
    task: str = "regression",
    n_classes: int | None = None,
    vocabulary_size: int | None = None,
) -> TopologySpec:
    """Read per-sample shapes into a draft spec, before any topology is chosen.

    The draft has topology and strategy ``"auto"`` and, as its reasons, what X and y
    hold. ``seqshape.builders.choice.spec_from_shapes`` chooses the rest.

    Example:
        >>> draft = read_shapes((100,), (), task="binary", n_classes=2, vocabulary_size=50)
        >>> draft.input_kind, draft.input_steps, draft.head_activation
        ('tokens', 100, 'sigmoid')
        >>> read_shapes((4, 0), ())
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `X`: expected every axis at least 1 long; ...
    """
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
    return TopologySpec(
        topology="auto",
        strategy="auto",
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
        reasons=(input_reason, output_reason),
    )


def check_mask_value(mask_value: object, kind: str) -> float:
    """The padding value of variable-length sequences, checked against the input kind.

    NaN (padding steps whose features are all NaN) becomes ``NAN_PADDING``, the finite
    value those steps hold inside the model.

    Example:
        >>> check_mask_value(-1, "sequence")
        -1.0
        >>> check_mask_value(float("nan"), "sequence")
        -1048576.0
    """
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
        or np.isinf(mask_value)
    ):
        raise InvalidInputError(
            "mask_value",
            expected="a finite number (or NaN) marking padded steps",
            received=repr(mask_value),
            fix="Pad with a value real data never takes, e.g. mask_value=-999.0, or with "
            "NaN on every feature of the padded steps.",
        )
    if kind == "tokens" and mask_value != 0:
        raise InvalidInputError(
            "mask_value",
            expected="0 for token ids (id 0 is the padding token)",
            received=repr(mask_value),
            fix="Pad token sequences with 0 and keep 0 for padding only.",
        )
    return NAN_PADDING if np.isnan(mask_value) else float(mask_value)


def closing_reasons(spec: TopologySpec, *, any_length: bool = False) -> list[str]:
    """The reasons that follow the topology's and strategy's: padding (and, with
    ``any_length``, that the model takes any number of steps), then the task.

    Example:
        >>> spec = read_shapes((20, 3), (), task="binary", n_classes=2)
        >>> closing_reasons(spec)
        ['y holds 2 classes: binary classification, sigmoid output and binary cross-entropy.']
    """
    reasons = []
    if spec.mask_value == NAN_PADDING and spec.input_kind == "sequence":
        reasons.append(
            "Steps whose features are all NaN are padding: variable-length sequences, "
            f"masked (NaN steps become {NAN_PADDING} inside, which Masking skips)."
        )
    elif spec.mask_value is not None:
        reasons.append(
            f"Steps whose features all equal {spec.mask_value} are padding and are skipped "
            f"({'Embedding(mask_zero=True)' if spec.input_kind == 'tokens' else 'Masking'})."
        )
    if any_length:
        reasons.append(
            "With the padded steps masked, the model takes sequences of any number of "
            "steps: predict accepts X padded to another length."
        )
    if spec.task != "regression":
        binary = spec.task == "binary"
        reasons.append(
            f"y holds {spec.n_classes} classes: {spec.task} classification, "
            f"{'sigmoid' if binary else 'softmax'} output and "
            f"{'binary' if binary else 'sparse categorical'} cross-entropy."
        )
    return reasons


def classification_task(y: np.ndarray) -> tuple[str, np.ndarray]:
    """The task for integer or boolean y, and its sorted distinct labels.

    Example:
        >>> classification_task(np.array([3, 1, 3]))[0]
        'binary'
    """
    classes = np.unique(y)
    return ("binary" if len(classes) <= 2 else "multiclass"), classes
