"""A ridge map of each window's past steps, combined with the network's forecast.

A forecast combination: a linear model fitted in closed form and a network trained on
its own make different errors, and their mix is more accurate than either (on the
accuracy suite's forecasting sets, every set that takes it gained on MASE and sMAPE).
``RidgeCombination`` holds the map and the share inside the Keras model, so saving,
loading and export carry them; this module fits the map and chooses the share.

- ``window_rows`` puts windows in the units the map works in: each target's window
  less its last value, over its spread in the window, one row per window and target.
- ``ridge_kernel`` fits the map (scikit-learn's ``Ridge``) on the training windows.
- ``choose_share`` picks the ridge's share on the validation windows, and
  ``choose_mix`` the partner: the ridge, or the last value where that mixes better.

Example:
    >>> import numpy as np
    >>> steps = np.arange(60.0)
    >>> X = np.stack([steps[i : i + 8] for i in range(50)])[..., None]   # straight lines
    >>> y = np.stack([steps[i + 8 : i + 10] for i in range(50)])[..., None]
    >>> kernel = ridge_kernel(X, y, (0,))
    >>> inputs, _, last, scale = window_rows(X[:1], y[:1])
    >>> (last + scale * inputs @ kernel).round(1).tolist()                # 8 and 9
    [[8.0, 9.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import Ridge

from seqshape.layers import RidgeCombination

# the share of the forecast the ridge may take, tried on the validation windows
SHARES = tuple(np.round(np.linspace(0.0, 1.0, 11), 1).tolist())
# the ridge's share without validation windows to choose it on: an even mix
EVEN_SHARE = 0.5
# the ridge's penalty on the map's weights, in window units (its inputs are O(1))
RIDGE_ALPHA = 1.0
# the map is fitted on at most this many rows (a window's target), evenly spaced: plenty
# for a map of T x H weights, and a bounded copy (a few MB) however many windows there
# are (every set of the accuracy suite has fewer: the employment panel 8,673)
RIDGE_ROWS = 10_000
EPSILON = 1e-5  # added to each window's variance, as InstanceNormalization does


def evenly_spaced(count: int, most: int) -> np.ndarray:
    """At most ``most`` (at least 1) of the indices ``0 .. count - 1``, evenly spaced,
    the first and last included.

    Example:
        >>> evenly_spaced(10, 4).tolist(), evenly_spaced(3, 50).tolist()
        ([0, 3, 6, 9], [0, 1, 2])
    """
    return np.unique(np.linspace(0, count - 1, min(count, max(1, most))).astype(np.int64))


def window_rows(
    columns: np.ndarray, targets_y: np.ndarray, epsilon: float = EPSILON
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Windows ``(n, T, K)`` and their targets ``(n, H, K)`` as rows of the map:
    inputs ``(n K, T)`` and outputs ``(n K, H)``, each less the window's last value and
    over its spread (``sqrt(variance + epsilon)``), and that ``last`` and ``scale``,
    ``(n K, 1)``. Rows are ordered window by window, the targets of a window together.

    Example:
        >>> X = np.asarray([[[1.0], [3.0]]])                        # one window: 1, 3
        >>> inputs, outputs, last, scale = window_rows(X, np.asarray([[[5.0]]]), 0.0)
        >>> inputs.tolist(), outputs.tolist(), last.tolist(), scale.tolist()
        ([[-2.0, 0.0]], [[2.0]], [[3.0]], [[1.0]])
    """
    columns = np.asarray(columns, dtype=np.float64)
    last = columns[:, -1:, :]
    scale = np.sqrt(columns.var(axis=1, keepdims=True) + epsilon)

    def rows(values: np.ndarray) -> np.ndarray:  # (n, S, K) -> (n K, S)
        return np.swapaxes((values - last) / scale, 1, 2).reshape(-1, values.shape[1])

    flat = last.reshape(-1, 1)  # (n, 1, K) -> (n K, 1), the order of rows()
    return rows(columns), rows(np.asarray(targets_y, dtype=np.float64)), flat, scale.reshape(-1, 1)


def target_windows(X: np.ndarray, y: np.ndarray, targets: Sequence[int]):
    """The target columns of X ``(n, T, K)`` in float64, and y as ``(n, H, K)``.

    Example:
        >>> columns, steps = target_windows(np.zeros((5, 8, 3)), np.zeros((5, 2)), (2, 0))
        >>> columns.shape, steps.shape                      # one step ahead: H = 1
        ((5, 8, 2), (5, 1, 2))
    """
    steps = y if y.ndim == 3 else y.reshape(len(y), 1, -1)  # one step: (n, 1, K)
    return np.asarray(X, dtype=np.float64)[:, :, list(targets)], np.asarray(steps)


