"""Variable-length sequences as people have them: NaN padding, ragged lists, any length."""

from __future__ import annotations

import numpy as np
import pytest

import seqshape
from seqshape import SequenceClassifier, SequenceRegressor, build_model, spec_from_shapes
from seqshape.builders import ArchitectureOptions
from seqshape.errors import InvalidInputError
from seqshape.fitted import FittedState
from seqshape.validation import NAN_PADDING, as_numeric_array

STEPS = 26


def _sequences(n: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``n`` sequences of 5..12 steps and 2 features; the class is in the content (the
    first feature rises for class 1, falls for class 0), not in the length."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    sequences = []
    for label in labels:
        length = int(rng.integers(5, 13))
        values = rng.normal(scale=0.5, size=(length, 2))
        values[:, 0] += (1.0 if label else -1.0) * np.linspace(0.0, 1.5, length)
        sequences.append(values)
    return sequences, labels


def _nan_padded(sequences: list[np.ndarray], steps: int = STEPS) -> np.ndarray:
    X = np.full((len(sequences), steps, sequences[0].shape[1]), np.nan)
    for index, sequence in enumerate(sequences):
        X[index, : len(sequence)] = sequence
    return X


SEQUENCES, LABELS = _sequences(200, seed=0)
X_PADDED = _nan_padded(SEQUENCES)
FAST = {"units": (8,), "random_state": 0, "strategy": "last_state"}


@pytest.fixture(scope="module")
def classifier():
    X = X_PADDED.copy()
    model = SequenceClassifier(epochs=25, **FAST).fit(X, LABELS)
    np.testing.assert_array_equal(X, X_PADDED)  # NaN compare equal here: not modified
    return model


def test_nan_right_padding_trains_masked_and_beats_the_majority(classifier):
    test_sequences, test_labels = _sequences(100, seed=1)
    accuracy = classifier.score(_nan_padded(test_sequences), test_labels)
    assert accuracy > 0.75  # the majority class gets 0.5
    assert classifier.spec_.mask_value == NAN_PADDING
    assert classifier.model_.input_shape == (None, None, 2)
    reasons = " ".join(classifier.spec_.reasons)
    assert "Steps whose features are all NaN are padding" in reasons
    assert "any number of steps" in reasons


def test_padded_to_26_or_29_steps_gives_the_same_predictions(classifier):
    X_29 = _nan_padded(SEQUENCES[:20], steps=29)
    np.testing.assert_allclose(
        classifier.predict_proba(X_29), classifier.predict_proba(X_PADDED[:20]), atol=1e-6
    )
    left = np.concatenate([np.full((20, 3, 2), np.nan), X_PADDED[:20]], axis=1)  # left padding
    np.testing.assert_allclose(
        classifier.predict_proba(left), classifier.predict_proba(X_PADDED[:20]), atol=1e-6
    )


def test_ragged_lists_are_padded_inside(classifier):
    as_lists = [sequence.tolist() for sequence in SEQUENCES[:20]]
    np.testing.assert_allclose(
        classifier.predict_proba(as_lists), classifier.predict_proba(X_PADDED[:20]), atol=1e-6
    )
    longer = [np.vstack([sequence, sequence]) for sequence in SEQUENCES[:3]]  # 10..24 steps
    assert classifier.predict(longer).shape == (3,)


def test_fit_on_a_ragged_list_with_mask_value_nan_leaves_it_unchanged(tmp_path):
    sequences = [sequence.copy() for sequence in SEQUENCES[:40]]
    model = SequenceClassifier(mask_value=np.nan, epochs=1, **FAST)
    model.fit(sequences, LABELS[:40])
    for before, after in zip(SEQUENCES[:40], sequences, strict=True):
        np.testing.assert_array_equal(before, after)
    assert np.isnan(model.get_params()["mask_value"])
    assert model.spec_.input_shape == (12, 2) and model.spec_.mask_value == NAN_PADDING
    assert model.predict(sequences[:4]).shape == (4,)
    assert spec_from_shapes((26, 2), (), mask_value=np.nan).mask_value == NAN_PADDING
    model.save(tmp_path / "nan.seqshape")  # the NaN parameter saved and read back
    assert np.isnan(seqshape.load(tmp_path / "nan.seqshape").get_params()["mask_value"])


def test_save_and_load_keep_nan_padding(classifier, tmp_path):
    path = tmp_path / "padded.seqshape"
    classifier.save(path)
    loaded = seqshape.load(path)
    assert loaded.spec_.mask_value == NAN_PADDING
    X_29 = _nan_padded(SEQUENCES[:10], steps=29)
    np.testing.assert_allclose(
        loaded.predict_proba(X_29), classifier.predict_proba(X_PADDED[:10]), atol=1e-6
    )


@pytest.mark.parametrize(
    ("where", "found"),
    [
        ((3, 2, 1), "NaN in 1 of 2 features at sample 3, step 2"),
        ((4, 1, slice(None)), "an all-NaN step between real steps at sample 4, step 1"),
    ],
)
def test_nan_inside_a_sequence_gets_a_clear_error(where, found):
    X = X_PADDED[:10].copy()
    X[where] = np.nan
    with pytest.raises(InvalidInputError) as caught:
        SequenceClassifier(epochs=1, **FAST).fit(X, LABELS[:10])
    message = str(caught.value)
    assert found in message
    assert "interpolate" in message and "pad whole steps" in message and "masked" in message


def test_ragged_sequences_laid_out_channels_first_get_the_transpose_as_fix():
    """aeon gives unequal-length sets as a list of (channels, steps) arrays."""
    rng = np.random.default_rng(0)
    channels_first = [rng.normal(size=(3, steps)) for steps in (7, 9, 7)]
    with pytest.raises(InvalidInputError, match=r"\[sequence.T for sequence in X\]"):
        as_numeric_array(channels_first, "X", padding=True)
    padded = as_numeric_array([sequence.T for sequence in channels_first], "X", padding=True)
    assert padded.shape == (3, 9, 3)
    with pytest.raises(InvalidInputError, match=r"^(?!.*sequence.T).*same feature columns"):
        as_numeric_array([rng.normal(size=(4, 2)), rng.normal(size=(5, 3))], "X", padding=True)


def test_a_sequence_of_padding_only_is_refused():
    X = X_PADDED[:6].copy()
    X[2] = np.nan
    with pytest.raises(InvalidInputError, match="sample 2 holds NaN or infinite values only"):
        as_numeric_array(X, "X", padding=True)


def test_errors_about_padded_data_point_to_masking(classifier):
    fixed = FittedState(spec=spec_from_shapes((26, 2), ()))  # fitted without padding
    with pytest.raises(InvalidInputError, match="padded data"):
        fixed.check_input(np.zeros((2, 29, 2)))  # other length
    with pytest.raises(InvalidInputError, match="without padding"):
        fixed.check_input(X_PADDED[:2])  # NaN steps to a model fitted without them
    cropped = FittedState(
        spec=spec_from_shapes((26, 2), (5, 1), strategy="last_steps", mask_value=-1)
    )
    with pytest.raises(InvalidInputError, match=r"Pad \(or cut\) the sequences to 26 steps"):
        cropped.check_input(np.zeros((2, 29, 2)))  # a strategy that needs 26 steps
    with pytest.raises(InvalidInputError, match="NaN in 1 of 2 features"):
        bad = X_PADDED[:2].copy()
        bad[1, 0, 0] = np.nan
        classifier.predict(bad)
    with pytest.raises(InvalidInputError, match="list of"):
        seqshape.SequenceModel().fit([[1.0, 2.0], [3.0]], [1.0, 2.0])


def test_any_length_input_only_where_the_strategy_allows():
    options = ArchitectureOptions(units=(4,))
    cases = {
        ((26, 2), ()): (None, 2),  # last_state
        ((26, 2), (26, 1)): (None, 2),  # time_distributed
        ((26, 2), (5, 1)): (None, 2),  # encoder_decoder
    }
    for (x_shape, y_shape), shape in cases.items():
        spec = spec_from_shapes(x_shape, y_shape, mask_value=np.nan)
        assert build_model(spec, options).input_shape[1:] == shape
    fixed = spec_from_shapes((26, 2), (5, 1), strategy="last_steps", mask_value=np.nan)
    assert build_model(fixed, options).input_shape[1:] == (26, 2)
    unmasked = spec_from_shapes((26, 2), ())
    assert build_model(unmasked, options).input_shape[1:] == (26, 2)


def test_aligned_outputs_follow_the_input_length():
    X = X_PADDED[:40, :12].copy()
    y = np.nan_to_num(X[..., :1])  # per-step targets; padded steps are masked in the loss
    model = SequenceRegressor(units=(4,), epochs=1, random_state=0).fit(X, y)
    longer = np.concatenate([X[:5], np.full((5, 3, 2), np.nan)], axis=1)
    predicted = model.predict(longer)
    assert predicted.shape == (5, 15, 1)
    np.testing.assert_allclose(predicted[:, :12], model.predict(X[:5]), atol=1e-5)
