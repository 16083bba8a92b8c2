"""LSTM-FCN: an LSTM branch beside a fully convolutional branch (Karim et al. 2017).

"LSTM Fully Convolutional Networks for Time Series Classification" (IEEE Access, 2018;
arXiv 1709.05206), for many-to-one classification:

- FCN branch: three ``Conv1D`` blocks of 128, 256 and 128 filters with kernels of 8, 5
  and 3 steps (``padding="same"``, He uniform initialisation), each followed by
  ``BatchNormalization`` and ReLU, then the mean over steps (global average pooling).
- LSTM branch: the *dimension shuffle* of the paper (``Permute``: the LSTM reads each
  feature as one step of T values, a single step for a univariate series) -> the
  recurrent stack of ``options.units`` (the paper tried 8, 64 and 128 cells; the
  user's cell, direction and input dropout apply) -> ``Dropout(0.8)``.
- Both concatenated -> ``Dense`` with the task's sigmoid or softmax.

Padded variable-length sequences (``spec.mask_value`` set): convolutions take no mask,
so the padded steps are set to zero before each convolution (``ZeroMaskedSteps``: a
``"same"`` convolution then sees at a padded step what it sees beyond the end of an
unpadded sequence), ``BatchNormalization`` gets the mask (its statistics skip padded
steps) and the mean over steps counts real steps only
(``MaskedGlobalAveragePooling1D``). The dimension shuffle would turn padded steps into
input values of the LSTM, so with a mask the LSTM reads the steps in time order behind
``Masking`` instead, skipping padded steps. The output then does not depend on how much
padding there is, nor on which side. Token ids get an ``Embedding`` (``mask_zero`` when
masked) that both branches read, the LSTM in time order.

Example:
    >>> from seqshape.builders import ArchitectureOptions, build_model, spec_from_shapes
    >>> spec = spec_from_shapes((50, 1), (), strategy="lstm_fcn", task="binary", n_classes=2)
    >>> model = build_model(spec, ArchitectureOptions(units=(8,)))
    >>> model.output_shape, model.count_params()
    ((None, 1), 267753)
"""

from __future__ import annotations

import keras

from seqshape.builders.blocks import recurrent_stack, sample_head, sequence_front
from seqshape.builders.diagrams import labels, links, row
from seqshape.builders.registry import register_builder
from seqshape.layers import MaskedGlobalAveragePooling1D, PaddingMask, ZeroMaskedSteps
from seqshape.spec import TopologySpec

# (filters, kernel size) of the three convolution blocks, as in the paper
CONVOLUTIONS = ((128, 8), (256, 5), (128, 3))
LSTM_DROPOUT = 0.8  # after the LSTM branch, as in the paper


def _needs_sequence_classification(spec: TopologySpec) -> str | None:
    if spec.input_kind not in ("sequence", "tokens"):
        return f"it needs a sequence per sample in X, but X samples are {spec.input_shape}"
    if spec.per_step:
        return (
            f"it gives one label per sample, but y samples are {spec.output_shape} (per-step "
            "y: use many_to_many_aligned)"
        )
    if not spec.is_classifier:
        return (
            "it is a classifier (Karim et al. 2017), but y holds regression targets (float "
            "values); use 'last_state', or pass integer or boolean class labels"
        )
    return None


def _shuffles(inputs, spec: TopologySpec) -> bool:
    """The paper's dimension shuffle, where it is defined: numeric steps of a known count,
    none of them padding."""
    return (
        spec.input_kind == "sequence" and spec.mask_value is None and inputs.shape[1] is not None
    )


def _lstm_fcn_diagram(spec: TopologySpec) -> list[str]:
    """The two branches over the same input, joined before the output."""
    steps = spec.input_steps
    shuffled = spec.input_kind == "sequence" and spec.mask_value is None
    if shuffled:
        reads = f"[R] reads each feature's {steps} values as one step"
    else:
        reads = "[R]-->[R]-->...-->[R] reads the steps in order"
    return [
        row("X", labels("x", steps)),
        links(steps),
        f"{'LSTM':<8} {reads} -> Dropout(0.8) --+",
        f"{'FCN':<8} Conv1D(128, 8) -> Conv1D(256, 5) -> Conv1D(128, 3) -> mean over steps --+",
        f"{'':<8} concatenate both -> Dense",
        f"{'':<8} |",
        f"{'y':<8} y",
    ]


@register_builder(
    "many_to_one",
    "lstm_fcn",
    unsupported=_needs_sequence_classification,
    summary="Layers: LSTM branch (dimension shuffle, or the steps in order when padded -> "
    "recurrent stack -> Dropout(0.8)) "
    "beside FCN branch (Conv1D 128/8, 256/5, 128/3 with BatchNormalization and ReLU -> "
    "global average pooling) -> Concatenate -> Dense.",
    reason="Strategy lstm_fcn (Karim et al. 2017): a fully convolutional branch finds "
    "local shapes anywhere in the sequence, an LSTM branch reads it whole; their features "
    "are joined before the output.",
    diagram=_lstm_fcn_diagram,
    default_for=("sequence",),
)
def lstm_fcn_body(inputs, spec: TopologySpec, options):
    """The LSTM-FCN layers from the input tensor to the output tensor.

    ``(batch, T, F)`` (or token ids ``(batch, T)``) -> ``(batch, 1)`` sigmoid or
    ``(batch, n_classes)`` softmax.
    """
    masked = spec.mask_value is not None
    mask = PaddingMask(spec.mask_value, name="step_mask")(inputs) if masked else None  # (b, T)
    front = sequence_front(inputs, spec, options)  # embedding or Masking; (batch, T, F')

    # LSTM branch
    if _shuffles(inputs, spec):
        x = keras.layers.Permute((2, 1), name="dimension_shuffle")(inputs)  # -> (batch, F, T)
    else:
        x = front  # (batch, T, F'), with its Keras mask when padded
    x = recurrent_stack(x, options.units, options, sequences=False)  # -> (batch, units)
    x = keras.layers.Dropout(LSTM_DROPOUT, name="lstm_dropout")(x)

    # FCN branch
    y = inputs if spec.input_kind == "sequence" else front  # (batch, T, F')
    for block, (filters, kernel) in enumerate(CONVOLUTIONS, start=1):
        if masked:  # padded steps to zero, the Keras mask dropped: (batch, T, C)
            y = ZeroMaskedSteps(name=f"fcn_zero{block}")([y, mask])
        y = keras.layers.Conv1D(
            filters,
            kernel,
            padding="same",
            kernel_initializer="he_uniform",
            name=f"fcn_conv{block}",
        )(y)  # -> (batch, T, filters)
        # momentum 0.9: the running statistics settle within a few dozen steps, so a
        # small training set (a few steps an epoch) is validated with settled statistics
        norm = keras.layers.BatchNormalization(momentum=0.9, name=f"fcn_norm{block}")
        y = norm(y, mask=mask) if masked else norm(y)
        y = keras.layers.Activation("relu", name=f"fcn_relu{block}")(y)
    if masked:
        y = MaskedGlobalAveragePooling1D(name="fcn_pool")([y, mask])  # -> (batch, 128)
    else:
        y = keras.layers.GlobalAveragePooling1D(name="fcn_pool")(y)  # -> (batch, 128)

    joined = keras.layers.Concatenate(name="branches")([x, y])  # -> (batch, units + 128)
    return sample_head(joined, spec)  # -> (batch, 1) or (batch, n_classes)
