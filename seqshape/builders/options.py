"""Architecture options shared by every builder: layer sizes, cell, direction, dropout.

The fields, their defaults and their checks come from the parameter table
(``seqshape.params``, group ``"architecture"``).

Example:
    >>> from seqshape.builders.options import ArchitectureOptions
    >>> ArchitectureOptions(units=(12, 12, 6), cell="gru").units
    (12, 12, 6)
    >>> ArchitectureOptions(units=8).units
    (8,)
"""

from __future__ import annotations

import keras

from seqshape.params import CELL_NAMES, options_fields

CELLS = dict(
    zip(CELL_NAMES, (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN), strict=True)
)


@options_fields("architecture")
class ArchitectureOptions:
    """How big and of what kind the recurrent layers are (a frozen dataclass).

    Every value is checked when the options are made; sizes become tuples.
    """
