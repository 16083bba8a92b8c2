"""SequenceModel: shapes and units, labels, saving, a failed refit, bad input.

scikit-learn's own checks of all three estimators are in test_sklearn.py.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from checks import assert_same_predictions

import seqshape
from seqshape import (
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    NotFittedYetError,
    SequenceClassifier,
    SequenceModel,
    SequenceRegressor,
)
from seqshape.errors import AxesWarning

FAST = {"units": (4,), "epochs": 2}


def _data(x_shape, y_shape, *, classes=None, tokens=None, samples=24, seed=0):
    rng = np.random.default_rng(seed)
    if tokens:
        X = rng.integers(0, tokens, (samples, *x_shape))
    else:
        X = rng.normal(size=(samples, *x_shape)) * 5 + 3
    if classes is not None:
        y = rng.choice(classes, size=(samples, *y_shape))
    else:
        y = rng.normal(size=(samples, *y_shape)) * 10 - 4
    return X, y


ROUND_TRIPS = [
    pytest.param((3,), (), {}, {}, id="one_to_one"),
    pytest.param((1, 3), (2,), {}, {}, id="one_to_one_recurrent"),
    pytest.param((3,), (7, 2), {}, {}, id="one_to_many"),
    pytest.param((9, 2), (), {"classes": [3, 8]}, {}, id="many_to_one_binary"),
    pytest.param((9, 2), (), {"classes": [1, 2, 5]}, {}, id="many_to_one_multiclass"),
    pytest.param(
        (9,),
        (),
        {"classes": [0, 1], "tokens": 20},
        {"vocabulary_size": 20},
        id="many_to_one_tokens",
    ),
    pytest.param((9, 2), (9, 1), {"classes": [0, 1, 2]}, {}, id="aligned_labels"),
    pytest.param((9, 2), (9, 3), {}, {}, id="aligned"),
    pytest.param((9, 2), (4, 2), {}, {}, id="encoder_decoder"),
    pytest.param((9, 2), (4, 2), {}, {"strategy": "last_steps"}, id="last_steps"),
    pytest.param((4, 2), (7, 2), {}, {"strategy": "pad"}, id="pad"),
    pytest.param((9, 2), (4, 2), {}, {"strategy": "dense_head"}, id="dense_head"),
    pytest.param(
        (9, 2), (4, 2), {}, {"topology": "channel_independent"}, id="channel_independent"
    ),
    pytest.param((4, 6, 6, 1), (), {"classes": [0, 1]}, {"filters": (2,)}, id="cnn_lstm"),
    pytest.param(
        (4, 6, 6, 1), (4, 1), {}, {"strategy": "conv_lstm", "filters": (2,)}, id="conv_lstm"
    ),
]


@pytest.mark.parametrize(("x_shape", "y_shape", "data_arguments", "arguments"), ROUND_TRIPS)
def test_predictions_have_y_shape_and_survive_save_and_load(
    x_shape, y_shape, data_arguments, arguments, tmp_path
):
    X, y = _data(x_shape, y_shape, **data_arguments)
    X_before, y_before = X.copy(), y.copy()
    model = SequenceModel(units=(4,), epochs=1, **arguments).fit(X, y)
    predicted = model.predict(X)
    assert predicted.shape == y.shape
    if model.spec_.is_classifier:
        assert set(np.unique(predicted)) <= set(data_arguments["classes"])
        probabilities = model.predict_proba(X)
        assert probabilities.shape == (*y.shape[: 1 + model.spec_.per_step], len(model.classes_))
        np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)

    path = tmp_path / "model.seqshape"
    model.save(path)
    loaded = seqshape.load(path)
    for saved_weight, loaded_weight in zip(
        model.model_.get_weights(), loaded.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(saved_weight, loaded_weight)
    assert_same_predictions(
        loaded.predict(X), predicted, convolutional=model.spec_.input_kind == "frames"
    )
    assert loaded.spec_ == model.spec_
    assert loaded.get_params() == model.get_params()
    # nothing the user passed was modified, nothing but the file was left behind
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.seqshape"]


def test_regression_predictions_are_in_original_units():
    X = np.linspace(0, 1, 200)[:, None, None] * np.ones((1, 5, 1))
    y = 1000.0 + 500.0 * X[:, -1, 0]
    model = SequenceModel(units=(8,), epochs=200, patience=20).fit(X, y)
    assert abs(model.predict(X).mean() - y.mean()) < 50
    assert model.score(X, y) > 0.9


def test_same_seed_same_predictions_and_user_rng_untouched():
    X, y = _data((6, 2), (2,))
    np.random.seed(123)
    expected_draw = np.random.rand()
    np.random.seed(123)
    first = SequenceModel(units=(4,), epochs=3, random_state=7).fit(X, y).predict(X)
    assert np.random.rand() == expected_draw
    second = SequenceModel(units=(4,), epochs=3, random_state=7).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)


def test_history_early_stopping_and_validation_split():
    X, y = _data((6, 2), (), samples=50)
    model = SequenceModel(units=(4,), epochs=300, patience=2).fit(X, y)
    assert model.n_epochs_ < 300
    assert {"loss", "val_loss", "epoch_seconds"} <= set(model.history_)
    assert 1 <= model.best_epoch_ <= model.n_epochs_
    assert model.n_epochs_ - model.best_epoch_ <= 2


def test_scaler_sees_only_the_training_part():
    X, y = _data((6, 1), (), samples=50)
    X[40:] += 1000.0  # the held-out tail is far away
    model = SequenceModel(
        units=(3,), epochs=1, validation="temporal", validation_fraction=0.2
    ).fit(X, y)
    assert abs(model.x_scaler_.mean_[0] - X[:40].mean()) < 1e-9


def test_explicit_validation_data():
    X, y = _data((6, 2), (3, 2), samples=40)
    model = SequenceModel(units=(4,), epochs=2).fit(
        X[:30], y[:30], validation_data=(X[30:], y[30:])
    )
    assert len(model.history_["val_loss"]) == model.n_epochs_


def test_explain_names_topology_reasons_diagram_and_layers():
    X, y = _data((8, 2), (3, 2))
    model = SequenceModel(units=(4,), epochs=1).fit(X, y)
    explanation = model.explain()
    assert explanation.total_params == model.model_.count_params()
    assert sum(layer.params for layer in explanation.layers) == explanation.total_params
    text = str(explanation)
    for part in ("many-to-many", "encoder_decoder", "Why:", "x8", "y3", "RepeatVector"):
        assert part in text


@pytest.mark.parametrize(
    ("X", "y", "error", "pattern"),
    [
        (np.zeros((10, 5, 2)), np.zeros(9), InvalidInputError, "as many samples as X"),
        (np.full((10, 5, 2), np.nan), np.zeros(10), InvalidInputError, "NaN or infinite"),
        (np.zeros((10, 5, 2)), np.r_[np.zeros(9), np.inf], InvalidInputError, "NaN or infinite"),
        (np.zeros((0, 5, 2)), np.zeros(0), InvalidInputError, "0 sample"),
        (np.zeros((10, 5, 2)) + 1j, np.zeros(10), InvalidInputError, "Complex"),
        (np.zeros((10, 5, 2)), np.array(["a"] * 10), InvalidInputError, "at least 2 classes"),
        (np.zeros((10, 5, 2)), np.array([1, "a"] * 5, dtype=object), InvalidTypeError, "one kind"),
        (np.zeros((10, 5, 2)), None, InvalidInputError, "requires y to be passed"),
        (None, np.zeros(10), InvalidTypeError, "None"),
        ([[1, 2], [3]], [1, 2], InvalidInputError, "pad_sequences"),
    ],
)
def test_bad_input_is_a_clear_error(X, y, error, pattern):
    with pytest.raises(error, match=pattern):
        SequenceModel(**FAST).fit(X, y)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("epochs", 0),
        ("batch_size", -1),
        ("validation_fraction", 1.0),
        ("learning_rate", 0),
        ("patience", -1),
        ("random_state", 1.5),
        ("verbose", 5),
        ("units", "big"),
        ("cell", "lstmm"),
        ("topology", "many_too_many"),
        ("task", "ranking"),
    ],
)
def test_bad_parameters_name_themselves(parameter, value):
    X, y = _data((5, 2), ())
    with pytest.raises(seqshape.SeqShapeError, match=f"`{parameter}`"):
        SequenceModel(**{**FAST, parameter: value}).fit(X, y)


def test_predict_checks_against_fit():
    X, y = _data((5, 2), ())
    model = SequenceModel(**FAST).fit(X, y)
    with pytest.raises(InvalidInputError, match="X has 3 features, but SequenceModel"):
        model.predict(np.zeros((2, 5, 3)))
    with pytest.raises(InvalidInputError, match="same number of input steps"):
        model.predict(np.zeros((2, 7, 2)))
    with pytest.raises(InvalidInputError, match="3D array"):
        model.predict(np.zeros((2, 10)))


def test_token_ids_outside_the_vocabulary():
    X, y = _data((6,), (), classes=[0, 1], tokens=10)
    with pytest.raises(InvalidInputError, match="vocabulary_size=10"):
        SequenceModel(vocabulary_size=5, **FAST).fit(X, y)


def test_predict_before_fit():
    with pytest.raises(NotFittedYetError, match="fit"):
        SequenceModel().predict(np.zeros((2, 3)))


def test_loading_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        seqshape.load(tmp_path / "missing.seqshape")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a readable seqshape file"):
        seqshape.load(text)


# -- a failed refit leaves the previous fit whole --------------------------------------------


def _learned(model) -> dict:
    return {name: value for name, value in vars(model).items() if name.endswith("_")}


@pytest.fixture
def fitted_tokens():
    X, y = _data((6,), (), classes=["no", "yes"], tokens=20)
    model = SequenceModel(vocabulary_size=20, **FAST).fit(X, y)
    return model, X, y


def test_failed_refit_on_bad_token_ids_keeps_the_previous_model(fitted_tokens):
    model, X, y = fitted_tokens
    before, learned = model.predict_proba(X), _learned(model)
    with pytest.raises(InvalidInputError, match="vocabulary_size=5"):
        model.set_params(vocabulary_size=5).fit(X, y)
    model.set_params(vocabulary_size=20)
    assert all(getattr(model, name) is value for name, value in learned.items())
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_failed_refit_inside_keras_keeps_the_previous_model(fitted_tokens, monkeypatch):
    model, X, y = fitted_tokens
    before, learned = model.predict_proba(X), _learned(model)

    def fail(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(keras.Model, "fit", fail)
    X_other = np.random.default_rng(1).integers(0, 20, (24, 9))  # a new spec, too
    with pytest.raises(RuntimeError, match="out of memory"):
        model.fit(X_other, y)
    assert _learned(model) == learned
    np.testing.assert_array_equal(model.predict_proba(X), before)


def test_a_failed_first_fit_leaves_no_learned_attribute():
    X, y = _data((6,), (), classes=[0, 1], tokens=20)
    model = SequenceModel(vocabulary_size=5, **FAST)
    with pytest.raises(InvalidInputError):
        model.fit(X, y)
    assert _learned(model) == {}


@pytest.mark.parametrize(
    ("cls", "labels"),
    [
        (SequenceModel, ["cat", "dog", "eel"]),
        (SequenceClassifier, [True, False]),
        (SequenceRegressor, None),
    ],
)
def test_each_estimator_saves_and_loads_as_itself(cls, labels, tmp_path):
    X, y = _data((6, 2), (), classes=labels)
    model = cls(**FAST).fit(X, y)
    model.save(tmp_path / "model.seqshape")
    loaded = seqshape.load(tmp_path / "model.seqshape")
    assert type(loaded) is cls and loaded.get_params() == model.get_params()
    assert_same_predictions(loaded.predict(X), model.predict(X))
    if labels is not None:
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.classes_.dtype == model.classes_.dtype


def test_x_laid_out_channels_first_gets_a_warning_naming_the_transpose():
    """aeon's and sktime's loaders give (samples, channels, steps): read as (samples,
    steps, features) that is 6 steps of 100 features, and the warning says how to fix it."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 6, 100)), np.arange(12) % 2
    model = SequenceClassifier(epochs=1, units=(4,))
    with pytest.warns(AxesWarning, match=r"6 steps of 100 features .*X.transpose\(0, 2, 1\)"):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AxesWarning)
        model.fit(X.transpose(0, 2, 1), y)  # 100 steps of 6 features
        model.fit(X[:, :, :10], y)  # 6 steps of 10 features: not under half
        model.fit(X[:, :1, :8], y)  # the one-to-one input (1, F)
    with pytest.warns(AxesWarning):
        model.fit(X, y)
    assert "X.transpose(0, 2, 1) holds 100 steps of 6 features." in str(model.explain())


