"""Run generated Keras scripts in one subprocess: each script's model, shape and one epoch.

``python tests/code_runner.py a.py b.py ...`` runs each script with ``EPOCHS`` set to 1
(the one line the scripts define it on) in its own namespace, and prints one JSON line
per script: the parameter count and output shape of its ``model``, the epochs trained,
or the error. One process for many scripts: Keras and JAX are imported once.

To keep it cheap (the compilations dominate), ``fit`` runs without its validation pass
and ``predict`` returns zeros of the model's output shape: the training step, the
scaling and the unscaling of the script all run; the evaluation and prediction programs
are not compiled.
"""

from __future__ import annotations

import json
import re
import sys
import traceback


def run(path: str) -> dict:
    import keras

    with open(path) as file:
        text = file.read()
    text, replaced = re.subn(r"^EPOCHS = \d+$", "EPOCHS = 1", text, flags=re.M)
    if replaced != 1:
        return {"path": path, "error": f"EPOCHS defined {replaced} times"}
    namespace = {"__name__": "__main__", "__file__": path}
    history = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            history.append(float(logs["loss"]))

    original_fit = keras.Model.fit

    def fit(self, *args, **kwargs):
        kwargs["callbacks"] = [*kwargs.get("callbacks", []), Record()]
        kwargs["verbose"] = 0
        kwargs.pop("validation_data", None)
        for callback in kwargs["callbacks"]:
            if isinstance(callback, keras.callbacks.EarlyStopping):
                callback.monitor = "loss"
        return original_fit(self, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        import numpy as np

        shape = [len(x), *self.output_shape[1:]]
        shape = [x.shape[axis] if size is None else size for axis, size in enumerate(shape)]
        return np.zeros(shape, dtype="float32")

    original_predict = keras.Model.predict
    keras.Model.fit = fit
    keras.Model.predict = predict
    try:
        exec(compile(text, path, "exec"), namespace)
    except Exception:
        return {"path": path, "error": traceback.format_exc(limit=-3)}
    finally:
        keras.Model.fit = original_fit
        keras.Model.predict = original_predict
    model = namespace["model"]
    shape = model.output_shape
    return {
        "path": path,
        "params": int(model.count_params()),
        "output_shape": list(shape) if isinstance(shape, tuple) else shape,
        "losses": history,
    }


if __name__ == "__main__":
    from seqshape._backend import enable_compilation_cache

    enable_compilation_cache()  # a second run of the tests compiles nothing
    for script in sys.argv[1:]:
        print(json.dumps(run(script)), flush=True)
