"""Darts ``BlockRNNModel``: an LSTM whose last 10 outputs go through a fully connected
layer (Darts 0.48's layout; seqshape calls it ``last_steps``).

Each sample's 40 + 10 steps are given to Darts as its own short series, so Darts sees
exactly the same windows as the other contenders. Scaling: the same per-feature
standardisation, fitted on the training windows, applied before Darts sees the data.
The validation error is taken after every epoch from Darts' own network on the
validation windows, with the clock stopped, as for the Keras contenders.
Run: python darts_bench.py DATA.npz CONFIG_JSON (in an environment with darts).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings

started_import = time.perf_counter()
import numpy as np  # noqa: E402
from darts import TimeSeries  # noqa: E402
from darts.models import BlockRNNModel  # noqa: E402
from darts.utils.data.torch_datasets.utils import PLModuleInput  # noqa: E402
from pytorch_lightning.callbacks import Callback  # noqa: E402

import_seconds = time.perf_counter() - started_import
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402

warnings.filterwarnings("ignore")
logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)


class EpochLog(Callback):
    """Training seconds at each epoch's end, then the validation error (not timed)."""

    def __init__(self, validate):
        self.validate, self.ends, self.errors, self.elapsed = validate, [], [], 0.0

    def on_train_epoch_start(self, trainer, module):
        self.started = time.perf_counter()

    def on_train_epoch_end(self, trainer, module):
        self.elapsed += time.perf_counter() - self.started
        self.ends.append(self.elapsed)
        self.errors.append(self.validate(module))


def main() -> None:
    data, config = _common.load(sys.argv[1]), _common.config()
    X_train, y_train = data["X_train"], data["y_train"]
    mean, scale = _common.standardisation(X_train)
    steps_in, steps_out = X_train.shape[1], y_train.shape[1]

    def series(X, y=None):
        values = X if y is None else np.concatenate([X, y], axis=1)
        return [TimeSeries.from_values(((v - mean) / scale).astype("float32")) for v in values]

    import torch

    y_mean, y_scale = mean[: y_train.shape[-1]], scale[: y_train.shape[-1]]
    X_val_scaled = torch.from_numpy(((data["X_val"] - mean) / scale).astype("float32"))

    def validate(module):
        training = module.training
        module.eval()
        with torch.no_grad():
            out = module(PLModuleInput(past_target=X_val_scaled)).prediction
        module.train(training)
        return _common.mae(data["y_val"], out[..., 0].numpy() * y_scale + y_mean)

    log = EpochLog(validate)
    model = BlockRNNModel(
        input_chunk_length=steps_in,
        output_chunk_length=steps_out,
        model="LSTM",
        hidden_dim=config["units"][0],
        n_rnn_layers=len(config["units"]),
        batch_size=config["batch_size"],
        n_epochs=config["epochs"],
        optimizer_kwargs={"lr": config["learning_rate"]},
        random_state=0,
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": False,
            "enable_checkpointing": False,
            "callbacks": [log],
        },
    )
    model.fit(series(X_train, y_train), verbose=False)

    def predict(X):
        forecasts = model.predict(
            n=steps_out, series=series(X), verbose=False, show_warnings=False
        )
        return np.stack([f.values() for f in forecasts]) * y_scale + y_mean

    log.errors[-1] = _common.checked_val_error(data, config, predict, log.errors)
    _common.report_run(import_seconds, data, config, predict, log.ends, log.errors, repeats=50)


if __name__ == "__main__":
    main()
