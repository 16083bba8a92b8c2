"""Windowing: long series -> (input window, output window) pairs, without copying windows.

For one series the windows are NumPy views (``sliding_window_view``): a 10-million-step
series windows in constant extra memory, whatever the window length. Panels (many
series, told apart by an id) are windowed series by series, so no window crosses from
one series into the next.

Example:
    >>> import numpy as np
    >>> from seqshape.windowing import sliding_windows
    >>> series = np.arange(20.0).reshape(10, 2)        # 10 steps, 2 columns
    >>> X, y = sliding_windows(series, input_steps=4, output_steps=2, target_columns=[0])
    >>> X.shape, y.shape
    ((5, 4, 2), (5, 2, 1))
    >>> X[0, :, 0], y[0, :, 0]
    (array([0., 2., 4., 6.]), array([ 8., 10.]))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from seqshape.errors import InvalidInputError
from seqshape.validation import as_numeric_array, check_positive_int


def _columns(values: np.ndarray, columns: Sequence[int] | None, name: str) -> np.ndarray:
    if columns is None:
        return values
    columns = list(columns)
    if not columns or any(not 0 <= column < values.shape[1] for column in columns):
        raise InvalidInputError(
            name,
            expected=f"column indices in [0, {values.shape[1] - 1}]",
            received=repr(columns),
            fix="Pass the positions of the columns to use.",
        )
    if columns == list(range(columns[0], columns[-1] + 1)):
        return values[:, columns[0] : columns[-1] + 1]  # a view
    return values[:, columns]


def window_count(length: int, input_steps: int, output_steps: int, stride: int, gap: int) -> int:
    """How many windows a series of ``length`` steps gives (0 if it is too short)."""
    span = input_steps + gap + output_steps
    return 0 if length < span else (length - span) // stride + 1


def sliding_windows(
    values: object,
    input_steps: int,
    output_steps: int,
    *,
    stride: int = 1,
    gap: int = 0,
    input_columns: Sequence[int] | None = None,
    target_columns: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut one series of shape ``(steps, columns)`` into input and output windows.

    Window ``i`` reads steps ``[i*stride, i*stride + input_steps)`` and its targets
    are the ``output_steps`` steps that follow, ``gap`` steps later. Both returned
    arrays are read-only views of ``values`` (or of one copy of the selected columns).

    Args:
        values: the series, ``(steps,)`` or ``(steps, columns)``.
        input_steps: steps per input window.
        output_steps: steps per output window.
        stride: steps between the starts of two windows.
        gap: steps skipped between the end of the input and the first target.
        input_columns: columns in X (all by default), e.g. targets and covariates.
        target_columns: columns in y (all by default).

    Returns:
        X of shape ``(windows, input_steps, inputs)`` and y of shape
        ``(windows, output_steps, targets)``.
    """
    input_steps = check_positive_int(input_steps, "input_steps")
    output_steps = check_positive_int(output_steps, "output_steps")
    stride = check_positive_int(stride, "stride")
    gap = check_positive_int(gap, "gap", minimum=0)
    series = as_numeric_array(values, "values")
    if series.ndim == 1:
        series = series[:, None]
    if series.ndim != 2:
        raise InvalidInputError(
            "values",
            expected="one series of shape (steps,) or (steps, columns)",
            received=f"a {series.ndim}D array of shape {series.shape}",
            fix="Window each series separately, or use panel_windows for several series.",
        )
    count = window_count(len(series), input_steps, output_steps, stride, gap)
    if count == 0:
        raise InvalidInputError(
            "values",
            expected=f"a series of at least input_steps + gap + output_steps = "
            f"{input_steps + gap + output_steps} steps",
            received=f"{len(series)} steps",
            fix="Use shorter windows, or a longer series.",
        )
    inputs = _columns(series, input_columns, "input_columns")
    targets = _columns(series, target_columns, "target_columns")
    last_input_start = (count - 1) * stride
    X = sliding_window_view(inputs[: last_input_start + input_steps], input_steps, axis=0)
    first_target = input_steps + gap
    y = sliding_window_view(
        targets[first_target : first_target + last_input_start + output_steps],
        output_steps,
        axis=0,
    )
    # sliding_window_view puts the window axis last: (windows, columns, steps)
    return X[::stride].transpose(0, 2, 1), y[::stride].transpose(0, 2, 1)


@dataclass(frozen=True)
class Windows:
    """Windows cut from one or many series, with where each came from.

    Attributes:
        X: ``(windows, input_steps, inputs)``.
        y: ``(windows, output_steps, targets)``.
        series: the series id of each window.
        target_start: the position (step index within its series) of each window's
            first target step.
    """

    X: np.ndarray
    y: np.ndarray
    series: np.ndarray
    target_start: np.ndarray

    def __len__(self) -> int:
        return len(self.X)

    def subset(self, selection) -> Windows:
        """The windows picked by a slice (views stay views) or a boolean mask / indices."""
        return Windows(
            self.X[selection],
            self.y[selection],
            self.series[selection],
            self.target_start[selection],
        )


