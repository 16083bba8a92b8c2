"""Defaults that follow the data: validation split, normalisation, the guard (issue 9).

Each learning test trains with a fixed seed and compares with the simplest honest
reference: 1-nearest-neighbour, the last value, seasonal naive.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

import seqshape
from seqshape.builders.choice import spec_from_shapes
from seqshape.defaults import (
    choose_normalization,
    choose_validation,
    naive_errors,
    overlap_stride,
)
from seqshape.errors import BaselineWinsWarning, InvalidInputError
from seqshape.layers import SeasonalNaive
from seqshape.spec import SeasonalBase
from seqshape.windowing import panel_windows, sliding_windows


def _sorted_classes(seed: int = 0):
    """Three classes of noisy shapes, stored sorted by label as UCR/UEA files are."""
    rng = np.random.default_rng(seed)
    steps = np.linspace(0, 1, 30)
    shapes = [np.sin(2 * np.pi * steps), np.sign(np.sin(4 * np.pi * steps)), steps * 2 - 1]
    X, y = [], []
    for label, shape in enumerate(shapes):
        for _ in range(40):
            X.append(shape * rng.uniform(0.8, 1.2) + rng.normal(0, 0.6, steps.shape))
            y.append(label)
    X = np.asarray(X)[..., None]
    order = rng.permutation(len(X))
    test = order[:45]
    train = np.sort(order[45:])  # sorted by label, as the files are
    return X[train], np.asarray(y)[train], X[test], np.asarray(y)[test]


def test_label_sorted_classification_reaches_one_nearest_neighbour():
    X, y, X_test, y_test = _sorted_classes()
    model = seqshape.SequenceModel(units=(16,), epochs=60, random_state=0).fit(X, y)
    assert model.validation_["method"] in ("stratified", "all samples, cosine decay")
    accuracy = np.mean(model.predict(X_test) == y_test)
    flat = KNeighborsClassifier(1).fit(X[..., 0], y)
    assert accuracy >= np.mean(flat.predict(X_test[..., 0]) == y_test)


def test_a_small_classification_set_trains_on_every_sample_for_a_budget_of_steps():
    X, y, _, _ = _sorted_classes()
    X, y = X[::2], y[::2]  # 38 samples: a held-out part of 8 is too few to stop on
    model = seqshape.SequenceModel(units=(4,), batch_size=16, random_state=0).fit(X, y)
    assert model.validation_["method"] == "all samples, cosine decay"
    assert model.validation_["train"] == len(X)
    # epochs="auto": 2,000 gradient steps of 3 batches, the last weights kept
    assert model.n_epochs_ == model.best_epoch_ == 667
    rate = model.model_.optimizer.learning_rate
    assert float(rate) == pytest.approx(1e-4, rel=1e-3)  # decayed to a tenth
    assert "667 epochs, its learning rate falling along a cosine" in str(model.explain())
    assert model.baseline_check_ is None  # nothing held out to compare on
    # an explicit epoch count is the budget
    assert seqshape.SequenceModel(units=(4,), epochs=5).fit(X, y).n_epochs_ == 5


def test_a_held_out_part_under_ten_samples_a_class_is_too_few_to_stop_on():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10, 1))
    six = np.arange(200) % 6  # 40 held out: 6 or 7 a class
    model = seqshape.SequenceModel(units=(4,), epochs=2, random_state=0).fit(X, six)
    assert model.validation_["method"] == "all samples, cosine decay"
    assert "(under 60: 30 in all, 10 a class;" in model.validation_["reason"]
    two = np.arange(200) % 2  # 40 held out: 20 a class
    model = seqshape.SequenceModel(units=(4,), epochs=2, random_state=0).fit(X, two)
    assert model.validation_["method"] == "stratified"


def test_a_split_leaving_a_class_out_of_training_names_it():
    X = np.random.default_rng(0).normal(size=(20, 5, 1))
    y = np.array([0] * 10 + [1] * 9 + [2])
    with pytest.raises(InvalidInputError, match="at least 2 samples of every class"):
        seqshape.SequenceModel(validation="stratified", epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"class\(es\) \[2\] only in the held-out"):
        seqshape.SequenceModel(validation="temporal", epochs=1).fit(X, y)


def test_auto_validation_keeps_classes_too_small_to_stratify_in_training():
    X = np.random.default_rng(0).normal(size=(60, 5, 1))
    y = np.repeat(np.arange(30), 2)  # 30 classes of 2 (the UCR archive's PigCVP: 52 of 2)
    y[:3] = [0, 1, 2]  # and three classes of one sample: 0, 1 and 2 once more each
    split = choose_validation("auto", X, y, fraction=0.2, output_steps=None, seed=0)
    assert split.method == "random" and len(split.validation) == 12
    assert set(y[split.train].tolist()) == set(y.tolist())
    assert "keeping a sample of every class for training" in split.reason


def test_stratified_needs_labels():
    X, y = np.zeros((20, 5, 1)), np.linspace(0, 1, 20)
    with pytest.raises(InvalidInputError, match="'stratified' only for classification"):
        seqshape.SequenceModel(validation="stratified", epochs=1).fit(X, y)


def test_windows_of_a_series_are_split_by_time_with_a_gap():
    series = np.arange(300.0)[:, None]
    X, _ = sliding_windows(series, 20, 5)
    assert overlap_stride(X) == 1
    split = choose_validation("auto", X, None, fraction=0.2, output_steps=5, seed=0)
    assert split.method == "temporal"
    last_training_window_end = X[split.train[-1], -1, 0] + 5  # its last target step
    first_validation_window_start = X[split.validation[0], 0, 0]
    assert first_validation_window_start > last_training_window_end


def _random_walk_with_drift(steps: int = 2400, seed: int = 0):
    rng = np.random.default_rng(seed)
    return 50 + np.cumsum(rng.normal(0.3, 1.0, (steps, 3)), axis=0)


def test_a_trending_walk_is_forecast_at_least_as_well_as_the_last_value():
    X, y = sliding_windows(_random_walk_with_drift(), 40, 10)
    cut = int(len(X) * 0.8)
    model = seqshape.SequenceModel(units=(16,), epochs=40, random_state=0)
    model.fit(X[:cut], y[:cut])
    assert model.spec_.normalization == "window"
    assert y[cut:].max() > X[:cut].max() + 50  # the test part trends out of training range
    error = np.abs(model.predict(X[cut:]) - y[cut:]).mean()
    last_value = np.abs(X[cut:, -1:, :] - y[cut:]).mean()
    assert error <= last_value


def test_a_seasonal_panel_at_different_levels_beats_seasonal_naive_by_ten_percent():
    rng = np.random.default_rng(0)
    steps = np.arange(240)
    series = []
    for level in (5.0, 50.0, 500.0, 5000.0):
        season = np.sin(2 * np.pi * steps / 12) + 0.5 * np.cos(2 * np.pi * steps / 6)
        series.append(level * (1 + 0.2 * season + 0.05 * rng.normal(size=steps.shape)))
    windows = panel_windows([s[:, None] for s in series], 24, 6)
    train = np.concatenate([np.arange(i * 211, i * 211 + 170) for i in range(4)])
    test = np.concatenate([np.arange(i * 211 + 181, i * 211 + 211) for i in range(4)])
    X, y = windows.X, windows.y
    # the defaults but the strategy and the base: dense_head forecasts all steps at once,
    # restored onto the last value (measured here 16% better than seasonal naive; the
    # encoder-decoder, and dense_head restored onto seasonal naive, only level with it:
    # on a stationary season the network does not learn to smooth the base's noise)
    model = seqshape.SequenceModel(
        units=(24,), strategy="dense_head", seasonal_base=1, random_state=0
    )
    model.fit(X[train], y[train])
    assert model.validation_["method"] == "temporal"
    assert "each of the 4 series" in model.validation_["reason"]
    relative = np.abs(model.predict(X[test]) - y[test]) / X[test, -1:, :]
    seasonal_naive = X[test][:, -12:-6, :]
    relative_naive = np.abs(seasonal_naive - y[test]) / X[test, -1:, :]
    assert relative.mean() <= 0.9 * relative_naive.mean()


@pytest.mark.parametrize("normalization", ["window", "global", "none"])
def test_each_normalisation_saves_and_loads_to_identical_predictions(normalization, tmp_path):
    X, y = sliding_windows(_random_walk_with_drift(400), 12, 3)
    model = seqshape.SequenceModel(units=(4,), epochs=2, normalization=normalization).fit(X, y)
    model.save(tmp_path / "model.seqshape")
    loaded = seqshape.load(tmp_path / "model.seqshape")
    assert loaded.spec_.normalization == normalization
    np.testing.assert_array_equal(loaded.predict(X[:50]), model.predict(X[:50]))


def test_window_normalisation_with_nothing_to_restore_is_refused():
    X = np.random.default_rng(0).normal(size=(40, 8, 2))
    with pytest.raises(InvalidInputError, match="Invalid `normalization`"):
        seqshape.SequenceModel(normalization="window", epochs=1).fit(X, np.arange(40) % 2)
    with pytest.raises(InvalidInputError, match=r"nothing to restore|continue features"):
        seqshape.SequenceModel(normalization="window", epochs=1).fit(X, X[:, :2, 0] * 0 + 1.0)


def test_constant_windows_give_finite_predictions():
    X, y = np.full((40, 8, 1), 3.0), np.full((40, 2, 1), 3.0)
    model = seqshape.SequenceModel(units=(4,), epochs=2, normalization="window").fit(X, y)
    np.testing.assert_allclose(model.predict(X[:4]), 3.0, atol=1e-3)


def test_the_guard_warns_when_the_last_value_beats_the_model():
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(0, 1, (600, 1)), axis=0)
    noisy = walk + rng.normal(0, 0.05, walk.shape)  # pure noise around a random walk
    X, y = sliding_windows(noisy, 20, 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = seqshape.SequenceModel(
            units=(2,), epochs=1, learning_rate=1e-4, normalization="global", random_state=0
        ).fit(X, y)
    messages = [str(w.message) for w in caught if w.category is BaselineWinsWarning]
    assert model.baseline_check_["baseline_wins"]
    assert messages and "beats the model on the validation part" in messages[0]
    assert "beats the model" in str(model.explain())


def test_the_guard_of_targets_in_different_units_is_on_mase():
    """A level in thousands beside a rate near 5: pooled MAE would be the level's
    alone; each target's error over its own naive error counts alike."""
    rng = np.random.default_rng(0)
    level = 10_000 + np.cumsum(rng.normal(20, 50, 400))
    rate = 5 + 0.1 * np.cumsum(rng.normal(0, 1, 400))
    X, y = sliding_windows(np.c_[level, rate], 16, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BaselineWinsWarning)
        model = seqshape.SequenceModel(units=(4,), epochs=2).fit(X, y)
    check = model.baseline_check_
    assert check["metric"] == "MASE"
    assert set(check["baselines"]) >= {"mean", "last value"}
    one = seqshape.SequenceModel(units=(4,), epochs=1).fit(X[..., 1:], y[..., 1:])
    assert one.baseline_check_["metric"] == "MAE"  # one target: in its own units


