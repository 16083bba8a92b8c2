"""class_weight: a rare class weighs in the loss in inverse proportion to its count."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

import seqshape
from seqshape.class_weights import IMBALANCE, choose_class_weight
from seqshape.errors import InvalidInputError


def _rare_steps(samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-step labels, 1 on about 5% of the steps, where the signal rises by one
    noise spread: a log with a few anomalous rows."""
    rng = np.random.default_rng(seed)
    y = (rng.random((samples, 30, 1)) < 0.05).astype(int)
    X = rng.normal(size=(samples, 30, 1)) + y
    return X, y


def test_a_rare_class_is_learned_with_balanced_weights_and_not_without():
    X, y = _rare_steps(400, seed=0)
    X_new, y_new = _rare_steps(200, seed=1)
    scores = {}
    for asked in ("auto", None):
        model = seqshape.SequenceClassifier(epochs=20, class_weight=asked, verbose=0)
        model.fit(X, y)
        scores[asked] = balanced_accuracy_score(y_new.ravel(), model.predict(X_new).ravel())
    # the majority class scores 0.5: unweighted, the model learns nothing else
    assert scores[None] < 0.55
    assert scores["auto"] > scores[None] + 0.1


def test_auto_weighs_classes_only_when_one_is_rare_and_says_why(tmp_path):
    X, y = _rare_steps(120, seed=0)
    model = seqshape.SequenceClassifier(epochs=2, verbose=0).fit(X, y)
    assert model.class_weights_[1] > IMBALANCE * model.class_weights_[0]
    assert any(reason.startswith("Class weights:") for reason in model.spec_.reasons)
    assert "Class weights:" in str(model.explain())
    model.save(tmp_path / "model.seqshape")
    loaded = seqshape.load(tmp_path / "model.seqshape")
    np.testing.assert_array_equal(loaded.class_weights_, model.class_weights_)
    # classes within IMBALANCE of each other (every suite set's) are left alike
    even = (np.arange(120) % 3 == 0).astype(int)  # one third of the samples
    rng = np.random.default_rng(0)
    alike = seqshape.SequenceClassifier(epochs=1, verbose=0).fit(
        rng.normal(size=(120, 8, 1)), even
    )
    assert alike.class_weights_ is None
    assert not any("Class weights" in reason for reason in alike.spec_.reasons)


def test_given_weights_are_taken_by_label():
    weights, reason = choose_class_weight(
        {"fault": 3.0}, np.array([0, 1, 1, 1]), 2, ["fault", "ok"]
    )
    assert weights.tolist() == [3.0, 1.0]
    assert reason == "Class weights: as given (class_weight), 'fault' x3."
    assert choose_class_weight(None, np.array([0, 1, 1, 1, 1, 1]), 2) == (None, "")
    balanced, _ = choose_class_weight("balanced", np.array([0, 1, 1, 1]), 2)
    assert balanced.tolist() == [2.0, 2 / 3]


@pytest.mark.parametrize(
    ("asked", "words"),
    [({"nope": 2.0}, "weights of the training classes"), ("bal", "'balanced'"), ({0: -1}, "dict")],
    ids=["unknown_label", "unknown_name", "negative"],
)
def test_bad_class_weights_are_clear_errors(asked, words):
    X, y = _rare_steps(20, seed=0)
    with pytest.raises(InvalidInputError, match="class_weight") as raised:
        seqshape.SequenceClassifier(epochs=1, class_weight=asked, verbose=0).fit(X, y)
    assert words in str(raised.value)
