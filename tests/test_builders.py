"""Builders: the seeds' exact parameter counts, output shapes, registry, safe round trips."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from checks import assert_same_predictions

import seqshape
from seqshape import ArchitectureOptions, build_model, spec_from_shapes
from seqshape.errors import InvalidInputError


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "spec_arguments", "options", "expected"),
    [
        # LSTM(12, rs) -> LSTM(12, rs) -> LSTM(6) -> Dense(10) on (40, 1)
        ((40, 1), (10,), {}, {"units": (12, 12, 6)}, 2398),
        # the same univariate model shared by both channels of (40, 2) -> (10, 2)
        ((40, 2), (10, 2), {"topology": "channel_independent"}, {"units": (12, 12, 6)}, 2398),
        # LSTM stack -> Dense(20) -> Reshape((10, 2)) on (40, 2)
        ((40, 2), (10, 2), {"strategy": "dense_head"}, {"units": (12, 12, 6)}, 2516),
        # Embedding(5000, 32) -> LSTM(100) -> Dense(1, sigmoid)
        (
            (100,),
            (),
            {"task": "binary", "n_classes": 2, "vocabulary_size": 5000},
            {"units": (100,)},
            213301,
        ),
        # ... with Dense(7, softmax)
        (
            (100,),
            (),
            {"task": "multiclass", "n_classes": 7, "vocabulary_size": 5000},
            {"units": (100,)},
            213907,
        ),
        # the one-to-one echo: LSTM(5) on (1, 1) -> Dense(1)
        ((1, 1), (), {}, {"units": 5}, 146),
    ],
    ids=["stacked", "channel_independent", "dense_head", "imdb_binary", "imdb_7", "echo"],
)
def test_seed_parameter_counts(x_shape, y_shape, spec_arguments, options, expected):
    spec = spec_from_shapes(x_shape, y_shape, **spec_arguments)
    assert build_model(spec, ArchitectureOptions(**options)).count_params() == expected


def test_channel_independent_count_does_not_grow_with_channels():
    options = ArchitectureOptions(units=(12, 12, 6))
    counts = {
        channels: build_model(
            spec_from_shapes((40, channels), (10, channels), topology="channel_independent"),
            options,
        ).count_params()
        for channels in (1, 2, 7)
    }
    assert set(counts.values()) == {2398}


def _every_topology_and_strategy():
    """(x_shape, y_shape, topology, strategy) for every registered builder."""
    shapes = {
        "one_to_one": [((3,), ()), ((1, 3), (2,))],
        "one_to_many": [((3,), (7, 2))],
        "many_to_one": [((9, 2), ()), ((9, 2), (4,)), ((9, 2), (), "multiclass")],
        "many_to_many_aligned": [((9, 2), (9, 3))],
        "many_to_many": [((9, 2), (4, 3)), ((4, 2), (9, 3))],
        "channel_independent": [((9, 2), (4, 2)), ((4, 2), (9, 2))],
        "spatio_temporal": [((5, 6, 6, 1), ()), ((5, 6, 6, 2), (5, 1)), ((5, 6, 6, 1), (3, 2))],
    }
    for topology in seqshape.topologies():
        for strategy in seqshape.strategies(topology):
            for x_shape, y_shape, *task in shapes[topology]:
                classes = {"task": task[0], "n_classes": 3} if task else {}
                try:
                    spec = spec_from_shapes(
                        x_shape, y_shape, topology=topology, strategy=strategy, **classes
                    )
                except InvalidInputError:
                    continue  # e.g. last_steps with more output than input steps
                name = "-".join(map(str, (topology, strategy, x_shape, y_shape, *task)))
                yield pytest.param(spec, id=name)


ALL_SPECS = list(_every_topology_and_strategy())


def test_every_registered_builder_is_covered():
    covered = {(param.values[0].topology, param.values[0].strategy) for param in ALL_SPECS}
    registered = {(t, s) for t in seqshape.topologies() for s in seqshape.strategies(t)}
    assert covered == registered


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_output_shape_is_y_shape(spec):
    model = build_model(spec, ArchitectureOptions(units=(4, 3), filters=(4,)))
    # one unit per value for regression, one per class (or one sigmoid) for labels
    assert model.output_shape[1:] == (*spec.target_shape[:-1], spec.head_units)
    # the per-sample target shape holds y's values in y's own layout
    assert int(np.prod(spec.target_shape)) == int(np.prod(spec.output_shape or (1,)))


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_built_model_round_trips_in_safe_mode(spec, tmp_path):
    model = build_model(spec, ArchitectureOptions(units=(4,), filters=(4,)))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    sample = np.random.default_rng(0).normal(size=(2, *spec.input_shape)).astype("float32")
    if spec.input_kind == "tokens":
        sample = np.abs(sample).astype("int32")
    for saved_weight, loaded_weight in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved_weight, loaded_weight)
    assert_same_predictions(
        model.predict(sample, verbose=0),
        loaded.predict(sample, verbose=0),
        convolutional=spec.input_kind == "frames",
    )


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_cell_and_direction_options(cell, bidirectional):
    spec = spec_from_shapes((6, 2), (6, 1))
    model = build_model(
        spec, ArchitectureOptions(units=(5, 4), cell=cell, bidirectional=bidirectional)
    )
    recurrent = [
        layer
        for layer in model.layers
        if isinstance(getattr(layer, "forward_layer", layer), keras.layers.RNN)
    ]
    assert len(recurrent) == 2
    assert all(
        isinstance(layer, keras.layers.Bidirectional) == bidirectional for layer in recurrent
    )
    expected_cell = seqshape.builders.CELLS[cell]
    assert all(
        isinstance(getattr(layer, "forward_layer", layer), expected_cell) for layer in recurrent
    )


def test_stacked_units_give_that_many_layers():
    spec = spec_from_shapes((40, 1), (10,))
    model = build_model(spec, ArchitectureOptions(units=(12, 12, 6)))
    sizes = [layer.units for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    assert sizes == [12, 12, 6]


def test_no_lambda_layers_anywhere():
    for param in ALL_SPECS:
        model = build_model(param.values[0], ArchitectureOptions(units=(3,), filters=(2,)))
        assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)


def test_unknown_strategy_lists_the_valid_ones():
    with pytest.raises(InvalidInputError, match=r"'dense_head', 'encoder_decoder'"):
        spec_from_shapes((40, 2), (10, 2), strategy="teacher_forcing")


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("units", (), "units"),
        ("units", (4, 0), "units"),
        ("cell", "transformer", "'gru', 'lstm', 'simple_rnn'"),
        ("dropout", 1.5, "dropout"),
        ("bidirectional", "yes", "bidirectional"),
        ("embedding_dim", 0, "embedding_dim"),
    ],
)
def test_bad_architecture_options(field, value, pattern):
    with pytest.raises(seqshape.SeqShapeError, match=pattern):
        ArchitectureOptions(**{field: value})
