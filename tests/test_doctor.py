"""``seqshape doctor``: a catalogue of broken models, each with its expected problem.

Every snippet is diagnosed (all in one batch: one subprocess a pass), must show the
expected problem, and its ``fixed_source`` must build, fit one epoch on data of the
given shapes (all fixed snippets in one more subprocess) and output y's shape. Models
that seqshape builds are diagnosed clean (no false alarms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from seqshape.builders import build_model
from seqshape.doctor import diagnose, diagnose_all, read_data
from seqshape.errors import InvalidInputError

HERE = Path(__file__).resolve().parent
KERAS = "from keras.models import Sequential\nfrom keras.layers import *\n"
TF = "from tensorflow.keras.models import Sequential\nfrom tensorflow.keras.layers import {}\n"
TF_PRIVATE = (
    "from tensorflow.python.keras import Sequential\n"
    "from tensorflow.python.keras.layers import {}\n"
)
RNG = np.random.default_rng(0)


def _padded(samples: int, steps: int, features: int, side: str = "end") -> np.ndarray:
    X = RNG.normal(size=(samples, steps, features)).astype("float32")
    for row, length in enumerate(RNG.integers(steps // 3, steps, size=samples)):
        if side == "end":
            X[row, length:] = 0.0
        else:
            X[row, : steps - length] = 0.0
    return X


def _tokens(samples: int, steps: int, high: int, pad: bool = False) -> np.ndarray:
    X = RNG.integers(1, high, size=(samples, steps))
    if pad:
        for row, length in enumerate(RNG.integers(2, steps, size=samples)):
            X[row, : steps - length] = 0
    return X


# (name, snippet, data: dict for read_data, expected problem kind)
CATALOGUE: list[tuple[str, str, dict, str]] = [
    (
        "seed 000: Dense((10, 2))",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(12, input_shape=(40, 2), return_sequences=True))\n"
        "model.add(LSTM(12, return_sequences=True))\n"
        "model.add(LSTM(6, return_sequences=False))\n"
        "model.add((Dense((10,2))))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64, 10, 2)},
        "dense_tuple_units",
    ),
    (
        "seed 000 on tensorflow.python.keras: Dense((10, 2))",
        TF_PRIVATE.format("LSTM, Dense") + "model = Sequential()\n"
        "model.add(LSTM(12, input_shape=(40, 2), return_sequences=True))\n"
        "model.add(LSTM(6))\n"
        "model.add(Dense((10, 2)))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64, 10, 2)},
        "dense_tuple_units",
    ),
    (
        "return_sequences missing between stacked LSTMs",
        TF.format("LSTM, Dense") + "model = Sequential()\n"
        "model.add(LSTM(12, input_shape=(40, 1)))\n"
        "model.add(LSTM(12))\n"
        "model.add(LSTM(6))\n"
        "model.add(Dense(10))\n",
        {"x_shape": (64, 40, 1), "y_shape": (64, 10)},
        "return_sequences_missing",
    ),
    (
        "return_sequences missing, tf.keras list style, GRU",
        "import tensorflow as tf\n"
        "model = tf.keras.Sequential([\n"
        "    tf.keras.layers.GRU(8, input_shape=(20, 3)),\n"
        "    tf.keras.layers.GRU(4),\n"
        "    tf.keras.layers.Dense(1),\n"
        "])\n"
        "model.compile(optimizer='adam', loss='mse')\n",
        {"x_shape": (64, 20, 3), "y_shape": (64,)},
        "return_sequences_missing",
    ),
    (
        "return_sequences missing inside Bidirectional",
        KERAS + "model = Sequential()\n"
        "model.add(Bidirectional(LSTM(8), input_shape=(20, 3)))\n"
        "model.add(LSTM(4))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 20, 3), "y_shape": (64,)},
        "return_sequences_missing",
    ),
    (
        "sequence output, y one value a sample",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(16, return_sequences=True, input_shape=(30, 4)))\n"
        "model.add(Dense(1))\n"
        "model.compile(loss='mse', optimizer='adam')\n",
        {"x_shape": (64, 30, 4), "y_shape": (64,)},
        "sequence_output_for_vector_y",
    ),
    (
        "sequence output through TimeDistributed, y one vector a sample",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, return_sequences=True, input_shape=(12, 2)))\n"
        "model.add(TimeDistributed(Dense(3)))\n",
        {"x_shape": (64, 12, 2), "y_shape": (64, 3)},
        "sequence_output_for_vector_y",
    ),
    (
        "one vector out, y a sequence of the input's length",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 2)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 20, 2), "y_shape": (64, 20, 1)},
        "vector_output_for_sequence_y",
    ),
    (
        "one vector out, y a sequence of another length",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(12, input_shape=(40, 2)))\n"
        "model.add(Dense(10))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64, 10, 2)},
        "vector_output_for_sequence_y",
    ),
    (
        "time and feature axes swapped in input_shape",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(12, input_shape=(2, 40)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64,)},
        "swapped_axes",
    ),
    (
        "time and feature axes swapped in a functional Input",
        "from keras.layers import Input, LSTM, Dense\n"
        "from keras.models import Model\n"
        "inputs = Input(shape=(3, 50))\n"
        "x = LSTM(8)(inputs)\n"
        "outputs = Dense(1)(x)\n"
        "model = Model(inputs, outputs)\n",
        {"x_shape": (64, 50, 3), "y_shape": (64,)},
        "swapped_axes",
    ),
    (
        "input_shape with the wrong number of features",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(40, 1)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64,)},
        "input_shape",
    ),
    (
        "X of rank 2 into a recurrent layer, input_shape=(40,)",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(40,)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 40), "y_shape": (64,)},
        "x_rank_2_into_recurrent",
    ),
    (
        "X of rank 2 into a recurrent layer, no input shape",
        KERAS + "model = Sequential()\nmodel.add(SimpleRNN(8))\nmodel.add(Dense(1))\n",
        {"x_shape": (64, 25), "y_shape": (64,)},
        "x_rank_2_into_recurrent",
    ),
    (
        "output width against y's outputs",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 3)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 10, 3), "y_shape": (64, 3)},
        "output_width",
    ),
    (
        "one unit for five classes",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 3)))\n"
        "model.add(Dense(1, activation='softmax'))\n"
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\n",
        {"X": RNG.normal(size=(64, 10, 3)), "y": np.arange(64) % 5},
        "output_width",
    ),
    (
        "per-step outputs of the wrong width",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(12, 2), return_sequences=True))\n"
        "model.add(TimeDistributed(Dense(1)))\n",
        {"x_shape": (64, 12, 2), "y_shape": (64, 12, 2)},
        "output_width",
    ),
    (
        "RepeatVector(n) against y's steps, one-to-many",
        KERAS + "model = Sequential()\n"
        "model.add(RepeatVector(4, input_shape=(10,)))\n"
        "model.add(LSTM(8, return_sequences=True))\n"
        "model.add(TimeDistributed(Dense(1)))\n",
        {"x_shape": (64, 10), "y_shape": (64, 6, 1)},
        "repeat_vector_steps",
    ),
    (
        "RepeatVector(n) against y's steps, encoder-decoder",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(16, input_shape=(40, 2)))\n"
        "model.add(RepeatVector(5))\n"
        "model.add(LSTM(16, return_sequences=True))\n"
        "model.add(TimeDistributed(Dense(2)))\n",
        {"x_shape": (64, 40, 2), "y_shape": (64, 10, 2)},
        "repeat_vector_steps",
    ),
    (
        "aligned output, y of fewer steps",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(12, 2), return_sequences=True))\n"
        "model.add(TimeDistributed(Dense(2)))\n",
        {"x_shape": (64, 12, 2), "y_shape": (64, 4, 2)},
        "output_steps",
    ),
    (
        "softmax on one unit",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(1, activation='softmax'))\n"
        "model.compile(loss='binary_crossentropy', optimizer='adam')\n",
        {"x_shape": (64, 20, 1), "y_shape": (64,), "task": "binary"},
        "softmax_one_unit",
    ),
    (
        "sigmoid for several classes",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(4, activation='sigmoid'))\n"
        "model.compile(loss='categorical_crossentropy', optimizer='adam')\n",
        {"X": RNG.normal(size=(64, 20, 1)), "y": np.eye(4)[np.arange(64) % 4]},
        "sigmoid_multiclass",
    ),
    (
        "categorical cross-entropy with integer labels",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(5, activation='softmax'))\n"
        "model.compile(loss='categorical_crossentropy', optimizer='adam')\n",
        {"X": RNG.normal(size=(64, 20, 1)), "y": np.arange(64) % 5},
        "categorical_with_integer_labels",
    ),
    (
        "sparse categorical cross-entropy with one-hot labels",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(3, activation='softmax'))\n"
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\n",
        {"X": RNG.normal(size=(64, 20, 1)), "y": np.eye(3)[np.arange(64) % 3]},
        "sparse_with_one_hot",
    ),
    (
        "linear output with binary cross-entropy",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(1))\n"
        "model.compile(loss='binary_crossentropy', optimizer='adam')\n",
        {"x_shape": (64, 20, 1), "y_shape": (64,)},
        "linear_with_cross_entropy",
    ),
    (
        "linear output with sparse categorical cross-entropy",
        KERAS + "model = Sequential()\n"
        "model.add(GRU(8, input_shape=(20, 1)))\n"
        "model.add(Dense(3))\n"
        "model.compile(loss='sparse_categorical_crossentropy', optimizer='adam')\n",
        {"X": RNG.normal(size=(64, 20, 1)), "y": np.arange(64) % 3},
        "linear_with_cross_entropy",
    ),
    (
        "softmax on a regression output",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 1)))\n"
        "model.add(Dense(2, activation='softmax'))\n"
        "model.compile(loss='mse', optimizer='adam')\n",
        {"x_shape": (64, 20, 1), "y_shape": (64, 2), "task": "regression"},
        "activation_for_regression",
    ),
    (
        "seed 001: Lambda keeps the last N steps",
        KERAS + "N = 3\n"
        "model = Sequential()\n"
        "model.add(LSTM(1, input_shape=(6, 1), return_sequences=True))\n"
        "model.add(Lambda(lambda x: x[:, -N:, :]))\n",
        {"x_shape": (64, 6, 1), "y_shape": (64, 3, 1)},
        "lambda",
    ),
    (
        "Lambda with Keras 2's backend mean",
        "from keras import backend as K\n" + KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 2), return_sequences=True))\n"
        "model.add(Lambda(lambda x: K.mean(x, axis=1)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 10, 2), "y_shape": (64,)},
        "lambda",
    ),
    (
        "Lambda keeps the last step",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 2), return_sequences=True))\n"
        "model.add(Lambda(lambda x: x[:, -1, :]))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 10, 2), "y_shape": (64,)},
        "lambda",
    ),
    (
        "TimeDistributed after the last state, y one value a sample",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 2)))\n"
        "model.add(TimeDistributed(Dense(1)))\n",
        {"x_shape": (64, 10, 2), "y_shape": (64,)},
        "time_distributed_without_time",
    ),
    (
        "TimeDistributed after the last state, y a sequence",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(10, 2)))\n"
        "model.add(TimeDistributed(Dense(1)))\n",
        {"x_shape": (64, 10, 2), "y_shape": (64, 10, 1)},
        "time_distributed_without_time",
    ),
    (
        "Embedding input_dim not above the largest token id",
        KERAS + "model = Sequential()\n"
        "model.add(Embedding(100, 16))\n"
        "model.add(LSTM(8))\n"
        "model.add(Dense(1, activation='sigmoid'))\n"
        "model.compile(loss='binary_crossentropy', optimizer='adam')\n",
        {"X": _tokens(64, 12, 151), "y": np.arange(64) % 2},
        "embedding_input_dim",
    ),
    (
        "zero-padded sequences, no masking",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, input_shape=(20, 2)))\n"
        "model.add(Dense(1))\n",
        {"X": _padded(64, 20, 2), "y": RNG.normal(size=64)},
        "padding_not_masked",
    ),
    (
        "zero-padded token ids, no mask_zero",
        KERAS + "model = Sequential()\n"
        "model.add(Embedding(50, 8))\n"
        "model.add(LSTM(4))\n"
        "model.add(Dense(1, activation='sigmoid'))\n"
        "model.compile(loss='binary_crossentropy', optimizer='adam')\n",
        {"X": _tokens(64, 12, 50, pad=True), "y": np.arange(64) % 2},
        "padding_not_masked",
    ),
    (
        "seed 002: Keras 2 argument names",
        KERAS + "model = Sequential()\n"
        "model.add(RepeatVector(4, input_shape=(10,)))\n"
        "model.add(LSTM(output_dim=3, activation='tanh', inner_activation='sigmoid',\n"
        "               return_sequences=True))\n",
        {"x_shape": (64, 10), "y_shape": (64, 4, 3)},
        "keras2_arguments",
    ),
    (
        "seed 002: recurrent_dropout turns off the fast kernel",
        KERAS + "model = Sequential()\n"
        "model.add(Embedding(50, 8))\n"
        "model.add(LSTM(8, dropout=0.2, recurrent_dropout=0.2))\n"
        "model.add(Dense(1, activation='sigmoid'))\n"
        "model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])\n",
        {"x_shape": (64, 12), "y_shape": (64,), "x_dtype": "int", "task": "binary"},
        "slow_recurrent_kernel",
    ),
    (
        "a relu LSTM turns off the fast kernel",
        KERAS + "model = Sequential()\n"
        "model.add(LSTM(8, activation='relu', input_shape=(10, 1)))\n"
        "model.add(Dense(1))\n",
        {"x_shape": (64, 10, 1), "y_shape": (64,)},
        "slow_recurrent_kernel",
    ),
]


def _case_data(data: dict):
    return read_data(**data)


@pytest.fixture(scope="module")
def diagnosed():
    snippets = [(source, _case_data(data)) for _, source, data, _ in CATALOGUE]
    return diagnose_all(snippets)


def test_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 30


def test_each_broken_model_shows_its_problem(diagnosed):
    for (name, _, _, kind), diagnosis in zip(CATALOGUE, diagnosed, strict=True):
        kinds = [problem.kind for problem in diagnosis.problems]
        assert kind in kinds, (name, kinds, str(diagnosis))
        problem = next(problem for problem in diagnosis.problems if problem.kind == kind)
        assert problem.evidence and problem.why and problem.fix, name
        if problem.severity == "info":
            assert diagnosis.ok, name
        else:
            assert not diagnosis.ok, name


def _runner_case(source: str, data) -> dict:
    return {
        "source": source,
        "x_shape": [64, *data.x_shape],
        "y_shape": [64, *data.y_shape],
        "x_dtype": data.x_dtype,
        "task": data.task,
        "classes": data.n_classes,
        "one_hot": data.y_one_hot,
    }


def test_each_fixed_source_fits_an_epoch_with_y_shape(diagnosed):
    datas = [_case_data(data) for _, _, data, _ in CATALOGUE]
    cases = [
        _runner_case(diagnosis.fixed_source, data)
        for diagnosis, data in zip(diagnosed, datas, strict=True)
    ]
    env = {**os.environ, "KERAS_BACKEND": keras.backend.backend()}
    done = subprocess.run(
        [sys.executable, str(HERE / "doctor_runner.py")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(cases), done.stderr[-3000:]
    for (name, *_), case, data, result in zip(CATALOGUE, cases, datas, results, strict=True):
        assert "error" not in result, (name, case["source"], result["error"])
        assert np.isfinite(result["loss"]), name
        expected = list(data.y_shape) if data.task in (None, "regression") else None
        if expected is not None:
            assert result["output_shape"] == (expected or [1]), (name, case["source"])
        elif data.y_one_hot:
            assert result["output_shape"] == list(data.y_shape), name


def test_fixed_seed_comes_out_as_the_seeds_right_answer(diagnosed):
    fixed = diagnosed[0].fixed_source
    assert "model.add((Dense(20)))\nmodel.add(Reshape((10, 2)))" in fixed
    assert diagnosed[0].output_shape == (10, 2)


def test_fix_is_shown_as_a_code_change(diagnosed):
    problem = next(p for p in diagnosed[2].problems if p.kind == "return_sequences_missing")
    assert problem.change.splitlines() == [
        "-model.add(LSTM(12, input_shape=(40, 1)))",
        "+model.add(LSTM(12, input_shape=(40, 1), return_sequences=True))",
    ]
    assert "tensorflow" not in diagnosed[2].fixed_source
    imports = next(p for p in diagnosed[2].problems if p.kind == "keras_3_imports")
    assert imports.severity == "info"
    assert "+from keras.layers import LSTM, Dense" in imports.change


# -- no false alarms ---------------------------------------------------------------------------


def test_seqshape_models_are_clean():
    from test_code import CASES, _spec_and_options

    for x_shape, y_shape, params in CASES:
        spec, options = _spec_and_options(x_shape, y_shape, params)
        model = build_model(spec, options)
        diagnosis = diagnose(
            model,
            x_shape=x_shape,
            y_shape=y_shape,
            task=spec.task,
            n_classes=spec.n_classes,
            x_dtype="int" if spec.input_kind == "tokens" else "float",
        )
        assert diagnosis.problems == (), (spec.title, params, str(diagnosis))


# -- usage -----------------------------------------------------------------------------------


def test_bad_usage_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="syntax error at line 2"):
        diagnose("model = Sequential(\nmodel.add(LSTM(4)", x_shape=(4, 3, 1), y_shape=(4,))
    with pytest.raises(InvalidInputError, match="x_dtype"):
        diagnose("", x_shape=(4, 3, 1), y_shape=(4,), x_dtype="text")
    with pytest.raises(InvalidInputError, match="x_shape"):
        diagnose("", x_shape=(0, 3), y_shape=(4,))


def test_command_exit_codes(tmp_path, capsys):
    from seqshape.cli import main

    broken = tmp_path / "broken.py"
    broken.write_text(CATALOGUE[2][1])
    good = tmp_path / "good.py"
    good.write_text(
        KERAS + "model = Sequential()\nmodel.add(LSTM(4, input_shape=(6, 1)))\n"
        "model.add(Dense(1))\n"
    )
    shapes = ["--x-shape", "16,6,1", "--y-shape", "16"]
    assert main(["doctor", str(good), *shapes]) == 0
    assert "No problems found" in capsys.readouterr().out
    assert main(["doctor", str(broken), "--x-shape", "16,40,1", "--y-shape", "16,10"]) == 1
    out = capsys.readouterr().out
    assert "return_sequences_missing" in out and "with every fix applied" in out
    assert main(["doctor", str(tmp_path / "missing.py"), *shapes]) == 2
    assert main(["doctor", str(good)]) == 2
