"""seqshape's own layers, as source a script that imports only keras and numpy can hold.

A generated script defines each of seqshape's layers it uses (``seqshape.layers``) as a
small class of its own: the same arguments, the same weights and the same arithmetic
(``keras.ops`` only), registered for serialization under the package ``"script"`` so
that the user's saved model loads in safe mode. Written out rather than replaced by
stock layers because no stock layer computes a window's masked last value and scale
with a learnable per-feature affine, and a ``Lambda`` would not load in safe mode; the
class is short, readable and the user's to change. The argument checks of
``seqshape.layers`` are left out: the script passes the values seqshape checked.
``tests/test_code.py`` checks that each class computes what seqshape's layer computes.

Example:
    >>> sorted(SOURCES)  # doctest: +NORMALIZE_WHITESPACE
    ['InstanceDenormalization', 'InstanceNormalization', 'MaskedGlobalAveragePooling1D',
     'PaddingMask', 'RidgeCombination', 'SeasonalNaive', 'SeasonalWeights',
     'ZeroMaskedSteps']
"""

from __future__ import annotations

_STEP_WEIGHTS = '''
def step_weights(inputs, mask_value):
    """1.0 for real steps, 0.0 for padded ones: (batch, T, F) -> (batch, T, 1)."""
    if mask_value is None:
        return keras.ops.ones_like(inputs[..., :1])
    real = keras.ops.not_equal(inputs, mask_value)
    real = keras.ops.any(real, axis=-1, keepdims=True)
    return keras.ops.cast(real, inputs.dtype)
'''

_INSTANCE_NORMALIZATION = '''
@keras.saving.register_keras_serializable(package="script")
class InstanceNormalization(keras.layers.Layer):
    """Remove each window's location and scale from the selected features (RevIN).

    Returns the normalised input (batch, T, F) and the location and scale (batch, 1, F)
    that InstanceDenormalization puts back on the outputs. location is the window's
    mean or its last (real) value; scale its standard deviation with a floor; with
    affine, a learnable gamma and beta per feature, folded into location and scale.
    """

    def __init__(
        self,
        features=None,
        location="mean",
        affine=True,
        mask_value=None,
        epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.features = None if features is None else tuple(features)
        self.location = location
        self.affine = affine
        self.mask_value = mask_value
        self.epsilon = epsilon

    def build(self, input_shape):
        width = int(input_shape[-1])
        chosen = range(width) if self.features is None else self.features
        self.selected = np.zeros(width, dtype="float32")
        self.selected[list(chosen)] = 1.0
        if self.affine:
            self.gamma = self.add_weight(
                shape=(width,), initializer="ones", name="gamma"
            )
            self.beta = self.add_weight(
                shape=(width,), initializer="zeros", name="beta"
            )

    def call(self, inputs):
        x = inputs
        selected = keras.ops.cast(keras.ops.convert_to_tensor(self.selected), x.dtype)
        weights = step_weights(x, self.mask_value)
        total = keras.ops.sum(weights, axis=1, keepdims=True)
        count = keras.ops.maximum(total, 1.0)
        running = keras.ops.cumsum(weights, axis=1)
        is_last = weights * keras.ops.cast(keras.ops.equal(running, total), x.dtype)
        last = keras.ops.sum(x * is_last, axis=1, keepdims=True)
        shifted = (x - last) * weights
        offset = keras.ops.sum(shifted, axis=1, keepdims=True) / count
        squares = keras.ops.square(shifted - offset) * weights
        variance = keras.ops.sum(squares, axis=1, keepdims=True)
        scale = keras.ops.sqrt(variance / count + self.epsilon)
        location = last + offset if self.location == "mean" else last
        location = keras.ops.stop_gradient(location * selected)
        scale = keras.ops.stop_gradient(scale * selected + (1.0 - selected))
        normalised = (x - location) / scale
        if self.affine:
            gamma = keras.ops.cast(self.gamma, x.dtype) * selected + (1.0 - selected)
            beta = keras.ops.cast(self.beta, x.dtype) * selected
            normalised = normalised * gamma + beta
            scale = scale / (gamma + self.epsilon**2)
            location = location - beta * scale
        if self.mask_value is not None:
            normalised = keras.ops.where(weights > 0, normalised, self.mask_value)
        return normalised, location, scale

    def compute_output_shape(self, input_shape):
        statistics = (input_shape[0], 1, input_shape[-1])
        return tuple(input_shape), statistics, statistics

    def get_config(self):
        config = super().get_config()
        features = None if self.features is None else list(self.features)
        config.update(
            features=features,
            location=self.location,
            affine=self.affine,
            mask_value=self.mask_value,
            epsilon=self.epsilon,
        )
        return config
'''

