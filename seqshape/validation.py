"""Turning what the user passed into NumPy arrays, with a clear error for anything else.

Every function here returns a new array or the user's own array untouched: nothing
the user passed is ever modified in place.

Variable-length sequences (``padding=True``, for X): steps whose every feature is NaN,
at the end (or start) of a sequence, are padding; a list of 2D sequences of different
lengths is padded that way. Such steps are masked inside the model (``NAN_PADDING``).

Example:
    >>> import numpy as np
    >>> from seqshape.validation import as_numeric_array
    >>> as_numeric_array([[1, 2], [3, 4]], "X").shape
    (2, 2)
    >>> ragged = [np.ones((3, 2)), np.ones((5, 2))]
    >>> padded = as_numeric_array(ragged, "X", padding=True)
    >>> padded.shape, np.isnan(padded[0, 3:]).all()
    ((2, 5, 2), np.True_)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np

from seqshape.errors import InvalidInputError, InvalidTypeError

NAN_PADDING = -1048576.0
"""The value padded steps hold inside the model when the padding came as NaN (or
``mask_value=np.nan``): NaN cannot be fed to Keras, so NaN steps become this finite
number (-2**20, exact in float32, far outside standardised data) that ``Masking`` skips.
It is ``spec.mask_value`` of such models; NaN steps are padding for every masked model."""


def describe(array: np.ndarray) -> str:
    """Say what an array is, for error messages: ``an array of shape (3, 4) (float64)``."""
    return f"an array of shape {tuple(array.shape)} ({array.dtype})"


_ENCODE_FIX = (
    "Encode text as numbers first (for example class names as integers 0..n-1 with "
    "sklearn.preprocessing.LabelEncoder) and pass `{name}` as numbers."
)


def _pad_ragged(value: object, name: str) -> np.ndarray | None:
    """A list of 2D sequences of different lengths as one 3D float array, right-padded
    with whole NaN steps; None when ``value`` is not such a list."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    try:
        sequences = [np.asarray(sequence) for sequence in value]
    except ValueError:
        return None
    if any(sequence.ndim != 2 for sequence in sequences):
        return None
    features = {sequence.shape[1] for sequence in sequences}
    if len(features) > 1:
        firsts = {len(sequence) for sequence in sequences}
        fix = "Pass the same feature columns, in the same order, for every sequence."
        if len(firsts) == 1:  # (channels, steps), as aeon's loaders give unequal lengths
            fix = (
                f"Every sequence has {firsts.pop()} rows: if they are laid out (channels, "
                f"steps), as aeon's and sktime's loaders give them, pass "
                f"[sequence.T for sequence in {name}]. Otherwise " + fix[0].lower() + fix[1:]
            )
        raise InvalidInputError(
            name,
            expected="sequences of (steps, features) with the same number of features",
            received=f"sequences with {sorted(features)} features",
            fix=fix,
        )
    padded = np.full(
        (len(sequences), max(len(sequence) for sequence in sequences), features.pop()), np.nan
    )
    for index, sequence in enumerate(sequences):
        try:
            padded[index, : len(sequence)] = sequence
        except (TypeError, ValueError) as error:
            raise InvalidTypeError(
                name,
                expected="numbers",
                received=f"non-numeric values in sequence {index} ({error})",
                fix=_ENCODE_FIX.format(name=name),
            ) from None
    return padded


def _to_array(value: object, name: str, padding: bool = False) -> np.ndarray:
    if value is None:
        raise InvalidTypeError(
            name,
            expected="an array-like of numbers (NumPy array, list, pandas or polars frame)",
            received="None",
            fix=f"Pass the data as `{name}`.",
        )
    # a sparse matrix exists only once SciPy's sparse module is imported
    sparse = sys.modules.get("scipy.sparse")
    if sparse is not None and sparse.issparse(value):
        raise InvalidTypeError(
            name,
            expected="a dense array",
            received=f"a sparse {type(value).__name__}: sparse input is not supported",
            fix=f"Convert it with `{name}.toarray()`; recurrent layers read dense steps.",
        )
    if isinstance(value, Iterator) or type(value).__name__ == "LazyFrame":
        lazy = type(value).__name__ == "LazyFrame"
        raise InvalidTypeError(
            name,
            expected="an array-like of numbers (NumPy array, list, pandas or polars frame)",
            received=f"a {type(value).__name__}, "
            + ("a query not run yet" if lazy else "an iterator that can be read only once"),
            fix=f"Pass `{name}.collect()`." if lazy else f"Pass `list({name})` instead.",
        )
    try:
        return np.asarray(value)
    except ValueError as error:  # ragged nested lists
        padded = _pad_ragged(value, name) if padding else None
        if padded is not None:
            return padded
        raise InvalidInputError(
            name,
            expected="a rectangular array: every sample with the same number of steps "
            "and features",
            received=f"nested sequences of different lengths ({error})",
            fix="Pass X as a list of (steps, features) arrays (padded and masked inside), "
            "or pad the sequences to one length yourself (for example with "
            "keras.utils.pad_sequences(..., padding='post', dtype=float, value=np.nan)).",
        ) from None


