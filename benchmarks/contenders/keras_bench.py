"""Contenders on Keras: seqshape itself, and the same model written by hand in Keras.

Run: python keras_bench.py DATA.npz CONFIG_JSON, with CONFIG_JSON's "contender" either
"seqshape" or "keras".
"""

from __future__ import annotations

import os
import sys
import time

started_import = time.perf_counter()
os.environ.setdefault("KERAS_BACKEND", "jax")
if "seqshape" in sys.argv[2]:
    import seqshape  # noqa: F401
import keras  # noqa: E402

import_seconds = time.perf_counter() - started_import
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


class EpochLog(keras.callbacks.Callback):
    def __init__(self, validate):
        super().__init__()
        self.validate, self.ends, self.errors = validate, [], []

    def on_train_begin(self, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.perf_counter() - self.started)
        paused = time.perf_counter()
        self.errors.append(self.validate())
        self.started += time.perf_counter() - paused  # validation is not training time


def hand_written(config, steps_in, features, steps_out, targets):
    """What a careful user writes by hand: scaled inputs, dense head (or classifier)."""
    inputs = keras.Input((steps_in, features))
    x = inputs
    for position, units in enumerate(config["units"]):
        x = keras.layers.LSTM(units, return_sequences=position < len(config["units"]) - 1)(x)
    if config["task"] == "classification":
        outputs = keras.layers.Dense(config["classes"], activation="softmax")(x)
    else:
        x = keras.layers.Dense(steps_out * targets)(x)
        outputs = keras.layers.Reshape((steps_out, targets))(x)
    model = keras.Model(inputs, outputs)
    loss = (
        "sparse_categorical_crossentropy"
        if config["task"] == "classification"
        else "mean_squared_error"
    )
    model.compile(keras.optimizers.Adam(config["learning_rate"]), loss)
    return model


def main() -> None:
    data, config = _common.load(sys.argv[1]), _common.config()
    X_train, y_train = data["X_train"], data["y_train"]
    X_val, y_val, X_test = data["X_val"], data["y_val"], data["X_test"]
    classification = config["task"] == "classification"
    keras.utils.set_random_seed(0)
    if config["contender"].startswith("seqshape"):
        from seqshape import SequenceModel

        estimator = SequenceModel(
            units=tuple(config["units"]),
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            learning_rate=config["learning_rate"],
            patience=10**6,
            strategy="auto" if classification else "dense_head",
        )

        def validate():
            return _common.task_error(y_val, predict(X_val), config)

        log = EpochLog(validate)
        original_fit = keras.Model.fit

        def fit_with_log(self, *args, callbacks=(), **kwargs):
            return original_fit(self, *args, callbacks=[*callbacks, log], **kwargs)

        keras.Model.fit = fit_with_log

        def predict(X):
            return estimator.predict(X)

        # seqshape holds out no extra validation: the same data as the hand-written model
        estimator.fit(X_train, y_train, validation_data=(X_val, y_val))
        keras.Model.fit = original_fit
        predict_one = None  # seqshape's own predict, on one sample
    else:
        mean, scale = _common.standardisation(X_train)
        y_mean, y_scale = (0.0, 1.0) if classification else _common.standardisation(y_train)
        scaled = lambda X: ((X - mean) / scale).astype("float32")  # noqa: E731
        model = hand_written(
            config,
            X_train.shape[1],
            X_train.shape[2],
            *(y_train.shape[1:] if not classification else (1, 1)),
        )

        def predict(X):
            out = model.predict(scaled(X), batch_size=256, verbose=0)
            return out.argmax(-1) if classification else out * y_scale + y_mean

        def validate():
            return _common.task_error(y_val, predict(X_val), config)

        log = EpochLog(validate)
        targets = y_train if classification else (y_train - y_mean) / y_scale
        model.fit(
            scaled(X_train),
            targets.astype("float32" if not classification else "int32"),
            validation_data=(
                scaled(X_val),
                (y_val if classification else (y_val - y_mean) / y_scale),
            ),
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            shuffle=True,
            callbacks=[log],
            verbose=0,
        )
        predict_one = lambda: model.predict_on_batch(scaled(X_test[:1]))  # noqa: E731
    _common.report_run(
        import_seconds, data, config, predict, log.ends, log.errors, predict_one=predict_one
    )


if __name__ == "__main__":
    main()
