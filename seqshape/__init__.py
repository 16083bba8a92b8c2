"""seqshape: from the shapes of X and y to the right recurrent sequence model.

Example:
    >>> import seqshape
    >>> seqshape.spec_from_shapes((40, 2), (10, 2)).title
    'many-to-many (different lengths), encoder_decoder'
"""

from seqshape._backend import use_jax_unless_chosen

use_jax_unless_chosen()

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
from seqshape.spec import TopologySpec, infer_spec, spec_from_shapes  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ArchitectureOptions",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelFileError",
    "NotFittedYetError",
    "SeqShapeError",
    "TopologySpec",
    "build_model",
    "infer_spec",
    "register_builder",
    "spec_from_shapes",
    "strategies",
    "topologies",
]
