"""Fit fixed snippets for one epoch in one subprocess: each one's output shape, or the error.

``python tests/doctor_runner.py < cases.json``: each case is ``{"source", "x_shape",
"y_shape", "x_dtype", "task", "classes"}``. The snippet runs statement by statement (a
statement using data it never defines is skipped, as ``seqshape doctor`` does), then
its ``model`` is compiled when the snippet did not (mean squared error, or the task's
cross-entropy) and fitted one epoch on random data of the given shapes. One JSON line
per case: the model's output shape per sample and the loss, or the error.
"""

from __future__ import annotations

import ast
import contextlib
import json
import sys
import traceback


def run(case: dict) -> dict:
    import keras
    import numpy as np

    namespace: dict = {"__name__": "__snippet__"}
    fit, summary = keras.Model.fit, keras.Model.summary
    keras.Model.fit = keras.Model.summary = lambda self, *args, **kwargs: None
    try:
        for statement in ast.parse(case["source"]).body:
            with contextlib.suppress(NameError):  # data the snippet never defines
                exec(compile(ast.Module([statement], []), "<fixed>", "exec"), namespace)
    finally:
        keras.Model.fit, keras.Model.summary = fit, summary
    model = namespace["model"]
    rng = np.random.default_rng(0)
    samples = 8
    x_shape = (samples, *case["x_shape"][1:])
    if case["x_dtype"] == "int":
        X = rng.integers(1, 20, size=x_shape)
    else:
        X = rng.normal(size=x_shape).astype("float32")
    y_shape = (samples, *case["y_shape"][1:])
    task = case["task"] or "regression"
    if task == "regression":
        y = rng.normal(size=y_shape).astype("float32")
    elif case.get("one_hot"):
        y = np.eye(y_shape[-1], dtype="float32")[rng.integers(0, y_shape[-1], size=samples)]
    else:
        y = rng.integers(0, case["classes"] or 2, size=y_shape)
    if not model.compiled:
        loss = {
            "regression": "mse",
            "binary": "binary_crossentropy",
            "multiclass": "sparse_categorical_crossentropy",
        }[task]
        model.compile(optimizer="adam", loss=loss)
    history = model.fit(X, y, epochs=1, batch_size=samples, verbose=0)
    return {"output_shape": list(model.output_shape[1:]), "loss": history.history["loss"][0]}


if __name__ == "__main__":
    from seqshape._backend import enable_compilation_cache

    enable_compilation_cache()  # a second run of the tests compiles nothing
    for case in json.load(sys.stdin):
        try:
            result = run(case)
        except Exception:
            result = {"error": traceback.format_exc(limit=-3)}
        print(json.dumps(result), flush=True)
