"""seqshape: from the shapes of X and y to the right recurrent sequence model.

The public names are imported when first used (PEP 562), so ``import seqshape`` and the
command line's ``--help`` stay fast: Keras and JAX load with the first name that needs
them. ``KERAS_BACKEND`` is set to ``jax`` here, before anything imports Keras, unless
you chose a backend.

Example:
    >>> import seqshape
    >>> seqshape.spec_from_shapes((40, 2), (10, 2)).title
    'many-to-many (different lengths), encoder_decoder'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from seqshape._backend import use_jax_unless_chosen

use_jax_unless_chosen()  # before Keras is imported: Keras reads its backend once

if TYPE_CHECKING:
    from seqshape.builders import (
        ArchitectureOptions,
        build_model,
        infer_spec,
        register_builder,
        spec_from_shapes,
        strategies,
        topologies,
    )
    from seqshape.code import keras_code
    from seqshape.doctor import Diagnosis, Problem, diagnose
    from seqshape.errors import (
        InvalidInputError,
        InvalidTypeError,
        ModelFileError,
        NotFittedYetError,
        SeqShapeError,
    )
    from seqshape.estimator import SequenceClassifier, SequenceModel, SequenceRegressor, load
    from seqshape.explain import Explanation, explain_model
    from seqshape.runs.api import ForecastRun, forecast
    from seqshape.spec import SeasonalBase, TopologySpec

__version__ = "0.1.0"

# each public name and the module that defines it, imported on first use
_WHERE = {
    **dict.fromkeys(
        (
            "ArchitectureOptions",
            "build_model",
            "infer_spec",
            "register_builder",
            "spec_from_shapes",
            "strategies",
            "topologies",
        ),
        "seqshape.builders",
    ),
    **dict.fromkeys(
        (
            "InvalidInputError",
            "InvalidTypeError",
            "ModelFileError",
            "NotFittedYetError",
            "SeqShapeError",
        ),
        "seqshape.errors",
    ),
    **dict.fromkeys(
        ("SequenceClassifier", "SequenceModel", "SequenceRegressor", "load"),
        "seqshape.estimator",
    ),
    **dict.fromkeys(("Explanation", "explain_model"), "seqshape.explain"),
    "keras_code": "seqshape.code",
    **dict.fromkeys(("Diagnosis", "Problem", "diagnose"), "seqshape.doctor"),
    **dict.fromkeys(("ForecastRun", "forecast"), "seqshape.runs.api"),
    **dict.fromkeys(("SeasonalBase", "TopologySpec"), "seqshape.spec"),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'seqshape' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = [
    "ArchitectureOptions",
    "Diagnosis",
    "Explanation",
    "ForecastRun",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedYetError",
    "Problem",
    "SeasonalBase",
    "SeqShapeError",
    "SequenceClassifier",
    "SequenceModel",
    "SequenceRegressor",
    "TopologySpec",
    "build_model",
    "diagnose",
    "explain_model",
    "forecast",
    "infer_spec",
    "keras_code",
    "load",
    "register_builder",
    "spec_from_shapes",
    "strategies",
    "topologies",
]