def test_a_model_on_a_seasonal_base_is_checked_against_seasonal_naive():
    import dataclasses

    from seqshape.guard import baseline_predictions

    spec = spec_from_shapes((8, 1), (6, 1))
    X_val = np.arange(16.0).reshape(2, 8, 1)
    plain = baseline_predictions(spec, np.zeros((5, 6, 1)), X_val)
    assert set(plain) == {"mean"}  # no window normalisation: no target known
    seasonal = dataclasses.replace(spec, normalization="window", target_features=(0,), season=4)
    predicted = baseline_predictions(seasonal, np.zeros((5, 6, 1)), X_val)
    assert set(predicted) == {"mean", "last value", "seasonal naive"}
    # the last 4 steps (4, 5, 6, 7), repeated over the 6 output steps
    assert predicted["seasonal naive"][0, :, 0].tolist() == [4.0, 5.0, 6.0, 7.0, 4.0, 5.0]


def test_a_trending_seasonal_series_gets_window_normalisation():
    # quarterly, its swings as large as a year's growth: the last value is a poor guess
    # of the next quarter, but the window's mean follows the level out of range
    steps = np.arange(160)
    season = np.array([1.0, -0.6, -1.0, 0.6])[steps % 4]
    series = (10 + 0.5 * steps) * (1 + 0.35 * season)
    X, y = sliding_windows(series[:, None], 12, 8)
    spec = spec_from_shapes(X.shape[1:], y.shape[1:])
    last_value = np.abs(X[:, -1, 0] - y[:, 0, 0]).mean()
    mean = np.abs(y[:, 0, 0] - y[:, 0, 0].mean()).mean()
    assert last_value > 0.75 * mean  # the last value alone would not choose it
    chosen = choose_normalization("auto", spec, X, y)
    assert (chosen.method, chosen.target_features) == ("window", (0,))
    assert "level in the window" in chosen.reason
    assert chosen.season == 4  # one year back beats the last value by far
    assert chosen.base.drift  # three years a window: their growth measured, carried on
    assert "trending season (period 4)" in chosen.reason


