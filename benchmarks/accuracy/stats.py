"""Small helpers shared by the suite's parts: spread over seeds, timing, quiet fits."""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator, Sequence


def spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation (n - 1; 0 for one value), min and max of ``values``.

    Example:
        >>> spread([0.5, 0.7, 0.9])
        {'mean': 0.7, 'std': 0.2, 'min': 0.5, 'max': 0.9, 'n': 3}
    """
    finite = [float(value) for value in values if value is not None and math.isfinite(value)]
    if not finite:
        nan = float("nan")
        return {"mean": nan, "std": nan, "min": nan, "max": nan, "n": 0}
    mean = sum(finite) / len(finite)
    variance = (
        sum((value - mean) ** 2 for value in finite) / (len(finite) - 1)
        if len(finite) > 1
        else 0.0
    )
    return {
        "mean": round(mean, 10),
        "std": round(math.sqrt(variance), 10),
        "min": min(finite),
        "max": max(finite),
        "n": len(finite),
    }


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings of third-party fits (statsforecast, scikit-learn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
            yield


@contextlib.contextmanager
def seqshape_warnings() -> Iterator[list[str]]:
    """Collect the first line of each distinct warning raised from seqshape's own code
    (a baseline that beats the model, say), not from its dependencies."""
    collected: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield collected
        finally:
            lines = {
                str(w.message).splitlines()[0][:200]
                for w in caught
                if f"{os.sep}seqshape{os.sep}" in str(w.filename)
            }
            collected.extend(sorted(lines)[:5])
