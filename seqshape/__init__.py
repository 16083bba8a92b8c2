"""seqshape: from the shapes of X and y to the right recurrent sequence model.

Example:
    >>> import seqshape
    >>> seqshape.spec_from_shapes((40, 2), (10, 2)).title
    'many-to-many (different lengths), encoder_decoder'
"""

from seqshape._backend import enable_compilation_cache, use_jax_unless_chosen

use_jax_unless_chosen()
enable_compilation_cache()

from seqshape.builders import (  # noqa: E402
    ArchitectureOptions,
    build_model,
    register_builder,
    strategies,
    topologies,
)
from seqshape.errors import (  # noqa: E402
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    NotFittedYetError,
    SeqShapeError,
)
from seqshape.estimator import SequenceModel  # noqa: E402
from seqshape.explain import Explanation, explain_model  # noqa: E402
from seqshape.persistence import load  # noqa: E402
from seqshape.spec import TopologySpec, infer_spec, spec_from_shapes  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ArchitectureOptions",
    "Explanation",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedYetError",
    "SeqShapeError",
    "SequenceModel",
    "TopologySpec",
    "build_model",
    "explain_model",
    "infer_spec",
    "load",
    "register_builder",
    "spec_from_shapes",
    "strategies",
    "topologies",
]