def test_a_weekly_pattern_gets_window_normalisation_from_the_week_before():
    # daily, each weekday its own level: neither yesterday nor the window's mean is a
    # good guess of tomorrow, last week's same day is
    rng = np.random.default_rng(0)
    days = np.arange(400)
    week = np.array([0.0, 10.0, 1.0, 9.0, 2.0, 8.0, 5.0])[days % 7]
    series = 50 + week + 0.01 * days + rng.normal(0, 0.5, days.shape)
    X, y = sliding_windows(series[:, None], 28, 7)
    order = rng.permutation(len(X))  # not consecutive windows: a level must gain 25%
    X, y = X[order], y[order]
    first = y[:, 0, 0]
    spread = np.abs(first - first.mean()).mean()
    assert np.abs(X[:, -1, 0] - first).mean() > 0.75 * spread
    assert np.abs(X[:, :, 0].mean(axis=1) - first).mean() > 0.75 * spread
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert (chosen.method, chosen.target_features, chosen.season) == ("window", (0,), 7)
    assert "a season back" in chosen.reason


def test_windows_of_a_series_continue_it_where_its_level_gains_anything_over_its_mean():
    """A level series (pmdarima's woolyrnq, statsmodels' nile): the window's level beats
    the training mean by a little. In order, consecutive windows of one series, that is
    enough for window normalisation; shuffled, independent samples need 25%."""
    rng = np.random.default_rng(0)
    level = 100 + np.cumsum(rng.normal(0, 1.0, 600)) * 0.3 + rng.normal(0, 8.0, 600)
    X, y = sliding_windows(level[:, None], 20, 5)
    first = y[:, 0, 0]
    spread = np.abs(first - first.mean()).mean()
    best = np.abs(X[:, :, 0].mean(axis=1) - first).mean()
    assert 0.75 * spread < best < spread
    spec = spec_from_shapes(X.shape[1:], y.shape[1:])
    assert choose_normalization("auto", spec, X, y).method == "window"
    order = rng.permutation(len(X))
    shuffled = choose_normalization("auto", spec, X[order], y[order])
    assert shuffled.method == "global" and "under 75% of it" in shuffled.reason