def ridge_kernel(X: np.ndarray, y: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """The ``RidgeCombination`` kernel ``(T, H)`` fitted on windows X and targets y.

    One map for every target, no intercept, at most ``RIDGE_ROWS`` rows evenly spaced;
    each row weighted by its window's spread: halfway between fitting every window alike
    (relative errors) and fitting the squared error in the targets' units, which the
    series at the highest levels of a panel dominate (combined, shares chosen on
    validation, 3 seeds: the monthly employment panel's MASE 0.250 and sMAPE 1.18 this
    way, 0.246 and 1.22 with squared errors, MASE 0.264 unweighted).
    """
    kept = evenly_spaced(len(X), RIDGE_ROWS // len(targets))  # a copy of these rows only
    columns, steps = target_windows(X[kept], y[kept], targets)
    inputs, outputs, _, scale = window_rows(columns, steps)
    weight = scale[:, 0] / scale.mean()
    ridge = Ridge(alpha=RIDGE_ALPHA, fit_intercept=False).fit(
        inputs, outputs, sample_weight=weight
    )
    return np.asarray(ridge.coef_, dtype=np.float64).T.reshape(columns.shape[1], -1)


def ridge_layer(model) -> RidgeCombination:
    """``model``'s ``RidgeCombination`` layer."""
    return next(layer for layer in model.layers if isinstance(layer, RidgeCombination))


def choose_share(
    network: np.ndarray, ridge: np.ndarray, truth: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The ridge's share (one of ``SHARES``) whose mix of the two forecasts has the
    lowest mean absolute error against ``truth``, the lowest share on a tie; and the
    errors of the mix, the network alone and the ridge alone.

    Example:
        >>> truth = np.asarray([1.0, 2.0, 3.0])
        >>> choose_share(truth + 1.0, truth - 1.0, truth)[0]      # errors that cancel
        0.5
        >>> choose_share(truth, truth + 1.0, truth)[0]            # the network alone
        0.0
    """
    network, ridge = np.asarray(network, np.float64), np.asarray(ridge, np.float64)
    truth = np.asarray(truth, np.float64).reshape(network.shape)
    errors = [
        float(np.abs(share * ridge + (1 - share) * network - truth).mean()) for share in SHARES
    ]
    best = int(np.argmin(errors))
    return SHARES[best], {"mix": errors[best], "network": errors[0], "ridge": errors[-1]}


def choose_mix(
    network: np.ndarray, ridge: np.ndarray, last: np.ndarray, truth: np.ndarray
) -> tuple[float, bool, dict[str, float]]:
    """The share of the network's forecast's partner, the partner, and the errors: the
    ridge map's forecast, or each target's last value in its window (the map of zeros)
    where its best mix fits ``truth`` strictly better (``choose_share``). For series with
    nothing to learn past their last value (a random walk: the Deutsche Mark's exchange
    rate), a fitted map learns noise that the last value does not.

    Returns ``(share, True, errors)`` where the last value is the partner; ``errors``
    has the best mix's, the network's, the ridge's and the last value's.

    Example:
        >>> truth = np.asarray([1.0, 2.0, 3.0])
        >>> choose_mix(truth + 1.0, truth + 2.0, truth - 1.0, truth)[:2]   # last value
        (0.5, True)
        >>> choose_mix(truth + 1.0, truth - 1.0, truth - 1.0, truth)[:2]   # a tie: ridge
        (0.5, False)
    """
    share, errors = choose_share(network, ridge, truth)
    last_share, last_errors = choose_share(network, last, truth)
    errors["last value"] = last_errors["ridge"]
    if last_errors["mix"] < errors["mix"]:
        return last_share, True, errors | {"mix": last_errors["mix"]}
    return share, False, errors


def share_words(
    share: float,
    windows: int,
    errors: dict[str, float] | None,
    asked: bool,
    last_value: bool = False,
) -> str:
    """The sentence on the combination, for ``explain()``; ``last_value`` where the
    partner is each target's last value (``choose_mix``).

    Example:
        >>> share_words(0.3, 120, None, asked=True)[:62]
        "Ridge combination: the forecast is 0.7 the network's and 0.3 a"
    """
    if last_value:
        words = (
            f"Ridge combination: the forecast is {1 - share:.1f} the network's and "
            f"{share:.1f} each target's last value in its window (RidgeCombination, its map "
            f"of the window's past steps left at zero)"
        )
    else:
        words = (
            f"Ridge combination: the forecast is {1 - share:.1f} the network's and "
            f"{share:.1f} a ridge map of each window's past steps (RidgeCombination; fitted "
            f"in closed form on {windows} training windows, each target in its window's "
            f"units)"
        )
    if asked:
        return words + ", the share set by ridge_share."
    if errors is None:
        return words + ": an even mix, with no validation windows to choose the share on."
    last = f" and {errors['last value']:.4g} for the last value" if "last value" in errors else ""
    return words + (
        f": the share, of 0 to 1 in tenths, that gave the validation windows the lowest "
        f"mean absolute error, {errors['mix']:.4g}, against {errors['network']:.4g} for the "
        f"network alone, {errors['ridge']:.4g} for the ridge alone{last}."
    )
