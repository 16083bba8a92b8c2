"""Layer blocks the builders share: token embedding, recurrent stacks and output heads."""

from __future__ import annotations

import keras

from seqshape.builders.options import CELLS, ArchitectureOptions
from seqshape.spec import TopologySpec


def sequence_front(inputs, spec: TopologySpec, options: ArchitectureOptions):
    """The front of a sequence model: token ids -> vectors with an ``Embedding``;
    padded steps masked (``Masking``, or ``mask_zero`` for tokens); else unchanged."""
    if spec.input_kind == "tokens":
        # (batch, T) token ids -> (batch, T, embedding_dim)
        return keras.layers.Embedding(
            spec.vocabulary_size,
            options.embedding_dim,
            mask_zero=spec.mask_value is not None,
            name="embedding",
        )(inputs)
    if spec.mask_value is not None:
        # (batch, T, F) -> (batch, T, F), padded steps masked
        return keras.layers.Masking(mask_value=spec.mask_value, name="padding_mask")(inputs)
    return inputs


def _cell_arguments(cell: str) -> dict:
    """Extra arguments per cell. On the JAX backend, LSTMs keep Keras' own scan loop:
    the cuDNN path (``jax.experimental.rnn``, used on GPU since Keras 3.15) did not
    train here (H100: the seed task's loss stalled at 0.67 against 0.02 on the scan
    loop; docs/benchmarks.md)."""
    if cell == "lstm" and keras.backend.backend() == "jax":
        return {"use_cudnn": False}
    return {}


def recurrent_layer(units: int, options: ArchitectureOptions, *, return_sequences: bool):
    """One recurrent layer of the chosen cell, bidirectional if asked."""
    layer = CELLS[options.cell](
        units,
        return_sequences=return_sequences,
        dropout=options.dropout,
        **_cell_arguments(options.cell),
    )
    return keras.layers.Bidirectional(layer) if options.bidirectional else layer


def recurrent_stack(x, units: tuple[int, ...], options: ArchitectureOptions, *, sequences: bool):
    """Stacked recurrent layers; the last returns every step only if ``sequences``.

    ``(batch, T, F)`` -> ``(batch, T, units[-1])`` if ``sequences``, else the last state
    ``(batch, units[-1])`` (twice as wide when bidirectional).
    """
    for position, size in enumerate(units):
        last = position == len(units) - 1
        x = recurrent_layer(size, options, return_sequences=sequences or not last)(x)
    return x


def sample_head(x, spec: TopologySpec):
    """One output per sample: ``Dense`` with the task's width and activation.

    ``(batch, D)`` -> ``(batch, K)``, K = ``spec.head_units``.
    """
    return keras.layers.Dense(spec.head_units, activation=spec.head_activation, name="head")(x)


def step_head(x, spec: TopologySpec):
    """One output per step: ``TimeDistributed(Dense)`` with the task's width and activation.

    ``(batch, T, D)`` -> ``(batch, T, K)``, K = ``spec.head_units``.
    """
    dense = keras.layers.Dense(spec.head_units, activation=spec.head_activation)
    return keras.layers.TimeDistributed(dense, name="head")(x)
