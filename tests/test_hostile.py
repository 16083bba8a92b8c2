"""A catalogue of hostile inputs over the API, model files, the command line and signals.

Each case is filed under the verdict it would earn if it failed:

- ``unclear``: a raw or misleading error instead of a seqshape error that names the
  argument, what was expected, what was received and the fix;
- ``silent``: a wrong result given silently (NaN predictions, a mismatched model, a
  resume on other data);
- ``traceback``: the command line crashes with a traceback instead of exit 2 and one line;
- ``leftover``: a partial file or folder left behind;
- ``unsafe``: a file that deletes, runs or swallows what it should not.

Every case also checks that the inputs it was given are unchanged. Count the verdicts
of a run with ``python -m pytest tests/test_hostile.py -q -rf`` (failed ids start with
their verdict).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from checks import start_fit
from sklearn.base import clone

import seqshape
from seqshape import ModelFileError, SeqShapeError, SequenceClassifier, SequenceModel
from seqshape.cli import main

RNG = np.random.default_rng(7)
X = RNG.normal(size=(24, 5, 2))
Y = X[:, -1, 0] + 0.1 * RNG.normal(size=24)
Y_SEQ = X[:, -2:, :].copy()
LABELS = np.where(X[:, -1, 0] > 0, "up", "down")
FAST = {"units": (2,), "epochs": 1}


@dataclass
class Context:
    """What a case may use: a private folder, captured output, shared fitted models."""

    tmp: Path
    capsys: pytest.CaptureFixture
    monkeypatch: pytest.MonkeyPatch
    shared: dict = field(default_factory=dict)


# -- assertions -----------------------------------------------------------------------------


def clear_error(action: Callable[[], object], pattern: str = "") -> SeqShapeError:
    """``action`` raises a seqshape error with all four parts, matching ``pattern``."""
    with pytest.raises(SeqShapeError) as caught:
        action()
    error = caught.value
    assert error.argument and error.expected and error.received and error.fix
    assert str(error).startswith(f"Invalid `{error.argument}`: expected ")
    if pattern:
        assert pattern.lower() in str(error).lower(), str(error)
    return error


def cli(context: Context, *arguments: str, code: int = 2) -> str:
    """Run the command line in-process: the exit code, one line on stderr, no traceback."""
    result = main([str(a) for a in arguments])
    err = context.capsys.readouterr().err
    assert "Traceback" not in err, err
    assert result == code, err
    if code == 2:
        lines = [line for line in err.splitlines() if line.startswith("seqshape: error")]
        assert len(lines) == 1, err
    return err


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def fitted(context: Context, kind: str = "regressor"):
    if kind not in context.shared:
        model = {
            "regressor": lambda: SequenceModel(**FAST).fit(X, Y),
            "classifier": lambda: SequenceClassifier(**FAST).fit(X, LABELS),
            "wide": lambda: SequenceModel(**FAST).fit(RNG.normal(size=(24, 7, 2)), Y),
        }[kind]()
        path = context.shared["folder"] / f"{kind}.seqshape"
        model.save(path)
        context.shared[kind] = (model, path)
    return context.shared[kind]


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path: Path, content: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in content.items():
            archive.writestr(name, data)


def edited_state(context: Context, change: Callable[[dict], None], kind="regressor") -> Path:
    _, path = fitted(context, kind)
    content = members(path)
    state = json.loads(content["seqshape.json"])
    change(state)
    content["seqshape.json"] = json.dumps(state).encode()
    crafted = context.tmp / "crafted.seqshape"
    write_members(crafted, content)
    return crafted


def refused(path: Path, pattern: str = "") -> None:
    error = clear_error(lambda: seqshape.load(path), pattern)
    assert isinstance(error, ModelFileError)


def finite_or_refused(action: Callable[[], np.ndarray]) -> None:
    """A wrong result is never given silently: a seqshape error, or finite values."""
    try:
        result = action()
    except SeqShapeError:
        return
    assert np.isfinite(np.asarray(result, dtype=np.float64)).all(), "NaN given silently"


def csv(context: Context, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = context.tmp / name
    frame.to_csv(path, index=False)
    return path


SERIES = pd.DataFrame({"t": np.arange(80), "a": np.sin(np.arange(80) / 4)})
FIT = ("--target", "a", "--input-steps", "6", "--output-steps", "2", "--epochs", "1")
FIT = (*FIT, "--verbose", "0", "--units", "2")


def run_folder(context: Context) -> Path:
    if "run" not in context.shared:
        data = csv(context, SERIES, "series.csv")
        out = context.shared["folder"] / "run"
        cli(context, "fit", data, *FIT, "--out", out, code=0)
        context.shared["run"] = out
    return context.shared["run"]


def copy_run(context: Context) -> Path:
    import shutil

    target = context.tmp / "run_copy"
    shutil.copytree(run_folder(context), target)
    return target


def interrupted_checkpoint(context: Context, X=X, y=Y, **params) -> Path:
    """A checkpoint folder of a fit of X, y stopped after epoch 1 (as if killed)."""
    folder = context.tmp / "checkpoint"
    model = SequenceModel(**{**FAST, "epochs": 3, **params}, checkpoint_dir=str(folder))

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (folder / "latest").is_file():
                raise KeyboardInterrupt

    original = keras.Model.fit

    def fit_then_stop(self, *args, callbacks=(), **kwargs):
        return original(self, *args, callbacks=[*callbacks, Stop()], **kwargs)

    with context.monkeypatch.context() as patch:
        patch.setattr(keras.Model, "fit", fit_then_stop)
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
    assert (folder / "latest").is_file()
    return folder


# -- the catalogue ----------------------------------------------------------------------------

CASES: dict[str, Callable[[Context], None]] = {}


def case(verdict: str, name: str, inputs: dict | None = None):
    """Register ``action(context, **inputs)``; its inputs are compared before and after."""

    def register(action):
        def run(context):
            given = inputs or {}
            before = copy.deepcopy(given)
            action(context, **given)
            for key, value in before.items():
                if isinstance(value, pd.DataFrame):
                    pd.testing.assert_frame_equal(given[key], value)
                else:
                    np.testing.assert_array_equal(np.asarray(given[key]), np.asarray(value))

        CASES[f"{verdict}-{name}"] = run
        return action

    return register


def fit_case(verdict, name, pattern="", **params):
    """A fit of X, Y with ``params`` that must give a clear error."""
    case(verdict, name, {"X": X, "y": Y})(
        lambda c, X, y: clear_error(lambda: SequenceModel(**{**FAST, **params}).fit(X, y), pattern)
    )


def data_case(verdict, name, X_value, y_value, pattern=""):
    """A fit of the given data that must give a clear error."""
    case(verdict, name, {"X": X_value, "y": y_value})(
        lambda c, X, y: clear_error(lambda: SequenceModel(**FAST).fit(X, y), pattern)
    )


# unclear errors: parameters
fit_case("unclear", "seed_above_32_bits", "random_state", random_state=2**40)
fit_case("unclear", "seed_2_to_the_32", "random_state", random_state=2**32)
fit_case("unclear", "seed_negative", "random_state", random_state=-1)
fit_case("unclear", "seed_text", "random_state", random_state="7")
fit_case("unclear", "seed_float", "random_state", random_state=1.5)
fit_case("unclear", "learning_rate_inf", "learning_rate", learning_rate=float("inf"))
fit_case("unclear", "learning_rate_nan", "learning_rate", learning_rate=float("nan"))
fit_case("unclear", "learning_rate_bool", "learning_rate", learning_rate=True)
fit_case("unclear", "dropout_nan", "dropout", dropout=float("nan"))
fit_case("unclear", "validation_fraction_nan", "validation_fraction", validation_fraction=np.nan)
fit_case("unclear", "batch_size_bool", "batch_size", batch_size=True)
fit_case("unclear", "units_empty", "units", units=())
fit_case("unclear", "units_negative_layer", "units", units=(3, -1))
fit_case("unclear", "epochs_float_inf", "epochs", epochs=float("inf"))
fit_case("unclear", "mask_value_inf", "mask_value", mask_value=float("inf"))
fit_case("unclear", "vocabulary_size_one", "vocabulary_size", vocabulary_size=1)
fit_case("unclear", "patience_negative", "patience", patience=-1)
fit_case("unclear", "verbose_three", "verbose", verbose=3)
fit_case("unclear", "validation_unknown", "validation", validation="kfold")
fit_case("unclear", "normalization_unknown", "normalization", normalization="minmax")
fit_case("unclear", "checkpoint_dir_number", "checkpoint_dir", checkpoint_dir=3)

# unclear errors: data
data_case("unclear", "X_zero_d", np.float64(3.0), Y, "single value")
data_case("unclear", "y_zero_d", X, np.float64(3.0), "single value")
data_case("unclear", "X_records", np.zeros(24, dtype=[("a", "f8"), ("b", "f8")]), Y, "records")
data_case("unclear", "X_bytes", np.full((24, 5, 2), b"x"), Y, "text")
data_case("unclear", "X_rank_6", np.zeros((24, 2, 2, 2, 2, 2)), Y)
data_case("unclear", "y_complex", X, Y + 1j, "complex")
data_case("unclear", "X_list_of_dicts", [{"a": 1.0}] * 24, Y)
data_case("unclear", "X_strings_frame", pd.DataFrame({"a": ["x"] * 24}), Y, "text")
data_case("unclear", "y_all_nan", X, np.full(24, np.nan), "NaN")
data_case("unclear", "X_timedelta", np.zeros((24, 2), dtype="timedelta64[s]"), Y, "durations")


@case("unclear", "X_bfloat16_is_numbers")
def _(context):
    import ml_dtypes

    X_small = X.astype(ml_dtypes.bfloat16)
    model = SequenceModel(**FAST).fit(X_small, Y)  # read as numbers, not "text"
    assert np.isfinite(model.predict(X_small)).all()
    assert X_small.dtype == ml_dtypes.bfloat16


@case("unclear", "X_generator")
def _(context):
    clear_error(lambda: SequenceModel(**FAST).fit((x for x in X), Y), "list(X)")


@case("unclear", "y_generator")
def _(context):
    clear_error(lambda: SequenceModel(**FAST).fit(X, iter(Y)), "list(y)")


@case("unclear", "X_polars_lazy_frame")
def _(context):
    import polars as pl

    lazy = pl.DataFrame(X[:, 0, :]).lazy()
    clear_error(lambda: SequenceModel(**FAST).fit(lazy, Y), "collect()")


@case("unclear", "validation_data_one_item", {"X": X, "y": Y})
def _(context, X, y):
    clear_error(lambda: SequenceModel(**FAST).fit(X, y, validation_data=(X,)), "pair")


@case("unclear", "validation_data_dict", {"X": X, "y": Y})
def _(context, X, y):
    clear_error(lambda: SequenceModel(**FAST).fit(X, y, validation_data={"X": X}), "pair")


@case("unclear", "validation_y_wrong_width", {"X": X, "y": Y})
def _(context, X, y):
    bad = (X[:4], np.ones((4, 3)))
    clear_error(lambda: SequenceModel(**FAST).fit(X, y, validation_data=bad), "validation_data[1]")


@case("unclear", "validation_y_wrong_steps", {"X": X, "y": Y_SEQ})
def _(context, X, y):
    bad = (X[:4], np.ones((4, 3, 2)))
    clear_error(lambda: SequenceModel(**FAST).fit(X, y, validation_data=bad), "validation_data[1]")


@case("unclear", "validation_X_wrong_features", {"X": X, "y": Y})
def _(context, X, y):
    bad = (X[:4, :, :1], y[:4])
    clear_error(lambda: SequenceModel(**FAST).fit(X, y, validation_data=bad), "features")


@case("unclear", "predict_zero_d")
def _(context):
    model, _ = fitted(context)
    clear_error(lambda: model.predict(np.float64(1.0)), "single value")


@case("unclear", "predict_generator")
def _(context):
    model, _ = fitted(context)
    clear_error(lambda: model.predict(x for x in X), "list(X)")


@case("unclear", "score_y_wrong_width")
def _(context):
    model, _ = fitted(context)
    clear_error(lambda: model.score(X, np.ones((24, 2))), "shape")


@case("unclear", "seed_error_keeps_the_rng_state", {"X": X, "y": Y})
def _(context, X, y):
    python_state, numpy_state = random.getstate(), np.random.get_state()
    clear_error(lambda: SequenceModel(**FAST, random_state=2**40).fit(X, y), "random_state")
    assert random.getstate() == python_state
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


# wrong results given silently
@case("silent", "X_times_1e200", {"X": X * 1e200, "y": Y})
def _(context, X, y):
    clear_error(lambda: SequenceModel(**FAST).fit(X, y), "float32")


@case("silent", "y_times_1e200", {"X": X, "y": Y * 1e200})
def _(context, X, y):
    clear_error(lambda: SequenceModel(**FAST).fit(X, y), "float32")


@case("silent", "X_times_1e30_window_normalised", {"X": X * 1e30, "y": Y * 1e30})
def _(context, X, y):
    finite_or_refused(lambda: SequenceModel(**FAST).fit(X, y).predict(X))


@case("silent", "X_times_1e30_global", {"X": X * 1e30, "y": Y * 1e30})
def _(context, X, y):
    finite_or_refused(lambda: SequenceModel(**FAST, normalization="global").fit(X, y).predict(X))


@case("silent", "learning_rate_1e30", {"X": X, "y": Y})
def _(context, X, y):
    finite_or_refused(lambda: SequenceModel(**FAST, learning_rate=1e30).fit(X, y).predict(X))


@case("silent", "learning_rate_1e12_many_epochs", {"X": X, "y": Y})
def _(context, X, y):
    params = {**FAST, "epochs": 5, "learning_rate": 1e12}
    finite_or_refused(lambda: SequenceModel(**params).fit(X, y).predict(X))


@case("silent", "predict_X_times_1e300")
def _(context):
    model, _ = fitted(context)
    finite_or_refused(lambda: model.predict(X * 1e300))


for _fraction in (0.999, 0.01):

    @case("silent", f"validation_fraction_{_fraction}", {"X": X, "y": Y})
    def _(context, X, y, fraction=_fraction):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model = SequenceModel(**FAST, validation_fraction=fraction).fit(X, y)
            except SeqShapeError as error:
                assert "validation_fraction" in str(error)
                return
        said = [w for w in caught if "validation_fraction" in str(w.message)]
        assert said or model.validation_["validation"] > 0, "validation turned off silently"


def _state_case(name, change, pattern="", kind="regressor"):
    case("silent", name)(lambda c: refused(edited_state(c, change, kind), pattern))


def _fitted_field(*keys, value):
    def change(state):
        target = state["fitted"]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


_state_case("load_zero_scale", _fitted_field("x_scaler", "scale", value=[0.0, 1.0]))
_state_case("load_nan_mean", _fitted_field("x_scaler", "mean", value=[float("nan"), 0.0]))
_state_case("load_scale_1e300", _fitted_field("y_scaler", "scale", value=[1e300]))
_state_case("load_y_scaler_too_wide", _fitted_field("y_scaler", "mean", value=[0.0, 0.0]))
_state_case("load_x_scaler_missing", _fitted_field("x_scaler", value=None))
_state_case(
    "load_input_shape_7_on_a_5_model",
    lambda s: s["fitted"]["spec"].update(input_shape=[7, 2], input_steps=7),
)
_state_case("load_n_features_in_wrong", _fitted_field("n_features_in", value=3))
_state_case("load_task_flipped", _fitted_field("spec", "task", value="binary"))
_state_case(
    "load_classes_on_a_regressor",
    _fitted_field("classes", value={"labels": ["a", "b"], "dtype": "<U1"}),
)
_state_case(
    "load_three_classes_on_a_binary_model",
    lambda s: (
        s["fitted"]["spec"].update(task="multiclass", n_classes=3),
        s["fitted"].update(classes={"labels": ["a", "b", "c"], "dtype": "<U1"}),
    ),
    kind="classifier",
)
_state_case("load_other_units", lambda s: s["params"].update(units=[5]))
_state_case("load_other_cell", lambda s: s["params"].update(cell="gru"))


def _swap_case(name, state_of, model_of):
    @case("silent", name)
    def _(context):
        _, state_path = fitted(context, state_of)
        _, model_path = fitted(context, model_of)
        content = members(state_path)
        content["model.keras"] = members(model_path)["model.keras"]
        crafted = context.tmp / "swapped.seqshape"
        write_members(crafted, content)
        refused(crafted)


_swap_case("load_classifier_state_on_a_regressor_model", "classifier", "regressor")
_swap_case("load_regressor_state_on_a_classifier_model", "regressor", "classifier")
_swap_case("load_state_of_5_steps_on_a_7_step_model", "regressor", "wide")


@case("silent", "load_nan_weights")
def _(context):
    _model, path = fitted(context)
    content = members(path)
    keras_file = context.tmp / "inner.keras"
    keras_file.write_bytes(content["model.keras"])
    inner = keras.saving.load_model(keras_file)
    weights = inner.get_weights()
    weights[-1].flat[0] = np.nan
    inner.set_weights(weights)
    inner.save(keras_file)
    content["model.keras"] = keras_file.read_bytes()
    crafted = context.tmp / "nan.seqshape"
    write_members(crafted, content)
    refused(crafted)


LONG_X = RNG.normal(size=(3001, 3, 1))
LONG_Y = LONG_X[:, -1, 0].copy()


@case("silent", "resume_after_an_edited_row", {"X": LONG_X, "y": LONG_Y})
def _(context, X, y):
    folder = interrupted_checkpoint(context, X, y, validation="none", batch_size=512)
    edited = X.copy()
    edited[1501, 1, 0] += 1e-6  # between the rows a sampled fingerprint would read
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = SequenceModel(
                **{**FAST, "epochs": 3},
                validation="none",
                batch_size=512,
                checkpoint_dir=str(folder),
            )
            model.fit(edited, y)
        except SeqShapeError:
            return
    assert any("differ" in str(w.message) for w in caught), "resumed on other data"


@case("silent", "resume_with_other_validation_data", {"X": X, "y": Y})
def _(context, X, y):
    folder = context.tmp / "checkpoint"
    interrupted = interrupted_checkpoint(context)  # held-out part chosen by seqshape
    assert interrupted == folder
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = SequenceModel(**{**FAST, "epochs": 3}, checkpoint_dir=str(folder))
            model.fit(X, y, validation_data=(X[:6], y[:6] + 1.0))
        except SeqShapeError:
            return
    assert any("differ" in str(w.message) for w in caught), "resumed with other validation"


# unsafe
@case("unsafe", "load_planted_checkpoint_dir_then_fit")
def _(context):
    victim = context.tmp / "precious"
    victim.mkdir()
    (victim / "thesis.txt").write_text("years of work")
    crafted = edited_state(context, lambda s: s["params"].update(checkpoint_dir=str(victim)))
    loaded = seqshape.load(crafted)
    loaded.fit(X, Y)
    clone(loaded).fit(X, Y)
    assert (victim / "thesis.txt").read_text() == "years of work"


@case("unsafe", "clone_of_a_loaded_model_takes_no_path")
def _(context):
    crafted = edited_state(context, lambda s: s["params"].update(checkpoint_dir="/"))
    assert clone(seqshape.load(crafted)).checkpoint_dir is None


@case("unsafe", "checkpoint_dir_with_the_users_files")
def _(context):
    folder = context.tmp / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    SequenceModel(**FAST, checkpoint_dir=str(folder)).fit(X, Y)
    assert (folder / "notes.txt").read_text() == "mine"


def _bomb(path: Path, name: str, size: int, others: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in others.items():
            archive.writestr(member, data)
        with archive.open(name, "w", force_zip64=True) as handle:
            chunk = b" " * 2**24
            for _ in range(size // len(chunk)):
                handle.write(chunk)


def refused_reading_little(path: Path) -> None:
    """Loading ``path`` is a ``ModelFileError`` after reading less than 32 MiB."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError):
            seqshape.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB read for a refused file"


