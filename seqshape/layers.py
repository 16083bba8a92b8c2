"""seqshape's own Keras layers: per-window instance normalisation and padding masks.

Every layer here is registered for serialization (``seqshape>Name``), has ``get_config``,
uses ``keras.ops`` only (JAX, torch and TensorFlow alike) and loads with
``keras.saving.load_model(..., safe_mode=True)``: no ``Lambda`` anywhere.

**Instance normalisation** (RevIN, Kim et al. 2022): each window's own location and
scale are removed from the input and put back on the model's output, so that a series
that trends out of its training range still reaches the network in the range it was
trained on.

- ``InstanceNormalization`` takes the raw input ``(batch, T, F)`` and returns three
  tensors: the normalised input ``(batch, T, F)`` and the window's ``location`` and
  ``scale``, each ``(batch, 1, F)``.
- ``InstanceDenormalization`` takes ``[outputs, location, scale]`` and puts the
  statistics of input feature ``target_features[k]`` back on output feature ``k``:
  ``outputs * scale + location``. The outputs may be ``(batch, T_out, K)`` or
  ``(batch, K)``.

The statistics flow between the two as ordinary tensors of the functional graph, so
the pair needs no shared state and is independent of whatever topology lies between
them (channel-independent reshapes included). The learnable affine (RevIN's gamma and
beta per feature) lives in the first layer; the ``location`` and ``scale`` it returns
are the *effective* ones, with the affine folded in, so that the second layer is a
plain ``y * scale + location`` and the affine receives gradients from both ends.
``normalized_model`` wires the pair around a body.

**A seasonal base** (``SeasonalNaive``): the forecast that repeats each window's last
``season`` steps. With ``season > 1`` ``normalized_model`` adds it to the body's output
before restoring, so the body learns corrections to seasonal naive instead of the whole
seasonal shape (with ``season=1`` the restored location, the last value, is the base).
Seasonal naive commutes with the affine normalisation, so the sum in normalised units
restores to ``body * scale + seasonal naive`` in the units of the input. Beside it,
``SeasonalWeights`` learns how much of each of the window's past seasons each output
step takes: a linear path from the seasons to the forecast, starting at zero (the base).
``RidgeCombination`` sits after the restoring layer: it mixes the network's forecast
with a linear map of the raw window whose kernel is fitted in closed form (ridge) and
whose share is chosen on validation windows, both set by seqshape after training.

**Padding masks** for layers that take no Keras mask (convolutions): ``PaddingMask``
turns padded steps into a boolean ``(batch, T)`` tensor, ``ZeroMaskedSteps`` sets the
padded steps of a feature map to zero, ``MaskedGlobalAveragePooling1D`` averages over
the real steps only.

Example:
    >>> import numpy as np
    >>> import keras
    >>> from seqshape.layers import normalized_model
    >>> inputs = keras.Input((40, 2))
    >>> body = lambda x: keras.layers.Reshape((10, 1))(keras.layers.Dense(10)(
    ...     keras.layers.Flatten()(x)))
    >>> outputs = normalized_model(inputs, body, target_features=(0,), location="last")
    >>> model = keras.Model(inputs, outputs)
    >>> model.predict(np.zeros((3, 40, 2)), verbose=0).shape
    (3, 10, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import ops

from seqshape.errors import InvalidInputError, InvalidTypeError
from seqshape.spec import SeasonalBase

LOCATIONS = ("mean", "last")

__all__ = [
    "LOCATIONS",
    "InstanceDenormalization",
    "InstanceNormalization",
    "MaskedGlobalAveragePooling1D",
    "PaddingMask",
    "SeasonalNaive",
    "SeasonalWeights",
    "ZeroMaskedSteps",
    "normalized_model",
]


def _check_mask_value(mask_value) -> float | None:
    if mask_value is None:
        return None
    if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.number)):
        raise InvalidTypeError(
            "mask_value",
            expected="a number (the value of every feature at a padded step) or None",
            received=repr(mask_value),
            fix="Pass the pad value used to pad the sequences, e.g. mask_value=0.0.",
        )
    if not np.isfinite(mask_value):
        raise InvalidInputError(
            "mask_value",
            expected="a finite pad value",
            received=repr(mask_value),
            fix="Replace NaN or infinite padding by a finite pad value (e.g. 0.0) before "
            "the model, and pass that value.",
        )
    return float(mask_value)


def _check_indices(
    values, argument: str, *, allow_none: bool, distinct: bool = True
) -> tuple[int, ...] | None:
    if values is None and allow_none:
        return None
    try:
        indices = tuple(int(index) for index in values)
        valid = all(int(index) == index for index in values)
    except (TypeError, ValueError):
        valid = False
    repeated = distinct and valid and len(set(indices)) != len(indices)
    if not valid or not indices or min(indices) < 0 or repeated:
        raise InvalidInputError(
            argument,
            expected=f"a non-empty sequence of {'distinct ' if distinct else ''}non-negative "
            "feature indices" + (" or None" if allow_none else ""),
            received=repr(values),
            fix="Pass the positions of the features along X's last axis, e.g. (0, 1).",
        )
    return indices


def _check_whole_steps(**values) -> None:
    """Each value a whole number of steps, 1 or more (``steps`` may be None)."""
    for name, value in values.items():
        if value is None and name == "steps":
            continue
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool)) or (
            value < 1
        ):
            raise InvalidInputError(
                name,
                expected="a whole number of steps, 1 or more",
                received=repr(value),
                fix=f"Pass {name} as a positive int.",
            )


def _check_target_features(target_features: Sequence[int], input_shape) -> None:
    """Each target feature an index along the input's last axis."""
    if max(target_features) >= input_shape[-1]:
        raise InvalidInputError(
            "target_features",
            expected=f"indices below the number of input features ({input_shape[-1]})",
            received=repr(list(target_features)),
            fix="Name features by their position along X's last axis.",
        )


