"""LSTM-FCN (Karim et al. 2017): what it builds, what it refuses, padding, saving, learning."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from checks import assert_same_predictions

from seqshape import ArchitectureOptions, build_model, spec_from_shapes
from seqshape.builders.lstm_fcn import CONVOLUTIONS
from seqshape.errors import InvalidInputError

OPTIONS = ArchitectureOptions(units=(8,))


def _spec(x_shape=(30, 2), n_classes=2, **arguments):
    task = "binary" if n_classes == 2 else "multiclass"
    return spec_from_shapes(
        x_shape, (), strategy="lstm_fcn", task=task, n_classes=n_classes, **arguments
    )


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


@pytest.mark.parametrize(
    ("n_classes", "width", "activation"), [(2, 1, "sigmoid"), (5, 5, "softmax")]
)
def test_builds_the_two_branches_for_binary_and_multiclass(n_classes, width, activation):
    model = build_model(_spec(n_classes=n_classes), OPTIONS)
    assert model.output_shape == (None, width)
    assert model.get_layer("head").get_config()["activation"] == activation
    convolutions = _layers(model, keras.layers.Conv1D)
    assert [(c.filters, c.kernel_size[0]) for c in convolutions] == list(CONVOLUTIONS)
    assert len(_layers(model, keras.layers.BatchNormalization)) == 3
    assert len(_layers(model, keras.layers.GlobalAveragePooling1D)) == 1
    # the paper's dimension shuffle: the LSTM reads each of the 2 features as one step
    assert model.get_layer("dimension_shuffle").output.shape == (None, 2, 30)
    assert _layers(model, keras.layers.LSTM)[0].units == 8
    assert model.get_layer("lstm_dropout").rate == 0.8
    assert not _layers(model, keras.layers.Lambda)
    probabilities = model.predict(np.zeros((3, 30, 2), "float32"), verbose=0)
    assert probabilities.shape == (3, width) and np.isfinite(probabilities).all()


def test_token_ids_get_an_embedding_read_by_both_branches():
    spec = _spec(x_shape=(12,), n_classes=3, vocabulary_size=20, mask_value=0)
    model = build_model(spec, OPTIONS)
    assert model.output_shape == (None, 3)
    # padded token ids: the model takes any number of steps
    assert model.get_layer("embedding").output.shape == (None, None, 32)
    ids = np.array([[3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0] * 9 + [3, 4, 5]], "int32")
    first, second = model.predict(ids, verbose=0)  # the same ids, padded on either side
    np.testing.assert_allclose(first, second, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("y_shape", "task", "pattern"),
    [
        ((), "regression", "classifier"),
        ((3,), "regression", "classifier"),
        ((30, 1), "binary", "one label per sample"),
    ],
)
def test_refuses_what_it_cannot_serve(y_shape, task, pattern):
    n_classes = None if task == "regression" else 2
    with pytest.raises(InvalidInputError, match=pattern):
        spec_from_shapes(
            (30, 2),
            y_shape,
            topology="many_to_one",
            strategy="lstm_fcn",
            task=task,
            n_classes=n_classes,
        )


def test_is_the_default_for_classifying_sequences_only():
    spec = spec_from_shapes((30, 2), (), task="binary", n_classes=2)
    assert (spec.topology, spec.strategy) == ("many_to_one", "lstm_fcn")
    assert spec_from_shapes((30, 2), ()).strategy == "last_state"  # regression
    tokens = spec_from_shapes((30,), (), task="binary", n_classes=2, vocabulary_size=9)
    assert tokens.strategy == "last_state"
    assert spec_from_shapes((30, 2), (), strategy="last_state", task="binary", n_classes=2)


def _trained_like(model):
    """Random weights everywhere (batch-norm statistics included, variances positive)."""
    generator = np.random.default_rng(1)
    for variable in model.weights:
        value = np.asarray(variable) + generator.normal(0, 0.2, variable.shape)
        if "moving_variance" in variable.path:
            value = np.abs(value) + 0.5
        variable.assign(value.astype(variable.dtype))
    return model


def _features(model):
    """The model up to the joined branches (before the head, which may saturate)."""
    return keras.Model(model.inputs, model.get_layer("branches").output)


def test_padded_steps_change_nothing():
    """The same 20-step series padded to 30 or 40 steps, after or before: same output."""
    pad = -1.0
    short = _trained_like(build_model(_spec((30, 2), n_classes=3, mask_value=pad), OPTIONS))
    long = build_model(_spec((40, 2), n_classes=3, mask_value=pad), OPTIONS)
    long.set_weights(short.get_weights())  # no weight depends on the number of steps
    series = np.random.default_rng(2).normal(size=(2, 20, 2)).astype("float32")

    def padded(steps, side):
        return keras.utils.pad_sequences(
            list(series), maxlen=steps, dtype="float32", padding=side, value=pad
        )

    reference = _features(short).predict(padded(30, "post"), verbose=0)
    probabilities = short.predict(padded(30, "post"), verbose=0)
    for model, steps, side in [(short, 30, "pre"), (long, 40, "post"), (long, 40, "pre")]:
        features = _features(model).predict(padded(steps, side), verbose=0)
        np.testing.assert_allclose(features, reference, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(
            model.predict(padded(steps, side), verbose=0), probabilities, rtol=1e-5, atol=1e-6
        )
    # the features do depend on the real values
    other = _features(short).predict(padded(30, "post")[::-1], verbose=0)
    assert np.abs(other - reference).max() > 0.1


@pytest.mark.parametrize("mask_value", [None, -1.0])
def test_saves_and_loads_in_safe_mode(tmp_path, mask_value):
    model = _trained_like(build_model(_spec(n_classes=3, mask_value=mask_value), OPTIONS))
    path = tmp_path / "lstm_fcn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    for saved, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)
    x = np.random.default_rng(3).normal(size=(4, 30, 2)).astype("float32")
    if mask_value is not None:
        x[:, 25:] = mask_value
    assert_same_predictions(
        model.predict(x, verbose=0), loaded.predict(x, verbose=0), convolutional=True
    )


def _bumps(samples: int, steps: int, seed: int):
    """Three classes, one bump shape each (a hill, a valley, a step down), of random
    height at a random place in noise: the shape decides, not the position or level."""
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 3, samples)
    starts = generator.integers(2, steps - 12, samples)
    place = np.arange(10)
    shapes = np.stack(
        [np.sin(np.pi * place / 9), -np.sin(np.pi * place / 9), np.where(place < 5, 1.0, -1.0)]
    )
    X = generator.normal(0, 0.3, (samples, steps))
    for sample, (label, start) in enumerate(zip(labels, starts, strict=True)):
        X[sample, start : start + 10] += shapes[label] * generator.uniform(0.8, 1.5)
    return X[..., None].astype("float32"), labels


def test_learns_a_shape_task_far_above_the_majority_class():
    """Measured here (JAX, CPU, seed 0): accuracy 0.945 on 200 test series against 0.375
    for the majority class (last_state with the same units and epochs: 0.515)."""
    X, y = _bumps(192, 32, seed=0)
    X_test, y_test = _bumps(200, 32, seed=1)
    spec = _spec((32, 1), n_classes=3)
    keras.utils.set_random_seed(0)
    model = build_model(spec, OPTIONS)
    model.compile(keras.optimizers.Adam(1e-3), spec.loss)
    model.fit(X, y, epochs=6, batch_size=32, verbose=0)
    accuracy = (model.predict(X_test, verbose=0).argmax(axis=1) == y_test).mean()
    majority = (y_test == np.bincount(y).argmax()).mean()
    assert accuracy >= majority + 0.35, (accuracy, majority)
