"""The model parameters, listed once: name, default, checker, help and command-line flag.

The estimators' constructors (``SequenceModel``, ``SequenceClassifier``,
``SequenceRegressor``), ``ArchitectureOptions`` and the ``seqshape`` command line are all
generated from ``PARAMS``; adding a parameter is one entry here. Every value is
validated by its entry's checker when a model is fitted or loaded.

This module imports only seqshape's base modules (errors, validation), so that the
builders can read it too.

Example:
    >>> from seqshape.params import PARAMS, check_params
    >>> [param.name for param in PARAMS if param.group == "architecture"]
    ['units', 'cell', 'bidirectional', 'dropout', 'embedding_dim', 'filters']
    >>> check_params({"units": 8, "epochs": 3})
    {'units': (8,), 'epochs': 3}
    >>> check_params({"epochs": 0})
    Traceback (most recent call last):
    ...
    seqshape.errors.InvalidInputError: Invalid `epochs`: expected an int in the range [1, inf); ...
"""

from __future__ import annotations

import inspect
import os
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.validation import check_choice, check_fraction, check_positive_int, check_units

GROUPS = ("spec", "architecture", "training")
TASK_NAMES = ("auto", "regression", "binary", "multiclass")
CELL_NAMES = ("lstm", "gru", "simple_rnn")
VALIDATION_NAMES = ("auto", "temporal", "random", "stratified", "none")
NORMALIZATION_NAMES = ("auto", "window", "series", "global", "none")
DISTRIBUTION_NAMES = ("auto", "data_parallel")  # or None: one device

# epochs="auto": the most epochs while a held-out part stops training early
DEFAULT_EPOCHS = 200
MAX_SEED = 2**32 - 1  # NumPy's and scikit-learn's seeds are 32-bit

Checker = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Flag:
    """How a parameter appears on the command line.

    Args:
        parse: turns the flag's text into the value; ``None`` for an on/off switch.
        name: the flag, ``--`` and the parameter's name with dashes unless given.
        help: the flag's help, when the parameter's own help speaks of Python.
    """

    parse: Callable[[str], Any] | None = str
    name: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Args:
        name: the keyword argument.
        default: its default value (immutable: a tuple, never a list).
        check: ``check(value, name)`` returns the value normalised (``8`` -> ``(8,)``
            for sizes) or raises a seqshape error naming the parameter.
        help: one or two sentences, for docstrings and ``--help``.
        group: ``"spec"`` (how shapes are read), ``"architecture"`` (the network,
            ``ArchitectureOptions``) or ``"training"``.
        annotation: its type, as written in the generated signatures.
        flag: its command-line flag, or ``None`` when the command line has none.
    """

    name: str
    default: Any
    check: Checker
    help: str
    group: str
    annotation: str
    flag: Flag | None = None

    @property
    def flag_name(self) -> str | None:
        """``--batch-size`` for ``batch_size``, or the flag's own name."""
        if self.flag is None:
            return None
        return self.flag.name or "--" + self.name.replace("_", "-")


# -- checkers: ``check(value, name) -> value``; messages name the parameter ---------------


def _optional(check: Checker) -> Checker:
    def check_unless_none(value: Any, name: str) -> Any:
        return None if value is None else check(value, name)

    return check_unless_none


def _check_name(value: Any, name: str) -> str:
    """A topology or strategy name; whether it exists is checked with the shapes."""
    if not isinstance(value, str):
        raise InvalidTypeError(
            name,
            expected=f"'auto' or a {name} name as text",
            received=repr(value),
            fix=f"Leave {name}='auto', or pass a name listed by seqshape.topologies() "
            "and seqshape.strategies(topology).",
        )
    return value