def _step_weights(inputs, mask_value: float | None):
    """1.0 for real steps, 0.0 for padded ones: ``(batch, T, F) -> (batch, T, 1)``."""
    if mask_value is None:
        return ops.ones_like(inputs[..., :1])
    real = ops.any(ops.not_equal(inputs, mask_value), axis=-1, keepdims=True)
    return ops.cast(real, inputs.dtype)


@keras.saving.register_keras_serializable(package="seqshape")
class InstanceNormalization(keras.layers.Layer):
    """Remove each window's own location and scale from selected input features.

    Call it on ``(batch, T, F)``; it returns ``(normalised, location, scale)``: the
    normalised input ``(batch, T, F)`` and the effective location and scale
    ``(batch, 1, F)`` that ``InstanceDenormalization`` puts back on the outputs.

    For each sample and selected feature, over the window's (real) steps:

    - location: the mean (RevIN's choice) or the last observed value (``"last"``:
      good for trending series such as prices, whose future is nearer the last value
      than the window's mean);
    - scale: ``sqrt(variance + epsilon)``, the window's standard deviation with a
      floor, so that a constant window gives zeros, not NaN, and restores exactly;
    - with ``affine``: ``normalised * gamma + beta``, learnable per feature (RevIN),
      starting at the identity. The returned location and scale fold it in:
      ``scale / gamma`` and ``location - beta * scale / gamma``.

    Features outside ``features`` pass through unchanged (location 0, scale 1).
    Statistics are constants for the gradient (as in RevIN): the gradient reaches
    only gamma and beta.

    Args:
        features: indices of the features to normalise; ``None`` normalises all.
        location: ``"mean"`` or ``"last"``.
        affine: learn gamma and beta per feature.
        mask_value: steps where every feature equals it are padding: they are left
            out of the statistics and stay equal to ``mask_value`` at the output, so a
            ``Masking(mask_value)`` layer downstream still finds them. ``None``: no
            padding. Caveat: with ``location="last"`` the last real step becomes
            ``beta`` (0 at the start) in every normalised feature; if that equals
            ``mask_value`` in every feature, a downstream ``Masking`` also skips that
            step, which then carries no information anyway (its value is known).
        epsilon: added to the variance before the square root, in squared input units.
            RevIN's 1e-5 suits inputs of order 1, e.g. after a global standardisation
            (harmless here: the location it removes is restored); lower it for raw
            inputs whose windows vary by less than about 0.01.

    Example:
        >>> import numpy as np
        >>> import keras
        >>> window = np.array([[[1.0], [2.0], [3.0]]])           # (1, 3, 1)
        >>> normalised, location, scale = InstanceNormalization(location="last")(window)
        >>> [round(float(value), 3) for value in keras.ops.convert_to_numpy(normalised)[0, :, 0]]
        [-2.449, -1.225, 0.0]
        >>> float(keras.ops.convert_to_numpy(location)[0, 0, 0])
        3.0
    """

    def __init__(
        self,
        features: Sequence[int] | None = None,
        location: str = "mean",
        affine: bool = True,
        mask_value: float | None = None,
        epsilon: float = 1e-5,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.features = _check_indices(features, "features", allow_none=True)
        if location not in LOCATIONS:
            raise InvalidInputError(
                "location",
                expected=f"one of {list(LOCATIONS)}",
                received=repr(location),
                fix="Use 'mean' (RevIN's default) or 'last' (trending series).",
            )
        if not isinstance(affine, bool):
            raise InvalidTypeError(
                "affine", expected="True or False", received=repr(affine), fix=""
            )
        if not (isinstance(epsilon, (int, float)) and epsilon > 0):
            raise InvalidInputError(
                "epsilon",
                expected="a positive number",
                received=repr(epsilon),
                fix="Use a small positive floor such as 1e-5.",
            )
        self.location = location
        self.affine = affine
        self.mask_value = _check_mask_value(mask_value)
        self.epsilon = float(epsilon)

    def build(self, input_shape) -> None:
        if len(input_shape) != 3:
            raise InvalidInputError(
                "inputs",
                expected="(batch, steps, features)",
                received=f"shape {tuple(input_shape)}",
                fix="Apply instance normalisation to sequences of feature vectors.",
            )
        width = int(input_shape[-1])
        chosen = range(width) if self.features is None else self.features
        if max(chosen) >= width:
            raise InvalidInputError(
                "features",
                expected=f"indices below the number of input features ({width})",
                received=repr(self.features),
                fix="Name features by their position along X's last axis.",
            )
        selected = np.zeros(width, dtype="float32")
        selected[list(chosen)] = 1.0
        self._selected = selected  # (F,): 1.0 for normalised features
        if self.affine:
            self.gamma = self.add_weight(shape=(width,), initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=(width,), initializer="zeros", name="beta")

    def call(self, inputs):
        x = inputs  # (batch, T, F)
        selected = ops.cast(ops.convert_to_tensor(self._selected), x.dtype)  # (F,)
        weights = _step_weights(x, self.mask_value)  # (batch, T, 1): 1 real, 0 padded
        total = ops.sum(weights, axis=1, keepdims=True)  # (batch, 1, 1) real steps
        count = ops.maximum(total, 1.0)
        # the last real step: where the running count of real steps reaches the total
        is_last = weights * ops.cast(ops.equal(ops.cumsum(weights, axis=1), total), x.dtype)
        last = ops.sum(x * is_last, axis=1, keepdims=True)  # (batch, T, F) -> (batch, 1, F)
        # statistics relative to the last value: exact for constant windows, and no
        # float32 cancellation on series far from zero (prices in the thousands)
        shifted = (x - last) * weights  # (batch, T, F), padded steps 0
        offset = ops.sum(shifted, axis=1, keepdims=True) / count  # mean - last, (batch, 1, F)
        variance = ops.sum(ops.square(shifted - offset) * weights, axis=1, keepdims=True)
        scale = ops.sqrt(variance / count + self.epsilon)  # (batch, 1, F)
        location = last + offset if self.location == "mean" else last
        location = ops.stop_gradient(location * selected)  # 0 where not normalised
        scale = ops.stop_gradient(scale * selected + (1.0 - selected))  # 1 there
        normalised = (x - location) / scale  # (batch, T, F)
        if self.affine:
            gamma = ops.cast(self.gamma, x.dtype) * selected + (1.0 - selected)  # (F,)
            beta = ops.cast(self.beta, x.dtype) * selected
            normalised = normalised * gamma + beta
            # fold the affine into the statistics handed to the restoring layer
            scale = scale / (gamma + self.epsilon**2)
            location = location - beta * scale
        if self.mask_value is not None:
            normalised = ops.where(weights > 0, normalised, self.mask_value)
        return normalised, location, scale

    def compute_output_shape(self, input_shape):
        statistics = (input_shape[0], 1, input_shape[-1])
        return tuple(input_shape), statistics, statistics

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            features=None if self.features is None else list(self.features),
            location=self.location,
            affine=self.affine,
            mask_value=self.mask_value,
            epsilon=self.epsilon,
        )
        return config


