"""Layer blocks the builders share: token embedding, recurrent stacks and output heads."""

from __future__ import annotations

import keras

from seqshape.builders.options import CELLS, ArchitectureOptions
from seqshape.spec import TopologySpec


def embed_tokens(inputs, spec: TopologySpec, options: ArchitectureOptions):
    """Token ids -> vectors with an ``Embedding``; any other input passes through."""
    if spec.input_kind != "tokens":
        return inputs
    return keras.layers.Embedding(spec.vocabulary_size, options.embedding_dim, name="embedding")(
        inputs
    )


def recurrent_layer(units: int, options: ArchitectureOptions, *, return_sequences: bool):
    """One recurrent layer of the chosen cell, bidirectional if asked."""
    layer = CELLS[options.cell](units, return_sequences=return_sequences, dropout=options.dropout)
    return keras.layers.Bidirectional(layer) if options.bidirectional else layer


def recurrent_stack(x, units: tuple[int, ...], options: ArchitectureOptions, *, sequences: bool):
    """Stacked recurrent layers; the last returns every step only if ``sequences``."""
    for position, size in enumerate(units):
        last = position == len(units) - 1
        x = recurrent_layer(size, options, return_sequences=sequences or not last)(x)
    return x


def sample_head(x, spec: TopologySpec):
    """One output per sample: ``Dense`` with the task's width and activation."""
    return keras.layers.Dense(spec.head_units, activation=spec.head_activation, name="head")(x)


def step_head(x, spec: TopologySpec):
    """One output per step: ``TimeDistributed(Dense)`` with the task's width and activation."""
    dense = keras.layers.Dense(spec.head_units, activation=spec.head_activation)
    return keras.layers.TimeDistributed(dense, name="head")(x)