def _check_bidirectional(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(
            name,
            expected="True or False",
            received=repr(value),
            fix="Pass bidirectional=True to read each sequence in both directions.",
        )
    return bool(value)


def _check_mask_value(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.number))
        or np.isinf(value)  # NaN: padding steps whose features are all NaN
    ):
        raise InvalidInputError(
            name,
            expected="a finite number (or NaN) marking padded steps",
            received=repr(value),
            fix="Pad with a value real data never takes, e.g. mask_value=-999.0, or with "
            "NaN on every feature of the padded steps.",
        )
    return float(value)


def _check_learning_rate(value: Any, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not 0 < value < np.inf
    ):
        raise InvalidInputError(
            name,
            expected="a finite number greater than 0",
            received=repr(value),
            fix="Pass a small positive number such as 1e-3.",
        )
    return float(value)


def _check_folder(value: Any, name: str) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise InvalidTypeError(
            name,
            expected="a folder path (str or pathlib.Path), or None",
            received=repr(value),
            fix=f"Pass {name}='some/folder', or None for no checkpoints.",
        )
    return os.fspath(value)


def _check_distribution(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if value not in DISTRIBUTION_NAMES:
        raise InvalidInputError(
            name,
            expected=f"one of {list(DISTRIBUTION_NAMES)} or None",
            received=repr(value),
            fix="Pass 'auto' (data-parallel when several devices are there), "
            "'data_parallel', or None for one device.",
        )
    return value


def _parse_distribution(text: str) -> str | None:
    """``--distribution none`` is None (one device)."""
    return None if text.lower() == "none" else text


def _check_seasonal_base(value: Any, name: str) -> str | int | tuple:
    if value == "auto" and isinstance(value, str):
        return value
    # a SeasonalBase, or one read back (files written before its weights field hold 3)
    base = isinstance(value, tuple) and len(value) in (3, 4)
    parts = value[:2] if base else (value,)
    whole = all(
        isinstance(part, (int, np.integer))
        and not isinstance(part, (bool, np.bool_))
        and part >= 1
        for part in parts
    )
    flags = value[2:] if base else ()  # drift, and weights where given
    bad_flags = not all(isinstance(flag, bool) for flag in flags) or (
        base and value[2] and value[1] != 1  # drift with one season only
    )
    if not whole or bad_flags:
        raise InvalidInputError(
            name,
            expected="'auto', a whole number of steps, 1 or more, or a SeasonalBase of whole "
            "numbers (drift with one season)",
            received=repr(value),
            fix="Leave it on 'auto', or pass 1 (the last value) or the season's length, "
            "e.g. 12 for monthly data.",
        )
    return value if base else int(value)


def _check_ridge_share(value: Any, name: str) -> str | float | None:
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    if (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and 0.0 <= float(value) <= 1.0
    ):
        return float(value)
    raise InvalidInputError(
        name,
        expected="'auto', None (no ridge) or the ridge's share of the forecast, from 0 to 1",
        received=repr(value),
        fix="Leave it on 'auto' (chosen on the validation windows), pass None to forecast "
        "with the network alone, or a share such as 0.5.",
    )


def _parse_ridge_share(text: str) -> str | float | None:
    """``auto``, ``none`` or a number on the command line (anything else: the checker)."""
    if text in ("auto", "none"):
        return None if text == "none" else text
    try:
        return float(text)
    except ValueError:
        return text


def _parse_class_weight(text: str) -> str | None:
    """``auto``, ``balanced`` or ``none`` on the command line."""
    return None if text == "none" else text


def _check_class_weight(value: Any, name: str) -> str | dict | None:
    """``'auto'``, ``'balanced'``, ``None`` or ``{label: positive weight}``."""
    if value is None or (isinstance(value, str) and value in ("auto", "balanced")):
        return value
    if isinstance(value, dict) and all(
        isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight > 0
        for weight in value.values()
    ):
        return value
    raise InvalidInputError(
        name,
        expected="'auto', 'balanced', None or a dict of class label -> positive weight",
        received=repr(value),
        fix="Pass class_weight='balanced' to weigh each class in inverse proportion to "
        "its count, or e.g. class_weight={0: 1.0, 1: 10.0}.",
    )


def _check_epochs(value: Any, name: str) -> str | int:
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, str):
        raise InvalidInputError(
            name,
            expected="'auto' or an int of 1 or more",
            received=repr(value),
            fix="Leave it on 'auto', or pass the most epochs to train, e.g. 100.",
        )
    return check_positive_int(value, name)


