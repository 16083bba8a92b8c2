"""Baselines and metrics against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from seqshape.baselines import (
    DriftBaseline,
    LastValueBaseline,
    LogisticFeaturesBaseline,
    MajorityClassBaseline,
    MeanBaseline,
    RidgeBaseline,
    SeasonalNaiveBaseline,
    baseline_from_state,
    baseline_state,
    detect_season,
)
from seqshape.errors import InvalidInputError
from seqshape.metrics import (
    accuracy_by_step,
    classification_scores,
    error_by_step,
    error_by_target,
    mase,
    naive_scale,
    panel_naive_scale,
    regression_scores,
    scaled_error,
    smape,
)
from seqshape.validation import padding_mask

X = np.array([[[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]]])  # one sample, 3 steps, 2 features
Y = np.zeros((1, 2, 2))


def test_last_value():
    assert LastValueBaseline().fit(X, Y).predict(X).tolist() == [[[4, 40], [4, 40]]]


def test_last_value_of_chosen_features_for_per_sample_y():
    predicted = LastValueBaseline(target_features=(1,)).fit(X, np.zeros((1, 1))).predict(X)
    assert predicted.tolist() == [[40.0]]


def test_drift_extends_the_line_through_first_and_last():
    # slope (4 - 1) / 2 = 1.5 per step for feature 0, 15 for feature 1
    assert DriftBaseline().fit(X, Y).predict(X).tolist() == [[[5.5, 55], [7, 70]]]


def test_seasonal_naive_repeats_one_season_back():
    inputs = np.array([[[1.0], [2.0], [3.0], [4.0]]])
    predicted = SeasonalNaiveBaseline(season=2).fit(inputs, np.zeros((1, 3, 1))).predict(inputs)
    assert predicted[0, :, 0].tolist() == [3, 4, 3]


def test_season_detection():
    t = np.arange(300)
    assert detect_season(np.sin(2 * np.pi * t / 24), max_lag=40) == 24
    assert detect_season(np.random.default_rng(0).normal(size=300), max_lag=40) == 1
    assert detect_season(np.sin(t / 40.0), max_lag=20) == 1  # smooth, no season in range


def test_mean_and_majority():
    y = np.array([[1.0, 2.0], [3.0, 6.0]])
    assert (
        MeanBaseline().fit(np.zeros((2, 3)), y).predict(np.zeros((3, 3))).tolist() == [[2, 4]] * 3
    )
    labels = np.array([5, 7, 7])
    majority = MajorityClassBaseline().fit(np.zeros((3, 2)), labels)
    assert majority.predict(np.zeros((2, 2))).tolist() == [7, 7]
    np.testing.assert_allclose(majority.predict_proba(np.zeros((1, 2))), [[1 / 3, 2 / 3]])


def test_ridge_recovers_a_linear_rule():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(200, 5, 1))
    targets = inputs[:, -1:, :] * 2 + inputs[:, :1, :]
    predicted = RidgeBaseline(alpha=1e-6).fit(inputs, targets).predict(inputs)
    np.testing.assert_allclose(predicted, targets, atol=1e-3)


def _seasons_at_four_levels(windows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """16 -> 8 windows of four noisy series with one season of 4 at levels 10 to 5,000,
    side by side as columns."""
    rng = np.random.default_rng(seed)
    t = np.arange(windows + 24)
    levels = np.array([10.0, 100.0, 1000.0, 5000.0])
    season = np.sin(2 * np.pi * t / 4)[:, None] + rng.normal(0, 0.3, (len(t), 4))
    series = levels * (1 + 0.1 * season)
    X = np.stack([series[i : i + 16] for i in range(windows)])
    y = np.stack([series[i + 16 : i + 24] for i in range(windows)])
    return X, y


def test_ridge_of_several_like_series_as_columns_shares_one_map():
    X, y = _seasons_at_four_levels(80, seed=0)
    X_new, y_new = _seasons_at_four_levels(60, seed=1)
    scale = X.std(axis=(0, 1))  # each series' error in its own spread
    ridge = RidgeBaseline(target_features=(0, 1, 2, 3)).fit(X, y)
    flat = RidgeBaseline().fit(X, y)
    assert ridge.shared_  # chosen on the last fifth of the training windows
    error = (np.abs(ridge.predict(X_new) - y_new) / scale).mean()
    flat_error = (np.abs(flat.predict(X_new) - y_new) / scale).mean()
    assert error < 0.8 * flat_error  # 320 rows for 16 inputs, against 80 for 64
    again = baseline_from_state(baseline_state(ridge))
    np.testing.assert_allclose(again.predict(X_new), ridge.predict(X_new))


def _trend_beside_a_rate(steps: int) -> np.ndarray:
    """A level drifting up (like real GDP) beside a rate reverting to zero (like a
    change in unemployment): targets of different kinds, as columns."""
    rng = np.random.default_rng(0)
    level = 100 + np.cumsum(1.0 + rng.normal(0, 1, steps))
    rate = np.zeros(steps)
    for step in range(1, steps):
        rate[step] = 0.8 * rate[step - 1] + rng.normal(0, 1)
    return np.stack([level, rate], axis=1)


def test_ridge_of_targets_of_different_kinds_fits_a_map_for_each():
    """One map for both pulled the level back to its training mean (statsmodels' real
    GDP beside unemployment: test MAE 2,042 against 348 for the last value)."""
    series = _trend_beside_a_rate(400)
    X = np.stack([series[i : i + 12] for i in range(384)])
    y = np.stack([series[i + 12 : i + 16] for i in range(384)])
    ridge = RidgeBaseline(target_features=(0, 1)).fit(X[:250], y[:250])
    assert not ridge.shared_
    error = np.abs(ridge.predict(X[280:]) - y[280:]).mean(axis=(0, 1))
    last_value = np.abs(X[280:, -1:, :] - y[280:]).mean(axis=(0, 1))
    assert error[0] < 0.6 * last_value[0]  # 1.21 against 2.45: the drift, not the mean
    shuffled = X[280:].copy()  # the level's forecast reads its own window only
    shuffled[:, :, 1] = np.random.default_rng(2).permutation(shuffled[:, :, 1])
    np.testing.assert_allclose(ridge.predict(shuffled)[..., 0], ridge.predict(X[280:])[..., 0])
    again = baseline_from_state(baseline_state(ridge))
    np.testing.assert_allclose(again.predict(X[280:]), ridge.predict(X[280:]))


def test_ridge_of_one_target_is_the_flattened_windows_map():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 12, 3)).cumsum(axis=1)  # the target first, two covariates
    y = X[:, -3:, :1] + rng.normal(0, 0.1, (60, 3, 1))
    np.testing.assert_allclose(
        RidgeBaseline(target_features=(0,)).fit(X, y).predict(X),
        RidgeBaseline().fit(X, y).predict(X),
        rtol=1e-9,
        atol=1e-9,
    )
    with pytest.raises(InvalidInputError, match="target_features") as raised:
        RidgeBaseline(target_features=(3,)).fit(X, y)
    assert "0 to 2" in str(raised.value)


def test_logistic_features_separate_rising_from_falling():
    t = np.arange(20.0)
    rising = np.stack([t * 0.1 + np.sin(t + k) for k in range(20)])[..., None]
    inputs = np.concatenate([rising, -rising])
    labels = np.r_[np.ones(20), np.zeros(20)].astype(int)
    model = LogisticFeaturesBaseline().fit(inputs, labels)
    assert (model.predict(inputs) == labels).mean() == 1.0


def test_regression_metrics_by_hand():
    truth = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])
    predicted = np.array([[[2.0], [2.0]], [[3.0], [8.0]]])
    scores = regression_scores(truth, predicted)
    assert scores["MAE"] == pytest.approx((1 + 0 + 0 + 4) / 4)
    assert scores["RMSE"] == pytest.approx(np.sqrt((1 + 16) / 4))
    # sMAPE: 2|p-t|/(|p|+|t|): 2/3, 0, 0, 8/12 -> mean 1/3 -> 33.33 %
    assert scores["sMAPE"] == pytest.approx(100 / 3)
    assert error_by_step(truth, predicted) == [0.5, 2.0]
    assert error_by_target(truth, predicted) == [1.25]


def test_smape_of_zeros_is_zero():
    assert smape(np.zeros(3), np.zeros(3)) == 0.0


def test_mase_by_hand():
    insample = np.array([1.0, 3.0, 2.0, 6.0])  # naive errors 2, 1, 4 -> scale 7/3
    assert mase(np.array([[5.0]]), np.array([[12.0]]), insample) == pytest.approx(7 / (7 / 3))
    seasonal = np.array([1.0, 5.0, 2.0, 7.0])  # season 2: errors 1, 2 -> scale 1.5
    assert mase(np.array([[0.0]]), np.array([[3.0]]), seasonal, season=2) == pytest.approx(2.0)


def test_panel_mase_pools_the_naive_errors_of_every_series():
    first, second = np.array([1.0, 3.0, 2.0]), np.array([0.0, 4.0, 4.0, 1.0])
    # naive errors 2, 1 and 4, 0, 3: pooled scale 10 / 5 = 2; a 1-step series adds nothing
    assert panel_naive_scale([first, second, np.array([9.0])]).tolist() == [2.0]
    assert panel_naive_scale([first]).tolist() == naive_scale(first).tolist() == [1.5]
    truth, predicted = np.zeros((1, 2, 1)), np.full((1, 2, 1), 4.0)
    scores = regression_scores(truth, predicted, scale=panel_naive_scale([first, second]))
    assert scores["MASE"] == pytest.approx(2.0)
    assert scores["MASE"] == pytest.approx(0.75 * mase(truth, predicted, first))


def test_mase_leaves_out_targets_without_a_naive_error():
    truth, predicted = np.zeros((1, 1, 2)), np.ones((1, 1, 2))
    assert scaled_error(truth, predicted, np.array([0.0, 0.5])) == pytest.approx(2.0)
    assert np.isnan(scaled_error(truth, predicted, np.array([0.0, np.nan])))
    insample = np.array([[1.0, 1.0], [1.0, 3.0]])  # first target constant
    assert mase(truth, predicted, insample) == pytest.approx(0.5)


def test_padding_mask_and_the_logistic_baseline_ignore_padded_steps():
    steps = np.array([[[1.0, 2.0], [-9.0, -9.0], [-9.0, 3.0]]])
    assert padding_mask(steps, -9.0)[0, :, 0].tolist() == [False, True, False]
    assert padding_mask(steps, None) is None
    rng = np.random.default_rng(0)
    short = rng.normal(size=(30, 4, 1))
    padded = np.concatenate([short, np.full((30, 3, 1), -9.0)], axis=1)
    labels = (short[:, :, 0].mean(axis=1) > 0).astype(int)
    model = LogisticFeaturesBaseline(mask_value=-9.0).fit(padded, labels)
    plain = LogisticFeaturesBaseline().fit(short, labels)
    np.testing.assert_allclose(model.predict_proba(padded), plain.predict_proba(short))


def test_classification_metrics_by_hand():
    truth, predicted = np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]])
    scores = classification_scores(truth, predicted, probabilities, classes=[0, 1])
    assert scores["accuracy"] == 0.75
    assert scores["balanced_accuracy"] == pytest.approx((2 / 3 + 1) / 2)
    assert scores["macro_F1"] == pytest.approx((0.8 + 2 / 3) / 2)
    expected_loss = -np.mean(np.log([0.9, 0.8, 0.4, 0.7]))
    assert scores["log_loss"] == pytest.approx(expected_loss)


def test_accuracy_by_step():
    truth = np.array([[0, 1, 1], [1, 1, 0]])
    predicted = np.array([[0, 0, 1], [1, 1, 1]])
    assert accuracy_by_step(truth, predicted) == [1.0, 0.5, 0.5]
