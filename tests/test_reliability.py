"""Reliability: a catalogue of bad inputs, training that survives SIGKILL, properties."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqshape
from seqshape import SeqShapeError, SequenceModel, build_model, spec_from_shapes
from seqshape.checkpoint import read_latest
from seqshape.cli import main
from seqshape.tables import read_table
from seqshape.windowing import sliding_windows

RNG = np.random.default_rng(0)
X3 = RNG.normal(size=(20, 6, 2))
Y1 = RNG.normal(size=20)
Y3 = RNG.normal(size=(20, 3, 2))
LABELS = np.array([0, 1] * 10)
FAST = {"units": (3,), "epochs": 1}


def _with(array, index, value):
    numeric = isinstance(value, float)
    changed = array.astype(array.dtype if numeric else object).copy()
    changed[index] = value
    return changed


@pytest.fixture(scope="module")
def fitted():
    return SequenceModel(**FAST).fit(X3, Y1)


def _fit(X, y, **params):
    return SequenceModel(**{**FAST, **params}).fit(X, y)


def _csv(tmp_path, frame: pd.DataFrame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


TABLE = pd.DataFrame({"t": range(60), "a": np.arange(60.0), "b": np.arange(60.0)})

# id -> (inputs, action). `inputs` are compared before and after: nothing may change them.
API_CASES = {
    "X_rank_4": ({"X": RNG.normal(size=(20, 6, 2, 2)), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "X_rank_1": ({"X": RNG.normal(size=20), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "y_rank_4": ({"X": X3, "y": RNG.normal(size=(20, 2, 2, 2))}, lambda i: _fit(i["X"], i["y"])),
    "sample_counts_differ": ({"X": X3, "y": Y1[:15]}, lambda i: _fit(i["X"], i["y"])),
    "nan_in_X": ({"X": _with(X3, (3, 2, 1), np.nan), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "inf_in_X": ({"X": _with(X3, (0, 0, 0), np.inf), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "nan_in_y": ({"X": X3, "y": _with(Y1, 4, np.nan)}, lambda i: _fit(i["X"], i["y"])),
    "none_in_X": ({"X": _with(X3, (1, 1, 1), None), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "X_is_None": ({"y": Y1}, lambda i: _fit(None, i["y"])),
    "empty_X": ({"X": np.zeros((0, 6, 2)), "y": np.zeros(0)}, lambda i: _fit(i["X"], i["y"])),
    "zero_length_sequences": (
        {"X": np.zeros((20, 0, 2)), "y": Y1},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "zero_features": ({"X": np.zeros((20, 6, 0)), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "string_X": ({"X": np.full((20, 6, 2), "a"), "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "object_X_with_dicts": (
        {"X": _with(X3, (0, 0, 0), {"a": 1}), "y": Y1},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "complex_X": ({"X": X3 + 1j, "y": Y1}, lambda i: _fit(i["X"], i["y"])),
    "datetime_X": (
        {"X": np.zeros((20, 2), dtype="datetime64[s]"), "y": Y1},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "string_labels_for_regression": (
        {"X": X3, "y": np.array(["up", "down"] * 10)},
        lambda i: _fit(i["X"], i["y"], task="regression"),
    ),
    "mixed_label_types": (
        {"X": X3, "y": np.array(["up", 1] * 10, dtype=object)},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "missing_labels": (
        {"X": X3, "y": np.array(["up", None] * 10, dtype=object)},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "single_class": ({"X": X3, "y": np.ones(20, dtype=int)}, lambda i: _fit(i["X"], i["y"])),
    "several_labels_per_sample": (
        {"X": X3, "y": np.ones((20, 2), dtype=int)},
        lambda i: _fit(i["X"], i["y"]),
    ),
    "fractional_labels_for_binary": (
        {"X": X3, "y": Y1},
        lambda i: _fit(i["X"], i["y"], task="binary"),
    ),
    "ragged_lists": ({}, lambda i: _fit([[1.0, 2.0], [3.0]], [1.0, 2.0])),
    "sparse_X": ({}, lambda i: _fit(scipy.sparse.csr_matrix(np.eye(20)), Y1)),
    "units_zero": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], units=0)),
    "units_text": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], units="big")),
    "epochs_zero": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], epochs=0)),
    "epochs_fractional": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], epochs=2.5)),
    "batch_size_negative": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], batch_size=-4)),
    "dropout_one": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], dropout=1.0)),
    "learning_rate_negative": (
        {"X": X3, "y": Y1},
        lambda i: _fit(i["X"], i["y"], learning_rate=-1.0),
    ),
    "validation_fraction_above_one": (
        {"X": X3, "y": Y1},
        lambda i: _fit(i["X"], i["y"], validation_fraction=1.5),
    ),
    "unknown_topology": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], topology="star")),
    "unknown_strategy": ({"X": X3, "y": Y3}, lambda i: _fit(i["X"], i["y"], strategy="beam")),
    "unknown_cell": ({"X": X3, "y": Y1}, lambda i: _fit(i["X"], i["y"], cell="transformer")),
    "last_steps_longer_output": (
        {"X": X3, "y": RNG.normal(size=(20, 9, 2))},
        lambda i: _fit(i["X"], i["y"], strategy="last_steps"),
    ),
    "pad_shorter_output": ({"X": X3, "y": Y3}, lambda i: _fit(i["X"], i["y"], strategy="pad")),
    "channel_independent_channel_mismatch": (
        {"X": X3, "y": RNG.normal(size=(20, 3, 1))},
        lambda i: _fit(i["X"], i["y"], topology="channel_independent"),
    ),
    "many_to_one_with_sequence_y": (
        {"X": X3, "y": Y3},
        lambda i: _fit(i["X"], i["y"], topology="many_to_one"),
    ),
    "mask_value_on_vectors": (
        {"X": X3[:, 0, :], "y": Y1},
        lambda i: _fit(i["X"], i["y"], mask_value=0.0),
    ),
    "tokens_outside_vocabulary": (
        {"X": RNG.integers(0, 50, (20, 6)), "y": LABELS},
        lambda i: _fit(i["X"], i["y"], vocabulary_size=10),
    ),
    "validation_labels_unseen": (
        {"X": X3, "y": LABELS},
        lambda i: SequenceModel(**FAST).fit(
            i["X"], i["y"], validation_data=(i["X"][:4], np.array([0, 1, 2, 1]))
        ),
    ),
    "window_longer_than_series": (
        {"series": np.arange(30.0)},
        lambda i: sliding_windows(i["series"], 40, 10),
    ),
    "window_stride_zero": (
        {"series": np.arange(90.0)},
        lambda i: sliding_windows(i["series"], 40, 10, stride=0),
    ),
    "table_missing_column": ({"frame": TABLE}, lambda i: read_table(i["frame"], columns=["c"])),
    "table_mixed_types": (
        {"frame": TABLE.assign(a=["1.5", "x"] * 30)},
        lambda i: read_table(i["frame"], columns=["a"]),
    ),
    "table_unsorted_time": (
        {"frame": TABLE.iloc[::-1]},
        lambda i: read_table(i["frame"], columns=["a"], time_column="t"),
    ),
    "table_duplicate_time": (
        {"frame": TABLE.assign(t=[0, 0, *range(2, 60)])},
        lambda i: read_table(i["frame"], columns=["a"], time_column="t"),
    ),
}

FITTED_CASES = {
    "predict_other_feature_count": lambda model: model.predict(np.zeros((2, 6, 3))),
    "predict_other_step_count": lambda model: model.predict(np.zeros((2, 9, 2))),
    "predict_with_nan": lambda model: model.predict(_with(X3, (0, 0, 0), np.nan)),
    "predict_proba_of_a_regressor": lambda model: model.predict_proba(X3),
}


def _snapshot(inputs):
    return copy.deepcopy(inputs)


def _assert_unchanged(before, after):
    for name, value in before.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(after[name], value)
        else:
            np.testing.assert_array_equal(np.asarray(after[name]), np.asarray(value))


def _assert_clear(error: SeqShapeError):
    assert error.argument and error.expected and error.received and error.fix
    text = str(error)
    assert text.startswith(f"Invalid `{error.argument}`: expected ")
    assert "; received " in text


@pytest.mark.parametrize("case", list(API_CASES), ids=list(API_CASES))
def test_bad_input_catalogue(case):
    inputs, action = API_CASES[case]
    before = _snapshot(inputs)
    with pytest.raises(SeqShapeError) as caught:
        action(inputs)
    _assert_clear(caught.value)
    _assert_unchanged(before, inputs)


@pytest.mark.parametrize("case", list(FITTED_CASES), ids=list(FITTED_CASES))
def test_bad_input_to_a_fitted_model(case, fitted):
    if case == "predict_proba_of_a_regressor":
        # scikit-learn's convention: a regressor has no predict_proba at all
        assert not hasattr(fitted, "predict_proba")
        return
    with pytest.raises(SeqShapeError) as caught:
        FITTED_CASES[case](fitted)
    _assert_clear(caught.value)


def test_predict_before_fit_and_bad_model_files(tmp_path, fitted):
    with pytest.raises(SeqShapeError) as caught:
        SequenceModel().predict(X3)
    _assert_clear(caught.value)
    path = tmp_path / "model.seqshape"
    fitted.save(path)
    (tmp_path / "truncated.seqshape").write_bytes(path.read_bytes()[:500])
    (tmp_path / "text.seqshape").write_text("not a model")
    for bad in ("truncated.seqshape", "text.seqshape", "missing.seqshape"):
        with pytest.raises(SeqShapeError) as caught:
            seqshape.load(tmp_path / bad)
        _assert_clear(caught.value)


def test_checkpoint_of_another_fit_starts_over_saying_why(tmp_path):
    folder = tmp_path / "checkpoint"
    interrupted = SequenceModel(units=(3,), epochs=2, checkpoint_dir=str(folder))
    from seqshape.checkpoint import EpochCheckpoint

    original = EpochCheckpoint.on_epoch_end

    def stop_after_saving(self, epoch, logs=None):
        original(self, epoch, logs)
        raise KeyboardInterrupt

    EpochCheckpoint.on_epoch_end = stop_after_saving
    try:
        with pytest.raises(KeyboardInterrupt):
            interrupted.fit(X3, Y1)
    finally:
        EpochCheckpoint.on_epoch_end = original
    assert read_latest(folder)["epoch"] == 1
    with pytest.warns(UserWarning, match="not resumed: the settings differ"):
        model = SequenceModel(units=(4,), epochs=2, checkpoint_dir=str(folder)).fit(X3, Y1)
    assert model.n_epochs_ == 2 and not folder.exists()


CLI_CASES = {
    "explain_impossible_strategy": [
        "explain",
        "--x-shape",
        "10,5,1",
        "--y-shape",
        "10,8,1",
        "--strategy",
        "last_steps",
    ],
    "explain_samples_differ": ["explain", "--x-shape", "10,5,1", "--y-shape", "12,8,1"],
    "fit_missing_column": ["fit", "{csv}", "--target", "c", "--out", "{out}"],
    "fit_text_column": ["fit", "{text_csv}", "--target", "a", "--out", "{out}"],
    "fit_window_longer_than_series": [
        "fit",
        "{csv}",
        "--target",
        "a",
        "--input-steps",
        "80",
        "--out",
        "{out}",
    ],
    "fit_unsorted_time": [
        "fit",
        "{unsorted_csv}",
        "--target",
        "a",
        "--time-column",
        "t",
        "--out",
        "{out}",
    ],
    "fit_empty_file": ["fit", "{empty_csv}", "--target", "a", "--out", "{out}"],
    "fit_unknown_cell": [
        "fit",
        "{csv}",
        "--target",
        "a",
        "--input-steps",
        "10",
        "--output-steps",
        "2",
        "--cell",
        "lsmt",
        "--out",
        "{out}",
    ],
    "predict_with_a_folder_that_is_not_a_run": ["predict", "{tmp}", "{csv}"],
}


@pytest.mark.parametrize("case", list(CLI_CASES), ids=list(CLI_CASES))
def test_bad_command_lines_exit_2_with_a_clear_message(case, tmp_path, capsys):
    files = {
        "csv": _csv(tmp_path, TABLE),
        "text_csv": _csv(tmp_path, TABLE.assign(a=["x"] * 60), "text.csv"),
        "unsorted_csv": _csv(tmp_path, TABLE.iloc[::-1], "unsorted.csv"),
        "empty_csv": tmp_path / "empty.csv",
        "out": tmp_path / "run",
        "tmp": tmp_path,
    }
    files["empty_csv"].write_text("")
    arguments = [part.format(**files) for part in CLI_CASES[case]]
    assert (
        main(
            [*arguments, *(["--epochs", "1", "--verbose", "0"] if case.startswith("fit") else [])]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("seqshape: error: Invalid `") and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_catalogue_size():
    total = len(API_CASES) + len(FITTED_CASES) + len(CLI_CASES) + 4  # + model files, ckpt
    assert total >= 40


# -- training that survives SIGKILL ---------------------------------------------------

HELPER = Path(__file__).with_name("fit_until_killed.py")


def _run_to_end(folder, epochs):
    finished = subprocess.run(
        [sys.executable, str(HELPER), str(folder), str(epochs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = finished.stdout.splitlines()
    epochs_run = [int(line.split()[1]) for line in lines if line.startswith("EPOCH")]
    _, n_epochs, history, score = next(line for line in lines if line.startswith("DONE")).split()
    return epochs_run, int(n_epochs), int(history), float(score)


def test_fit_killed_with_sigkill_resumes_losing_at_most_one_epoch(tmp_path):
    epochs = 10
    folder = tmp_path / "checkpoint"
    process = subprocess.Popen(
        [sys.executable, str(HELPER), str(folder), str(epochs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    last_announced = 0
    for line in process.stdout:
        if line.startswith("EPOCH"):
            last_announced = int(line.split()[1])
            if last_announced >= 4:
                os.kill(process.pid, signal.SIGKILL)
                break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    committed = read_latest(folder)["epoch"]
    assert last_announced - committed <= 1  # at most the epoch in progress is lost
    assert not list(folder.glob(".*.partial"))  # nothing half-written looks whole

    resumed_epochs, n_epochs, history, resumed_score = _run_to_end(folder, epochs)
    assert resumed_epochs[0] == committed + 1
    assert resumed_epochs[-1] == epochs and n_epochs == epochs and history == epochs
    assert not folder.exists()  # removed once the fit completed

    _, _, _, uninterrupted_score = _run_to_end(tmp_path / "fresh", epochs)
    assert resumed_score >= uninterrupted_score - 0.05


# -- properties -----------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=6)


@st.composite
def valid_shapes(draw):
    kind = draw(st.sampled_from(["vector", "sequence", "frames"]))
    x_shape = {
        "vector": (draw(sizes),),
        "sequence": (draw(sizes), draw(sizes)),
        "frames": (draw(sizes), draw(st.integers(2, 5)), draw(st.integers(2, 5)), draw(sizes)),
    }[kind]
    y_kind = draw(st.sampled_from(["value", "vector", "sequence"]))
    y_shape = {"value": (), "vector": (draw(sizes),), "sequence": (draw(sizes), draw(sizes))}[
        y_kind
    ]
    return x_shape, y_shape


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_shapes())
def test_built_model_output_always_matches_y(shapes):
    x_shape, y_shape = shapes
    spec = spec_from_shapes(x_shape, y_shape)
    model = build_model(spec, seqshape.ArchitectureOptions(units=(2,), filters=(2,)))
    assert model.output_shape[1:] == spec.target_shape
    assert int(np.prod(model.output_shape[1:])) == int(np.prod(y_shape or (1,)))


names = st.sampled_from([*seqshape.topologies(), "auto", "nonsense"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-2, 7), max_size=6).map(tuple),
    st.lists(st.integers(-2, 7), max_size=4).map(tuple),
    names,
    st.sampled_from(
        [
            "auto",
            "encoder_decoder",
            "last_steps",
            "pad",
            "dense_head",
            "cnn_lstm",
            "dense",
            "nonsense",
        ]
    ),
    st.sampled_from(["regression", "binary", "multiclass", "ranking"]),
)
def test_any_shapes_give_a_spec_or_a_seqshape_error(x_shape, y_shape, topology, strategy, task):
    try:
        spec = spec_from_shapes(
            x_shape, y_shape, topology=topology, strategy=strategy, task=task, n_classes=3
        )
    except SeqShapeError as error:
        _assert_clear(error)
    else:
        assert spec.input_shape == x_shape and spec.output_shape == y_shape