def resolved_epochs(value: str | int) -> int:
    """The epoch count ``epochs`` stands for where no budget of steps applies.

    Example:
        >>> resolved_epochs("auto"), resolved_epochs(30)
        (200, 30)
    """
    return DEFAULT_EPOCHS if value == "auto" else int(value)


def _parse_auto_or_int(text: str) -> str | int:
    """``auto`` or a whole number on the command line (anything else: the checker says)."""
    return text if text == "auto" or not text.strip().lstrip("-").isdigit() else int(text)


def _check_verbose(value: Any, name: str) -> int:
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise InvalidInputError(
            name,
            expected="0, 1 or 2",
            received=repr(value),
            fix="0 is silent, 1 shows a progress bar, 2 prints a line per epoch.",
        )
    return int(value)


# -- command-line parsers -----------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"12,12,6"`` -> ``(12, 12, 6)``, for ``--units`` and ``--filters``.

    Example:
        >>> parse_sizes("12,12,6")
        (12, 12, 6)
    """
    import argparse

    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes separated by commas such as 12,12,6; got {text!r}"
        ) from None


# -- the table ------------------------------------------------------------------------------

PARAMS: tuple[Param, ...] = (
    Param(
        "topology",
        "auto",
        _check_name,
        "``'auto'`` or a topology name (``seqshape.topologies()``).",
        "spec",
        "str",
        Flag(help="force a topology by name"),
    ),
    Param(
        "strategy",
        "auto",
        _check_name,
        "``'auto'`` or a strategy of the topology (``seqshape.strategies(topology)``).",
        "spec",
        "str",
        Flag(help="force a strategy by name"),
    ),
    Param(
        "task",
        "auto",
        partial(check_choice, choices=TASK_NAMES),
        "``'auto'`` (text, integer or boolean y: classification; float y: regression), "
        "``'regression'``, ``'binary'`` or ``'multiclass'``.",
        "spec",
        "str",
    ),
    Param(
        "vocabulary_size",
        None,
        _optional(partial(check_positive_int, minimum=2)),
        "for integer token ids in X: the number of distinct ids.",
        "spec",
        "int | None",
    ),
    Param(
        "mask_value",
        None,
        _optional(_check_mask_value),
        "for variable-length sequences padded to one length: the value of every feature "
        "on a padded step (e.g. from ``keras.utils.pad_sequences``); padded steps are "
        "skipped by the recurrent layers. 0 for token ids.",
        "spec",
        "float | None",
    ),
    Param(
        "units",
        (32,),
        check_units,
        "size of each stacked recurrent layer, e.g. ``(12, 12, 6)``.",
        "architecture",
        "int | tuple[int, ...]",
        Flag(parse_sizes, help="recurrent layer sizes, e.g. 12,12,6 for three layers"),
    ),
    Param(
        "cell",
        "lstm",
        partial(check_choice, choices=CELL_NAMES),
        "``'lstm'``, ``'gru'`` or ``'simple_rnn'``.",
        "architecture",
        "str",
        Flag(help="lstm, gru or simple_rnn"),
    ),
    Param(
        "bidirectional",
        False,
        _check_bidirectional,
        "read sequences in both directions (``Bidirectional`` recurrent layers).",
        "architecture",
        "bool",
        Flag(None, help="read sequences in both directions"),
    ),
    Param(
        "dropout",
        0.0,
        check_fraction,
        "input dropout of each recurrent layer, in [0, 1).",
        "architecture",
        "float",
        Flag(float),
    ),
    Param(
        "embedding_dim",
        32,
        check_positive_int,
        "size of each token vector, for token ids in X.",
        "architecture",
        "int",
        Flag(int),
    ),
    Param(
        "filters",
        (16, 32),
        check_units,
        "Conv2D filters per frame-encoder block, for sequences of images.",
        "architecture",
        "int | tuple[int, ...]",
        Flag(parse_sizes, help="Conv2D filters per block for sequences of images, e.g. 16,32"),
    ),
    Param(
        "epochs",
        "auto",
        _check_epochs,
        "most epochs to train; early stopping usually ends sooner. ``'auto'``: "
        f"{DEFAULT_EPOCHS}, or as many as make 2,000 gradient steps where that is more "
        "(a training part of a few batches); for a classifier whose held-out part would be "
        "too small to stop on, as many epochs as make 2,000 gradient steps on every sample "
        "(the learning rate decays along a cosine to a tenth; see ``validation``).",
        "training",
        "str | int",
        Flag(
            _parse_auto_or_int,
            help=f"auto ({DEFAULT_EPOCHS}, or 2,000 gradient steps' worth where that is "
            "more) or the most epochs",
        ),
    ),
    Param(
        "batch_size",
        32,
        check_positive_int,
        "samples per gradient step.",
        "training",
        "int",
        Flag(int),
    ),
    Param(
        "learning_rate",
        1e-3,
        _check_learning_rate,
        "Adam's learning rate.",
        "training",
        "float",
        Flag(float),
    ),
    Param(
        "validation_fraction",
        0.2,
        check_fraction,
        "share of the samples held out for early stopping (which ones: ``validation``).",
        "training",
        "float",
        Flag(float),
    ),
    Param(
        "validation",
        "auto",
        partial(check_choice, choices=VALIDATION_NAMES),
        "how samples are held out for early stopping: ``'auto'`` (a stratified random "
        "split for classes, a split by time with a gap for overlapping windows of a "
        "series, else a seeded random split), ``'temporal'`` (the last samples), "
        "``'random'``, ``'stratified'`` or ``'none'`` (train on every sample). "
        "``validation_data`` given to ``fit`` wins.",
        "training",
        "str",
        Flag(str, help="auto, temporal, random, stratified or none"),
    ),
    Param(
        "normalization",
        "auto",
        partial(check_choice, choices=NORMALIZATION_NAMES),
        "how inputs are normalised: ``'window'`` (each window's last value and scale "
        "removed at the input and restored at the output, inside the model: for series "
        "that trend), ``'series'`` (each series of a panel standardised by its own "
        "training part; only in the table workflow, ``seqshape.runs`` and ``seqshape "
        "fit``, which knows each window's series), ``'global'`` (each feature "
        "standardised over the training part), ``'none'``, or ``'auto'`` (``'window'`` "
        "when y continues features of X, else ``'global'``).",
        "training",
        "str",
        Flag(str, help="auto, window, series, global or none"),
    ),
    Param(
        "seasonal_base",
        "auto",
        _check_seasonal_base,
        "what window normalisation restores the forecast onto: ``1`` the window's last "
        "value, ``m > 1`` the seasonal naive forecast of period ``m`` (the network then "
        "learns corrections to it), ``'auto'`` the period (1 to the window's length) "
        "whose naive forecast fits the training windows best, or the divisor of it whose "
        "mean over its last seasons fits them best, when it beats the last value's error "
        "by 10% or more; then the mean of the last seasons, or the last season plus the "
        "window's change per "
        "season (with three seasons or more in the window), where either fits the "
        "training windows better. Beside an integer or ``'auto'`` base, the network "
        "learns a weight for each past season of the window (``SeasonalWeights``) where "
        "a linear map of the window's past steps forecasts the last fifth of the "
        "training windows 10% better than the last value. A ``seqshape.SeasonalBase`` "
        "(a fitted model's ``spec_.seasonal_base``) asks for that base and those "
        "weights exactly.",
        "training",
        "str | int | SeasonalBase",
        Flag(_parse_auto_or_int, help="auto, or a period in steps (1: the last value)"),
    ),
    Param(
        "ridge_share",
        "auto",
        _check_ridge_share,
        "with window normalisation, the share of the forecast given to a ridge map of "
        "each window's past steps (``RidgeCombination``: fitted in closed form on the "
        "training windows, each target in its window's units, beside the network trained "
        "on its own): ``'auto'`` where 30 or more training windows fit it, with the share "
        "from 0 to 1 (in tenths) that gives the validation windows the lowest mean "
        "absolute error (0.5 without a validation part); a number, that share; ``None``, "
        "the network alone.",
        "training",
        "str | float | None",
        Flag(_parse_ridge_share, help="auto, none, or the ridge's share from 0 to 1"),
    ),
    Param(
        "class_weight",
        "auto",
        _check_class_weight,
        "for classification, how much each class weighs in the training loss: "
        "``'balanced'`` (in inverse proportion to its count in the training part, as "
        "scikit-learn's), ``None`` (all alike), a dict of label -> weight, or ``'auto'`` "
        "(``'balanced'`` where the most common class has more than 4 times the samples, "
        "or labelled steps, of the rarest; else all alike).",
        "training",
        "str | dict | None",
        Flag(_parse_class_weight, help="auto, balanced or none"),
    ),
    Param(
        "patience",
        10,
        partial(check_positive_int, minimum=0),
        "epochs without validation improvement before stopping.",
        "training",
        "int",
        Flag(int),
    ),
    Param(
        "random_state",
        0,
        _optional(partial(check_positive_int, minimum=0, maximum=MAX_SEED)),
        "seed for weights and shuffling, in [0, 2**32 - 1]; ``None`` for a fresh one.",
        "training",
        "int | None",
        Flag(int, name="--seed", help="seed for weights, shuffling and the splits"),
    ),
    Param(
        "checkpoint_dir",
        None,
        _optional(_check_folder),
        "a folder for a checkpoint after every epoch; a ``fit`` killed part-way resumes "
        "from it when called again with the same settings and data. Removed when "
        "``fit`` completes. ``None``: no checkpoints. Never read from a model file.",
        "training",
        "str | None",
    ),
    Param(
        "distribution",
        "auto",
        _check_distribution,
        "``'auto'`` (data-parallel over the local devices when there are several, e.g. "
        "GPUs), ``'data_parallel'`` (``keras.distribution.DataParallel``, JAX backend) or "
        "``None`` (one device). ``batch_size`` is the global batch, rounded up to a "
        "multiple of the device count; see ``seqshape.distribution`` for the rules.",
        "training",
        "str | None",
        Flag(_parse_distribution, help="auto, data_parallel or none"),
    ),
    Param(
        "devices",
        None,
        _optional(check_positive_int),
        "how many local devices data-parallel training uses (the first N); ``None``: all.",
        "training",
        "int | None",
        Flag(int, help="how many devices data-parallel training uses (default: all)"),
    ),
    Param(
        "verbose",
        0,
        _check_verbose,
        "progress while training: 0 nothing, 1 one progress bar on a terminal (plain "
        "lines now and then in a file or pipe), 2 a line an epoch; at 1 and 2 early "
        "stopping and a resume are said in words (``seqshape.progress``).",
        "training",
        "int",
        Flag(
            int,
            help="0 no progress, 1 one progress bar (plain lines now and then in a file "
            "or pipe), 2 a line an epoch",
        ),
    ),
)

BY_NAME: dict[str, Param] = {param.name: param for param in PARAMS}


def params_of(group: str) -> tuple[Param, ...]:
    """The entries of one group, in table order.

    Example:
        >>> [param.name for param in params_of("spec")]
        ['topology', 'strategy', 'task', 'vocabulary_size', 'mask_value']
    """
    check_choice(group, "group", GROUPS)
    return tuple(param for param in PARAMS if param.group == group)


def check_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Each value checked by its entry's checker: the normalised values, in order.

    Raises the checker's seqshape error for a bad value, ``InvalidInputError`` for a
    name not in the table.
    """
    checked = {}
    for name, value in values.items():
        param = BY_NAME.get(name)
        if param is None:
            raise InvalidInputError(
                name,
                expected=f"one of the model parameters {sorted(BY_NAME)}",
                received="a parameter seqshape does not know",
                fix="Check the spelling, or see help(seqshape.SequenceModel).",
            )
        checked[name] = param.check(value, name)
    return checked


