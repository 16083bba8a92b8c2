"""Choosing the topology and strategy: shapes (``seqshape.spec``) + the registry -> a spec.

``spec_from_shapes`` is a pure function of per-sample shapes; ``infer_spec`` reads the
arrays (dtype, labels) and calls it. Both are also ``seqshape.spec_from_shapes`` and
``seqshape.infer_spec``. Every title, reason and rule of choice comes from the registry
(``seqshape.builders.registry``), where each topology and strategy is registered.

Example:
    >>> from seqshape.builders.choice import spec_from_shapes
    >>> spec = spec_from_shapes((40, 2), (10, 2))
    >>> spec.topology, spec.strategy
    ('many_to_many', 'encoder_decoder')
    >>> print(spec.reasons[0])
    X holds one sequence per sample: 40 steps of 2 features.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from seqshape.builders.build import takes_any_length
from seqshape.builders.registry import (
    choosing_topologies,
    default_strategy,
    get_builder,
    get_topology,
    strategies,
    topologies,
)
from seqshape.errors import InvalidInputError
from seqshape.spec import (
    TASKS,
    TopologySpec,
    check_mask_value,
    classification_task,
    closing_reasons,
    read_shapes,
)
from seqshape.validation import (
    NAN_PADDING,
    as_numeric_array,
    check_choice,
    describe,
    has_nan_steps,
)


def choose_topology(draft: TopologySpec) -> str:
    """The topology ``topology="auto"`` picks for a draft spec (``seqshape.spec.read_shapes``).

    Example:
        >>> from seqshape.spec import read_shapes
        >>> choose_topology(read_shapes((1, 3), ())), choose_topology(read_shapes((9, 3), ()))
        ('one_to_one', 'many_to_one')
    """
    for topology in choosing_topologies():
        if topology.chooses(draft):
            return topology.name
    raise InvalidInputError(
        "topology",
        expected=f"a registered topology that chooses X samples {draft.input_shape} -> "
        f"y samples {draft.output_shape}",
        received=f"none among {list(topologies())}",
        fix="Force one by name with topology=..., or register one whose `chooses` accepts "
        "these shapes.",
    )


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
    draft = read_shapes(
        x_shape, y_shape, task=task, n_classes=n_classes, vocabulary_size=vocabulary_size
    )
    if topology == "auto":
        chosen = choose_topology(draft)
        asked_for = ""
    else:
        chosen = check_choice(topology, "topology", topologies())
        asked_for = f"Topology {chosen} was asked for by name. "
    strategy_name = (
        default_strategy(chosen, draft.input_kind, draft) if strategy == "auto" else strategy
    )
    builder = get_builder(chosen, strategy_name)
    registered = get_topology(chosen)
    spec = dataclasses.replace(
        draft,
        topology=chosen,
        strategy=strategy_name,
        topology_title=registered.title,
        mask_value=None if mask_value is None else check_mask_value(mask_value, draft.input_kind),
    )
    strategy_reason = (
        builder.reason_for(spec)
        if strategy == "auto"
        else f"Strategy {strategy} was asked for by name."
    )
    reasons = [*draft.reasons, asked_for + registered.reason(spec)]
    reasons += [reason for reason in (strategy_reason, builder.summary) if reason]
    closing = closing_reasons(spec, any_length=takes_any_length(spec))
    spec = dataclasses.replace(spec, reasons=(*reasons, *closing))
    problem = builder.unsupported(spec)
    if problem:
        valid = [
            f"{name}/{option}"
            for name in topologies()
            for option in _strategies_serving(name, spec)
        ]
        raise InvalidInputError(
            "strategy" if strategy != "auto" else "topology",
            expected=f"a topology and strategy that can serve X samples {draft.input_shape} -> "
            f"y samples {draft.output_shape}",
            received=f"{chosen}/{strategy_name}: {problem}",
            fix=f"Leave topology and strategy on 'auto', or pick one of {valid}.",
        )
    return spec


def _strategies_serving(topology: str, spec: TopologySpec) -> list[str]:
    return [
        name
        for name in strategies(topology)
        if not get_builder(topology, name).unsupported(
            dataclasses.replace(spec, topology=topology, strategy=name)
        )
    ]


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
        as_numeric_array(X, "X", padding=True),
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
    """``infer_spec`` for arrays already checked by ``as_numeric_array``.

    X with NaN steps (variable-length sequences padded with NaN, accepted by
    ``as_numeric_array(..., padding=True)``) is masked: ``mask_value`` becomes
    ``NAN_PADDING`` unless one was given.

    Example:
        >>> X = np.ones((4, 6, 2))
        >>> X[0, 4:] = np.nan
        >>> infer_spec_from_arrays(X, np.zeros(4)).mask_value
        -1048576.0
    """
    if X.ndim < 2:
        raise InvalidInputError(
            "X",
            expected="at least 2 axes (samples, features)",
            received=describe(X),
            fix="Reshape your data with X.reshape(-1, 1) for one feature, or "
            "X.reshape(1, -1) for one sample.",
        )
    check_choice(task, "task", ("auto", *TASKS))
    if mask_value is None and X.ndim == 3 and has_nan_steps(X):
        mask_value = NAN_PADDING
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
