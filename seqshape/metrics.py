"""Error metrics over arrays of any shape, from scikit-learn where it has them.

Example:
    >>> import numpy as np
    >>> from seqshape.metrics import regression_scores
    >>> regression_scores(np.zeros((2, 3, 1)), np.ones((2, 3, 1)))
    {'MAE': 1.0, 'RMSE': 1.0}
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, root_mean_squared_error


def _flat(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(len(values), -1)


def regression_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE and RMSE over every sample, step and output."""
    truth, predicted = _flat(y_true), _flat(y_pred)
    return {
        "MAE": float(mean_absolute_error(truth, predicted)),
        "RMSE": float(root_mean_squared_error(truth.ravel(), predicted.ravel())),
    }


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro F1 over every label (per sample or per step)."""
    truth, predicted = np.ravel(y_true), np.ravel(y_pred)
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_F1": float(f1_score(truth, predicted, average="macro")),
    }
