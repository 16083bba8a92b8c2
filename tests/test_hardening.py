"""Training never returns a broken model, and resumes only what is identical."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from checks import start_fit

from seqshape import InvalidInputError, ModelFileError, SequenceModel
from seqshape.checkpoint import EpochCheckpoint, read_latest
from seqshape.cli import main
from seqshape.errors import DivergedTrainingWarning, TrainingError
from seqshape.fileio import exclusive
from seqshape.training import FiniteLoss

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 6, 2))
Y = X[:, -1, 0] + 0.1 * RNG.normal(size=40)
FAST = {"units": (3,), "epochs": 4, "patience": 10}


# -- values the model cannot hold ---------------------------------------------------------


@pytest.mark.parametrize(
    ("X_scale", "y_scale", "argument"), [(1e200, 1.0, "X"), (1.0, 1e200, "y")]
)
def test_values_beyond_float32_are_an_input_error(X_scale, y_scale, argument):
    X_big, y_big = X * X_scale, Y * y_scale
    before = X_big.copy(), y_big.copy()
    with pytest.raises(InvalidInputError, match=f"Invalid `{argument}`: expected values float32"):
        SequenceModel(**FAST).fit(X_big, y_big)
    np.testing.assert_array_equal(before[0], X_big)
    np.testing.assert_array_equal(before[1], y_big)


def test_predicting_values_beyond_float32_is_an_input_error():
    model = SequenceModel(**FAST).fit(X, Y)
    with pytest.raises(InvalidInputError, match="float32"):
        model.predict(X * 1e300)


def test_large_values_within_float32_train_to_finite_predictions():
    model = SequenceModel(**FAST, normalization="global").fit(X * 1e30, Y * 1e30)
    assert np.isfinite(model.predict(X * 1e30)).all()


def test_values_too_large_for_window_normalisation_say_what_works():
    with pytest.raises(InvalidInputError, match="normalization='global'"):
        SequenceModel(**FAST).fit(X * 1e30, Y * 1e30)


@pytest.mark.parametrize("rate", [float("inf"), float("nan"), 0.0, True])
def test_a_learning_rate_that_is_not_a_finite_positive_number_is_refused(rate):
    with pytest.raises(InvalidInputError, match="learning_rate"):
        SequenceModel(**FAST, learning_rate=rate).fit(X, Y)


# -- a loss that turns non-finite ---------------------------------------------------------


@pytest.fixture
def diverge_at(monkeypatch):
    """Make training diverge at a given 1-based epoch: NaN weights and a NaN loss."""

    def set_epoch(bad_epoch: int):
        original = FiniteLoss.on_epoch_end

        def poisoned(self, epoch, logs=None):
            if epoch + 1 >= bad_epoch:
                weights = self.model.get_weights()
                self.model.set_weights([np.full_like(w, np.nan) for w in weights])
                logs["loss"] = float("nan")
            original(self, epoch, logs)

        monkeypatch.setattr(FiniteLoss, "on_epoch_end", poisoned)

    return set_epoch


@pytest.mark.parametrize("validation", ["auto", "none"])
def test_a_loss_that_turns_nan_keeps_the_last_finite_weights_with_a_warning(
    diverge_at, validation
):
    diverge_at(3)
    with pytest.warns(DivergedTrainingWarning, match="epoch 3: .* weights of epoch [12] "):
        model = SequenceModel(**FAST, validation=validation).fit(X, Y)
    assert np.isfinite(model.predict(X)).all()
    assert model.n_epochs_ == 3 and model.best_epoch_ <= 2
    assert all(np.isfinite(w).all() for w in model.model_.get_weights())


def test_a_loss_nan_from_the_first_epoch_raises_and_leaves_the_estimator_as_it_was(diverge_at):
    model = SequenceModel(**FAST)
    diverge_at(1)
    with pytest.raises(TrainingError, match="Lower learning_rate"):
        model.fit(X, Y)
    assert not hasattr(model, "model_")


def test_a_diverged_epoch_is_never_checkpointed(diverge_at, tmp_path, monkeypatch):
    folder = tmp_path / "checkpoint"
    diverge_at(3)
    original = EpochCheckpoint.on_epoch_end

    def stop_after(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch + 1 == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", stop_after)
    with pytest.raises(KeyboardInterrupt):
        SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y)
    assert read_latest(folder)["epoch"] == 2


# -- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [2**40, 2**32, -1, 1.5, "7"])
def test_a_seed_out_of_range_is_refused_and_the_rng_state_kept(seed):
    python_state, numpy_state = random.getstate(), np.random.get_state()
    with pytest.raises(InvalidInputError, match="random_state"):
        SequenceModel(**FAST, random_state=seed).fit(X, Y)
    assert random.getstate() == python_state
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])


def test_the_rng_state_is_given_back_when_seeding_itself_fails(monkeypatch):
    python_state = random.getstate()

    def fail(seed):
        random.seed(12345)  # changes the state, then fails
        raise RuntimeError("seeding failed")

    monkeypatch.setattr(keras.utils, "set_random_seed", fail)
    with pytest.raises(RuntimeError, match="seeding failed"):
        SequenceModel(**FAST, random_state=2**32 - 1).fit(X, Y)
    assert random.getstate() == python_state


def test_the_largest_seed_works():
    assert SequenceModel(**FAST, random_state=2**32 - 1).fit(X, Y).n_epochs_ == 4


def test_the_cli_seed_has_the_same_check(tmp_path, capsys):
    import pandas as pd

    data = tmp_path / "data.csv"
    pd.DataFrame({"a": np.sin(np.arange(80) / 4)}).to_csv(data, index=False)
    flags = ["--input-steps", "8", "--output-steps", "2", "--epochs", "1", "--verbose", "0"]
    out = str(tmp_path / "r")
    code = main(["fit", str(data), "--target", "a", *flags, "--seed", "4294967296", "--out", out])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("seqshape: error: Invalid `--seed`: expected an int")
    assert "Traceback" not in err and not (tmp_path / "r").exists()


# -- validation_fraction --------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.999, 0.01])
def test_a_validation_fraction_that_holds_out_nothing_says_so(fraction):
    with pytest.warns(UserWarning, match=r"validation is off.*from 0\.025 to 0\.975"):
        model = SequenceModel(**FAST, validation_fraction=fraction).fit(X, Y)
    assert model.validation_["validation"] == 0


def test_turning_validation_off_on_purpose_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SequenceModel(**FAST, validation_fraction=0.0).fit(X, Y)


# -- resume only what is identical ----------------------------------------------------------


def _interrupted(folder: Path, X_fit, y_fit, monkeypatch, validation_data=None, **params):
    """Fit until the checkpoint of epoch 2 is committed, then stop as if killed."""
    original = EpochCheckpoint.on_epoch_end

    def stop_after(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch + 1 == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(EpochCheckpoint, "on_epoch_end", stop_after)
        with pytest.raises(KeyboardInterrupt):
            model = SequenceModel(**{**FAST, **params}, checkpoint_dir=folder)
            model.fit(X_fit, y_fit, validation_data=validation_data)
    assert read_latest(folder)["epoch"] == 2


def test_the_same_fit_resumes(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoint"
    _interrupted(folder, X, Y, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y)
    assert model.n_epochs_ == 4 and not folder.exists()


def test_one_changed_value_anywhere_in_the_data_starts_over(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoint"
    _interrupted(folder, X, Y, monkeypatch, validation="none")
    edited = X.copy()
    edited[17, 3, 1] += 1e-9  # not on a sampled row: every byte counts
    with pytest.warns(UserWarning, match="training data differ"):
        SequenceModel(**FAST, validation="none", checkpoint_dir=folder).fit(edited, Y)


def test_other_validation_data_starts_over(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoint"
    X_val, y_val = X[:8], Y[:8]
    _interrupted(folder, X, Y, monkeypatch, validation_data=(X_val, y_val))
    with pytest.warns(UserWarning, match="validation data differ"):
        SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y, validation_data=(X_val, y_val + 1))


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "latest").write_text("../../etc"),
        lambda folder: (folder / "latest").write_bytes(b"\xff\xfe\x00"),
        lambda folder: (folder / "epoch-2" / "state.json").write_text("{not json"),
        lambda folder: (folder / "epoch-2" / "state.json").write_text('{"epoch": "2"}'),
        lambda folder: (folder / "epoch-2" / "model.keras").write_bytes(b"PK\x03\x04 junk"),
        lambda folder: (folder / "epoch-2" / "best_weights.npz").write_bytes(b"junk"),
    ],
)
def test_a_damaged_checkpoint_starts_over_saying_why(tmp_path, monkeypatch, damage):
    folder = tmp_path / "checkpoint"
    _interrupted(folder, X, Y, monkeypatch, validation="random", validation_fraction=0.3)
    if not (folder / "epoch-2" / "best_weights.npz").exists():
        (folder / "epoch-2" / "best_weights.npz").write_bytes(b"")
    damage(folder)
    with pytest.warns(UserWarning, match="not resumed: .*cannot be read|cannot be loaded"):
        model = SequenceModel(
            **FAST, validation="random", validation_fraction=0.3, checkpoint_dir=folder
        ).fit(X, Y)
    assert model.n_epochs_ == 4 and np.isfinite(model.predict(X)).all()


def test_a_lambda_planted_in_a_checkpoint_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoint"
    _interrupted(folder, X, Y, monkeypatch)
    inputs = keras.Input((6, 2))
    outputs = keras.layers.Lambda(lambda x: x[:, -1, :1])(inputs)
    keras.Model(inputs, outputs).save(folder / "epoch-2" / "model.keras")
    with pytest.raises(ModelFileError, match="carries Python code"):
        SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y)


def test_a_finished_fit_removes_only_its_own_files(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y)
    assert [p.name for p in folder.iterdir()] == ["thesis.txt"]


def test_a_second_fit_into_a_folder_in_use_fails_at_once(tmp_path):
    folder = tmp_path / "checkpoint"
    with (
        exclusive(folder / "lock", "checkpoint_dir", folder),
        pytest.raises(InvalidInputError, match="in use: another process holds its lock"),
    ):
        SequenceModel(**FAST, checkpoint_dir=folder).fit(X, Y)


# -- signals and two runs at once (subprocesses, with time limits) -------------------------


def _wait_for(path: Path, process, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


@pytest.fixture
def series_csv(tmp_path):
    import pandas as pd

    data = tmp_path / "data.csv"
    pd.DataFrame({"a": np.sin(np.arange(200) / 4)}).to_csv(data, index=False)
    return data


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_a_fit_in_one_line_keeping_the_checkpoint(tmp_path, series_csv, sent, code):
    out = tmp_path / "run"
    process = start_fit(series_csv, out)
    try:
        _wait_for(tmp_path / "run.checkpoint" / "latest", process)
        process.send_signal(sent)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == code
    lines = [line for line in err.splitlines() if line.startswith("seqshape:")]
    assert lines == [
        f"seqshape: interrupted; checkpoint kept at {out}.checkpoint; run the same command "
        "to resume"
    ]
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".*"))  # no partial folder, no lock
    assert (tmp_path / "run.checkpoint" / "latest").is_file()


def test_a_stop_whose_exception_was_lost_still_ends_the_fit(tmp_path, series_csv, capsys):
    # a signal handler's exception that lands inside a garbage-collector callback is
    # printed as "Exception ignored" and lost; the stop it asked for must still end the fit
    import _thread
    import threading

    from seqshape.stops import request_stop

    out, rescued = tmp_path / "run", threading.Event()

    def ask_for_a_stop_without_raising():
        deadline = time.monotonic() + 240
        while not (tmp_path / "run.checkpoint" / "latest").exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        request_stop(KeyboardInterrupt())  # what the handler records before it raises
        if not finished.wait(120):  # the fit went on: end it, and fail below
            rescued.set()
            _thread.interrupt_main()

    finished = threading.Event()
    helper = threading.Thread(target=ask_for_a_stop_without_raising, daemon=True)
    helper.start()
    flags = ["--input-steps", "8", "--output-steps", "2", "--epochs", "100000"]
    try:
        code = main(["fit", str(series_csv), "--target", "a", *flags, "--patience", "100000",
                     "--verbose", "0", "--out", str(out)])  # fmt: skip
    finally:
        finished.set()
        helper.join()
    assert not rescued.is_set()
    assert code == 130
    assert "seqshape: interrupted; checkpoint kept at" in capsys.readouterr().err
    assert (tmp_path / "run.checkpoint" / "latest").is_file()


def test_a_lost_stop_prints_no_traceback_and_other_lost_errors_still_print(capsys, monkeypatch):
    # Python prints an exception raised inside a weakref callback ("Exception ignored
    # in ...", a traceback); the command line's hook says nothing of a stop it will
    # raise again, and leaves every other such error to Python's own hook
    import weakref

    from seqshape.cli import _quiet_lost_stop
    from seqshape.stops import clear_stops, request_stop

    class Thing:
        pass

    def lose(error):  # raised inside a weakref callback, where Python cannot raise it
        def callback(_):
            raise error

        thing = Thing()
        reference = weakref.ref(thing, callback)  # noqa: F841 (kept alive until the del)
        del thing

    monkeypatch.setattr("sys.unraisablehook", _quiet_lost_stop)
    stop = KeyboardInterrupt()
    request_stop(stop)
    try:
        lose(stop)
        assert capsys.readouterr().err == ""
        lose(KeyboardInterrupt())  # not one the command line asked for
        lose(ValueError("a broken callback"))
        err = capsys.readouterr().err
        assert "KeyboardInterrupt" in err and "ValueError: a broken callback" in err
    finally:
        clear_stops()


def test_a_second_fit_to_the_same_out_fails_fast_and_touches_nothing(tmp_path, series_csv, capsys):
    out = tmp_path / "run"
    first = start_fit(series_csv, out)
    try:
        _wait_for(tmp_path / "run.checkpoint" / "latest", first)
        pointer = (tmp_path / "run.checkpoint" / "latest").read_text()
        flags = ["--input-steps", "8", "--output-steps", "2", "--epochs", "2", "--verbose", "0"]
        code = main(["fit", str(series_csv), "--target", "a", *flags, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("seqshape: error: Invalid `--out`: expected a folder")
        assert "in use" in err and first.poll() is None
        latest = (tmp_path / "run.checkpoint" / "latest").read_text()
        assert int(latest.split("-")[1]) >= int(pointer.split("-")[1])  # never moved back
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)


# -- leftovers of killed processes -----------------------------------------------------------


def _dead_pid() -> int:
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(finished.stdout)


def test_the_next_write_removes_what_killed_writers_left(tmp_path):
    from seqshape.fileio import atomic_folder, write_text

    dead, alive = _dead_pid(), os.getpid()
    (tmp_path / f".notes.txt.{dead}.abc.partial").write_text("half")
    (tmp_path / f".run.{dead}.xyz.partial").mkdir()
    (tmp_path / f".run.{dead}.xyz.partial" / "model.seqshape").write_text("half")
    (tmp_path / f".notes.txt.{alive}.def.partial").write_text("being written")
    write_text(tmp_path / "notes.txt", "done")
    with atomic_folder(tmp_path / "run") as scratch:
        (scratch / "metrics.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".notes.txt.{alive}.def.partial",  # a live writer's file is left alone
        "notes.txt",
        "run",
    ]


def test_a_folder_swap_cut_between_its_renames_is_put_back(tmp_path):
    from seqshape.fileio import atomic_folder

    old = tmp_path / ".run.old"
    old.mkdir()
    (old / "model.seqshape").write_text("the previous run")
    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "run"):
        raise RuntimeError("the new run fails")
    assert (tmp_path / "run" / "model.seqshape").read_text() == "the previous run"
