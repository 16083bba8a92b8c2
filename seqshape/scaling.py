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

from seqshape.errors import InvalidInputError
from seqshape.validation import padding_mask, sample_chunks

FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


class LastAxisScaler:
    """Standardise each feature (the last axis) over samples and steps together.

    A thin layer over scikit-learn's ``StandardScaler`` that works on arrays of any
    rank and stores its state as plain lists, so it saves to JSON (no pickle).
    """

    def __init__(self, mask_value: float | None = None) -> None:
        self.mask_value = mask_value
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _padded(self, values: np.ndarray) -> np.ndarray | None:
        """Steps whose every feature equals ``mask_value`` (padding), or None."""
        return padding_mask(values, self.mask_value)

    def fit(self, values: np.ndarray, name: str = "X") -> LastAxisScaler:
        """Fit on ``values`` chunk by chunk (``partial_fit``), so a view of many windows
        is never copied whole. ``InvalidInputError`` naming ``name`` when the statistics
        are not finite or pass float32's range (values too large to scale)."""
        fitted = StandardScaler()
        seen = False
        for _, chunk in sample_chunks(values):
            flat = np.asarray(chunk, dtype=np.float64).reshape(-1, values.shape[-1])
            padded = self._padded(flat)
            if padded is not None:
                flat = flat[~padded[:, 0]]
            if len(flat):
                fitted.partial_fit(flat)
                seen = True
        if not seen:  # everything was padding: nothing to scale by
            fitted.fit(np.zeros((1, values.shape[-1])))
        self.mean_ = fitted.mean_
        self.scale_ = fitted.scale_
        if not (
            (np.abs(self.mean_) <= FLOAT32_MAX).all()
            and ((self.scale_ >= FLOAT32_TINY) & (self.scale_ <= FLOAT32_MAX)).all()
        ):
            raise InvalidInputError(
                name,
                expected="values whose mean and spread per feature float32 can hold",
                received=f"means {self.mean_.tolist()} and scales {self.scale_.tolist()}",
                fix=f"Rescale `{name}` (for example divide it by a power of ten) before fitting.",
            )
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        """A new float32 array; ``values`` is not modified. Padded steps (every feature
        equal to ``mask_value``, or every feature NaN) hold ``mask_value``.

        Example:
            >>> scaler = LastAxisScaler(mask_value=-9.0).fit(np.array([[[1.0], [3.0], [np.nan]]]))
            >>> scaler.transform(np.array([[[1.0], [np.nan]]]))[0, :, 0].tolist()
            [-1.0, -9.0]
        """
        scaled = ((values - self.mean_) / self.scale_).astype(np.float32)
        padded = self._padded(values)
        return scaled if padded is None else np.where(padded, np.float32(self.mask_value), scaled)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.scale_ + self.mean_

    def subset(self, features) -> LastAxisScaler:
        """A scaler of only ``features`` (indices of the last axis), same statistics.

        Example:
            >>> scaler = LastAxisScaler().fit(np.array([[1.0, 10.0], [3.0, 30.0]]))
            >>> scaler.subset([1]).mean_
            array([20.])
        """
        chosen = list(features)
        part = LastAxisScaler()
        part.mean_, part.scale_ = self.mean_[chosen], self.scale_[chosen]
        return part

    def to_dict(self) -> dict:
        return {
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "mask_value": self.mask_value,
        }

    @classmethod
    def from_dict(cls, state: dict) -> LastAxisScaler:
        """The inverse of ``to_dict``; ``ValueError`` or ``TypeError`` for a state that
        does not describe a scaler (sizes differ, a scale not above 0, values that are not
        finite or pass float32's range)."""
        scaler = cls(state.get("mask_value"))
        scaler.mean_ = np.asarray(state["mean"], dtype=np.float64)
        scaler.scale_ = np.asarray(state["scale"], dtype=np.float64)
        mean, scale = scaler.mean_, scaler.scale_
        if (
            mean.ndim != 1
            or mean.shape != scale.shape
            or not len(mean)
            or not (np.abs(mean) <= FLOAT32_MAX).all()  # False for NaN
            or not ((scale >= FLOAT32_TINY) & (scale <= FLOAT32_MAX)).all()
        ):
            raise ValueError(f"a scaler with mean {state['mean']!r} and scale {state['scale']!r}")
        return scaler
