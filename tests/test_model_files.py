"""Model files are data: bounded reads, a state checked against its model, and a fuzz
test (edited bytes and swapped members give ModelFileError or identical predictions)."""

from __future__ import annotations

import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import seqshape
from seqshape import ModelFileError, SequenceClassifier, SequenceRegressor
from seqshape.persistence import LIMITS, write_model_file

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 5, 2))
Y = X[:, -1, 0] + 0.1 * RNG.normal(size=24)
LABELS = np.where(X[:, -1, 0] > 0, "up", "down")
FAST = {"units": (3,), "epochs": 1}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    regressor = SequenceRegressor(**FAST).fit(X, Y)
    classifier = SequenceClassifier(**FAST).fit(X, LABELS)
    regressor.save(folder / "regressor.seqshape")
    classifier.save(folder / "classifier.seqshape")
    wider = SequenceRegressor(**FAST).fit(RNG.normal(size=(24, 7, 2)), Y)
    wider.save(folder / "wider.seqshape")
    three = SequenceClassifier(**FAST).fit(X, np.array(["a", "b", "c"] * 8))
    three.save(folder / "three.seqshape")
    return folder, regressor, classifier


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _state(path) -> dict:
    return json.loads(_members(path)["seqshape.json"])


def _with_state(source, target, change) -> None:
    members = _members(source)
    state = json.loads(members["seqshape.json"])
    change(state)
    members["seqshape.json"] = json.dumps(state).encode()
    _write(target, members)


# -- bounded reads ------------------------------------------------------------------------