@case("unsafe", "zip_bomb_state_of_256_MiB")
def _(context):
    _, path = fitted(context)
    bomb = context.tmp / "bomb.seqshape"
    _bomb(bomb, "seqshape.json", 2**28, {"model.keras": members(path)["model.keras"]})
    refused_reading_little(bomb)


@case("unsafe", "zip_bomb_inside_the_keras_model")
def _(context):
    _, path = fitted(context)
    content = members(path)
    inner = context.tmp / "inner.keras"
    _bomb(inner, "config.json", 2**27, {"metadata.json": b"{}", "model.weights.h5": b""})
    content["model.keras"] = inner.read_bytes()
    crafted = context.tmp / "crafted.seqshape"
    write_members(crafted, content)
    refused_reading_little(crafted)


@case("unsafe", "lambda_layer_in_the_model")
def _(context):
    _, path = fitted(context)
    marker = context.tmp / "ran"
    inputs = keras.Input((5, 2))
    outputs = keras.layers.Lambda(lambda x: x[:, -1, :1])(inputs)
    unsafe = context.tmp / "unsafe.keras"
    keras.Model(inputs, outputs).save(unsafe)
    content = members(path)
    content["model.keras"] = unsafe.read_bytes()
    crafted = context.tmp / "crafted.seqshape"
    write_members(crafted, content)
    refused(crafted)
    assert not marker.exists()