@keras.saving.register_keras_serializable(package="seqshape")
class InstanceDenormalization(keras.layers.Layer):
    """Put the window's location and scale back on the model's outputs.

    Call it on ``[outputs, location, scale]``, the last two from
    ``InstanceNormalization``. Output feature ``k`` takes the statistics of input
    feature ``target_features[k]``: ``outputs[..., k] * scale[k] + location[k]``.
    Outputs may be ``(batch, T_out, K)`` or ``(batch, K)``; covariates (input features
    not named in ``target_features``) are not restored. A Keras mask on the outputs
    (per-step outputs of a masked body) is kept, so the loss still skips padded steps.

    Args:
        target_features: for each output feature, the input feature it continues.

    Example:
        >>> import numpy as np
        >>> import keras
        >>> location = np.array([[[10.0, 5.0]]])                 # (1, 1, F=2)
        >>> scale = np.array([[[2.0, 1.0]]])
        >>> outputs = np.array([[1.0]])                          # (1, K=1)
        >>> restore = InstanceDenormalization(target_features=(0,))
        >>> keras.ops.convert_to_numpy(restore([outputs, location, scale])).tolist()
        [[12.0]]
    """

    def __init__(self, target_features: Sequence[int], **kwargs) -> None:
        super().__init__(**kwargs)
        self.target_features = _check_indices(
            target_features, "target_features", allow_none=False, distinct=False
        )
        self.supports_masking = True  # a per-step mask on the outputs passes through

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else None

    def build(self, input_shape) -> None:
        output_shape, statistics_shape, _ = input_shape
        if len(output_shape) not in (2, 3):
            raise InvalidInputError(
                "outputs",
                expected="(batch, steps, outputs) or (batch, outputs)",
                received=f"shape {tuple(output_shape)}",
                fix="Restore the model's final regression output.",
            )
        if output_shape[-1] is not None and output_shape[-1] != len(self.target_features):
            raise InvalidInputError(
                "target_features",
                expected=f"one input feature per output feature ({output_shape[-1]})",
                received=f"{len(self.target_features)}: {list(self.target_features)}",
                fix="Name, for each output feature, the input feature it continues.",
            )
        width = statistics_shape[-1]
        if width is not None and max(self.target_features) >= width:
            raise InvalidInputError(
                "target_features",
                expected=f"indices below the number of input features ({width})",
                received=repr(list(self.target_features)),
                fix="Name features by their position along X's last axis.",
            )

    def call(self, inputs):
        outputs, location, scale = inputs  # (batch, [T_out,] K), (batch, 1, F) twice
        indices = list(self.target_features)
        location = ops.take(location, indices, axis=-1)  # (batch, 1, F) -> (batch, 1, K)
        scale = ops.take(scale, indices, axis=-1)
        if len(outputs.shape) == 2:  # (batch, K)
            location, scale = location[:, 0, :], scale[:, 0, :]
        return outputs * ops.cast(scale, outputs.dtype) + ops.cast(location, outputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(target_features=list(self.target_features))
        return config


class _TargetSteps(keras.layers.Layer):
    """A layer whose output is ``steps`` steps of its ``target_features``:
    ``(batch, steps, K)``, or ``(batch, K)`` with ``steps=None``."""

    target_features: tuple[int, ...]
    steps: int | None

    def compute_output_shape(self, input_shape):
        width = len(self.target_features)
        if self.steps is None:
            return (input_shape[0], width)
        return (input_shape[0], self.steps, width)


@keras.saving.register_keras_serializable(package="seqshape")
class SeasonalNaive(_TargetSteps):
    """The seasonal naive forecast of each window: ``(batch, T, F)`` ->
    ``(batch, steps, K)`` (or ``(batch, K)`` with ``steps=None``).

    Output step ``h`` of output feature ``k`` repeats input feature
    ``target_features[k]`` at step ``T - season + (h mod season)``: the value one season
    before, within the window. ``season=1`` repeats the last value. With ``seasons=n``
    it is the mean of that step and the same step 1 to ``n - 1`` seasons earlier: less
    noise on a stationary season, more lag on a growing one. With ``drift=True`` a
    trending season: the last season repeated, plus, for each season ahead, the window's
    change per season (the mean of its last season minus the mean of its first whole
    season, over the seasons between them).

    Args:
        season: the period, from 1 to the window's number of steps.
        seasons: how many past seasons are averaged (``seasons * season`` steps at most
            the window's).
        target_features: for each output feature, the input feature it continues.
        steps: output steps; ``None`` for one step without a time axis ``(batch, K)``.
        drift: add the window's change per season (needs ``seasons=1`` and two whole
            seasons in the window).

    Example:
        >>> import numpy as np
        >>> import keras
        >>> window = np.arange(6.0).reshape(1, 6, 1)             # 0 1 2 3 4 5
        >>> forecast = SeasonalNaive(season=4, target_features=(0,), steps=6)(window)
        >>> keras.ops.convert_to_numpy(forecast)[0, :, 0].tolist()
        [2.0, 3.0, 4.0, 5.0, 2.0, 3.0]
        >>> averaged = SeasonalNaive(season=2, target_features=(0,), steps=2, seasons=3)
        >>> keras.ops.convert_to_numpy(averaged(window))[0, :, 0].tolist()  # (0+2+4)/3, (1+3+5)/3
        [2.0, 3.0]
        >>> trending = SeasonalNaive(season=3, target_features=(0,), steps=4, drift=True)
        >>> forecast = trending(window)                          # 3 4 5, +3 a season (4 - 1)
        >>> keras.ops.convert_to_numpy(forecast)[0, :, 0].tolist()
        [6.0, 7.0, 8.0, 9.0]
    """

    def __init__(
        self,
        season: int,
        target_features: Sequence[int],
        steps: int | None = None,
        seasons: int = 1,
        drift: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(drift, (bool, np.bool_)) or (drift and seasons != 1):
            raise InvalidInputError(
                "drift",
                expected="True or False, and False when seasons is above 1",
                received=f"drift {drift!r} with seasons {seasons!r}",
                fix="Pass drift=True only with seasons=1.",
            )
        _check_whole_steps(season=season, seasons=seasons, steps=steps)
        self.season = int(season)
        self.seasons = int(seasons)
        self.drift = bool(drift)
        self.steps = None if steps is None else int(steps)
        self.target_features = _check_indices(
            target_features, "target_features", allow_none=False, distinct=False
        )

    def build(self, input_shape) -> None:
        if len(input_shape) != 3 or input_shape[1] is None:
            raise InvalidInputError(
                "inputs",
                expected="(batch, steps, features) with a fixed number of steps",
                received=f"shape {tuple(input_shape)}",
                fix="Use a seasonal base on windows of one length.",
            )
        if SeasonalBase(self.season, self.seasons, self.drift).steps > input_shape[1]:
            raise InvalidInputError(
                "season",
                expected=f"season * seasons at most the window's {input_shape[1]} steps "
                "(two seasons with drift)",
                received=f"season {self.season}, seasons {self.seasons}, drift {self.drift}",
                fix="Use longer windows, a shorter season or fewer seasons.",
            )
        _check_target_features(self.target_features, input_shape)

    def _source_steps(self, window: int, back: int) -> list[int]:
        """For each output step, its input step ``back`` seasons earlier (1: the last)."""
        horizon = 1 if self.steps is None else self.steps
        return [window - back * self.season + h % self.season for h in range(horizon)]

    def call(self, inputs):
        window = int(inputs.shape[1])
        repeated = [  # each (batch, T, F) -> (batch, H, F)
            ops.take(inputs, self._source_steps(window, back), axis=1)
            for back in range(1, self.seasons + 1)
        ]
        mean = repeated[0] if self.seasons == 1 else sum(repeated) / float(self.seasons)
        if self.drift:
            mean = mean + self._drift(inputs, window)
        forecast = ops.take(mean, list(self.target_features), axis=-1)  # (batch, H, K)
        return forecast if self.steps is not None else forecast[:, 0, :]

    def _drift(self, inputs, window: int):
        """``(batch, H, F)``: the window's change per season times the seasons ahead."""
        whole = window // self.season  # whole seasons in the window, 2 or more
        last = ops.mean(inputs[:, window - self.season :, :], axis=1, keepdims=True)
        start = window - whole * self.season
        first = ops.mean(inputs[:, start : start + self.season, :], axis=1, keepdims=True)
        horizon = 1 if self.steps is None else self.steps
        ahead = np.asarray([h // self.season + 1 for h in range(horizon)], dtype="float32")
        change = (last - first) / float(whole - 1)  # (batch, 1, F)
        return change * ops.cast(ahead.reshape(1, horizon, 1), change.dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            season=self.season,
            target_features=list(self.target_features),
            steps=self.steps,
            seasons=self.seasons,
            drift=self.drift,
        )
        return config


@keras.saving.register_keras_serializable(package="seqshape")
class SeasonalWeights(_TargetSteps):
    """A learned correction from the window's past seasons: ``(batch, T, F)`` ->
    ``(batch, steps, K)`` (or ``(batch, K)`` with ``steps=None``).

    Output step ``h`` of output feature ``k`` is
    ``sum(kernel[b - 1, h] * inputs[:, T - b * season + h % season, target_features[k]])``
    over the window's whole seasons ``b = 1 .. T // season``: each past season, at the
    output step's point of the season, weighted for that output step (the weights are
    shared by the features). The kernel starts at zero, so a model with this beside a
    fixed seasonal base (``SeasonalNaive``) starts from the base, and learns, for each
    output step, how much more or less of each past season to take: the linear path
    from the seasons to the forecast that a recurrent body finds slowly on few windows.

    Args:
        season: the period, from 1 to the window's number of steps.
        target_features: for each output feature, the input feature it continues.
        steps: output steps; ``None`` for one step without a time axis ``(batch, K)``.

    Example:
        >>> import numpy as np
        >>> import keras
        >>> window = np.arange(6.0).reshape(1, 6, 1)             # 0 1 2 3 4 5
        >>> layer = SeasonalWeights(season=2, target_features=(0,), steps=3)
        >>> keras.ops.convert_to_numpy(layer(window))[0, :, 0].tolist()  # the kernel starts at 0
        [0.0, 0.0, 0.0]
        >>> tuple(layer.kernel.shape)                      # 3 seasons back, 3 output steps
        (3, 3)
        >>> layer.set_weights([np.asarray([[1.0, 1.0, 1.0], [0.0, 0.0, -1.0], [0.0] * 3])])
        >>> forecast = layer(window)              # last season; the third less one back
        >>> keras.ops.convert_to_numpy(forecast)[0, :, 0].tolist()
        [4.0, 5.0, 2.0]
    """

    def __init__(
        self, season: int, target_features: Sequence[int], steps: int | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        _check_whole_steps(season=season, steps=steps)
        self.season = int(season)
        self.steps = None if steps is None else int(steps)
        self.target_features = _check_indices(
            target_features, "target_features", allow_none=False, distinct=False
        )

    def build(self, input_shape) -> None:
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[1] < self.season:
            raise InvalidInputError(
                "inputs",
                expected=f"(batch, steps, features) with a fixed number of steps, at least "
                f"the season's {self.season}",
                received=f"shape {tuple(input_shape)}",
                fix="Use windows of one length that hold a whole season.",
            )
        _check_target_features(self.target_features, input_shape)
        seasons = int(input_shape[1]) // self.season
        horizon = 1 if self.steps is None else self.steps
        self.kernel = self.add_weight(shape=(seasons, horizon), initializer="zeros", name="kernel")

    def call(self, inputs):
        window = int(inputs.shape[1])
        seasons, horizon = self.kernel.shape
        source = [  # (seasons * horizon,): season b back, at output step h's point
            window - back * self.season + h % self.season
            for back in range(1, seasons + 1)
            for h in range(horizon)
        ]
        values = ops.take(ops.take(inputs, list(self.target_features), axis=-1), source, axis=1)
        values = ops.reshape(values, (-1, seasons, horizon, len(self.target_features)))
        weights = ops.cast(ops.reshape(self.kernel, (1, seasons, horizon, 1)), values.dtype)
        forecast = ops.sum(values * weights, axis=1)  # (batch, H, K)
        return forecast if self.steps is not None else forecast[:, 0, :]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            season=self.season, target_features=list(self.target_features), steps=self.steps
        )
        return config


@keras.saving.register_keras_serializable(package="seqshape")
class RidgeCombination(_TargetSteps):
    """The network's forecast combined with a linear one: ``[forecast, window]`` ->
    ``(1 - share) * forecast + share * ridge(window)``, ``(batch, steps, K)`` (or
    ``(batch, K)`` with ``steps=None``).

    ``ridge(window)`` is a linear map of the window's past steps, each target on its
    own and one map for all of them: with ``last`` the target's last value and ``scale``
    its spread in the window (``sqrt(variance + epsilon)``, the statistics
    ``InstanceNormalization`` takes), output step ``h`` is
    ``last + scale * sum(kernel[t, h] * (window[t] - last) / scale)``. Its ``kernel``
    and ``share`` are not trained by gradient: seqshape fits the kernel in closed form
    (a ridge regression on the training windows) and chooses the share on the
    validation windows after training (``seqshape.combination``). Both start at zero,
    so the layer passes the network's forecast through until they are set.

    Args:
        target_features: for each output feature, the input feature it continues.
        steps: output steps; ``None`` for one step without a time axis ``(batch, K)``.
        epsilon: added to the window's variance (constant windows give the last value).

    Example:
        >>> import numpy as np
        >>> import keras
        >>> window = np.arange(4.0).reshape(1, 4, 1)                       # 0 1 2 3
        >>> layer = RidgeCombination(target_features=(0,), steps=2)
        >>> forecast = np.full((1, 2, 1), 10.0)
        >>> keras.ops.convert_to_numpy(layer([forecast, window]))[0, :, 0].tolist()  # share 0
        [10.0, 10.0]
        >>> kernel = np.zeros((4, 2)); kernel[2] = [-1.0, -2.0]   # 3 + (3 - 2) * (h + 1)
        >>> layer.set_weights([kernel, np.asarray(0.5)])
        >>> keras.ops.convert_to_numpy(layer([forecast, window]))[0, :, 0].round(4).tolist()
        [7.0, 7.5]
    """

    def __init__(
        self,
        target_features: Sequence[int],
        steps: int | None = None,
        epsilon: float = 1e-5,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        _check_whole_steps(steps=steps)
        self.steps = None if steps is None else int(steps)
        self.epsilon = float(epsilon)
        self.target_features = _check_indices(
            target_features, "target_features", allow_none=False, distinct=False
        )

    def build(self, input_shape) -> None:
        window_shape = tuple(input_shape[1])
        if len(window_shape) != 3 or window_shape[1] is None:
            raise InvalidInputError(
                "inputs",
                expected="[forecast, window] with the window (batch, steps, features) of a "
                "fixed number of steps",
                received=f"window shape {window_shape}",
                fix="Use windows of one length (no padding).",
            )
        _check_target_features(self.target_features, window_shape)
        horizon = 1 if self.steps is None else self.steps
        self.kernel = self.add_weight(
            shape=(int(window_shape[1]), horizon),
            initializer="zeros",
            trainable=False,
            name="kernel",
        )
        self.share = self.add_weight(shape=(), initializer="zeros", trainable=False, name="share")

    def call(self, inputs):
        forecast, window = inputs
        values = ops.take(window, list(self.target_features), axis=-1)  # (batch, T, K)
        last = values[:, -1:, :]
        shifted = values - last
        offset = ops.mean(shifted, axis=1, keepdims=True)
        scale = ops.sqrt(
            ops.mean(ops.square(shifted - offset), axis=1, keepdims=True) + self.epsilon
        )
        kernel = ops.cast(self.kernel, values.dtype)
        ridge = ops.einsum("btk,th->bhk", shifted / scale, kernel) * scale + last  # (batch, H, K)
        if self.steps is None:
            ridge = ridge[:, 0, :]
        share = ops.cast(self.share, forecast.dtype)
        return (1.0 - share) * forecast + share * ops.cast(ridge, forecast.dtype)

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(input_shape[1])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            target_features=list(self.target_features), steps=self.steps, epsilon=self.epsilon
        )
        return config


def normalized_model(
    inputs,
    body: Callable,
    *,
    target_features: Sequence[int],
    location: str = "mean",
    affine: bool = True,
    mask_value: float | None = None,
    features: Sequence[int] | None = None,
    epsilon: float = 1e-5,
    season: int = 1,
    seasons: int = 1,
    drift: bool = False,
    season_weights: bool = False,
    ridge: bool = False,
):
    """``restore(body(normalise(inputs)))``: the outputs of a model with instance
    normalisation around ``body``; with ``season > 1``,
    ``restore(body(x) + seasonal_naive(x))`` for ``x = normalise(inputs)``, and with
    ``season_weights`` ``+ seasonal_weights(x)`` inside.

    Args:
        inputs: the model's input tensor ``(batch, T, F)`` (``keras.Input``).
        body: Keras tensors in, Keras tensors out: the model between the two layers;
            it receives the normalised input and returns ``(batch, T_out, K)`` or
            ``(batch, K)`` regression outputs in normalised units.
        target_features: for each output feature, the input feature it continues.
        location, affine, mask_value, features, epsilon: see ``InstanceNormalization``.
        season: above 1, the body's output is a correction to the seasonal naive
            forecast of that period (``SeasonalNaive``); needs windows of a fixed
            length of at least ``season`` steps and no padding.
        seasons: how many past seasons the seasonal base averages (``SeasonalNaive``).
        drift: the seasonal base adds the window's change per season (``SeasonalNaive``).
        season_weights: also learn a weight for each of the window's past seasons
            (steps, for ``season=1``) at each output step (``SeasonalWeights``,
            starting at zero); needs windows of a fixed length and no padding.
        ridge: combine the restored forecast with a linear map of the raw window
            (``RidgeCombination``, passing the forecast through until seqshape sets
            its kernel and share); needs windows of a fixed length and no padding.

    Returns:
        The restored outputs, in the units of the raw input.

    Example:
        >>> import keras
        >>> inputs = keras.Input((20, 3))
        >>> body = lambda x: keras.layers.Dense(2)(keras.layers.LSTM(4)(x))
        >>> outputs = normalized_model(inputs, body, target_features=(0, 2))
        >>> keras.Model(inputs, outputs).output_shape
        (None, 2)
    """
    normalised, statistics_location, statistics_scale = InstanceNormalization(
        features=features,
        location=location,
        affine=affine,
        mask_value=mask_value,
        epsilon=epsilon,
    )(inputs)
    outputs = body(normalised)  # (batch, [T_out,] K) in normalised units
    if (season > 1 or season_weights or ridge) and mask_value is not None:
        raise InvalidInputError(
            "season" if season > 1 else "season_weights" if season_weights else "ridge",
            expected="a plain window for padded sequences (their windows end at different "
            "steps): season=1, no season_weights and no ridge",
            received=f"season {season!r}, season_weights {season_weights!r}, ridge {ridge!r}",
            fix="Use season=1, season_weights=False and ridge=False with mask_value, or "
            "pad nothing.",
        )
    steps = outputs.shape[1] if len(outputs.shape) == 3 else None
    parts = [outputs]
    if season_weights:  # a learned weight for each past season, zero at the start
        parts.append(SeasonalWeights(season, target_features, steps)(normalised))
    if season > 1:  # the body learns corrections to the seasonal naive forecast
        parts.append(SeasonalNaive(season, target_features, steps, seasons, drift)(normalised))
    if len(parts) > 1:
        outputs = keras.layers.Add()(parts)
    restored = InstanceDenormalization(target_features)(
        [outputs, statistics_location, statistics_scale]
    )
    if ridge:  # a linear forecast of the raw window beside the network's
        return RidgeCombination(target_features, steps, epsilon=epsilon)([restored, inputs])
    return restored


@keras.saving.register_keras_serializable(package="seqshape")
class PaddingMask(keras.layers.Layer):
    """True for real steps, False for padded ones: ``(batch, T, F)`` -> ``(batch, T)``.

    A step is padding when every feature equals ``mask_value`` (the rule of Keras'
    ``Masking``). Token ids ``(batch, T)`` are padding where the id equals it.
    Pass the result as ``mask=`` to layers that take one (``LSTM``,
    ``BatchNormalization``) or to ``ZeroMaskedSteps`` and
    ``MaskedGlobalAveragePooling1D``.

    Example:
        >>> import numpy as np
        >>> import keras
        >>> x = np.array([[[1.0, 0.0], [0.0, 0.0]]])
        >>> keras.ops.convert_to_numpy(PaddingMask(mask_value=0.0)(x)).tolist()
        [[True, False]]
    """

    def __init__(self, mask_value: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_value = _check_mask_value(mask_value)
        if self.mask_value is None:
            raise InvalidInputError(
                "mask_value", expected="a number", received="None", fix="Pass the pad value."
            )

    def call(self, inputs):
        real = ops.not_equal(inputs, ops.cast(self.mask_value, inputs.dtype))
        return real if len(inputs.shape) == 2 else ops.any(real, axis=-1)  # (batch, T)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(mask_value=self.mask_value)
        return config


@keras.saving.register_keras_serializable(package="seqshape")
class ZeroMaskedSteps(keras.layers.Layer):
    """Set padded steps to zero: ``[x (batch, T, C), mask (batch, T)] -> (batch, T, C)``.

    After it, a ``Conv1D(padding="same")`` sees zeros at padded steps, exactly what it
    sees beyond the ends of an unpadded sequence, so real steps do not depend on how
    much padding there is. Any Keras mask attached to ``x`` is dropped (convolutions
    take none).

    Example:
        >>> import numpy as np
        >>> import keras
        >>> x = np.ones((1, 2, 1))
        >>> zeroed = ZeroMaskedSteps()([x, np.array([[True, False]])])
        >>> keras.ops.convert_to_numpy(zeroed)[0, :, 0].tolist()
        [1.0, 0.0]
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        x, mask = inputs
        return x * ops.cast(mask, x.dtype)[..., None]  # (batch, T, C) * (batch, T, 1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])


@keras.saving.register_keras_serializable(package="seqshape")
class MaskedGlobalAveragePooling1D(keras.layers.Layer):
    """Mean over the real steps: ``[x (batch, T, C), mask (batch, T)] -> (batch, C)``.

    A sample with no real step gives zeros, not NaN.

    Example:
        >>> import numpy as np
        >>> import keras
        >>> x = np.array([[[2.0], [4.0], [9.0]]])
        >>> pooled = MaskedGlobalAveragePooling1D()([x, np.array([[True, True, False]])])
        >>> keras.ops.convert_to_numpy(pooled).tolist()
        [[3.0]]
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        x, mask = inputs
        weights = ops.cast(mask, x.dtype)[..., None]  # (batch, T) -> (batch, T, 1)
        total = ops.sum(x * weights, axis=1)  # (batch, C)
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)  # (batch, C) / (batch, 1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][-1])
