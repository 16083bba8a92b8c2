"""``seqshape code``: the generated scripts rebuild seqshape's models exactly, and train.

Every registered topology and strategy, with several option sets, is written as a
script; all scripts run in one subprocess (Keras imported once): each script's model
must have ``build_model``'s parameter count and output shape, and one epoch must run.
ruff must pass on every script. The seeds' own models come out as the seeds wrote them
where they were right, and corrected where they were wrong.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import seqshape
from seqshape.builders import (
    ArchitectureOptions,
    build_model,
    register_builder,
    spec_from_shapes,
    strategies,
    temporary_registrations,
    topologies,
)
from seqshape.code import keras_code
from seqshape.code import source as code_source
from seqshape.code.custom_layers import class_sources
from seqshape.combination import ridge_kernel
from seqshape.errors import InvalidInputError
from seqshape.params import params_of

HERE = Path(__file__).resolve().parent
RUFF = Path(sys.executable).with_name("ruff")
RUFF_RULES = "E,F,W,I,B,UP,N,SIM,RUF"

SEQUENCE = ((24, 12, 2), (24, 4, 2))  # 12 steps in, 4 out
SHORT_TO_LONG = ((24, 4, 2), (24, 6, 2))

# (x_shape, y_shape, parameters): every topology and strategy, several option sets
CASES: list[tuple[tuple, tuple, dict]] = [
    ((24, 5), (24,), {"units": (8,)}),
    ((24, 5), (24, 3), {"units": (8, 4), "strategy": "dense"}),
    ((24, 1, 5), (24, 2), {"units": (6,), "cell": "gru"}),
    ((24, 1, 1), (24, 1), {"units": (5,)}),  # the seeds' "echo": 146 parameters
    ((24, 3), (24, 6, 2), {"units": (6,), "bidirectional": True}),
    ((24, 3), (24, 5, 1), {"units": (4, 4), "task": "multiclass", "n_classes": 3}),
    ((24, 12, 2), (24,), {"units": (12, 12, 6)}),
    ((24, 12, 2), (24,), {"units": (4,), "mask_value": -1.0, "dropout": 0.1}),
    ((24, 12), (24,), {"vocabulary_size": 50, "task": "multiclass", "n_classes": 4}),
    ((24, 12), (24,), {"vocabulary_size": 50, "mask_value": 0, "units": (4,)}),
    ((24, 12, 2), (24,), {"strategy": "lstm_fcn", "task": "binary", "n_classes": 2}),
    (
        (24, 12, 2),
        (24,),
        {"strategy": "lstm_fcn", "task": "multiclass", "n_classes": 3, "mask_value": -1.0},
    ),
    ((24, 12, 2), (24, 12, 1), {"task": "binary", "n_classes": 2, "mask_value": -1.0}),
    ((24, 12, 2), (24, 12, 1), {"units": (4,), "cell": "simple_rnn"}),
    ((*SEQUENCE[0],), SEQUENCE[1], {"units": (6, 3)}),
    ((*SEQUENCE[0],), SEQUENCE[1], {"normalization": "window", "units": (4,)}),
    ((*SEQUENCE[0],), SEQUENCE[1], {"strategy": "last_steps", "bidirectional": True}),
    ((*SEQUENCE[0],), SEQUENCE[1], {"strategy": "dense_head", "units": (12, 12, 6)}),
    ((24, 12, 2), (24, 4, 1), {"strategy": "dense_head", "task": "multiclass", "n_classes": 3}),
    ((*SHORT_TO_LONG[0],), SHORT_TO_LONG[1], {"strategy": "pad", "cell": "gru"}),
    ((*SEQUENCE[0],), SEQUENCE[1], {"topology": "channel_independent", "units": (4,)}),
    (
        (*SEQUENCE[0],),
        SEQUENCE[1],
        {"topology": "channel_independent", "strategy": "encoder_decoder", "units": (3,)},
    ),
    (
        (*SEQUENCE[0],),
        SEQUENCE[1],
        {"topology": "channel_independent", "strategy": "last_steps", "normalization": "window"},
    ),
    (
        (*SHORT_TO_LONG[0],),
        SHORT_TO_LONG[1],
        {"topology": "channel_independent", "strategy": "pad", "units": (3,)},
    ),
    ((12, 4, 6, 6, 1), (12,), {"filters": (4,), "units": (4,)}),
    ((12, 4, 6, 6, 1), (12, 4, 1), {"strategy": "conv_lstm", "filters": (2, 3), "units": (3,)}),
]


def _spec_and_options(x_shape, y_shape, params):
    """The spec and options ``keras_code`` reads from the same arguments."""
    from seqshape.code import _normalization, _task

    params = dict(params)
    n_classes = params.pop("n_classes", None)
    names = {p.name for p in params_of("architecture")}
    options = ArchitectureOptions(**{k: v for k, v in params.items() if k in names})
    mask = params.get("mask_value")
    spec = spec_from_shapes(
        x_shape[1:],
        y_shape[1:],
        topology=params.get("topology", "auto"),
        strategy=params.get("strategy", "auto"),
        task=_task(params.get("task", "auto"), n_classes),
        n_classes=n_classes,
        vocabulary_size=params.get("vocabulary_size"),
        mask_value=None if mask is None else float(mask),
    )
    return _normalization(spec, params.get("normalization", "auto")), options


def run_scripts(paths: list[Path]) -> list[dict]:
    """Run scripts in one subprocess (``tests/code_runner.py``); one result a script."""
    env = {**os.environ, "KERAS_BACKEND": keras.backend.backend()}
    done = subprocess.run(
        [sys.executable, str(HERE / "code_runner.py"), *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(paths), done.stderr[-3000:]
    return results


def ruff_problems(folder: Path) -> str:
    """ruff's complaints about every script in ``folder`` (empty when clean), with the
    project's rules at ruff's default line length, and ruff's formatter."""
    if not RUFF.exists():
        pytest.skip("ruff is not installed beside this Python")
    check = subprocess.run(
        [
            str(RUFF),
            "check",
            "--isolated",
            "--select",
            RUFF_RULES,
            "--line-length",
            "88",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    formatting = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", "--diff", str(folder)],
        capture_output=True,
        text=True,
    )
    return (check.stdout if check.returncode else "") + (
        formatting.stdout if formatting.returncode else ""
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Every case's script on disk, what build_model builds for it, and the run results."""
    folder = tmp_path_factory.mktemp("scripts")
    cases = []
    for number, (x_shape, y_shape, params) in enumerate(CASES):
        spec, options = _spec_and_options(x_shape, y_shape, params)
        expected = build_model(spec, options)
        script = keras_code(x_shape, y_shape, **params)
        path = folder / f"case_{number:02d}.py"
        path.write_text(script)
        cases.append((spec, expected, path, script))
    fitted_paths, fitted_models = _fitted_scripts(folder)
    results = run_scripts([case[2] for case in cases] + fitted_paths)
    return (
        folder,
        cases,
        results[: len(cases)],
        list(zip(fitted_models, results[len(cases) :], strict=True)),
    )


def _fitted_scripts(folder: Path) -> tuple[list[Path], list]:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=(40, 10, 2)), axis=1)
    labelled = rng.normal(size=(40, 8, 2))
    fits = [
        (seqshape.SequenceModel(units=4, epochs=1), walk[:, :8], walk[:, 8:]),  # window
        (
            seqshape.SequenceModel(units=4, epochs=1, normalization="global"),
            walk[:, :8],
            walk[:, 8:, 0],
        ),
        (
            seqshape.SequenceClassifier(units=4, epochs=1, strategy="last_state"),
            labelled,
            np.where(labelled[:, -1, 0] > 0, "up", "down"),
        ),
        (  # a rare class: weighed in the loss (class_weight="auto")
            seqshape.SequenceClassifier(units=4, epochs=1, strategy="last_state"),
            labelled,
            np.where(labelled[:, -1, 0] > 0.7, "fault", "ok"),  # 5 of 40
        ),
    ]
    paths, models = [], []
    for number, (model, X, y) in enumerate(fits):
        model.fit(X, y)
        path = folder / f"fitted_{number}.py"
        path.write_text(model.to_keras_code())
        paths.append(path)
        models.append(model)
    return paths, models


