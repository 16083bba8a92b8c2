"""Baselines with the same fit/predict contract as ``SequenceModel``.

Every report puts the network next to these: a network that does not beat them has
learned nothing worth its cost.

Example:
    >>> import numpy as np
    >>> from seqshape.baselines import LastValueBaseline
    >>> X = np.arange(12.0).reshape(2, 3, 2)
    >>> LastValueBaseline().fit(X, X[:, -2:, :]).predict(X)[0]
    array([[4., 5.],
           [4., 5.]])
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from seqshape.errors import InvalidInputError
from seqshape.validation import as_numeric_array, check_same_samples


class LastValueBaseline(BaseEstimator):
    """Persistence: every output step repeats the last observed input step.

    Args:
        target_features: indices of the X features that y's outputs continue, in y's
            order; ``None`` when X and y have the same features.
    """

    def __init__(self, target_features: tuple[int, ...] | None = None):
        self.target_features = target_features

    def fit(self, X, y) -> LastValueBaseline:
        X_array, y_array = as_numeric_array(X, "X"), as_numeric_array(y, "y")
        check_same_samples(X_array, y_array)
        if X_array.ndim != 3:
            raise InvalidInputError(
                "X",
                expected="sequences (samples, steps, features) for the last-value baseline",
                received=f"a {X_array.ndim}D array",
                fix="Use MeanBaseline for inputs that are not sequences.",
            )
        outputs = 1 if y_array.ndim == 1 else y_array.shape[-1]
        features = self.target_features
        if features is None:
            if outputs != X_array.shape[-1]:
                raise InvalidInputError(
                    "target_features",
                    expected="the X feature index of each output of y",
                    received=f"None, with {X_array.shape[-1]} X features and {outputs} outputs",
                    fix="Pass target_features, e.g. (0,) when y continues X's first feature.",
                )
            features = tuple(range(outputs))
        self.features_ = np.asarray(features, dtype=int)
        self.output_shape_ = y_array.shape[1:]
        return self

    def predict(self, X) -> np.ndarray:
        last = as_numeric_array(X, "X")[:, -1, self.features_].astype(np.float64)
        if len(self.output_shape_) == 2:
            return np.repeat(last[:, None, :], self.output_shape_[0], axis=1)
        return last.reshape(len(last), *self.output_shape_)


class MeanBaseline(BaseEstimator):
    """Predicts the training mean of y for every sample (per step and output)."""

    def fit(self, X, y) -> MeanBaseline:
        self.mean_ = as_numeric_array(y, "y").astype(np.float64).mean(axis=0)
        return self

    def predict(self, X) -> np.ndarray:
        samples = len(as_numeric_array(X, "X"))
        return np.broadcast_to(self.mean_, (samples, *self.mean_.shape)).copy()


class MajorityClassBaseline(BaseEstimator):
    """Predicts the most frequent training label (per step for per-step labels)."""

    def fit(self, X, y) -> MajorityClassBaseline:
        labels, counts = np.unique(as_numeric_array(y, "y"), return_counts=True)
        self.label_ = labels[np.argmax(counts)]
        self.output_shape_ = np.shape(y)[1:]
        return self

    def predict(self, X) -> np.ndarray:
        samples = len(as_numeric_array(X, "X"))
        return np.full((samples, *self.output_shape_), self.label_)