_INSTANCE_DENORMALIZATION = '''
@keras.saving.register_keras_serializable(package="script")
class InstanceDenormalization(keras.layers.Layer):
    """Put the window's location and scale back: outputs * scale + location.

    Output feature k takes the statistics of input feature target_features[k].
    """

    def __init__(self, target_features, **kwargs):
        super().__init__(**kwargs)
        self.target_features = tuple(target_features)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else None

    def call(self, inputs):
        outputs, location, scale = inputs
        indices = list(self.target_features)
        location = keras.ops.take(location, indices, axis=-1)
        scale = keras.ops.take(scale, indices, axis=-1)
        if len(outputs.shape) == 2:
            location, scale = location[:, 0, :], scale[:, 0, :]
        scale = keras.ops.cast(scale, outputs.dtype)
        return outputs * scale + keras.ops.cast(location, outputs.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update(target_features=list(self.target_features))
        return config
'''

_SEASONAL_NAIVE = '''
@keras.saving.register_keras_serializable(package="script")
class SeasonalNaive(TargetSteps):
    """Each window's seasonal naive forecast: (batch, T, F) -> (batch, steps, K).

    Output step h of feature k repeats input feature target_features[k] at step
    T - season + (h % season), averaged with the same step up to seasons - 1 seasons
    earlier; with drift, plus the window's change per season (last season's mean minus
    the first whole season's, over the seasons between) for each season ahead;
    steps=None gives one step, (batch, K).
    """

    def __init__(self, season, target_features, steps=None, seasons=1, drift=False, **kwargs):
        super().__init__(**kwargs)
        self.season = season
        self.target_features = tuple(target_features)
        self.steps = steps
        self.seasons = seasons
        self.drift = drift

    def call(self, inputs):
        window = inputs.shape[1]
        horizon = 1 if self.steps is None else self.steps
        repeated = [
            keras.ops.take(
                inputs,
                [window - back * self.season + h % self.season for h in range(horizon)],
                axis=1,
            )
            for back in range(1, self.seasons + 1)
        ]
        mean = repeated[0] if self.seasons == 1 else sum(repeated) / float(self.seasons)
        if self.drift:
            whole = window // self.season
            start = window - whole * self.season
            last = keras.ops.mean(inputs[:, window - self.season :], axis=1, keepdims=True)
            first = keras.ops.mean(inputs[:, start : start + self.season], axis=1, keepdims=True)
            ahead = np.asarray([h // self.season + 1 for h in range(horizon)], "float32")
            ahead = keras.ops.convert_to_tensor(ahead.reshape(1, horizon, 1), mean.dtype)
            mean = mean + (last - first) / float(whole - 1) * ahead
        forecast = keras.ops.take(mean, list(self.target_features), axis=-1)
        return forecast if self.steps is not None else forecast[:, 0, :]

    def get_config(self):
        config = super().get_config()
        config.update(
            season=self.season,
            target_features=list(self.target_features),
            steps=self.steps,
            seasons=self.seasons,
            drift=self.drift,
        )
        return config
'''

_SEASONAL_WEIGHTS = '''
@keras.saving.register_keras_serializable(package="script")
class SeasonalWeights(TargetSteps):
    """A learned weight for each past season of the window at each output step:
    (batch, T, F) -> (batch, steps, K).

    Output step h of feature k sums kernel[b - 1, h] times input feature
    target_features[k] at step T - b * season + h % season, over the window's whole
    seasons b = 1 .. T // season. The kernel starts at zero; steps=None gives one
    step, (batch, K).
    """

    def __init__(self, season, target_features, steps=None, **kwargs):
        super().__init__(**kwargs)
        self.season = season
        self.target_features = tuple(target_features)
        self.steps = steps

    def build(self, input_shape):
        horizon = 1 if self.steps is None else self.steps
        self.kernel = self.add_weight(
            shape=(input_shape[1] // self.season, horizon), initializer="zeros", name="kernel"
        )

    def call(self, inputs):
        window = inputs.shape[1]
        seasons, horizon = self.kernel.shape
        source = [
            window - back * self.season + h % self.season
            for back in range(1, seasons + 1)
            for h in range(horizon)
        ]
        values = keras.ops.take(inputs, list(self.target_features), axis=-1)
        values = keras.ops.take(values, source, axis=1)
        values = keras.ops.reshape(values, (-1, seasons, horizon, len(self.target_features)))
        weights = keras.ops.reshape(self.kernel, (1, seasons, horizon, 1))
        forecast = keras.ops.sum(values * keras.ops.cast(weights, values.dtype), axis=1)
        return forecast if self.steps is not None else forecast[:, 0, :]

    def get_config(self):
        config = super().get_config()
        config.update(
            season=self.season, target_features=list(self.target_features), steps=self.steps
        )
        return config
'''