def test_cases_cover_every_topology_and_strategy():
    covered = {
        (spec.topology, spec.strategy) for spec in (_spec_and_options(*case)[0] for case in CASES)
    }
    registered = {(t, s) for t in topologies() for s in strategies(t)}
    assert registered <= covered, registered - covered


def test_every_script_rebuilds_the_model_and_trains_an_epoch(generated):
    _, cases, results, _ = generated
    for (spec, expected, path, _), result in zip(cases, results, strict=True):
        assert "error" not in result, (spec.title, path.read_text(), result["error"])
        assert result["params"] == expected.count_params(), (spec.title, path.read_text())
        assert tuple(result["output_shape"]) == expected.output_shape, spec.title
        assert len(result["losses"]) == 1 and np.isfinite(result["losses"][0]), spec.title


def test_fitted_scripts_rebuild_the_fitted_model(generated):
    _, _, _, fitted = generated
    for model, result in fitted:
        assert "error" not in result, result["error"]
        assert result["params"] == model.model_.count_params()
        assert tuple(result["output_shape"]) == model.model_.output_shape
        assert len(result["losses"]) == 1


def test_scripts_are_ruff_clean(generated):
    folder, *_ = generated
    assert ruff_problems(folder) == ""


def test_scripts_import_only_keras_and_numpy(generated):
    _, cases, _, _ = generated
    for _, _, _, script in cases:
        imports = re.findall(r"^(?:import|from) (\S+)", script, flags=re.M)
        assert set(imports) == {"keras", "numpy"}, imports