@case("unsafe", "estimator_named_os_system")
def _(context):
    refused(edited_state(context, lambda s: s.update(estimator="os.system")))


@case("unsafe", "unknown_parameter_in_the_file")
def _(context):
    refused(edited_state(context, lambda s: s["params"].update(command="rm -rf /")))


@case("unsafe", "member_named_with_a_path_outside")
def _(context):
    _, path = fitted(context)
    content = members(path)
    content["../../escaped.txt"] = b"out"
    crafted = context.tmp / "crafted.seqshape"
    write_members(crafted, content)
    with contextlib.suppress(ModelFileError):
        seqshape.load(crafted)
    assert not (context.tmp.parent / "escaped.txt").exists()


@case("unsafe", "lambda_planted_in_a_checkpoint")
def _(context):
    folder = interrupted_checkpoint(context)
    inputs = keras.Input((5, 2))
    outputs = keras.layers.Lambda(lambda x: x[:, -1, :1])(inputs)
    pointer = (folder / "latest").read_text().strip()
    keras.Model(inputs, outputs).save(folder / pointer / "model.keras")
    clear_error(
        lambda: SequenceModel(**{**FAST, "epochs": 3}, checkpoint_dir=str(folder)).fit(X, Y)
    )


@case("unsafe", "checkpoint_pointer_outside_the_folder")
def _(context):
    folder = interrupted_checkpoint(context)
    outside = context.tmp / "outside"
    (outside / "x").mkdir(parents=True)
    (folder / "latest").write_text("../outside/x")
    with contextlib.suppress(SeqShapeError):
        SequenceModel(**{**FAST, "epochs": 3}, checkpoint_dir=str(folder)).fit(X, Y)
    assert (outside / "x").is_dir()


