"""NeuralForecast ``LSTM(h=10, input_size=40)`` with the same hidden sizes.

NeuralForecast models are univariate: every sample and channel becomes its own series
(one ``unique_id``), 40 + 10 steps long, so it sees the same windows as the others (each
channel forecast on its own). It trains by gradient steps: ``max_steps`` is set to the
same number of epochs over those series at the same batch size, and its epoch time is
the whole fit's time divided by the epochs (its set-up included). Scaling: the same
per-feature standardisation, applied before NeuralForecast sees the data
(``scaler_type='identity'``). Its decoder is an MLP over the encoder's context, so its
parameter count differs from the others'.
Run: python neuralforecast_bench.py DATA.npz CONFIG_JSON (in an environment with it).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings

started_import = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from neuralforecast import NeuralForecast  # noqa: E402
from neuralforecast.models import LSTM  # noqa: E402

import_seconds = time.perf_counter() - started_import
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

warnings.filterwarnings("ignore")
for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "neuralforecast"):
    logging.getLogger(name).setLevel(logging.ERROR)


def long_frame(X, y=None) -> pd.DataFrame:
    """(samples, steps, channels) -> one series per sample and channel, long format."""
    values = X if y is None else np.concatenate([X, y], axis=1)
    samples, steps, channels = values.shape
    ids = np.repeat(np.arange(samples * channels), steps)
    series = values.transpose(0, 2, 1).reshape(-1)
    return pd.DataFrame(
        {
            "unique_id": ids,
            "ds": np.tile(np.arange(steps), samples * channels),
            "y": series.astype("float32"),
        }
    )


def main() -> None:
    data, config = _common.load(sys.argv[1]), _common.config()
    X_train, y_train = data["X_train"], data["y_train"]
    mean, scale = _common.standardisation(X_train)
    steps_in, steps_out = X_train.shape[1], y_train.shape[1]
    series_count = len(X_train) * X_train.shape[-1]
    steps_per_epoch = int(np.ceil(series_count / config["batch_size"]))
    model = LSTM(
        h=steps_out,
        input_size=steps_in,
        encoder_n_layers=len(config["units"]),
        encoder_hidden_size=config["units"][0],
        decoder_hidden_size=config["units"][0],
        max_steps=config["epochs"] * steps_per_epoch,
        learning_rate=config["learning_rate"],
        batch_size=config["batch_size"],
        windows_batch_size=config["batch_size"],
        scaler_type="identity",
        random_seed=0,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
        accelerator="cpu",
    )
    forecaster = NeuralForecast(models=[model], freq=1)
    frame = long_frame((X_train - mean) / scale, (y_train - mean) / scale)
    started = time.perf_counter()
    forecaster.fit(frame)
    # its trainer runs no per-batch callbacks of ours: the whole fit, split evenly
    seconds_per_epoch = (time.perf_counter() - started) / config["epochs"]

    def predict(X):
        frame = long_frame((X - mean) / scale)
        forecast = forecaster.predict(df=frame)
        values = forecast["LSTM"].to_numpy().reshape(len(X), X.shape[-1], steps_out)
        return values.transpose(0, 2, 1) * scale + mean

    per_epoch = [seconds_per_epoch * (epoch + 1) for epoch in range(config["epochs"])]
    val_error = _common.mae(data["y_val"], predict(data["X_val"]))
    X_test = data["X_test"]
    _common.report(
        {
            **_common.training_result(
                import_seconds,
                len(X_train),
                per_epoch,
                val_error,
                _common.mae(data["y_test"], predict(X_test)),
                per_epoch[-1] if val_error <= config["target"] else None,
            ),
            **_common.prediction_result(
                lambda: predict(X_test[:1]), lambda: predict(X_test), len(X_test), repeats=30
            ),
        }
    )


if __name__ == "__main__":
    main()