# -- generated classes ------------------------------------------------------------------------


def _args_section(params: Iterable[Param]) -> str:
    lines = ["Args:"]
    for param in params:
        lines.append(
            textwrap.fill(
                f"{param.name}: {param.help}",
                width=88,
                initial_indent="    ",
                subsequent_indent="        ",
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _with_args(doc: str | None, params: Iterable[Param]) -> str:
    """``doc`` with an ``Args:`` section from the table, before ``Attributes`` if any."""
    doc = inspect.cleandoc(doc or "")
    section = _args_section(params)
    head, marker, tail = doc.partition("\nAttributes")
    if marker:
        return f"{head.rstrip()}\n\n{section}\n{marker}{tail}"
    return f"{doc}\n\n{section}\n"


Class = TypeVar("Class", bound=type)


def estimator_params(*, exclude: tuple[str, ...] = ()) -> Callable[[Class], Class]:
    """Class decorator: an ``__init__`` taking every table parameter but ``exclude``.

    scikit-learn reads an estimator's parameters from its ``__init__`` signature and
    wants each stored unchanged under its own name; the generated ``__init__`` does
    exactly that, its ``__signature__`` lists the parameters with their defaults and
    types, and the class docstring gains their ``Args:``.

    Example:
        >>> @estimator_params(exclude=("task",))
        ... class Model:
        ...     '''A model.'''
        >>> Model(units=4).units, Model().epochs, "task" in vars(Model())
        (4, 'auto', False)
        >>> str(inspect.signature(Model))[:40]
        "(topology: 'str' = 'auto', strategy: 'st"
    """

    def decorate(cls: Class) -> Class:
        params = tuple(param for param in PARAMS if param.name not in exclude)
        signature = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + [
                inspect.Parameter(
                    param.name,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    default=param.default,
                    annotation=param.annotation,
                )
                for param in params
            ],
            return_annotation="None",
        )

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            for name, value in bound.arguments.items():
                if name != "self":
                    setattr(self, name, value)

        init.__signature__ = signature  # type: ignore[attr-defined]
        init.__name__ = "__init__"
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__module__ = cls.__module__
        init.__doc__ = f"Store the parameters (see ``{cls.__name__}``); ``fit`` checks them."
        cls.__init__ = init
        cls.__doc__ = _with_args(cls.__doc__, params)
        return cls

    return decorate


def options_fields(group: str) -> Callable[[Class], Class]:
    """Class decorator: a frozen dataclass with one field per parameter of ``group``,
    each checked and normalised by its checker when an instance is made.

    Example:
        >>> @options_fields("architecture")
        ... class Options:
        ...     '''Options.'''
        >>> Options(units=8).units, Options().cell
        ((8,), 'lstm')
    """

    def decorate(cls: Class) -> Class:
        params = params_of(group)
        cls.__annotations__ = {param.name: param.annotation for param in params}
        for param in params:
            setattr(cls, param.name, param.default)

        def post_init(self: Any) -> None:
            values = check_params({param.name: getattr(self, param.name) for param in params})
            for name, value in values.items():
                object.__setattr__(self, name, value)

        cls.__post_init__ = post_init
        cls.__doc__ = _with_args(cls.__doc__, params)
        return dataclass(frozen=True)(cls)

    return decorate


__all__ = [
    "BY_NAME",
    "CELL_NAMES",
    "GROUPS",
    "PARAMS",
    "Flag",
    "Param",
    "check_params",
    "estimator_params",
    "options_fields",
    "params_of",
    "parse_sizes",
]