def _bomb(path, name: str, size: int, other: dict[str, bytes]) -> None:
    """A zip whose member ``name`` expands to ``size`` spaces from a few hundred KiB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in other.items():
            archive.writestr(member, data)
        with archive.open(name, "w", force_zip64=True) as handle:
            chunk = b" " * (16 * 2**20)
            for _ in range(size // len(chunk)):
                handle.write(chunk)


def test_a_state_zip_bomb_is_refused_from_the_directory_without_reading_it(files, tmp_path):
    folder, _, _ = files
    bomb = tmp_path / "bomb.seqshape"
    size = LIMITS["seqshape.json"] + 16 * 2**20
    model = _members(folder / "regressor.seqshape")["model.keras"]
    _bomb(bomb, "seqshape.json", size, {"model.keras": model})
    assert bomb.stat().st_size < 2**20  # about 80 KiB on disk
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=r"declares .* above the limit"):
        seqshape.load(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20  # nothing was decompressed


def test_a_bomb_under_the_limit_is_refused_by_its_expansion(tmp_path):
    bomb = tmp_path / "bomb.seqshape"
    _bomb(bomb, "seqshape.json", 32 * 2**20, {"model.keras": b"x"})
    with pytest.raises(ModelFileError, match="decompression bomb"):
        seqshape.load(bomb)


def test_a_bomb_inside_the_keras_model_is_refused(files, tmp_path):
    folder, _, _ = files
    members = _members(folder / "regressor.seqshape")
    inner = tmp_path / "inner.keras"
    _bomb(inner, "config.json", 48 * 2**20, {"model.weights.h5": b"", "metadata.json": b"{}"})
    members["model.keras"] = inner.read_bytes()
    crafted = tmp_path / "crafted.seqshape"
    _write(crafted, members)
    with pytest.raises(ModelFileError, match=r"config\.json"):
        seqshape.load(crafted)


def test_extra_members_inside_the_keras_model_are_refused(files, tmp_path):
    folder, _, _ = files
    members = _members(folder / "regressor.seqshape")
    inner = tmp_path / "inner.keras"
    _write(inner, {**_members_of_bytes(members["model.keras"]), "assets/run.sh": b"rm -rf /"})
    members["model.keras"] = inner.read_bytes()
    crafted = tmp_path / "crafted.seqshape"
    _write(crafted, members)
    with pytest.raises(ModelFileError, match="not a saved Keras model"):
        seqshape.load(crafted)


def _members_of_bytes(data: bytes) -> dict[str, bytes]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# -- the state against its model ------------------------------------------------------------


def _swap_model(files, source: str, model_from: str, target) -> None:
    folder, _, _ = files
    members = _members(folder / source)
    members["model.keras"] = _members(folder / model_from)["model.keras"]
    _write(target, members)


@pytest.mark.parametrize(
    ("state_of", "model_of", "pattern"),
    [
        ("classifier.seqshape", "regressor.seqshape", "loss|layers differ"),
        ("regressor.seqshape", "classifier.seqshape", "loss|layers differ"),
        ("regressor.seqshape", "wider.seqshape", "input shape"),
        ("wider.seqshape", "regressor.seqshape", "input shape"),
        ("three.seqshape", "classifier.seqshape", "output shape|layers differ"),
    ],
)
def test_a_state_on_another_model_is_refused(files, tmp_path, state_of, model_of, pattern):
    crafted = tmp_path / "crafted.seqshape"
    _swap_model(files, state_of, model_of, crafted)
    with pytest.raises(ModelFileError, match=f"do not match: .*({pattern})"):
        seqshape.load(crafted)


def _set(*keys, value):
    def change(state):
        target = state
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (_set("fitted", "x_scaler", "scale", value=[0.0, 1.0]), "incomplete state"),
        (_set("fitted", "x_scaler", "scale", value=[1.0, 1e300]), "incomplete state"),
        (_set("fitted", "y_scaler", "mean", value=[1e39]), "incomplete state"),
        (_set("fitted", "x_scaler", "mean", value=[0.0, 0.0, 0.0]), "incomplete state"),
        (
            _set("fitted", "x_scaler", value={"mean": [0.0] * 3, "scale": [1.0] * 3}),
            "x_scaler of 3 features",
        ),
        (_set("fitted", "y_scaler", value=None), "y_scaler missing"),
        (_set("fitted", "spec", "input_shape", value=[7, 2]), "contradict"),
        (
            lambda state: state["fitted"]["spec"].update(input_shape=[7, 2], input_steps=7),
            "input shape",
        ),
        (_set("fitted", "spec", "input_steps", value=7), "contradict"),
        (_set("fitted", "spec", "task", value="binary"), "classes"),
        (
            lambda state: state["fitted"]["spec"].update(
                topology="many_to_many", strategy="dense_head"
            ),
            "spec seqshape would not",
        ),
        # a pair no longer registered (an extension's code gone) still loads: its shapes,
        # loss and weights are checked
        (_set("fitted", "spec", "output_shape", value=[3]), "spec that its own shapes"),
        (
            lambda state: state["fitted"]["spec"].update(
                topology="gone", output_shape=[2], output_features=2
            ),
            "y_scaler of 1 features",
        ),
        (
            lambda state: (
                state["fitted"]["spec"].update(
                    topology="gone", output_shape=[2], output_features=2
                ),
                state["fitted"]["y_scaler"].update(mean=[0.0, 0.0], scale=[1.0, 1.0]),
            ),
            "output shape",
        ),
        (_set("fitted", "spec", "input_shape", value=["5", 2]), "contradict|would not"),
        (_set("fitted", "n_features_in", value=3), "n_features_in"),
        (_set("fitted", "feature_names_in", value=["a"]), "feature names"),
        (_set("fitted", "classes", value={"labels": ["a", "b"], "dtype": "<U1"}), "classes"),
        (_set("fitted", "spec", "normalization", value="global"), "target features"),
        (_set("fitted", "spec", "target_features", value=[5]), "target features"),
        (_set("fitted", "spec", "season", value=9), "seasonal base of 9"),
        (_set("fitted", "spec", "season", value=True), "seasonal base of True"),
        (_set("fitted", "spec", "season", value=3), "layers differ"),
        (_set("fitted", "spec", "base_seasons", value=2), "averaging 2 seasons"),
        (_set("fitted", "spec", "base_drift", value=True), "with drift True"),
        (_set("fitted", "spec", "base_drift", value="yes"), "with drift 'yes'"),
        (_set("fitted", "spec", "base_weights", value="yes"), "seasonal weights 'yes'"),
        (
            lambda state: state["fitted"]["spec"].update(
                base_weights=not state["fitted"]["spec"].get("base_weights", False)
            ),
            "layers differ",
        ),
        (_set("fitted", "spec", "ridge_share", value="half"), "a ridge share of 'half'"),
        (_set("fitted", "spec", "ridge_share", value=1.5), "a ridge share of 1.5"),
        (
            lambda state: state["fitted"]["spec"].update(
                ridge_share=None if state["fitted"]["spec"].get("ridge_share") is not None else 0.5
            ),
            "layers differ|a ridge share of 0.5",
        ),
        (_set("params", "units", value=[4]), "layers differ"),
        (_set("params", "cell", value="gru"), "layers differ"),
    ],
)
def test_a_state_that_contradicts_itself_or_its_model_is_refused(files, tmp_path, change, pattern):
    folder, _, _ = files
    crafted = tmp_path / "crafted.seqshape"
    _with_state(folder / "regressor.seqshape", crafted, change)
    with pytest.raises(ModelFileError, match=pattern):
        seqshape.load(crafted)


def test_a_model_with_nan_weights_is_refused(files, tmp_path):
    folder, _, _ = files
    loaded = seqshape.load(folder / "regressor.seqshape")
    weights = loaded.model_.get_weights()
    weights[-1].flat[0] = np.nan
    loaded.model_.set_weights(weights)
    state = _state(folder / "regressor.seqshape")
    crafted = tmp_path / "nan.seqshape"
    del state["format"], state["format_version"], state["keras_version"]
    write_model_file(crafted, loaded.model_, state)
    with pytest.raises(ModelFileError, match="NaN or infinite values in the weights"):
        seqshape.load(crafted)


def test_a_clone_of_a_loaded_model_is_a_fresh_unfitted_model(files, tmp_path):
    folder, regressor, _ = files
    crafted = tmp_path / "planted.seqshape"
    _with_state(
        folder / "regressor.seqshape",
        crafted,
        _set("params", "checkpoint_dir", value=str(tmp_path)),
    )
    fresh = clone(seqshape.load(crafted))
    assert fresh.get_params() == {**regressor.get_params(), "checkpoint_dir": None}
    assert not hasattr(fresh, "model_")


# -- fuzz ------------------------------------------------------------------------------------


def _predictions(path):
    return seqshape.load(path).predict(X[:4])


@pytest.fixture(scope="module")
def reference(files):
    folder, _, _ = files
    path = folder / "regressor.seqshape"
    return path.read_bytes(), _predictions(path)


edits = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(edits=edits, header_only=st.booleans())
def test_edited_bytes_give_model_file_error_or_identical_predictions(
    reference, tmp_path, edits, header_only
):
    original, expected = reference
    data = bytearray(original)
    # half the examples edit the zip's own structure (the last 300 bytes: the central
    # directory), where no checksum guards the edit
    region = 300 if header_only else len(data)
    for position, value in edits:
        data[len(data) - region + position % region] = value
    path = tmp_path / "edited.seqshape"
    path.write_bytes(bytes(data))
    try:
        predictions = _predictions(path)
    except ModelFileError:
        return
    np.testing.assert_array_equal(predictions, expected)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    source=st.sampled_from(["classifier", "three", "wider"]),
    member=st.sampled_from(["model.keras", "seqshape.json"]),
    swap_names=st.booleans(),
)
def test_swapped_members_give_model_file_error_or_identical_predictions(
    files, reference, tmp_path, source, member, swap_names
):
    folder, _, _ = files
    _, expected = reference
    members = _members(folder / "regressor.seqshape")
    if swap_names:
        state, model = members["seqshape.json"], members["model.keras"]
        members = {"model.keras": state, "seqshape.json": model}
    members[member] = _members(folder / f"{source}.seqshape")[member]
    path = tmp_path / "swapped.seqshape"
    _write(path, members)
    try:
        predictions = _predictions(path)
    except ModelFileError:
        return
    np.testing.assert_array_equal(predictions, expected)