# leftovers
@case("leftover", "save_onto_a_folder")
def _(context):
    model, _ = fitted(context)
    target = context.tmp / "folder"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    error = clear_error(lambda: model.save(target), "folder")
    assert isinstance(error, ModelFileError)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert hidden(context.tmp) == []


@case("leftover", "save_under_a_file")
def _(context):
    model, _ = fitted(context)
    blocker = context.tmp / "file"
    blocker.write_text("x")
    assert isinstance(clear_error(lambda: model.save(blocker / "model.seqshape")), ModelFileError)
    assert blocker.read_text() == "x" and hidden(context.tmp) == []


for _code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS):

    @case("leftover", f"save_with_{errno.errorcode[_code]}")
    def _(context, code=_code):
        model, _ = fitted(context)
        target = context.tmp / "model.seqshape"
        target.write_bytes(b"old")

        def fail(*args, **kwargs):
            raise OSError(code, os.strerror(code))

        with context.monkeypatch.context() as patch:
            patch.setattr(zipfile.ZipFile, "writestr", fail)
            error = clear_error(lambda: model.save(target))
        assert isinstance(error, ModelFileError)
        assert target.read_bytes() == b"old" and hidden(context.tmp) == []


@case("leftover", "load_with_no_usable_temp_folder")
def _(context):
    _, path = fitted(context)
    context.monkeypatch.setenv("TMPDIR", str(context.tmp / "missing"))
    context.monkeypatch.setattr("tempfile.tempdir", str(context.tmp / "missing"))
    with contextlib.suppress(ModelFileError):
        assert seqshape.load(path).predict(X[:2]).shape == (2,)


