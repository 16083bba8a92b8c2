"""seqshape: from the shapes of X and y to the right recurrent sequence model.

Example:
    >>> import seqshape
    >>> seqshape.spec_from_shapes((40, 2), (10, 2)).title
    'many-to-many (different lengths), encoder_decoder'
"""

from seqshape._backend import use_jax_unless_chosen

use_jax_unless_chosen()  # before Keras is imported: Keras reads its backend once

from seqshape.builders import (  # noqa: E402
    ArchitectureOptions,
    build_model,
    infer_spec,
    register_builder,
    spec_from_shapes,
    strategies,
    topologies,
)
from seqshape.code import keras_code  # noqa: E402
from seqshape.doctor import Diagnosis, Problem, diagnose  # noqa: E402
from seqshape.errors import (  # noqa: E402
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    NotFittedYetError,
    SeqShapeError,
)
from seqshape.estimator import (  # noqa: E402
    SequenceClassifier,
    SequenceModel,
    SequenceRegressor,
    load,
)
from seqshape.explain import Explanation, explain_model  # noqa: E402
from seqshape.spec import TopologySpec  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ArchitectureOptions",
    "Diagnosis",
    "Explanation",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedYetError",
    "Problem",
    "SeqShapeError",
    "SequenceClassifier",
    "SequenceModel",
    "SequenceRegressor",
    "TopologySpec",
    "build_model",
    "diagnose",
    "explain_model",
    "infer_spec",
    "keras_code",
    "load",
    "register_builder",
    "spec_from_shapes",
    "strategies",
    "topologies",
]
