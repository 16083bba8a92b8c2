"""Per-feature standardisation along the last axis, fitted on training data only.

Example:
    >>> import numpy as np
    >>> from seqshape.scaling import LastAxisScaler
    >>> X = np.array([[[1.0, 10.0], [3.0, 30.0]]])
    >>> scaler = LastAxisScaler().fit(X)
    >>> scaler.transform(X)[0, :, 1]
    array([-1.,  1.], dtype=float32)
    >>> np.allclose(scaler.inverse_transform(scaler.transform(X)), X)
    True
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler


class LastAxisScaler:
    """Standardise each feature (the last axis) over samples and steps together.

    A thin layer over scikit-learn's ``StandardScaler`` that works on arrays of any
    rank and stores its state as plain lists, so it saves to JSON (no pickle).
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, values: np.ndarray) -> LastAxisScaler:
        flat = np.asarray(values, dtype=np.float64).reshape(-1, values.shape[-1])
        fitted = StandardScaler().fit(flat)
        self.mean_ = fitted.mean_
        self.scale_ = fitted.scale_
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """A new float32 array; ``values`` is not modified."""
        return ((values - self.mean_) / self.scale_).astype(np.float32)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.scale_ + self.mean_

    def to_dict(self) -> dict:
        return {"mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> LastAxisScaler:
        scaler = cls()
        scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
        scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
        return scaler