_RIDGE_COMBINATION = '''
@keras.saving.register_keras_serializable(package="script")
class RidgeCombination(TargetSteps):
    """The network's forecast mixed with a linear map of the window's past steps:
    [forecast, window] -> (1 - share) * forecast + share * ridge(window).

    ridge(window) takes each target's window less its last value, over its spread
    (sqrt(variance + epsilon)), maps it through kernel (T, steps) and restores the
    last value and spread. kernel and share are set after training, not trained.
    """

    def __init__(self, target_features, steps=None, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.target_features = tuple(target_features)
        self.steps = steps
        self.epsilon = epsilon

    def build(self, input_shape):
        horizon = 1 if self.steps is None else self.steps
        self.kernel = self.add_weight(
            shape=(input_shape[1][1], horizon),
            initializer="zeros",
            trainable=False,
            name="kernel",
        )
        self.share = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="share"
        )

    def call(self, inputs):
        forecast, window = inputs
        values = keras.ops.take(window, list(self.target_features), axis=-1)
        last = values[:, -1:, :]
        shifted = values - last
        offset = keras.ops.mean(shifted, axis=1, keepdims=True)
        deviation = keras.ops.square(shifted - offset)
        variance = keras.ops.mean(deviation, axis=1, keepdims=True)
        scale = keras.ops.sqrt(variance + self.epsilon)
        kernel = keras.ops.cast(self.kernel, values.dtype)
        ridge = keras.ops.einsum("btk,th->bhk", shifted / scale, kernel) * scale + last
        if self.steps is None:
            ridge = ridge[:, 0, :]
        share = keras.ops.cast(self.share, forecast.dtype)
        return (1.0 - share) * forecast + share * keras.ops.cast(ridge, forecast.dtype)

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(input_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            target_features=list(self.target_features),
            steps=self.steps,
            epsilon=self.epsilon,
        )
        return config
'''

_TARGET_STEPS = '''
class TargetSteps(keras.layers.Layer):
    """A layer whose output is `steps` steps of its target features: (batch, steps, K),
    or (batch, K) with steps=None."""

    def compute_output_shape(self, input_shape):
        width = len(self.target_features)
        if self.steps is None:
            return (input_shape[0], width)
        return (input_shape[0], self.steps, width)
'''

_PADDING_MASK = '''
@keras.saving.register_keras_serializable(package="script")
class PaddingMask(keras.layers.Layer):
    """True for real steps, False for padded ones: (batch, T, F) -> (batch, T)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value

    def call(self, inputs):
        pad = keras.ops.cast(self.mask_value, inputs.dtype)
        real = keras.ops.not_equal(inputs, pad)
        return real if len(inputs.shape) == 2 else keras.ops.any(real, axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:2])

    def get_config(self):
        config = super().get_config()
        config.update(mask_value=self.mask_value)
        return config
'''

_ZERO_MASKED_STEPS = '''
@keras.saving.register_keras_serializable(package="script")
class ZeroMaskedSteps(keras.layers.Layer):
    """Padded steps set to zero: [x (batch, T, C), mask (batch, T)] -> (batch, T, C)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        x, mask = inputs
        return x * keras.ops.cast(mask, x.dtype)[..., None]

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])
'''

_MASKED_POOLING = '''
@keras.saving.register_keras_serializable(package="script")
class MaskedGlobalAveragePooling1D(keras.layers.Layer):
    """Mean over the real steps: [x (batch, T, C), mask (batch, T)] -> (batch, C)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        x, mask = inputs
        weights = keras.ops.cast(mask, x.dtype)[..., None]
        total = keras.ops.sum(x * weights, axis=1)
        return total / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[0][-1])
'''

# class name -> its source; the helper functions a class needs come first in the script
SOURCES: dict[str, str] = {
    "InstanceNormalization": _INSTANCE_NORMALIZATION,
    "InstanceDenormalization": _INSTANCE_DENORMALIZATION,
    "PaddingMask": _PADDING_MASK,
    "SeasonalNaive": _SEASONAL_NAIVE,
    "SeasonalWeights": _SEASONAL_WEIGHTS,
    "RidgeCombination": _RIDGE_COMBINATION,
    "ZeroMaskedSteps": _ZERO_MASKED_STEPS,
    "MaskedGlobalAveragePooling1D": _MASKED_POOLING,
}
HELPERS: dict[str, tuple[str, ...]] = {
    "InstanceNormalization": (_STEP_WEIGHTS,),
    "SeasonalNaive": (_TARGET_STEPS,),
    "SeasonalWeights": (_TARGET_STEPS,),
    "RidgeCombination": (_TARGET_STEPS,),
}

# names of the tensors a layer with several outputs returns, for the script's variables
OUTPUT_NAMES: dict[str, list[str]] = {"InstanceNormalization": ["normalised", "location", "scale"]}


def class_sources(names: list[str]) -> list[str]:
    """The helpers and class sources for ``names``, each once, in the order given.

    Example:
        >>> text = "\\n".join(class_sources(["InstanceNormalization"]))
        >>> "def step_weights" in text, "class InstanceNormalization" in text
        (True, True)
    """
    blocks: list[str] = []
    for name in names:
        for block in (*HELPERS.get(name, ()), SOURCES[name]):
            if block.strip() not in blocks:
                blocks.append(block.strip())
    return blocks
