"""scikit-learn sees what each estimator is: its checks pass for all three, classifiers
stratify, text labels come back as text, parameters come from one table."""

from __future__ import annotations

import inspect
import pydoc
from dataclasses import fields

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate
from sklearn.utils.estimator_checks import parametrize_with_checks

import seqshape
from seqshape import (
    ArchitectureOptions,
    InvalidInputError,
    SequenceClassifier,
    SequenceModel,
    SequenceRegressor,
)
from seqshape.cli import _model_params, build_parser
from seqshape.params import PARAMS, check_params, params_of

# Small, yet enough to pass scikit-learn's training-score thresholds (0.83 accuracy on
# blobs, R^2 0.5) without claiming a poor score.
CHECKED = {"units": (4,), "epochs": 5, "learning_rate": 0.05}
ESTIMATORS = (SequenceModel, SequenceClassifier, SequenceRegressor)


@parametrize_with_checks([cls(**CHECKED) for cls in ESTIMATORS])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_what_scikit_learn_sees():
    assert is_classifier(SequenceClassifier()) and not is_regressor(SequenceClassifier())
    assert is_regressor(SequenceRegressor()) and not is_classifier(SequenceRegressor())
    # the shape-driven model learns its task from y: scikit-learn cannot know it
    assert not is_classifier(SequenceModel()) and not is_regressor(SequenceModel())
    assert not hasattr(SequenceRegressor(), "predict_proba")
    assert hasattr(SequenceClassifier(), "predict_proba")


def _sequences(samples=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, 6, 2))
    labels = np.where(X[:, -1, 0] > 0, "up", "down")
    return X, labels


@pytest.mark.parametrize("cls", [SequenceModel, SequenceClassifier])
@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(lambda text: text, id="text"),
        pytest.param(lambda text: text.astype(object), id="object"),
        pytest.param(lambda text: np.where(text == "up", 2.0, -1.0), id="whole_floats"),
    ],
)
def test_labels_are_given_back(cls, labels):
    X, text = _sequences()
    y = labels(text)
    if cls is SequenceModel and y.dtype.kind == "f":
        pytest.skip("float y is regression for the shape-driven model")
    model = cls(units=(3,), epochs=1).fit(X, y)
    assert model.spec_.task == "binary"
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    predicted = model.predict(X)
    assert predicted.dtype == model.classes_.dtype
    assert set(predicted) <= set(y)
    assert model.predict_proba(X).shape == (len(X), 2)
    assert 0.0 <= model.score(X, y) <= 1.0


def test_per_step_text_labels():
    X, _ = _sequences()
    y = np.where(X[..., :1] > 0, "pos", "neg")  # (samples, steps, 1)
    model = SequenceClassifier(units=(3,), epochs=1).fit(X, y)
    assert model.spec_.topology == "many_to_many_aligned"
    assert model.predict(X).shape == y.shape and model.predict(X).dtype.kind == "U"


def test_column_vector_labels_warn_and_are_flattened():
    X, text = _sequences()
    with pytest.warns(UserWarning, match="column-vector y"):
        model = SequenceClassifier(units=(3,), epochs=1).fit(X, text[:, None])
    assert model.predict(X).shape == (len(X),)


def test_regressor_refuses_labels_and_classifier_refuses_continuous_targets():
    X, text = _sequences()
    with pytest.raises(seqshape.InvalidTypeError, match="numbers for regression"):
        SequenceRegressor(units=(3,), epochs=1).fit(X, text)
    with pytest.raises(InvalidInputError, match="Unknown label type: continuous"):
        SequenceClassifier(units=(3,), epochs=1).fit(X, X[:, -1, 0])


def test_cross_validation_of_a_classifier_stratifies():
    X, text = _sequences(samples=30)
    order = np.argsort(text, kind="stable")  # sorted labels: unstratified folds split badly
    X, y = X[order], text[order]
    classifier = SequenceClassifier(units=(3,), epochs=1)
    assert isinstance(check_cv(3, y, classifier=is_classifier(classifier)), StratifiedKFold)
    result = cross_validate(classifier, X, y, cv=3, return_indices=True)
    assert len(result["test_score"]) == 3
    for test_rows in result["indices"]["test"]:
        assert set(y[test_rows]) == {"down", "up"}  # every fold holds both classes


# -- one parameter table -----------------------------------------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_signature_docs_and_params_come_from_the_table(cls):
    left_out = {SequenceModel: (), SequenceClassifier: ("task",)}.get(
        cls,
        ("task", "class_weight"),  # a regressor has no classes to weigh
    )
    names = [param.name for param in PARAMS if param.name not in left_out]
    signature = inspect.signature(cls)
    assert list(signature.parameters) == names
    assert all(signature.parameters[p].default == cls().get_params()[p] for p in names)
    assert all(f"    {name}: " in cls.__doc__ for name in names)
    assert "Attributes (after ``fit``)" in cls.__doc__
    assert f"{cls.__name__}(" in pydoc.render_doc(cls)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        cls(colour="red")


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_get_params_clone_set_params_and_repr(cls):
    model = cls(units=(8, 4), epochs=3)
    assert model.get_params()["units"] == (8, 4)
    assert repr(model) == f"{cls.__name__}(epochs=3, units=(8, 4))"
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert copy.set_params(cell="gru") is copy and copy.cell == "gru"
    assert model.cell == "lstm"
    positional = cls("auto", "auto")  # scikit-learn allows positional parameters
    assert positional.topology == positional.strategy == "auto"


def test_architecture_options_are_the_architecture_group():
    assert [item.name for item in fields(ArchitectureOptions)] == [
        param.name for param in params_of("architecture")
    ]
    assert ArchitectureOptions().units == (32,)
    with pytest.raises(InvalidInputError, match="`dropout`"):
        ArchitectureOptions(dropout=1.0)


def test_every_value_is_checked_when_fitting():
    X, text = _sequences()
    for name, bad in (("embedding_dim", 0), ("mask_value", float("inf")), ("filters", ())):
        with pytest.raises(seqshape.SeqShapeError, match=f"`{name}`"):
            SequenceClassifier(**{name: bad}).fit(X, text)
    with pytest.raises(seqshape.SeqShapeError, match="`checkpoint_dir`"):
        SequenceModel(checkpoint_dir=3).fit(X, text)
    with pytest.raises(InvalidInputError, match="`colour`"):
        check_params({"colour": "red"})


def test_command_line_options_come_from_the_table():
    command = "fit data.csv --target a --out run --units 8,4 --seed 3 --dropout 0.1"
    args = build_parser().parse_args([*command.split(), "--filters", "4", "--no-checkpoint"])
    params = _model_params(args)
    flagged = [param.name for param in PARAMS if param.flag is not None]
    assert set(params) == {*flagged, "checkpoint_dir"}
    assert params["units"] == (8, 4) and params["random_state"] == 3
    assert params["dropout"] == 0.1 and params["filters"] == (4,) and params["verbose"] == 1
    assert params["checkpoint_dir"] is None
    SequenceModel(**params)  # every option is a parameter
    demo = _model_params(build_parser().parse_args(["demo", "--epochs", "3"]))
    assert demo == {"epochs": 3, "random_state": 0, "verbose": 1}