def test_each_layer_has_its_output_shape(generated):
    _, cases, _, _ = generated
    spec, expected, _, script = cases[6]  # many-to-one, units 12, 12, 6
    assert spec.topology == "many_to_one"
    for layer in expected.layers[1:]:
        assert f"# {code_source.shape_words(layer.output.shape)}" in script


def test_fitted_script_writes_the_scaling_and_labels(generated):
    _, _, _, fitted = generated
    window, global_, classifier, weighted = (model.to_keras_code() for model, _ in fitted)
    assert "InstanceNormalization(" in window and "X_MEAN" not in window
    mean = fitted[1][0].x_scaler_.mean_
    assert f"X_MEAN = np.array([{float(mean[0])!r}, {float(mean[1])!r}])" in global_
    assert 'CLASSES = np.array(["down", "up"])' in classifier
    assert "np.searchsorted(CLASSES, y)" in classifier
    assert "CLASS_WEIGHTS" not in classifier
    weights = fitted[3][0].class_weights_
    assert weights is not None and weights[0] > 4 * weights[1]  # 'fault' is rare
    assert f"CLASS_WEIGHTS = np.array([{float(weights[0])!r}, {float(weights[1])!r}])" in weighted
    assert "sample_weight=CLASS_WEIGHTS[targets_all[:n_train]]," in weighted


# -- the seeds' own models -------------------------------------------------------------


def _layer_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if "keras.layers." in line]


def test_seed_stacked_lstm_comes_out_as_written():
    """seeds/000: LSTM(12, rs) -> LSTM(12, rs) -> LSTM(6) -> Dense(10): 2,398 parameters."""
    script = keras_code((1200, 40, 1), (1200, 10), units=(12, 12, 6))
    assert _layer_lines(script) == [
        "keras.layers.LSTM(12, return_sequences=True),  # (batch, 40, 12)",
        "keras.layers.LSTM(12, return_sequences=True),  # (batch, 40, 12)",
        "keras.layers.LSTM(6),  # (batch, 6)",
        'keras.layers.Dense(10, name="head"),  # (batch, 10)',
    ]
    spec = spec_from_shapes((40, 1), (10,))
    assert build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params() == 2398


