"""A compiled forward pass for small batches, where ``model.predict``'s set-up dominates.

``keras.Model.predict`` builds a data pipeline on every call: about 4 ms for one sample
on CPU. For a few samples seqshape calls a compiled function instead (on JAX, the
model's ``stateless_call`` under ``jax.jit``; elsewhere ``predict_on_batch``). Batches
are padded up to a power of two so that only a handful of shapes are ever compiled.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import keras
import numpy as np

SMALL_BATCH = 32


def _jax_forward(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    import jax

    @jax.jit
    def forward(trainable, non_trainable, inputs):
        outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
        return outputs

    def run(inputs: np.ndarray) -> np.ndarray:
        trainable = [variable.value for variable in model.trainable_variables]
        non_trainable = [variable.value for variable in model.non_trainable_variables]
        return np.asarray(forward(trainable, non_trainable, inputs))

    return run


def _generic_forward(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    return lambda inputs: keras.ops.convert_to_numpy(model.predict_on_batch(inputs))


_FORWARDS = {"jax": _jax_forward}
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def small_batch_forward(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """A function computing ``model``'s outputs for at most ``SMALL_BATCH`` samples.

    Compiled once per model and kept while the model lives.
    """
    compiled = _COMPILED.get(model)
    if compiled is None:
        compiled = _FORWARDS.get(keras.backend.backend(), _generic_forward)(model)
        _COMPILED[model] = compiled

    def run(inputs: np.ndarray) -> np.ndarray:
        samples = len(inputs)
        bucket = 1 << max(samples - 1, 0).bit_length()
        if bucket != samples:
            padding = np.zeros((bucket - samples, *inputs.shape[1:]), dtype=inputs.dtype)
            inputs = np.concatenate([inputs, padding])
        return compiled(inputs)[:samples]

    return run