def test_explain_says_when_the_epoch_limit_cut_learning_short():
    """A fit whose last allowed epoch was its best had more to learn: explain() says so
    and names a larger epochs; a fit that early stopping ended does not."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8, 2))
    y = X[:, -1, 0] - X[:, 0, 1]  # learnable, and far from learned in 3 epochs
    short = SequenceModel(units=4, epochs=3, random_state=0, verbose=0).fit(X, y)
    assert short.best_epoch_ == short.n_epochs_ == 3
    assert "still falling at the last epoch allowed (epochs=3)" in str(short.explain())
    noise = SequenceModel(units=4, epochs=300, random_state=0, verbose=0).fit(
        X, rng.normal(size=200)
    )
    assert noise.n_epochs_ < 300
    assert "still falling" not in str(noise.explain())


def test_a_training_part_of_a_few_batches_gets_two_thousand_steps():
    """38 training samples make 2 batches an epoch: 200 epochs were 400 steps, too few
    to learn a sum at this learning rate. ``epochs="auto"`` allows 1,000 (2,000 steps)."""
    rng = np.random.default_rng(0)
    X, X_new = rng.normal(size=(48, 10, 1)), rng.normal(size=(200, 10, 1))
    y, y_new = X.sum(axis=1), X_new.sum(axis=1)
    settings = {"units": 8, "learning_rate": 3e-4, "random_state": 0, "verbose": 0}
    auto = SequenceModel(**settings).fit(X, y)
    capped = SequenceModel(epochs=200, **settings).fit(X, y)
    assert auto.validation_["epoch_limit"] == 1000 and auto.n_epochs_ > 200
    assert capped.best_epoch_ == capped.n_epochs_ == 200
    assert "still falling at the last epoch allowed (epochs=200)" in str(capped.explain())
    error = {
        name: np.abs(m.predict(X_new) - y_new).mean()
        for name, m in [("auto", auto), ("capped", capped)]
    }
    assert error["auto"] < 0.9 * error["capped"]  # measured: 0.452 against 0.575