def as_numeric_array(value: object, name: str, *, padding: bool = False) -> np.ndarray:
    """Convert ``value`` to a real-valued or integer NumPy array, checked for content.

    Bool and integer arrays keep their dtype (integers may be class labels or tokens);
    object arrays holding numbers become float64. Raises ``InvalidTypeError`` for
    strings, complex numbers or other objects and ``InvalidInputError`` for empty
    arrays and NaN or infinite values.

    With ``padding`` (X of variable-length sequences), a 3D array may hold padding
    steps, every feature NaN, at the end or start of each sequence (see
    ``check_nan_padding``), and a list of 2D sequences of different lengths is padded
    that way; NaN anywhere else is refused, saying where.
    """
    array = _to_array(value, name, padding)
    if array.ndim == 0:
        raise InvalidInputError(
            name,
            expected="an array with one entry per sample (at least 1D)",
            received=f"a single value ({array.dtype}): {str(array.item())[:40]!r}",
            fix=f"Pass one entry per sample, e.g. np.atleast_1d({name}) for one sample.",
        )
    if array.dtype.kind == "V" and array.dtype.names is None and "float" in array.dtype.name:
        array = array.astype(np.float32)  # bfloat16 and other small floats (ml_dtypes)
    if array.dtype.kind == "V":
        raise InvalidTypeError(
            name,
            expected="numbers",
            received=f"records or raw bytes in {describe(array)}",
            fix=f"Pass `{name}` as plain numbers (one column per feature).",
        )
    if array.dtype.kind == "c":
        raise InvalidInputError(
            name,
            expected="real numbers",
            received=f"complex numbers in {describe(array)}",
            fix=f"Complex data not supported: split `{name}` into real and imaginary parts "
            "as two features.",
        )
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise InvalidTypeError(
                name,
                expected="numbers",
                received=f"non-numeric values in {describe(array)} ({error})",
                fix=_ENCODE_FIX.format(name=name),
            ) from None
    if array.dtype.kind in "US":
        raise InvalidTypeError(
            name,
            expected="numbers",
            received=f"text in {describe(array)} (first: {array.ravel()[0]!r})",
            fix=_ENCODE_FIX.format(name=name),
        )
    if array.dtype.kind in "mM":
        raise InvalidTypeError(
            name,
            expected="numbers",
            received=f"dates or durations in {describe(array)}",
            fix="Turn time stamps into numeric features (or drop them) before fitting.",
        )
    if array.size == 0:
        empty_axis = next(axis for axis, size in enumerate(array.shape) if size == 0)
        what = {0: "sample(s)", array.ndim - 1: "feature(s)"}.get(empty_axis, "step(s)")
        raise InvalidInputError(
            name,
            expected="a non-empty array",
            received=f"0 {what} (shape={tuple(array.shape)}) while a minimum of 1 is required",
            fix=f"Pass at least one sample with at least one step and feature in `{name}`.",
        )
    if array.dtype.kind == "f":
        if padding and array.ndim == 3:
            check_nan_padding(array, name)
        else:
            _check_finite(array, name)
        if array.dtype.itemsize > 4:
            check_float32_range(array, name)
    return array


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(
    array: np.ndarray,
    name: str,
    limit: float = FLOAT32_MAX,
    why: str = "the model computes in float32",
) -> None:
    """Raise unless every value of the float ``array`` is at most ``limit`` in magnitude:
    by default, fits float32, the type the model computes in (NaN padding is let
    through; ``as_numeric_array`` judged it).

    Example:
        >>> check_float32_range(np.array([1.0, 1e200]), "X")
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `X`: expected values float32 can hold ...
    """
    for start, chunk in sample_chunks(array) if array.ndim else [(0, array)]:
        beyond = np.abs(chunk) > limit  # False for NaN
        if beyond.any():
            index = tuple(int(i) for i in np.argwhere(beyond)[0])
            value = float(chunk[index])
            where = (index[0] + start, *index[1:]) if array.ndim else index
            raise InvalidInputError(
                name,
                expected=f"values float32 can hold (magnitudes up to {limit:.3g}): {why}",
                received=f"{value:.3g} at index {where}",
                fix=f"Rescale `{name}` (for example divide it by a power of ten) before fitting.",
            )


