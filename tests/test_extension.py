"""Your own topology or strategy: registered, it fits, predicts, explains, saves and loads.

Every registration here is undone after each test (``temporary_registrations``), so the
built-in registry the other tests see is left as it was.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import seqshape
from seqshape.builders import (
    ArchitectureOptions,
    build_model,
    get_topology,
    register_builder,
    register_topology,
    spec_from_shapes,
    strategies,
    temporary_registrations,
    topologies,
    unregister_builder,
    unregister_topology,
)
from seqshape.builders.blocks import recurrent_stack, sample_head, step_head
from seqshape.builders.diagrams import chain, labels, links, row
from seqshape.errors import InvalidInputError

BUILT_IN = {topology: strategies(topology) for topology in topologies()}


@pytest.fixture(autouse=True)
def undo_registrations():
    with temporary_registrations():
        yield
    assert {topology: strategies(topology) for topology in topologies()} == BUILT_IN


def _register_mean_state(default_for: tuple[str, ...] = ()):
    """A many-to-many strategy with a reason but no diagram."""

    @register_builder(
        "many_to_many",
        "mean_state",
        default_for=default_for,
        summary="Layers: recurrent stack (every step) -> mean over steps -> "
        "RepeatVector(T_out) -> TimeDistributed(Dense).",
        reason=lambda spec: f"Strategy mean_state: the mean of {spec.input_steps} states.",
    )
    def mean_state(inputs, spec, options):
        x = recurrent_stack(inputs, options.units, options, sequences=True)  # (b, T_in, u)
        x = keras.layers.GlobalAveragePooling1D()(x)  # -> (b, u)
        x = keras.layers.RepeatVector(spec.output_steps)(x)  # -> (b, T_out, u)
        return step_head(x, spec)  # -> (b, T_out, K)


def _pooled_diagram(spec):
    steps = spec.input_steps
    return [
        row("X", labels("x", steps)),
        links(steps),
        chain("model", steps, tail="--> mean --> y"),
    ]


def _register_pooled_topology(priority: int = 10):
    """A topology that takes over sequence -> one value, with its own strategy."""
    register_topology(
        "pooled",
        title="pooled many-to-one",
        reason=lambda spec: f"The {spec.input_steps} states are averaged: pooled.",
        diagram=_pooled_diagram,
        chooses=lambda draft: draft.input_kind == "sequence" and not draft.per_step,
        priority=priority,
    )

    @register_builder("pooled", "mean", default_for=("sequence",), summary="Layers: mean.")
    def pooled_mean(inputs, spec, options):
        x = recurrent_stack(inputs, options.units, options, sequences=True)  # (b, T, u)
        x = keras.layers.GlobalAveragePooling1D()(x)  # -> (b, u)
        return sample_head(x, spec)  # -> (b, K)


def _fit_explain_save_load(model, X, y, tmp_path):
    model.fit(X, y)
    predictions = model.predict(X[:4])
    assert predictions.shape == (4, *y.shape[1:])
    text = str(model.explain())
    path = tmp_path / "model.seqshape"
    model.save(path)
    loaded = seqshape.load(path)
    np.testing.assert_allclose(loaded.predict(X[:4]), predictions, rtol=1e-5, atol=1e-6)
    assert str(loaded.explain()) == text
    return text


def test_a_registered_strategy_fits_explains_saves_and_loads(tmp_path):
    _register_mean_state()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 8, 2)).astype("float32")
    y = X[:, -3:, :1].copy()
    model = seqshape.SequenceModel(strategy="mean_state", units=(4,), epochs=2)
    text = _fit_explain_save_load(model, X, y, tmp_path)
    assert "Topology: many-to-many (different lengths), mean_state" in text
    assert "Strategy mean_state was asked for by name." in text
    assert "model   [many_to_many/mean_state]" in text  # the generic diagram
    assert "GlobalAveragePooling1D" in text


def test_a_registered_strategy_gives_its_reason_when_it_is_the_default():
    _register_mean_state(default_for=("sequence",))
    spec = spec_from_shapes((8, 2), (3, 1))
    assert spec.strategy == "mean_state"
    assert "Strategy mean_state: the mean of 8 states." in spec.reasons
    assert spec_from_shapes((8,), (3, 1), vocabulary_size=9).strategy == "encoder_decoder"
    unregister_builder("many_to_many", "mean_state")
    assert spec_from_shapes((8, 2), (3, 1)).strategy == "encoder_decoder"


def test_a_registered_topology_is_chosen_and_goes_end_to_end(tmp_path):
    _register_pooled_topology()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(24, 8, 2)).astype("float32")
    y = X.mean(axis=(1, 2))
    model = seqshape.SequenceModel(units=(4,), epochs=2)
    text = _fit_explain_save_load(model, X, y, tmp_path)
    assert model.spec_.topology == "pooled" and model.spec_.title == "pooled many-to-one, mean"
    assert "Topology: pooled many-to-one, mean" in text
    assert "  - The 8 states are averaged: pooled." in text
    assert "  model    [R]-->[R]-->[R]-->...-->[R]--> mean --> y" in text
    # the file still explains itself once the code that registered it is gone
    path = tmp_path / "model.seqshape"
    unregister_topology("pooled")
    orphan = str(seqshape.load(path).explain())
    assert "Topology: pooled many-to-one, mean" in orphan
    assert "model   [pooled/mean]" in orphan


def test_priority_decides_between_topologies_that_both_choose():
    _register_pooled_topology(priority=-1)
    assert spec_from_shapes((8, 2), ()).topology == "many_to_one"
    assert spec_from_shapes((8, 2), (), topology="pooled").reasons[2] == (
        "Topology pooled was asked for by name. The 8 states are averaged: pooled."
    )


def test_a_topology_registered_only_by_register_builder_works_by_name():
    @register_builder("sum_of_steps", "dense")
    def sum_of_steps(inputs, spec, options):
        x = keras.layers.Flatten()(inputs)  # (b, T, F) -> (b, T * F)
        return sample_head(x, spec)  # -> (b, K)

    spec = spec_from_shapes((5, 2), (), topology="sum_of_steps")
    assert spec.title == "sum_of_steps, dense"
    assert spec_from_shapes((5, 2), ()).topology == "many_to_one"  # never chosen by itself
    model = build_model(spec, ArchitectureOptions(units=(4,)))
    explanation = seqshape.explain_model(spec, model)
    assert explanation.diagram.splitlines()[2] == "model   [sum_of_steps/dense]"
    unregister_builder("sum_of_steps", "dense")
    assert "sum_of_steps" not in topologies()


def test_registering_twice_or_unknown_names_are_errors():
    with pytest.raises(RuntimeError, match="already registered"):
        register_builder("many_to_one", "last_state")(lambda inputs, spec, options: inputs)
    with pytest.raises(RuntimeError, match="already registered"):
        register_topology("many_to_one", title="t", reason=lambda spec: "r")
    with pytest.raises(InvalidInputError, match="auto"):
        register_builder("many_to_one", "auto")
    with pytest.raises(InvalidInputError, match="'many_to_one'"):
        unregister_topology("no_such_topology")
    with pytest.raises(InvalidInputError, match="'last_state'"):
        unregister_builder("many_to_one", "no_such_strategy")


SHAPES_OF_EVERY_TOPOLOGY = [
    ((3,), ()),
    ((3,), (4, 1)),
    ((9, 2), ()),
    ((9, 2), (9, 2)),
    ((9, 2), (4, 2)),
    ((5, 6, 6, 1), ()),
]


def test_every_built_in_topology_carries_its_knowledge():
    for name in topologies():
        topology = get_topology(name)
        assert topology.title and not topology.implicit
        spec = next(
            spec_from_shapes(x, y, topology=name)
            for x, y in SHAPES_OF_EVERY_TOPOLOGY
            if _serves(x, y, name)
        )
        assert spec.topology_title == topology.title
        assert topology.reason(spec) in spec.reasons[2]


def _serves(x_shape, y_shape, topology) -> bool:
    try:
        spec_from_shapes(x_shape, y_shape, topology=topology)
    except InvalidInputError:
        return False
    return True
