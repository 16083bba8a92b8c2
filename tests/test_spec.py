"""Shapes -> spec: the rules of MISSION.md, the reasons, overrides and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from seqshape import InvalidInputError, InvalidTypeError, infer_spec, spec_from_shapes


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "topology", "strategy"),
    [
        ((3,), (), "one_to_one", "dense"),
        ((3,), (2,), "one_to_one", "dense"),
        ((1, 3), (), "one_to_one", "recurrent"),
        ((3,), (20, 1), "one_to_many", "repeat_vector"),
        ((40, 2), (), "many_to_one", "last_state"),
        ((40, 1), (10,), "many_to_one", "last_state"),
        ((40, 2), (40, 1), "many_to_many_aligned", "time_distributed"),
        ((40, 2), (10, 2), "many_to_many", "encoder_decoder"),
        ((5, 2), (8, 2), "many_to_many", "encoder_decoder"),
        ((6, 8, 8, 1), (), "spatio_temporal", "cnn_lstm"),
        ((6, 8, 8, 3), (6, 1), "spatio_temporal", "cnn_lstm"),
    ],
)
def test_topology_follows_from_shapes(x_shape, y_shape, topology, strategy):
    spec = spec_from_shapes(x_shape, y_shape)
    assert (spec.topology, spec.strategy) == (topology, strategy)


def test_seed_question_spec_and_reasons():
    spec = infer_spec(np.zeros((1200, 40, 2)), np.zeros((1200, 10, 2)))
    assert spec.input_steps == 40 and spec.input_features == 2
    assert spec.output_steps == 10 and spec.output_features == 2
    assert spec.task == "regression" and spec.per_step
    text = " ".join(spec.reasons)
    assert "40 steps of 2 features" in text
    assert "10 steps of 2 features" in text
    assert "different lengths" in text


def test_spec_is_immutable_and_round_trips_as_dict():
    spec = spec_from_shapes((40, 2), (10, 2))
    with pytest.raises(AttributeError):
        spec.topology = "many_to_one"
    assert spec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("y", "task", "classes"),
    [
        (np.array([0, 1, 0, 1]), "binary", 2),
        (np.array([True, False, True, True]), "binary", 2),
        (np.array([3, 7, 9, 3]), "multiclass", 3),
        (np.array([0.5, 1.5, 0.1, 2.0]), "regression", None),
    ],
)
def test_task_follows_from_y(y, task, classes):
    spec = infer_spec(np.zeros((4, 5, 1)), y)
    assert (spec.task, spec.n_classes) == (task, classes)


def test_integer_y_can_be_forced_to_regression():
    assert infer_spec(np.zeros((4, 3)), np.array([1, 2, 3, 4]), task="regression").task == (
        "regression"
    )


def test_tokens_need_vocabulary_size():
    X = np.array([[1, 2, 3], [4, 5, 6]])
    assert infer_spec(X, np.array([0, 1])).input_kind == "vector"
    tokens = infer_spec(X, np.array([0, 1]), vocabulary_size=10)
    assert (tokens.input_kind, tokens.topology, tokens.input_steps) == ("tokens", "many_to_one", 3)


@pytest.mark.parametrize(
    ("arguments", "argument", "pattern"),
    [
        ({"strategy": "last_steps", "y_shape": (8, 2)}, "strategy", "T_out <= T_in"),
        ({"strategy": "pad", "y_shape": (3, 2)}, "strategy", "T_out >= T_in"),
        ({"topology": "recurrent_magic"}, "topology", "many_to_one"),
        ({"topology": "many_to_one"}, "topology", "one output per sample"),
        ({"topology": "channel_independent", "y_shape": (3, 1)}, "topology", "same number"),
        ({"topology": "spatio_temporal"}, "topology", "images"),
        ({"strategy": "conv_lstm"}, "strategy", "encoder_decoder"),
    ],
)
def test_impossible_choices_are_refused_with_the_valid_ones(arguments, argument, pattern):
    shapes = {"x_shape": (5, 2), "y_shape": arguments.pop("y_shape", (3, 2))}
    with pytest.raises(InvalidInputError, match=pattern) as caught:
        spec_from_shapes(**shapes, **arguments)
    assert caught.value.argument == argument
    assert "expected" in str(caught.value) and "received" in str(caught.value)


@pytest.mark.parametrize(
    ("X", "y", "error", "pattern"),
    [
        (np.zeros((4, 2, 3, 4)), np.zeros(4), InvalidInputError, "Add a trailing axis"),
        (np.zeros((4, 5, 1)), np.zeros((4, 2, 3, 4)), InvalidInputError, "Flatten"),
        (np.zeros(4), np.zeros(4), InvalidInputError, "Reshape your data"),
        (np.zeros((4, 5, 1)), np.array([1, 1, 1, 1]), InvalidInputError, "1 class"),
        (np.zeros((4, 5, 1)), np.array([[0, 1]] * 4), InvalidInputError, "one class label"),
        (np.zeros((4, 5, 1)), np.array(["a", "b", "a", "b"]), InvalidTypeError, "LabelEncoder"),
        (np.zeros((4, 0, 1)), np.zeros(4), InvalidInputError, "0 step"),
    ],
)
def test_bad_shapes_and_labels(X, y, error, pattern):
    with pytest.raises(error, match=pattern):
        infer_spec(X, y)


def test_fractional_labels_refused_for_forced_classification():
    with pytest.raises(InvalidInputError, match="whole-number class labels"):
        infer_spec(np.zeros((4, 3)), np.array([0.5, 1.0, 0.0, 1.0]), task="binary")