@case("leftover", "stale_partial_of_a_dead_process")
def _(context):
    model, _ = fitted(context)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    (context.tmp / f".model.seqshape.{pid}.abc.partial").write_bytes(b"x" * 1000)
    model.save(context.tmp / "model.seqshape")
    assert hidden(context.tmp) == []


@case("leftover", "failed_save_leaves_no_temp_folder")
def _(context):
    model, _ = fitted(context)
    scratch = context.tmp / "tmp"
    scratch.mkdir()
    context.monkeypatch.setattr("tempfile.tempdir", str(scratch))

    original = zipfile.ZipFile.writestr

    def full_disk(self, *args, **kwargs):  # the disk fills up: files fail, memory works
        if self.filename is not None:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, *args, **kwargs)

    with context.monkeypatch.context() as patch:
        patch.setattr(zipfile.ZipFile, "writestr", full_disk)
        with pytest.raises((OSError, ModelFileError)):
            model.save(context.tmp / "model.seqshape")
    assert list(scratch.iterdir()) == [] and hidden(context.tmp) == []


@case("leftover", "failed_cli_fit_leaves_nothing")
def _(context):
    data = csv(context, SERIES)
    cli(context, "fit", data, *FIT[:-4], "--target", "missing", "--out", context.tmp / "run")
    assert sorted(p.name for p in context.tmp.iterdir()) == ["data.csv"]


