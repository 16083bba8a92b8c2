"""NeuralForecast ``LSTM(h=10, input_size=40)`` with the same hidden sizes.

NeuralForecast models are univariate: every sample and channel becomes its own series
(one ``unique_id``), 40 + 10 steps long, so it sees the same windows as the others (each
channel forecast on its own). It trains by gradient steps: ``max_steps`` is set to the
same number of epochs over those series at the same batch size; an "epoch" ends every
``ceil(series / batch)`` steps, where a Lightning callback records the training time and
then, with the clock stopped, the validation error of NeuralForecast's own network on
the validation windows. Loss: mean squared error, as for the others (its default is
MAE). Scaling: the same per-feature standardisation, applied before NeuralForecast sees
the data (``scaler_type='identity'``). Its decoder is an MLP over the last 10 encoder
outputs, so its parameter count differs from the others'.
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
import torch  # noqa: E402
from neuralforecast import NeuralForecast  # noqa: E402
from neuralforecast.losses.pytorch import MSE  # noqa: E402
from neuralforecast.models import LSTM  # noqa: E402
from pytorch_lightning.callbacks import Callback  # noqa: E402

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


class StepLog(Callback):
    """Training seconds every ``steps_per_epoch`` steps, then the validation error
    (not timed)."""

    def __init__(self, steps_per_epoch: int, validate):
        self.steps_per_epoch, self.validate = steps_per_epoch, validate
        self.steps, self.ends, self.errors = 0, [], []

    def on_train_start(self, trainer, module):
        self.started = time.perf_counter()

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_index):
        self.steps += 1
        if self.steps % self.steps_per_epoch == 0:
            self.ends.append(time.perf_counter() - self.started)
            paused = time.perf_counter()
            self.errors.append(self.validate(module))
            self.started += time.perf_counter() - paused


def main() -> None:
    data, config = _common.load(sys.argv[1]), _common.config()
    X_train, y_train = data["X_train"], data["y_train"]
    mean, scale = _common.standardisation(X_train)
    steps_in, steps_out = X_train.shape[1], y_train.shape[1]
    series_count = len(X_train) * X_train.shape[-1]
    steps_per_epoch = int(np.ceil(series_count / config["batch_size"]))
    X_val = data["X_val"]
    val_windows = torch.from_numpy(
        ((X_val - mean) / scale).transpose(0, 2, 1).reshape(-1, steps_in, 1).astype("float32")
    )

    def validate(module):
        training = module.training
        module.eval()
        with torch.no_grad():
            out = module(
                {
                    "insample_y": val_windows,
                    "futr_exog": None,
                    "hist_exog": None,
                    "stat_exog": None,
                }
            )
        module.train(training)
        values = out[..., 0].numpy().reshape(len(X_val), X_val.shape[-1], steps_out)
        return _common.mae(data["y_val"], values.transpose(0, 2, 1) * scale + mean)

    log = StepLog(steps_per_epoch, validate)
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
        loss=MSE(),
        valid_loss=MSE(),
        random_seed=0,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
        accelerator="cpu",
        callbacks=[log],
    )
    forecaster = NeuralForecast(models=[model], freq=1)
    frame = long_frame((X_train - mean) / scale, (y_train - mean) / scale)
    forecaster.fit(frame)
    # NeuralForecast trains a copy of the model, with a copy of its callbacks
    callbacks = forecaster.models[0].trainer_kwargs["callbacks"]
    log = next(c for c in callbacks if isinstance(c, StepLog))

    def predict(X):
        frame = long_frame((X - mean) / scale)
        forecast = forecaster.predict(df=frame)
        values = forecast["LSTM"].to_numpy().reshape(len(X), X.shape[-1], steps_out)
        return values.transpose(0, 2, 1) * scale + mean

    log.errors[-1] = _common.checked_val_error(data, config, predict, log.errors)
    _common.report_run(import_seconds, data, config, predict, log.ends, log.errors, repeats=30)


if __name__ == "__main__":
    main()