def sample_chunks(array: np.ndarray, values_per_chunk: int = 1 << 20):
    """``(start, chunk)`` pairs: slices of the first axis of about ``values_per_chunk``
    values each, so that work over a large array (or a view of windows) needs memory
    for one chunk at a time."""
    per_sample = max(1, int(np.prod(array.shape[1:], dtype=np.int64)))
    step = max(1, values_per_chunk // per_sample)
    for start in range(0, len(array), step):
        yield start, array[start : start + step]


def _check_finite(array: np.ndarray, name: str) -> None:
    chunks = sample_chunks(array) if array.ndim else [(0, array)]
    for start, chunk in chunks:
        finite = np.isfinite(chunk)
        if not finite.all():
            bad = np.argwhere(~finite)[0]
            if array.ndim:
                bad[0] += start
            count = sum(int((~np.isfinite(part)).sum()) for _, part in sample_chunks(array))
            raise InvalidInputError(
                name,
                expected="finite numbers",
                received=f"{count} NaN or infinite value(s), "
                f"the first at index {tuple(int(i) for i in bad)}",
                fix="Fill or drop missing values before fitting (for example with "
                "pandas' interpolate or ffill).",
            )


_PADDING_FIX = (
    "Fill or interpolate missing values inside the sequences (for example with pandas' "
    "interpolate or ffill); for variable-length sequences pad whole steps: every feature "
    "NaN on the padded steps, after (or before) the real ones; those steps are masked."
)


def _nan_padding_problem(chunk: np.ndarray, start: int) -> str | None:
    """What is wrong with the NaN in ``chunk`` (samples ``start``...) as padding, or None."""
    nan = np.isnan(chunk)  # (n, T, F)
    if not nan.any():
        return None
    whole = nan.all(axis=-1)  # (n, T): padding steps
    partial = nan.any(axis=-1) & ~whole
    if partial.any():
        sample, step = (int(i) for i in np.argwhere(partial)[0])
        count = int(nan[sample, step].sum())
        return (
            f"NaN in {count} of {chunk.shape[-1]} features at sample {start + sample}, "
            f"step {step} ({int(partial.sum())} such step(s) in all): a step is padding "
            "only when every feature is NaN"
        )
    real = ~whole
    empty = ~real.any(axis=1)
    if empty.any():
        sample = start + int(np.flatnonzero(empty)[0])
        return (
            f"sample {sample} holds NaN or infinite values only (all {chunk.shape[1]} steps "
            "NaN): a sequence needs at least one real step"
        )
    seen_before = np.cumsum(real, axis=1) > 0
    seen_after = np.cumsum(real[:, ::-1], axis=1)[:, ::-1] > 0
    gaps = whole & seen_before & seen_after
    if gaps.any():
        sample, step = (int(i) for i in np.argwhere(gaps)[0])
        return (
            f"an all-NaN step between real steps at sample {start + sample}, step {step}: "
            "a gap inside the sequence, not padding at its end or start"
        )
    return None


def check_nan_padding(array: np.ndarray, name: str = "X") -> None:
    """Raise unless every NaN in the 3D float ``array`` is on a padding step: a step
    whose every feature is NaN, in a run that reaches the end (or the start) of its
    sequence, each sequence keeping at least one real step. Infinite values are refused.

    Example:
        >>> X = np.ones((2, 4, 2))
        >>> X[0, 3:] = np.nan                # sample 0: 3 steps, then padding
        >>> check_nan_padding(X)
        >>> X[1, 1, 0] = np.nan              # sample 1: one feature missing
        >>> check_nan_padding(X)
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `X`: ...NaN in 1 of 2 features at sample 1...
    """
    for start, chunk in sample_chunks(array):
        if np.isinf(chunk).any():
            _check_finite(array, name)
        problem = _nan_padding_problem(chunk, start)
        if problem:
            raise InvalidInputError(
                name,
                expected="finite numbers, or NaN on padding steps only (every feature NaN, "
                "at the end or start of a sequence)",
                received=problem,
                fix=_PADDING_FIX,
            )


def has_nan_steps(array: np.ndarray) -> bool:
    """True when the float ``array`` holds any NaN (after ``as_numeric_array(...,
    padding=True)``: padding steps).

    Example:
        >>> has_nan_steps(np.array([[[1.0], [np.nan]]])), has_nan_steps(np.ones((1, 2, 1)))
        (True, False)
    """
    if array.dtype.kind != "f":
        return False
    return any(np.isnan(chunk).any() for _, chunk in sample_chunks(array))


def check_rank(array: np.ndarray, name: str, allowed: dict[int, str], fix: str) -> None:
    """Raise unless ``array.ndim`` is a key of ``allowed`` (rank -> what it means)."""
    if array.ndim not in allowed:
        meanings = "; ".join(f"{rank}D {meaning}" for rank, meaning in allowed.items())
        raise InvalidInputError(
            name,
            expected=f"one of: {meanings}",
            received=f"a {array.ndim}D array of shape {tuple(array.shape)}",
            fix=fix,
        )


def check_same_samples(X: np.ndarray, y: np.ndarray) -> None:
    """Raise unless X and y hold the same number of samples (their first axis)."""
    if X.shape[0] != y.shape[0]:
        raise InvalidInputError(
            "y",
            expected=f"as many samples as X ({X.shape[0]}, the length of X's first axis)",
            received=f"{y.shape[0]} samples (y has shape {tuple(y.shape)}, "
            f"X has shape {tuple(X.shape)})",
            fix="Pair every input sample with exactly one target; check the windowing "
            "or slicing that produced X and y.",
        )


def check_positive_int(
    value: object, name: str, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in
    [``minimum``, ``maximum``] (no upper bound when ``maximum`` is None).

    Example:
        >>> check_positive_int(2**40, "random_state", minimum=0, maximum=2**32 - 1)
        Traceback (most recent call last):
        ...
        seqshape.errors.InvalidInputError: Invalid `random_state`: expected an int in the range
        [0, 4294967295]; received 1099511627776. ...
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        bounds = f"[{minimum}, inf)" if maximum is None else f"[{minimum}, {maximum}]"
        words = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise InvalidInputError(
            name,
            expected=f"an int in the range {bounds}",
            received=repr(value),
            fix=f"Pass a whole number {words}.",
        )
    return int(value)


def check_units(value: object, name: str = "units") -> tuple[int, ...]:
    """Return layer sizes as a tuple of positive ints (an int is one layer)."""
    sizes = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        sizes = ()
    if not sizes or any(
        isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1
        for size in sizes
    ):
        raise InvalidInputError(
            name,
            expected="a positive int or a non-empty tuple of positive ints, one per layer",
            received=repr(value),
            fix=f"For example {name}=(12, 12, 6) for three stacked layers.",
        )
    return tuple(int(size) for size in sizes)


def check_choice(value: object, name: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidInputError(
            name,
            expected=f"one of {sorted(choices)}",
            received=repr(value),
            fix=f"Pass one of the listed names as `{name}`.",
        )
    return value


def check_fraction(value: object, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as a float in [low, high), or raise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not low <= value < high
    ):
        raise InvalidInputError(
            name,
            expected=f"a number in the range [{low}, {high})",
            received=repr(value),
            fix=f"Pass a fraction such as 0.2 as `{name}`.",
        )
    return float(value)


def padding_mask(values: np.ndarray, mask_value: float | None) -> np.ndarray | None:
    """The padded steps of ``values``: True where every feature (the last axis) equals
    ``mask_value``, or every feature is NaN. The last axis is kept (size 1), so the mask
    broadcasts against ``values``. ``None`` when there is no ``mask_value``.

    Example:
        >>> steps = np.array([[1.0, 2.0], [-1.0, -1.0], [-1.0, 3.0], [np.nan, np.nan]])
        >>> padding_mask(steps, -1.0)[:, 0].tolist()
        [False, True, False, True]
    """
    if mask_value is None:
        return None
    values = np.asarray(values)
    padded = np.all(values == mask_value, axis=-1, keepdims=True)
    if values.dtype.kind == "f":
        padded |= np.all(np.isnan(values), axis=-1, keepdims=True)
    return padded