# command-line tracebacks
@case("traceback", "out_is_an_existing_file")
def _(context):
    target = context.tmp / "file"
    target.write_text("x")
    cli(context, "fit", csv(context, SERIES), *FIT, "--out", target)
    assert target.read_text() == "x"


@case("traceback", "out_is_an_existing_file_with_overwrite")
def _(context):
    target = context.tmp / "file"
    target.write_text("x")
    result = main(["fit", str(csv(context, SERIES)), *FIT, "--out", str(target), "--overwrite"])
    err = context.capsys.readouterr().err
    assert result in (0, 2) and "Traceback" not in err


@case("traceback", "out_under_a_read_only_folder")
def _(context):
    def refuse(*args, dir=None, **kwargs):  # what a read-only folder does (root may write)
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    context.monkeypatch.setattr("tempfile.mkdtemp", refuse)
    err = cli(context, "fit", csv(context, SERIES), *FIT, "--out", context.tmp / "ro" / "run")
    assert "Permission denied" in err and not (context.tmp / "ro" / "run").exists()


@case("traceback", "predict_out_is_a_folder")
def _(context):
    run = run_folder(context)
    target = context.tmp / "folder"
    target.mkdir()
    cli(context, "predict", run, csv(context, SERIES), "--out", target)


for _name, _content in {
    "job_json_not_json": "not json",
    "job_json_unknown_kind": '{"kind": "magic"}',
    "job_json_a_list": "[1, 2]",
    "job_json_missing_fields": '{"kind": "forecast"}',
    "job_json_binary": "\x00\xff\x00",
}.items():

    @case("traceback", _name)
    def _(context, content=_content):
        run = copy_run(context)
        (run / "job.json").write_text(content, errors="surrogateescape")
        cli(context, "predict", run, csv(context, SERIES))