def test_seed_dense_tuple_is_corrected_to_dense_and_reshape():
    """seeds/000 wrote Dense((10, 2)), which does not exist: Dense(20) + Reshape((10, 2))
    is the correct answer from the same page, 2,516 parameters."""
    script = keras_code((1200, 40, 2), (1200, 10, 2), strategy="dense_head", units=(12, 12, 6))
    layers = _layer_lines(script)
    assert 'keras.layers.Dense(20, name="head"),  # (batch, 20)' in layers
    assert 'keras.layers.Reshape((10, 2), name="steps"),  # (batch, 10, 2)' in layers
    assert "Dense((10, 2))" not in script
    spec = spec_from_shapes((40, 2), (10, 2), strategy="dense_head")
    assert build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params() == 2516


def test_seed_channel_independent_is_corrected_to_permute():
    """seeds/000's TimeDistributed answer reshaped (40, 2) to (2, 40, 1) and (2, 10) to
    (10, 2), which mixes the two series' steps; the channels are moved with Permute."""
    script = keras_code(
        (1200, 40, 2), (1200, 10, 2), topology="channel_independent", units=(12, 12, 6)
    )
    outer = script[script.index("model = keras.Sequential(") :]
    layers = _layer_lines(outer)
    assert layers[0].startswith('keras.layers.Permute((2, 1), name="channels_first")')
    assert layers[1].startswith('keras.layers.Reshape((2, 40, 1), name="split_channels")')
    assert layers[-1].startswith('keras.layers.Permute((2, 1), name="steps_first")')
    assert "keras.layers.TimeDistributed(univariate" in outer
    assert "univariate = keras.Sequential(" in script
    spec = spec_from_shapes((40, 2), (10, 2), topology="channel_independent")
    assert build_model(spec, ArchitectureOptions(units=(12, 12, 6))).count_params() == 2398


@pytest.mark.parametrize(("classes", "params"), [(2, 213_301), (7, 213_907)])
def test_seed_embedding_classifiers(classes, params):
    """seeds/002: Embedding(5000, 32) -> LSTM(100) -> Dense(1, sigmoid) or Dense(7, softmax)."""
    task = "binary" if classes == 2 else "multiclass"
    script = keras_code(
        (1000, 500), (1000,), task=task, n_classes=classes, vocabulary_size=5000, units=100
    )
    head = 'Dense(1, activation="sigmoid"' if classes == 2 else 'Dense(7, activation="softmax"'
    assert "keras.layers.Embedding(5000, 32" in script and head in script
    loss = "binary_crossentropy" if classes == 2 else "sparse_categorical_crossentropy"
    assert f'loss="{loss}"' in script
    spec = spec_from_shapes((500,), (), task=task, n_classes=classes, vocabulary_size=5000)
    assert build_model(spec, ArchitectureOptions(units=(100,))).count_params() == params


def test_seed_lambda_is_replaced_by_cropping():
    """seeds/001 kept the last N steps with Lambda(lambda x: x[:, -N:, :]), which does not
    load in safe mode: the script keeps them with Cropping1D."""
    script = keras_code((100, 6, 1), (100, 3, 1), strategy="last_steps", units=(1,))
    assert 'keras.layers.Cropping1D(cropping=(3, 0), name="last_steps")' in script
    assert "Lambda" not in script


# -- custom layers and user builders ----------------------------------------------------