def test_a_target_that_starts_as_an_old_input_step_is_not_a_season():
    # y is the running sum of X held over 8 steps: its first step is X's first step (lag
    # 5 predicts it exactly), but repeating X's steps forecasts none of the rest
    X = np.random.default_rng(8).normal(size=(600, 5, 1))
    y = np.cumsum(np.concatenate([X, np.zeros((600, 3, 1))], axis=1), axis=1)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.method == "global"


def test_noise_around_a_mean_is_standardised_and_says_what_was_measured():
    """y continues X's only feature, but no level of the window predicts it: the reason
    says so with the errors measured (it said y did not continue X)."""
    noise = 5 + np.random.default_rng(3).normal(size=400)
    X, y = sliding_windows(noise, 24, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.method == "global"
    assert "does not continue" not in chosen.reason
    assert "the closest, feature 0, has mean absolute error" in chosen.reason
    assert "(it must be lower)" in chosen.reason  # windows of a series: any gain


def _trending_seasonal(steps: int = 400, seed: int = 0) -> np.ndarray:
    """Monthly, growing, with a seasonal swing that grows with the level."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    return (10 + 0.05 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 0.3, steps)


def test_naive_errors_find_the_season_and_not_its_multiples():
    X, y = sliding_windows(_trending_seasonal()[:, None], 36, 6)
    errors = naive_errors(X, y, (0,))
    assert errors.shape == (36,)
    assert np.argmin(errors[:20]) + 1 == 12  # period 12 within the first 20
    spec = spec_from_shapes(X.shape[1:], y.shape[1:])
    assert choose_normalization("auto", spec, X, y).season == 12  # not 24 or 36


def test_a_part_of_the_season_that_fits_nearly_as_well_is_not_the_seasonal_base():
    # a spike at each quarter's end inside a yearly pattern, on a slow cycle: repeating
    # the last 3 months fits the training windows within 25% of repeating the last 12
    # (the sub-period the rule before took), but no mean of 3-month seasons fits as well
    rng = np.random.default_rng(0)
    t = np.arange(170)
    yearly = rng.normal(0, 1.5, 12)[t % 12]
    series = 100 + 2 * np.sin(2 * np.pi * t / 72) + 3 * (t % 3 == 2) + yearly
    series = series + rng.normal(0, 0.5, t.shape)
    X, y = sliding_windows(series[:, None], 40, 10)
    errors = naive_errors(X, y, (0,))
    assert errors[2] <= 1.25 * errors[11] < errors[0]  # 3 alone nearly as good as 12
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(12)
    assert "repeating each window's last 12 steps" in chosen.reason


def test_a_noisy_stationary_season_is_based_on_the_mean_of_past_seasons():
    rng = np.random.default_rng(0)
    t = np.arange(600)
    series = 10 + 2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, t.shape)
    X, y = sliding_windows(series[:, None], 36, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(12, seasons=3, weights=True)  # the noise averages out
    assert "the mean of each window's last 3 seasons of 12 steps" in chosen.reason
    growing = _trending_seasonal()
    X, y = sliding_windows(growing[:, None], 24, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(12, weights=True)  # older seasons lag the growth


def test_a_growing_season_adds_the_windows_change_per_season_with_three_seasons_in_it():
    growing = _trending_seasonal()
    X, y = sliding_windows(growing[:, None], 36, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(12, drift=True, weights=True)
    assert "plus its change per season" in chosen.reason
    # two seasons a window: one difference of two seasons is too noisy a change
    X, y = sliding_windows(growing[:, None], 24, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert not chosen.base.drift
    # the layer computes that base: one season of 12 back plus its change per season
    X, y = sliding_windows(growing[:, None], 36, 14)
    base = np.asarray(SeasonalNaive(12, (0,), steps=14, drift=True)(X.astype("float32")))
    change = (X[:, 24:, 0].mean(axis=1) - X[:, :12, 0].mean(axis=1)) / 2
    expected = np.concatenate([X[:, 24:, 0], X[:, 24:26, 0]], axis=1) + change[:, None] * (
        np.arange(14) // 12 + 1
    )
    np.testing.assert_allclose(base[..., 0], expected, rtol=1e-5)


def test_a_random_walk_keeps_the_last_value_as_its_base():
    X, y = sliding_windows(_random_walk_with_drift(), 24, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert (chosen.method, chosen.season) == ("window", 1)
    assert "seasonal naive" not in chosen.reason
    # a walk without drift: its past steps say nothing the last value does not
    walk = 100 + np.cumsum(np.random.default_rng(0).normal(size=(2400, 3)), axis=0)
    X, y = sliding_windows(walk, 24, 6)
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(1, weights=False)
    assert "No weights are learned for the window's past steps" in chosen.reason


def _smooth_trends(series: int = 30, steps: int = 150, seed: int = 0) -> np.ndarray:
    """A panel of smooth series whose growth rate drifts slowly (like employment counts):
    the window's last steps say where the next ones go; (series, steps)."""
    rng = np.random.default_rng(seed)
    growth = np.cumsum(rng.normal(0, 0.02, (series, steps)), axis=1) + rng.normal(
        0, 0.1, (series, 1)
    )
    return 100 * rng.uniform(1, 10, (series, 1)) + np.cumsum(growth, axis=1)


def test_smooth_trends_learn_weights_for_their_past_steps_and_beat_the_last_value():
    panel = list(_smooth_trends()[..., None])
    train = panel_windows(panel[:20], 24, 6)
    X, y = train.X, train.y
    chosen = choose_normalization("auto", spec_from_shapes(X.shape[1:], y.shape[1:]), X, y)
    assert chosen.base == SeasonalBase(1, weights=True)
    assert "past steps at each output step, starting at zero, is learned" in chosen.reason
    model = seqshape.SequenceModel(random_state=0).fit(X, y)
    test = panel_windows(panel[20:], 24, 6)  # series the model never saw
    X_test, y_test = test.X, test.y
    error = np.abs(model.predict(X_test) - y_test).mean()
    last_value = np.abs(X_test[:, -1:, :] - y_test).mean()
    assert error <= 0.5 * last_value


def test_a_trending_seasonal_series_beats_seasonal_naive_by_ten_percent():
    X, y = sliding_windows(_trending_seasonal()[:, None], 24, 6)
    train, test = slice(0, 280), slice(300, None)  # the test part beyond a gap
    model = seqshape.SequenceModel(random_state=0).fit(X[train], y[train])
    assert model.spec_.season == 12
    assert "corrections to the seasonal naive forecast of period 12" in str(model.explain())
    assert model.baseline_check_["best_baseline"] == "seasonal naive"  # its base, checked
    assert not model.baseline_check_["baseline_wins"]
    error = np.abs(model.predict(X[test]) - y[test]).mean()
    seasonal_naive = np.abs(X[test][:, 12:18, :] - y[test]).mean()
    assert error <= 0.9 * seasonal_naive


def test_a_seasonal_base_saves_loads_and_exports_as_code(tmp_path):
    X, y = sliding_windows(_trending_seasonal(200)[:, None], 24, 6)
    model = seqshape.SequenceModel(units=(4,), epochs=2, seasonal_base=12).fit(X, y)
    assert model.spec_.season == 12
    model.save(tmp_path / "model.seqshape")
    loaded = seqshape.load(tmp_path / "model.seqshape")
    assert loaded.spec_.season == 12
    np.testing.assert_array_equal(loaded.predict(X[:20]), model.predict(X[:20]))
    code = model.to_keras_code()
    assert "class SeasonalNaive" in code and "class SeasonalWeights" in code
    assert "(SeasonalWeights)" in str(model.explain())
    drifting = SeasonalBase(6, drift=True)  # asked for exactly, as a refit does
    model = seqshape.SequenceModel(units=(4,), epochs=2, seasonal_base=drifting).fit(X, y)
    assert model.spec_.seasonal_base == drifting
    assert "plus the window's change per season (set by seasonal_base)" in str(model.explain())
    model.save(tmp_path / "drift.seqshape")
    loaded = seqshape.load(tmp_path / "drift.seqshape")
    assert loaded.spec_.seasonal_base == drifting
    np.testing.assert_array_equal(loaded.predict(X[:20]), model.predict(X[:20]))


def test_a_seasonal_base_the_data_cannot_hold_is_refused():
    X, y = sliding_windows(_trending_seasonal(200)[:, None], 24, 6)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*24 steps"):
        seqshape.SequenceModel(seasonal_base=36, epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*normalization 'global'"):
        seqshape.SequenceModel(seasonal_base=12, normalization="global", epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*'auto', a whole number"):
        seqshape.SequenceModel(seasonal_base=0, epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*reads 26"):
        seqshape.SequenceModel(seasonal_base=SeasonalBase(13, drift=True), epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*SeasonalBase of whole"):
        seqshape.SequenceModel(seasonal_base=SeasonalBase(12, seasons=0), epochs=1).fit(X, y)
    with pytest.raises(InvalidInputError, match=r"`seasonal_base`.*drift with one season"):
        seqshape.SequenceModel(seasonal_base=SeasonalBase(6, 2, True), epochs=1).fit(X, y)