@case("traceback", "model_file_of_the_run_corrupt")
def _(context):
    run = copy_run(context)
    (run / "model.seqshape").write_bytes(b"PK\x03\x04 corrupt")
    cli(context, "predict", run, csv(context, SERIES))


@case("traceback", "model_file_of_the_run_missing")
def _(context):
    run = copy_run(context)
    (run / "model.seqshape").unlink()
    cli(context, "predict", run, csv(context, SERIES))


@case("traceback", "checkpoint_pointer_corrupt")
def _(context):
    data = csv(context, SERIES)
    checkpoint = context.tmp / "run.checkpoint"
    checkpoint.mkdir()
    (checkpoint / "latest").write_text("epoch-7")
    result = main(["fit", str(data), *FIT, "--out", str(context.tmp / "run")])
    err = context.capsys.readouterr().err
    assert "Traceback" not in err and result in (0, 2)


@case("traceback", "checkpoint_state_corrupt")
def _(context):
    data = csv(context, SERIES)
    checkpoint = context.tmp / "run.checkpoint"
    (checkpoint / "epoch-1").mkdir(parents=True)
    (checkpoint / "latest").write_text("epoch-1")
    (checkpoint / "epoch-1" / "state.json").write_text("{broken")
    result = main(["fit", str(data), *FIT, "--out", str(context.tmp / "run")])
    err = context.capsys.readouterr().err
    assert "Traceback" not in err and result in (0, 2)


@case("traceback", "lambda_planted_in_the_cli_checkpoint")
def _(context):
    data = csv(context, SERIES)
    checkpoint = context.tmp / "run.checkpoint"
    (checkpoint / "epoch-1").mkdir(parents=True)
    inputs = keras.Input((6, 1))
    keras.Model(inputs, keras.layers.Lambda(lambda x: x[:, -2:, :])(inputs)).save(
        checkpoint / "epoch-1" / "model.keras"
    )
    (checkpoint / "latest").write_text("epoch-1")
    state = {"epoch": 1, "fingerprint": "x", "history": {}, "early_stopping": {}}
    (checkpoint / "epoch-1" / "state.json").write_text(json.dumps(state))
    result = main(["fit", str(data), *FIT, "--out", str(context.tmp / "run")])
    err = context.capsys.readouterr().err
    assert "Traceback" not in err and result in (0, 2)


@case("traceback", "nan_in_the_id_column")
def _(context):
    frame = SERIES.assign(id=np.where(SERIES["t"] < 40, 1.0, np.nan))
    cli(context, "fit", csv(context, frame), *FIT, "--id-column", "id", "--out", context.tmp / "r")


@case("traceback", "nan_in_the_id_column_classification")
def _(context):
    frame = SERIES.assign(
        id=np.where(SERIES["t"] < 40, 1.0, np.nan), label=np.where(SERIES["t"] < 40, "x", "y")
    )
    cli(
        context,
        "fit",
        csv(context, frame),
        "--target",
        "a",
        "--id-column",
        "id",
        "--label-column",
        "label",
        "--epochs",
        "1",
        "--out",
        context.tmp / "r",
    )