def test_script_layer_classes_compute_what_seqshape_layers_compute():
    from seqshape import layers as ours

    namespace: dict = {"keras": keras, "np": np}
    names = [
        "InstanceNormalization",
        "InstanceDenormalization",
        "PaddingMask",
        "ZeroMaskedSteps",
        "MaskedGlobalAveragePooling1D",
        "SeasonalNaive",
        "SeasonalWeights",
        "RidgeCombination",
    ]
    exec("\n\n".join(class_sources(names)), namespace)
    numpy = keras.ops.convert_to_numpy  # any backend's tensors, gradients or not
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, size=(4, 7, 3)).astype("float32")
    x[1, -2:, :] = -1.0  # padding
    for kwargs in ({"location": "last", "mask_value": -1.0}, {"features": (0, 2)}):
        theirs, mine = (
            namespace["InstanceNormalization"](**kwargs),
            ours.InstanceNormalization(**kwargs),
        )
        theirs.build(x.shape)
        mine.build(x.shape)
        for weights in (theirs, mine):
            weights.set_weights([np.full(3, 1.5, "float32"), np.full(3, 0.25, "float32")])
        for a, b in zip(theirs(x), mine(x), strict=True):
            np.testing.assert_allclose(numpy(a), numpy(b), rtol=1e-6)
        restored = [numpy(part) for part in mine(x)[1:]]
        outputs = rng.normal(size=(4, 5, 2)).astype("float32")
        args = [outputs, *restored]
        np.testing.assert_allclose(
            numpy(namespace["InstanceDenormalization"]((2, 0))(args)),
            numpy(ours.InstanceDenormalization((2, 0))(args)),
        )
    mask = numpy(ours.PaddingMask(-1.0)(x))
    np.testing.assert_array_equal(numpy(namespace["PaddingMask"](-1.0)(x)), mask)
    for name in ("ZeroMaskedSteps", "MaskedGlobalAveragePooling1D"):
        np.testing.assert_allclose(
            numpy(namespace[name]()([x, mask])), numpy(getattr(ours, name)()([x, mask]))
        )
    for kwargs in (
        {"season": 3, "target_features": (2, 0), "steps": 5},
        {"season": 2, "target_features": (1,), "steps": None, "seasons": 3},
        {"season": 3, "target_features": (0, 1), "steps": 7, "drift": True},
    ):
        np.testing.assert_allclose(
            numpy(namespace["SeasonalNaive"](**kwargs)(x)),
            numpy(ours.SeasonalNaive(**kwargs)(x)),
        )
    for kwargs in (
        {"season": 3, "target_features": (2, 0), "steps": 5},
        {"season": 2, "target_features": (1,), "steps": None},
    ):
        theirs, mine = namespace["SeasonalWeights"](**kwargs), ours.SeasonalWeights(**kwargs)
        theirs.build(x.shape)
        mine.build(x.shape)
        kernel = rng.normal(size=mine.kernel.shape).astype("float32")
        for layer in (theirs, mine):
            layer.set_weights([kernel])
        np.testing.assert_allclose(numpy(theirs(x)), numpy(mine(x)), rtol=1e-5, atol=1e-6)
    forecast = rng.normal(size=(4, 5, 2)).astype("float32")
    for steps, outputs in ((5, forecast), (None, forecast[:, 0, :])):
        kwargs = {"target_features": (2, 0), "steps": steps}
        theirs, mine = namespace["RidgeCombination"](**kwargs), ours.RidgeCombination(**kwargs)
        theirs.build([outputs.shape, x.shape])
        mine.build([outputs.shape, x.shape])
        kernel = rng.normal(size=mine.kernel.shape).astype("float32")
        for layer in (theirs, mine):
            layer.set_weights([kernel, np.asarray(0.3, "float32")])
        np.testing.assert_allclose(
            numpy(theirs([outputs, x])), numpy(mine([outputs, x])), rtol=1e-5, atol=1e-5
        )