def panel_windows(
    panel: Sequence[np.ndarray],
    input_steps: int,
    output_steps: int,
    *,
    ids: Sequence | None = None,
    stride: int = 1,
    gap: int = 0,
    input_columns: Sequence[int] | None = None,
    target_columns: Sequence[int] | None = None,
) -> Windows:
    """Window each series of a panel on its own; no window crosses two series.

    With one series the arrays are views; with several they are joined into one array
    (memory grows with the number of windows, as for any array of windows).
    Series shorter than one window give no windows; if none is long enough, that is
    an error.

    Example:
        >>> import numpy as np
        >>> panel = [np.arange(6.0), np.arange(100.0, 108.0)]
        >>> windows = panel_windows(panel, 3, 1, ids=["a", "b"])
        >>> len(windows), windows.series.tolist()
        (8, ['a', 'a', 'a', 'b', 'b', 'b', 'b', 'b'])
        >>> float(windows.y[3, 0, 0])
        103.0
    """
    ids = list(range(len(panel))) if ids is None else list(ids)
    parts, too_short = [], []
    for series_id, values in zip(ids, panel, strict=True):
        length = len(values)
        if window_count(length, input_steps, output_steps, stride, gap) == 0:
            too_short.append((series_id, length))
            continue
        X, y = sliding_windows(
            values,
            input_steps,
            output_steps,
            stride=stride,
            gap=gap,
            input_columns=input_columns,
            target_columns=target_columns,
        )
        starts = np.arange(len(X)) * stride + input_steps + gap
        parts.append((X, y, np.full(len(X), series_id, dtype=object), starts))
    if not parts:
        shortest = ", ".join(
            f"{series_id!r}: {length} steps" for series_id, length in too_short[:5]
        )
        raise InvalidInputError(
            "data",
            expected=f"at least one series of input_steps + gap + output_steps = "
            f"{input_steps + gap + output_steps} steps",
            received=f"only shorter series ({shortest})",
            fix="Use shorter windows (--input-steps / --output-steps), or more data.",
        )
    if len(parts) == 1:
        X, y, series, starts = parts[0]
    else:
        X, y, series, starts = (np.concatenate(column) for column in zip(*parts, strict=True))
    if all(isinstance(series_id, (int, np.integer)) for series_id in ids):
        series = series.astype(np.int64)
    return Windows(X, y, series, starts)


def series_cuts(
    lengths: object,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    holdout_steps: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each series' first validation step and first test step: at the same fractions of
    its own length, or, with ``holdout_steps``, that many steps from its end for the
    test part and as many before them for validation (the last horizon of each series,
    as forecasting competitions hold out).

    Example:
        >>> first, second = series_cuts([20, 40])
        >>> first.tolist(), second.tolist()
        ([14, 28], [17, 34])
        >>> [cut.tolist() for cut in series_cuts([20, 40], holdout_steps=6)]
        [[8, 28], [14, 34]]
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if holdout_steps is not None:
        return lengths - 2 * holdout_steps, lengths - holdout_steps
    first = np.floor(lengths * (1 - validation_fraction - test_fraction))
    second = np.floor(lengths * (1 - test_fraction))
    return first.astype(np.int64), second.astype(np.int64)


def split_by_time(
    windows: Windows,
    lengths: dict,
    *,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    holdout_steps: int | None = None,
    output_steps: int,
) -> tuple[Windows, Windows, Windows]:
    """Split windows into train, validation and test by the time of their targets.

    Each series is cut where ``series_cuts`` says: at the same fractions of its own
    length, or ``holdout_steps`` and twice that from its end. A window belongs to a
    part when all its target steps lie inside that part; windows whose targets straddle
    a cut are dropped, so no target is seen by two parts. Inputs may reach back into
    the previous part: they are observed past, not leakage.

    Args:
        windows: from ``panel_windows``.
        lengths: the number of steps of each series, by id.
        output_steps: the number of target steps per window.
    """
    lengths_per_window = np.array([lengths[series_id] for series_id in windows.series])
    first_cut, second_cut = series_cuts(
        lengths_per_window,
        validation_fraction=validation_fraction,
        test_fraction=test_fraction,
        holdout_steps=holdout_steps,
    )
    start = windows.target_start
    end = start + output_steps
    masks = (
        end <= first_cut,
        (start >= first_cut) & (end <= second_cut),
        start >= second_cut,
    )
    return tuple(windows.subset(_as_slice(mask)) for mask in masks)


def _as_slice(mask: np.ndarray):
    """A contiguous mask as a slice (keeps views), else the mask itself."""
    where = np.flatnonzero(mask)
    if len(where) == 0:
        return slice(0, 0)
    if where[-1] - where[0] + 1 == len(where):
        return slice(int(where[0]), int(where[-1]) + 1)
    return mask


def rolling_origin(windows: Windows, n_folds: int, output_steps: int):
    """Yield ``(train, test)`` index arrays for a rolling-origin backtest.

    The target steps of the windows are cut into ``n_folds + 1`` blocks by position;
    fold ``k`` tests on block ``k + 1`` and trains on every window whose targets end
    before that block starts.

    Example:
        >>> import numpy as np
        >>> windows = panel_windows([np.arange(30.0)], 5, 1)
        >>> [(len(train), len(test)) for train, test in rolling_origin(windows, 2, 1)]
        [(8, 8), (16, 8)]
    """
    n_folds = check_positive_int(n_folds, "n_folds")
    start = windows.target_start
    edges = np.linspace(start.min(), start.max() + 1, n_folds + 2)
    for fold in range(n_folds):
        low, high = edges[fold + 1], edges[fold + 2]
        test = np.flatnonzero((start >= low) & (start < high))
        train = np.flatnonzero(start + output_steps <= low)
        if len(train) and len(test):
            yield train, test