for _flag, _value in (
    ("--seed", "4294967296"),
    ("--seed", "-1"),
    ("--epochs", "0"),
    ("--learning-rate", "inf"),
    ("--validation-fraction", "2"),
    ("--units", "0"),
    ("--input-steps", "0"),
    ("--output-steps", "-1"),
    ("--stride", "0"),
    ("--test-fraction", "1.5"),
    ("--batch-size", "0"),
    ("--dropout", "1"),
    ("--patience", "-3"),
):

    @case("traceback", f"flag_{_flag.lstrip('-')}_{_value}")
    def _(context, flag=_flag, value=_value):
        pairs = dict(zip(FIT[::2], FIT[1::2], strict=True))
        pairs.pop(flag, None)
        arguments = [part for pair in pairs.items() for part in pair]
        cli(
            context,
            "fit",
            csv(context, SERIES),
            *arguments,
            flag,
            value,
            "--out",
            context.tmp / "r",
        )
        assert not (context.tmp / "r").exists()


@case("traceback", "data_is_a_folder")
def _(context):
    folder = context.tmp / "data.csv"
    folder.mkdir()
    cli(context, "fit", folder, *FIT, "--out", context.tmp / "r")


@case("traceback", "data_is_binary_garbage")
def _(context):
    data = context.tmp / "data.csv"
    data.write_bytes(bytes(range(256)) * 40)
    cli(context, "fit", data, *FIT, "--out", context.tmp / "r")


@case("traceback", "data_is_missing")
def _(context):
    cli(context, "fit", context.tmp / "nothing.csv", *FIT, "--out", context.tmp / "r")


@case("traceback", "inf_in_a_target_column")
def _(context):
    frame = SERIES.assign(a=SERIES["a"].where(SERIES["t"] != 50, np.inf))
    cli(context, "fit", csv(context, frame), *FIT, "--out", context.tmp / "r")


@case("traceback", "predict_data_without_the_columns")
def _(context):
    run = run_folder(context)
    cli(context, "predict", run, csv(context, pd.DataFrame({"b": [1.0, 2.0]}), "other.csv"))


# signals and two runs at once, in subprocesses with time limits
def _start_fit(context: Context, out: Path) -> subprocess.Popen:
    return start_fit(csv(context, pd.DataFrame({"a": np.sin(np.arange(200) / 4)})), out)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


for _signal, _code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):

    @case("traceback", f"signal_{_signal.name}_during_fit")
    def _(context, sent=_signal, code=_code):
        out = context.tmp / "run"
        process = _start_fit(context, out)
        try:
            _wait_for(context.tmp / "run.checkpoint" / "latest", process)
            process.send_signal(sent)
            _, err = process.communicate(timeout=120)
        finally:
            process.kill()
        assert process.returncode == code and "Traceback" not in err, err
        assert len([line for line in err.splitlines() if line.startswith("seqshape:")]) == 1
        assert "run the same command to resume" in err
        assert hidden(context.tmp) == [], "partial folders or locks left behind"


@case("unsafe", "two_fits_to_the_same_out")
def _(context):
    out = context.tmp / "run"
    first = _start_fit(context, out)
    try:
        _wait_for(context.tmp / "run.checkpoint" / "latest", first)
        second = _start_fit(context, out)  # the very same command
        try:
            _, err = second.communicate(timeout=240)  # it must fail, not train on
        finally:
            second.kill()
        assert second.returncode == 2 and "Traceback" not in err, err
        assert first.poll() is None, "the second run disturbed the first"
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)


@case("leftover", "kill_9_during_a_save_then_save_again")
def _(context):
    model, path = fitted(context)
    target = context.tmp / "model.seqshape"
    script = (
        "import sys, seqshape, signal, os, zipfile\n"
        "model = seqshape.load(sys.argv[1])\n"
        "original = zipfile.ZipFile.writestr\n"
        "def die(self, name, data, *a, **k):\n"
        "    original(self, name, data, *a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "zipfile.ZipFile.writestr = die\n"
        "model.save(sys.argv[2])\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, str(path), str(target)], timeout=240, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert not target.exists()  # never a half-written file under the target's name
    model.save(target)  # the next save in that folder removes what the killed one left
    assert hidden(context.tmp) == []
    np.testing.assert_array_equal(seqshape.load(target).predict(X[:3]), model.predict(X[:3]))


# -- running the catalogue --------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return {"folder": tmp_path_factory.mktemp("hostile")}


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_hostile_input(name, tmp_path, capsys, monkeypatch, shared):
    CASES[name](Context(tmp_path, capsys, monkeypatch, shared))


def test_the_catalogue_covers_every_verdict_with_over_100_cases():
    verdicts = {name.split("-", 1)[0] for name in CASES}
    assert verdicts == {"unclear", "silent", "traceback", "leftover", "unsafe"}
    assert len(CASES) >= 100