def test_a_scripts_ridge_is_seqshapes(tmp_path):
    """The closed-form map a script fits for RidgeCombination is the one seqshape fits,
    and the script sets the share seqshape chose."""
    rng = np.random.default_rng(3)
    series = np.sin(np.arange(400) * 2 * np.pi / 12) * 3 + rng.normal(0, 0.3, 400) + 10
    X = np.stack([series[i : i + 24] for i in range(360)])[..., None]
    y = np.stack([series[i + 24 : i + 30] for i in range(360)])[..., None]
    model = seqshape.SequenceModel(epochs=1, units=(4,), random_state=0).fit(X, y)
    assert model.spec_.ridge_share is not None
    script = model.to_keras_code()
    assert f"RIDGE_SHARE = {model.spec_.ridge_share!r}" in script
    start = script.index("TARGET_FEATURES = ")
    end = script.index("ridge = next(")
    namespace = {"np": np, "X": X, "y": y, "n_train": 300}
    exec(script[start:end], namespace)
    np.testing.assert_allclose(
        namespace["kernel"], ridge_kernel(X[:300], y[:300], (0,)), rtol=1e-6, atol=1e-8
    )


def test_user_builder_without_code_is_read_off_its_model():
    with temporary_registrations():

        @register_builder("many_to_one", "mean_pool")
        def mean_pool(inputs, spec, options):
            x = keras.layers.LSTM(options.units[0], return_sequences=True)(inputs)
            x = keras.layers.GlobalAveragePooling1D()(x)
            return keras.layers.Dense(spec.head_units)(x)

        script = keras_code((50, 9, 2), (50,), strategy="mean_pool", units=5)
    assert "keras.layers.GlobalAveragePooling1D()" in script


class _Doubling(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


def test_user_builder_with_its_own_layer_needs_code():
    def body(inputs, spec, options):
        return keras.layers.Dense(spec.head_units)(_Doubling()(keras.layers.LSTM(3)(inputs)))

    with temporary_registrations():
        register_builder("many_to_one", "doubled")(body)
        with pytest.raises(InvalidInputError, match=r"code=.*register_builder"):
            keras_code((50, 9, 2), (50,), strategy="doubled")


def test_user_builder_code_is_used(tmp_path):
    def code(spec, options):
        return (
            "model = keras.Sequential([\n"
            f"    keras.Input(shape={spec.input_shape}),\n"
            f"    keras.layers.LSTM({options.units[0]}),\n"
            "    keras.layers.Rescaling(2.0),\n"
            f"    keras.layers.Dense({spec.head_units}),\n"
            "])"
        )

    def body(inputs, spec, options):
        return keras.layers.Dense(spec.head_units)(_Doubling()(keras.layers.LSTM(3)(inputs)))

    with temporary_registrations():
        register_builder("many_to_one", "doubled", code=code)(body)
        script = keras_code((50, 9, 2), (50,), strategy="doubled", units=3)
    assert "keras.layers.Rescaling(2.0)" in script and "_Doubling" not in script


def test_bad_arguments_are_clear_errors():
    with pytest.raises(InvalidInputError, match="y_shape"):
        keras_code((10, 4, 2), (9, 2))
    with pytest.raises(InvalidInputError, match="units"):
        keras_code((10, 4, 2), (10, 2), units=0)
    with pytest.raises(InvalidInputError, match="model parameters"):
        keras_code((10, 4, 2), (10, 2), unit=4)
    with pytest.raises(InvalidInputError, match="normalization"):
        keras_code((10, 4, 2), (10,), task="binary", n_classes=2, normalization="window")


def test_the_command_prints_the_script(capsys):
    from seqshape.cli import main

    assert (
        main(["code", "--x-shape", "1200,40,1", "--y-shape", "1200,10", "--units", "12,12,6"]) == 0
    )
    out = capsys.readouterr().out
    assert "keras.layers.LSTM(6),  # (batch, 6)" in out
    assert "`seqshape code --x-shape 1200,40,1 --y-shape 1200,10 --units 12,12,6`" in out
    assert main(["code", "--x-shape", "10,4", "--y-shape", "9"]) == 2
