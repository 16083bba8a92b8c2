"""Saved models load safely: code-carrying or damaged files are refused, writes are atomic."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest

import seqshape
from seqshape import ModelFileError, SequenceModel


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
    with pytest.raises(OSError, match="disk full"):
        model.save(target)
    assert target.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.seqshape"]


def test_saved_file_is_plain_json_and_keras_no_pickle(saved):
    _, path, _ = saved
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["model.keras", "seqshape.json"]
        state = json.loads(archive.read("seqshape.json"))
    assert state["spec"]["topology"] == "many_to_many"
