"""The ridge combination: a closed-form linear forecast mixed with the network's."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import seqshape
from seqshape.combination import ridge_kernel, ridge_layer, window_rows
from seqshape.errors import InvalidInputError
from seqshape.layers import RidgeCombination, normalized_model
from seqshape.windowing import sliding_windows


def _noisy_seasons(steps: int = 700, seed: int = 0) -> np.ndarray:
    """A season of 12 steps at a level of 50, with noise: a linear map of the window
    forecasts it better than the last value."""
    rng = np.random.default_rng(seed)
    time = np.arange(steps)
    return 50 + 5 * np.sin(2 * np.pi * time / 12) + rng.normal(0, 1.0, steps)


def test_the_layer_passes_the_forecast_through_until_set_and_makes_no_nan():
    window = np.zeros((2, 6, 2), "float32")
    window[1] = np.arange(12.0).reshape(6, 2)
    forecast = np.ones((2, 3, 1), "float32")
    layer = RidgeCombination(target_features=(1,), steps=3)
    np.testing.assert_array_equal(np.asarray(layer([forecast, window])), forecast)
    layer.set_weights([np.ones((6, 3), "float32"), np.asarray(1.0, "float32")])
    outputs = np.asarray(layer([forecast, window]))
    assert np.all(np.isfinite(outputs))
    np.testing.assert_allclose(outputs[0], 0.0)  # a constant window: its last value
    assert not np.allclose(outputs[1], window[1, -1, 1])


def test_the_closed_form_map_recovers_a_linear_rule():
    """y = the window's last value plus its last step's change, exactly: the map
    finds it (kernel near -1 and +1 on the last two steps), whatever the level."""
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(300, 8, 1)), axis=1) + rng.uniform(-1e3, 1e3, (300, 1, 1))
    y = 2 * X[:, -1:, :] - X[:, -2:-1, :]
    kernel = ridge_kernel(X, y, (0,))
    inputs, _, last, scale = window_rows(X, y)
    forecast = last + scale * (inputs @ kernel)
    assert np.abs(forecast - y[:, :, 0]).mean() < 0.05 * np.abs(X[:, -1:, 0] - y[:, :, 0]).mean()


def test_auto_combines_a_seasonal_series_and_beats_the_network_alone():
    X, y = sliding_windows(_noisy_seasons()[:, None], 24, 6)
    train, test = slice(0, 560), slice(600, None)  # the test part beyond a gap
    settings = {"units": (8,), "epochs": 30, "random_state": 0}
    combined = seqshape.SequenceModel(**settings).fit(X[train], y[train])
    alone = seqshape.SequenceModel(ridge_share=None, **settings).fit(X[train], y[train])
    share = combined.spec_.ridge_share
    assert share is not None and 0.0 < share <= 1.0
    assert alone.spec_.ridge_share is None
    assert not any(isinstance(layer, RidgeCombination) for layer in alone.model_.layers)
    explanation = str(combined.explain())
    assert "Ridge combination" in explanation and "for the network alone" in explanation
    errors = [np.abs(m.predict(X[test]) - y[test]).mean() for m in (combined, alone)]
    assert errors[0] <= 0.95 * errors[1]


def test_a_random_walk_takes_the_last_value_as_partner_and_keeps_it_saved(tmp_path):
    """Nothing past a random walk's last value is learnable: on the validation windows
    the last value mixes better than a fitted map, so the map is left at zero."""
    walk = np.cumsum(np.random.default_rng(1).normal(size=400)) + 100
    X, y = sliding_windows(walk[:, None], 30, 5)
    model = seqshape.SequenceModel(units=(8,), epochs=5, random_state=0).fit(X, y)
    assert model.spec_.ridge_share == 1.0
    assert not np.any(keras.ops.convert_to_numpy(ridge_layer(model.model_).kernel))
    assert "1.0 each target's last value in its window" in str(model.explain())
    forecasts = model.predict(X[-20:])
    np.testing.assert_allclose(forecasts, np.repeat(X[-20:, -1:, :], 5, axis=1), rtol=1e-5)
    model.save(tmp_path / "walk.seqshape")
    loaded = seqshape.load(tmp_path / "walk.seqshape")
    np.testing.assert_allclose(loaded.predict(X[-20:]), forecasts, rtol=1e-6)
    assert "ridge.kernel.assign(np.zeros((30, 5)))" in model.to_keras_code()


def test_a_share_asked_for_is_taken_and_saved(tmp_path):
    X, y = sliding_windows(_noisy_seasons(300)[:, None], 24, 6)
    model = seqshape.SequenceModel(units=(4,), epochs=2, ridge_share=0.25).fit(X, y)
    assert model.spec_.ridge_share == 0.25
    assert float(ridge_layer(model.model_).share.numpy()) == pytest.approx(0.25)
    assert "the share set by ridge_share" in str(model.explain())
    model.save(tmp_path / "model.seqshape")
    loaded = seqshape.load(tmp_path / "model.seqshape")
    assert loaded.spec_.ridge_share == 0.25
    np.testing.assert_array_equal(loaded.predict(X[:20]), model.predict(X[:20]))
    model.model_.save(tmp_path / "plain.keras")  # the Keras file alone, in safe mode
    plain = keras.saving.load_model(tmp_path / "plain.keras", safe_mode=True)
    np.testing.assert_allclose(
        plain.predict(X[:20].astype("float32"), verbose=0), model.model_.predict(X[:20], verbose=0)
    )


def test_too_few_windows_leave_the_network_alone():
    X, y = sliding_windows(_noisy_seasons(120)[:, None], 24, 6)  # 91 windows
    model = seqshape.SequenceModel(units=(4,), epochs=2).fit(X, y)
    assert model.spec_.ridge_share is None
    assert "Ridge combination" not in str(model.explain())


def test_the_same_windows_of_several_targets_are_enough():
    """The map is one for every target, so a window of 4 targets gives it 4 rows: 131
    windows of 4 series as 4 columns (fpp2's arrivals has 4 in 65) take the ridge
    where the first series' windows alone do not."""
    series = np.stack([_noisy_seasons(160, seed) * (1 + seed) for seed in range(4)], axis=1)
    X, y = sliding_windows(series, 24, 6)  # 131 windows of 4 targets
    model = seqshape.SequenceModel(units=(4,), epochs=2).fit(X, y)
    assert model.spec_.ridge_share is not None
    assert "Ridge combination" in str(model.explain())
    alone = seqshape.SequenceModel(units=(4,), epochs=2).fit(X[:, :, :1], y[:, :, :1])
    assert alone.spec_.ridge_share is None


def test_a_share_without_window_normalisation_is_refused():
    X, y = sliding_windows(_noisy_seasons(300)[:, None], 24, 6)
    with pytest.raises(InvalidInputError, match=r"ridge_share.*normalization 'global'"):
        seqshape.SequenceModel(normalization="global", ridge_share=0.5, epochs=1).fit(X, y)
    for bad in (1.5, -0.1, True, "half"):
        with pytest.raises(InvalidInputError, match="ridge_share"):
            seqshape.SequenceModel(ridge_share=bad, epochs=1).fit(X, y)


def test_padded_windows_take_no_ridge():
    inputs = keras.Input((None, 1))
    with pytest.raises(InvalidInputError, match="`ridge`"):
        normalized_model(
            inputs,
            lambda x: keras.layers.Dense(1)(keras.layers.LSTM(2)(x)),
            target_features=(0,),
            mask_value=-1.0,
            ridge=True,
        )


def test_a_table_run_reports_the_share_and_its_refit_keeps_it(tmp_path):
    import pandas as pd

    from seqshape.runs import ForecastJob, fit_forecast

    frame = pd.DataFrame({"demand": _noisy_seasons(700)})
    job = ForecastJob(targets=("demand",), input_steps=24, output_steps=6)
    model = seqshape.SequenceModel(units=(4,), epochs=2, random_state=0)
    said = []
    metrics = fit_forecast(frame, job, model, tmp_path / "run", say=said.append)
    assert metrics["normalization"]["ridge"] in said  # the command line prints it
    share = metrics["normalization"]["ridge_share"]
    assert 0.0 <= share <= 1.0
    assert metrics["normalization"]["ridge"].startswith("Ridge combination")
    assert "refit" in metrics  # the model saved is trained again on all the windows
    saved = seqshape.load(tmp_path / "run" / "model.seqshape")
    assert saved.spec_.ridge_share == share
    assert float(ridge_layer(saved.model_).share.numpy()) == pytest.approx(share)
