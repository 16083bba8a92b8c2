"""seqshape's error classes: each says what was expected, what was received, and the fix.

Example:
    >>> from seqshape.errors import InvalidInputError
    >>> error = InvalidInputError(
    ...     "X", expected="a 3D array", received="shape (5,)", fix="Reshape X."
    ... )
    >>> print(error)
    Invalid `X`: expected a 3D array; received shape (5,). Reshape X.
    >>> isinstance(error, ValueError)
    True
"""

from __future__ import annotations

from typing import Any


class SeqShapeError(Exception):
    """Base class of every error seqshape raises on purpose.

    Args:
        argument: the argument at fault, as the user wrote it (``"X"``, ``"strategy"``).
        expected: what seqshape needs there.
        received: what it found instead.
        fix: one sentence on how to fix it.
    """

    def __init__(self, argument: str, *, expected: str, received: str, fix: str = "") -> None:
        self.argument = argument
        self.expected = expected
        self.received = received
        self.fix = fix
        message = f"Invalid `{argument}`: expected {expected}; received {received}."
        if fix:
            message += f" {fix}"
        super().__init__(message)

    def __reduce__(self):  # keep errors picklable (subprocesses, joblib)
        return (
            _rebuild_error,
            (type(self), self.argument, self.expected, self.received, self.fix),
        )


def _rebuild_error(cls, argument, expected, received, fix):
    return cls(argument, expected=expected, received=received, fix=fix)


class InvalidInputError(SeqShapeError, ValueError):
    """A value has the wrong shape, size or content (a ``ValueError``)."""


class InvalidTypeError(SeqShapeError, TypeError):
    """A value has the wrong type or dtype (a ``TypeError``)."""


class ModelFileError(SeqShapeError, ValueError):
    """A saved model file is missing, corrupt, not seqshape's, or unsafe."""


class ExportError(SeqShapeError, RuntimeError):
    """A fitted model could not be exported (a missing extra, another backend, or a
    converted file that does not reproduce the model's predictions)."""


def _not_fitted_yet_error() -> type:
    """``NotFittedYetError``, made when first asked for: it subclasses scikit-learn's
    ``NotFittedError``, and importing scikit-learn takes longer than the command line's
    ``--help`` may."""
    from sklearn.exceptions import NotFittedError

    class NotFittedYetError(SeqShapeError, NotFittedError):
        """A method that needs a fitted model was called before ``fit``."""

    NotFittedYetError.__module__ = __name__
    return NotFittedYetError


def __getattr__(name: str) -> Any:
    if name == "NotFittedYetError":
        value = _not_fitted_yet_error()
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TrainingError(SeqShapeError, RuntimeError):
    """Training diverged (the loss turned NaN or infinite) before any epoch gave finite
    weights to keep: no model is returned rather than one that predicts NaN."""


class DivergedTrainingWarning(UserWarning):
    """The loss turned NaN or infinite part-way: training stopped and the weights of the
    last epoch with a finite loss (the best one, with a validation part) were kept."""


class AxesWarning(UserWarning):
    """X's sample shape looks transposed (``seqshape.spec.looks_channels_first``: under
    half as many steps as features), as in the (samples, channels, steps) layout of
    aeon's and sktime's loaders, where seqshape reads (samples, steps, features)."""


class BaselineWinsWarning(UserWarning):
    """A baseline that needs no training scored better than the model.

    The model still works; the warning names the baseline and both errors so that the
    user can decide (more data, other settings, or the baseline itself).
    """
