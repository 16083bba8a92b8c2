"""How much each class weighs in the training loss (``class_weight``).

A rare class trained at the weight of the common ones is learned as noise: aeon's
ECG log with 3% anomalous rows (``ecg-diff-count-3``, labelled step by step) gave a
model that labelled every step normal, balanced accuracy 0.50; with each class weighed
in inverse proportion to its count, 0.88 (and accuracy 0.96 against 0.92 for the
majority class). ``"auto"`` weighs classes so where the most common one has more than
``IMBALANCE`` times the samples (or labelled steps) of the rarest, and leaves them
equal otherwise: every classification set of the accuracy suite is within 3.6 times.

Example:
    >>> import numpy as np
    >>> weights, reason = choose_class_weight("auto", np.array([0] * 90 + [1] * 10), 2)
    >>> weights.round(2).tolist()
    [0.56, 5.0]
    >>> choose_class_weight("auto", np.array([0] * 50 + [1] * 40), 2)[0] is None
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from seqshape.errors import InvalidInputError

# "auto" weighs the classes where the most common has more than this many times the
# samples of the rarest
IMBALANCE = 4.0


def choose_class_weight(
    asked: str | dict | None, targets: np.ndarray, n_classes: int, classes=None
) -> tuple[np.ndarray | None, str]:
    """The weight of each class index in the loss (``None``: all 1) and a sentence on why.

    Args:
        asked: ``"auto"``, ``"balanced"``, ``None`` or ``{label: weight}``.
        targets: the training part's class indices, any shape (labels per step too).
        n_classes: the number of classes.
        classes: the user's labels of the class indices (for a dict and the sentence).
    """
    labels = list(range(n_classes)) if classes is None else np.asarray(classes).tolist()
    counts = np.bincount(np.ravel(targets).astype(np.int64), minlength=n_classes)
    if asked is None:
        return None, ""
    if isinstance(asked, dict):
        return _given(asked, labels), (
            "Class weights: as given (class_weight), "
            + ", ".join(f"{label!r} x{weight:g}" for label, weight in asked.items())
            + "."
        )
    present = counts > 0
    ratio = counts[present].max() / counts[present].min()
    common, rare = int(np.argmax(counts)), int(np.argmin(np.where(present, counts, np.inf)))
    unit = "samples" if np.size(targets) == len(targets) else "labelled steps"
    measured = (
        f"the most common class has {ratio:.3g} times the {unit} of the rarest "
        f"({counts[common]:,} of {labels[common]!r} against {counts[rare]:,} of "
        f"{labels[rare]!r})"
    )
    if asked == "auto" and ratio <= IMBALANCE:
        return None, ""
    weights = np.ones(n_classes)
    weights[present] = compute_class_weight(
        "balanced", classes=np.flatnonzero(present), y=np.ravel(targets)
    )
    listed = ", ".join(f"{labels[k]!r} x{weights[k]:.3g}" for k in range(n_classes))
    why = f"{measured}, over {IMBALANCE:g}" if asked == "auto" else measured
    return weights, (
        f"Class weights: {why}, so each class weighs in the training loss in inverse "
        f"proportion to its count (class_weight='balanced'): {listed}. Without it a "
        "rare class is learned as noise."
    )


def _given(asked: dict[Any, float], labels: list) -> np.ndarray:
    """A ``{label: weight}`` dict as a weight for each class index (others 1)."""
    weights = np.ones(len(labels))
    known = {
        label.item() if hasattr(label, "item") else label: k for k, label in enumerate(labels)
    }
    for label, weight in asked.items():
        if label not in known:
            raise InvalidInputError(
                "class_weight",
                expected=f"weights of the training classes {list(known)}",
                received=f"a weight for {label!r}",
                fix="Key class_weight by the labels y holds.",
            )
        weights[known[label]] = weight
    return weights
