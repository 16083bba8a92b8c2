"""Per-series scaling for panels: each series standardised by its own training part.

``normalization="series"`` is a choice of the table workflow, the one place that knows
which series each window comes from. Every input column of every series is shifted by
its mean and divided by its standard deviation over the series' training part; the
model (an estimator with ``normalization="global"``) sees series of one level, and its
forecasts are put back in each series' own units.

Example:
    >>> import numpy as np
    >>> from seqshape.runs.series_scaling import SeriesScales
    >>> from seqshape.windowing import panel_windows
    >>> panel = [np.arange(10.0)[:, None], 100 + 10 * np.arange(10.0)[:, None]]
    >>> scales = SeriesScales.fit(["a", "b"], panel, training_rows=[5, 5])
    >>> windows = panel_windows(panel, 3, 1, ids=["a", "b"])
    >>> scaled = scales.scale_windows(windows, target_features=[0])
    >>> bool(np.allclose(scaled.X[0], scaled.X[7]))  # the same shape at two levels
    True
    >>> restored = scales.restore(scaled.y, windows.series, target_features=[0])
    >>> bool(np.allclose(restored, windows.y))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqshape.windowing import Windows


@dataclass(frozen=True)
class SeriesScales:
    """Each series' location and scale per input column, by series id."""

    ids: tuple
    location: np.ndarray  # (series, columns)
    scale: np.ndarray  # (series, columns), no zeros

    @classmethod
    def fit(
        cls, ids: Sequence, panel: Sequence[np.ndarray], *, training_rows: Sequence[int]
    ) -> SeriesScales:
        """Mean and standard deviation of the first ``training_rows`` of each series
        (at least 2 steps); a constant column gets a scale of 1."""
        location, scale = [], []
        for values, rows in zip(panel, training_rows, strict=True):
            part = np.asarray(values, dtype=np.float64)
            part = part[: max(2, int(rows))]
            location.append(part.mean(axis=0))
            spread = part.std(axis=0)
            scale.append(np.where(spread > 0, spread, 1.0))
        return cls(tuple(ids), np.asarray(location), np.asarray(scale))

    def _rows(self, series: np.ndarray) -> np.ndarray:
        index = {series_id: row for row, series_id in enumerate(self.ids)}
        return np.asarray([index[s] for s in series.tolist()], dtype=np.int64)

    def scale_windows(self, windows: Windows, target_features: Sequence[int]) -> Windows:
        """``windows`` in their series' scaled units (a copy): inputs, and targets as
        the input columns ``target_features`` they continue."""
        rows = self._rows(windows.series)
        X = (windows.X - self.location[rows, None, :]) / self.scale[rows, None, :]
        y = self.scale_targets(windows.y, windows.series, target_features)
        return Windows(X.astype(np.float32), y, windows.series, windows.target_start)

    def scale_inputs(self, X: np.ndarray, series: Sequence) -> np.ndarray:
        """Input windows ``(n, steps, columns)`` of the given series, scaled."""
        rows = self._rows(np.asarray(list(series), dtype=object))
        return ((X - self.location[rows, None, :]) / self.scale[rows, None, :]).astype(np.float32)

    def scale_targets(self, y: np.ndarray, series: np.ndarray, target_features) -> np.ndarray:
        """Target windows ``(n, steps, targets)`` in their series' scaled units."""
        rows, columns = self._rows(series), list(target_features)
        location = self.location[rows][:, columns][:, None, :]
        return ((y - location) / self.scale[rows][:, columns][:, None, :]).astype(np.float32)

    def restore(self, y: np.ndarray, series: Sequence, target_features) -> np.ndarray:
        """Forecasts ``(n, steps, targets)`` in scaled units, back in each series' units."""
        rows = self._rows(np.asarray(list(series), dtype=object))
        columns = list(target_features)
        location = self.location[rows][:, columns][:, None, :]
        return y * self.scale[rows][:, columns][:, None, :] + location

    def extended(self, ids: Sequence, panel: Sequence[np.ndarray]) -> SeriesScales:
        """These scales, plus those of series not seen in training, from all their
        history (``panel``: each series' input columns)."""
        known = set(self.ids)
        new = [(i, values) for i, values in zip(ids, panel, strict=True) if i not in known]
        if not new:
            return self
        more = SeriesScales.fit(
            [i for i, _ in new], [v for _, v in new], training_rows=[len(v) for _, v in new]
        )
        return SeriesScales(
            self.ids + more.ids,
            np.concatenate([self.location, more.location]),
            np.concatenate([self.scale, more.scale]),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"ids": [...], "location": [[...]], "scale": [[...]]}``."""
        return {
            "ids": list(self.ids),
            "location": self.location.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> SeriesScales:
        """The scales written by ``to_dict``, checked: one finite row per id, positive
        scales."""
        ids = tuple(state["ids"])
        location = np.asarray(state["location"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if (
            location.ndim != 2
            or location.shape != scale.shape
            or len(ids) != len(location)
            or not np.isfinite(location).all()
            or not (np.isfinite(scale).all() and (scale > 0).all())
        ):
            raise ValueError("series scales: one finite location and positive scale per id")
        return cls(ids, location, scale)


def series_scaling_reason(normalization: str) -> str | None:
    """Why the table workflow scales each series on its own (``normalization``, the
    estimator's, is ``"series"``), or None when it does not.

    ``"auto"`` never picks it: in a table the targets are input columns, so each
    window's own level follows its series and ``"auto"`` picks window normalisation.
    """
    if normalization != "series":
        return None
    return (
        "Normalisation 'series' was asked for: each series is standardised by the mean "
        "and standard deviation of its own training part, and forecasts are put back in "
        "its units."
    )
