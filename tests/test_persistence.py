"""Saved models load safely: code-carrying or damaged files are refused, parameters are
checked and never carry a path, writes are atomic."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest
from sklearn.base import clone

import seqshape
from seqshape import ModelFileError, SequenceModel
from seqshape.persistence import read_model_file


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    X = np.random.default_rng(0).normal(size=(20, 6, 2))
    y = X[:, -2:, :].copy()
    model = SequenceModel(units=(3,), epochs=1).fit(X, y)
    path = tmp_path_factory.mktemp("saved") / "model.seqshape"
    model.save(path)
    return model, path, X


def _rewrite(source, target, replace: dict[str, bytes]):
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for name in original.namelist():
            copy.writestr(name, replace.get(name, original.read(name)))


def test_file_with_a_lambda_layer_is_refused(saved, tmp_path):
    _, path, _ = saved
    inputs = keras.Input((6, 2))
    outputs = keras.layers.Lambda(lambda x: x[:, -2:, :])(inputs)
    unsafe = tmp_path / "unsafe.keras"
    keras.Model(inputs, outputs).save(unsafe)
    crafted = tmp_path / "crafted.seqshape"
    _rewrite(path, crafted, {"model.keras": unsafe.read_bytes()})
    with pytest.raises(ModelFileError, match="safe mode refused"):
        seqshape.load(crafted)


def test_file_with_an_unknown_layer_class_is_refused(saved, tmp_path):
    _, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        model_bytes = archive.read("model.keras")
    inner = tmp_path / "inner.keras"
    inner.write_bytes(model_bytes)
    with zipfile.ZipFile(inner) as archive:
        config = json.loads(archive.read("config.json"))
        members = {name: archive.read(name) for name in archive.namelist()}
    config["config"]["layers"][1]["class_name"] = "EvilLayer"
    config["config"]["layers"][1]["module"] = "os"
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    crafted = tmp_path / "unknown.seqshape"
    _rewrite(path, crafted, {"model.keras": inner.read_bytes()})
    with pytest.raises(ModelFileError, match="could not be loaded"):
        seqshape.load(crafted)


def test_truncated_file_is_refused(saved, tmp_path):
    _, path, _ = saved
    truncated = tmp_path / "truncated.seqshape"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="not a readable seqshape file"):
        seqshape.load(truncated)


def test_zip_that_is_not_a_model_is_refused(tmp_path):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match=r"readme\.txt"):
        seqshape.load(other)


def test_state_from_another_format_version_is_refused(saved, tmp_path):
    _, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        state = json.loads(archive.read("seqshape.json"))
    state["format_version"] = 99
    future = tmp_path / "future.seqshape"
    _rewrite(path, future, {"seqshape.json": json.dumps(state).encode()})
    with pytest.raises(ModelFileError, match="format version 99"):
        seqshape.load(future)


def test_failed_save_leaves_nothing_and_keeps_the_old_file(saved, tmp_path, monkeypatch):
    model, path, _ = saved
    target = tmp_path / "model.seqshape"
    target.write_bytes(path.read_bytes())
    before = target.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(ModelFileError, match="disk full"):
        model.save(target)
    assert target.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.seqshape"]


def test_saved_file_is_plain_json_and_keras_no_pickle(saved):
    _, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["model.keras", "seqshape.json"]
        state = json.loads(archive.read("seqshape.json"))
    assert state["format_version"] == 2 and state["estimator"] == "SequenceModel"
    assert state["fitted"]["spec"]["topology"] == "many_to_many"


def _with_state(path, target, change) -> None:
    with zipfile.ZipFile(path) as archive:
        state = json.loads(archive.read("seqshape.json"))
    change(state)
    _rewrite(path, target, {"seqshape.json": json.dumps(state).encode()})


def test_a_folder_is_never_taken_from_a_file(saved, tmp_path):
    _, path, X = saved
    planted = tmp_path / "planted.seqshape"
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    _with_state(path, planted, lambda state: state["params"].update(checkpoint_dir=str(victim)))
    loaded = seqshape.load(planted)
    assert loaded.checkpoint_dir is None and clone(loaded).checkpoint_dir is None
    loaded.fit(X, X[:, -2:, :])  # a fit that checkpointed would remove its folder
    assert (victim / "thesis.txt").read_text() == "years of work"


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda state: state["params"].update(epochs=-1), "parameter that is not valid.*epochs"),
        (lambda state: state["params"].update(units="big"), "parameter that is not valid.*units"),
        (lambda state: state["params"].update(exec="rm -rf /"), "does not take"),
        (lambda state: state.update(params=[1, 2]), "incomplete state"),
        (lambda state: state.update(estimator="os.system"), "incomplete state"),
        (lambda state: state["fitted"].update(history="x"), "incomplete state"),
        (lambda state: state["fitted"].update(extra=1), "unknown learned attributes"),
        (lambda state: state["fitted"].pop("spec"), "incomplete state"),
    ],
)
def test_state_that_does_not_check_out_is_refused(saved, tmp_path, change, pattern):
    _, path, _ = saved
    crafted = tmp_path / "crafted.seqshape"
    _with_state(path, crafted, change)
    with pytest.raises(ModelFileError, match=pattern):
        seqshape.load(crafted)


def test_files_of_format_1_still_load(saved, tmp_path):
    model, path, X = saved

    def to_version_1(state):
        fitted = state.pop("fitted")
        state.pop("estimator")
        state.update(fitted, format_version=1, classes=None, classes_dtype=None)

    old = tmp_path / "old.seqshape"
    _with_state(path, old, to_version_1)
    assert read_model_file(old).format_version == 1
    loaded = seqshape.load(old)
    assert type(loaded) is SequenceModel and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
