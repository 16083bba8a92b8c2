"""Architecture options shared by every builder: layer sizes, cell, direction, dropout.

Example:
    >>> from seqshape.builders.options import ArchitectureOptions
    >>> ArchitectureOptions(units=(12, 12, 6), cell="gru").units
    (12, 12, 6)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from seqshape.validation import check_choice, check_fraction, check_positive_int, check_units

CELLS = {
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "simple_rnn": keras.layers.SimpleRNN,
}


@dataclass(frozen=True)
class ArchitectureOptions:
    """How big and of what kind the recurrent layers are.

    Args:
        units: one size per stacked recurrent layer, e.g. ``(12, 12, 6)``.
        cell: ``"lstm"``, ``"gru"`` or ``"simple_rnn"``.
        bidirectional: wrap each recurrent layer in ``Bidirectional``.
        dropout: input dropout of each recurrent layer, in [0, 1).
        embedding_dim: vector size of each token, for token inputs.
        filters: Conv2D filters per frame-encoder block, for spatio-temporal inputs.
    """

    units: tuple[int, ...] = (32,)
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    embedding_dim: int = 32
    filters: tuple[int, ...] = (16, 32)

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", check_units(self.units, "units"))
        object.__setattr__(self, "filters", check_units(self.filters, "filters"))
        check_choice(self.cell, "cell", tuple(CELLS))
        check_fraction(self.dropout, "dropout")
        check_positive_int(self.embedding_dim, "embedding_dim")
        if not isinstance(self.bidirectional, bool):
            from seqshape.errors import InvalidTypeError

            raise InvalidTypeError(
                "bidirectional",
                expected="True or False",
                received=repr(self.bidirectional),
                fix="Pass bidirectional=True to read each sequence in both directions.",
            )
