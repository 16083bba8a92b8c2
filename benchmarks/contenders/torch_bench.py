"""The framework-free reference: PyTorch ``nn.LSTM`` with a hand-written training loop.

Run: python torch_bench.py DATA.npz CONFIG_JSON (in an environment with torch).
"""

from __future__ import annotations

import os
import sys
import time

started_import = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402

import_seconds = time.perf_counter() - started_import
sys.path.insert(0, os.path.dirname(__file__))
import _common  # noqa: E402


class StackedLSTM(torch.nn.Module):
    def __init__(self, features, units, outputs):
        super().__init__()
        sizes = [features, *units]
        self.layers = torch.nn.ModuleList(
            torch.nn.LSTM(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(units))
        )
        self.head = torch.nn.Linear(units[-1], outputs)

    def forward(self, x):
        for layer in self.layers:
            x, _ = layer(x)
        return self.head(x[:, -1])


def main() -> None:
    data, config = _common.load(sys.argv[1]), _common.config()
    torch.manual_seed(0)
    X_train, y_train = data["X_train"], data["y_train"]
    classification = config["task"] == "classification"
    mean, scale = _common.standardisation(X_train)

    def scaled(X):
        return torch.from_numpy(((X - mean) / scale).astype("float32"))

    if classification:
        outputs, y_mean, y_scale = config["classes"], 0.0, 1.0
        targets = torch.from_numpy(y_train.astype("int64"))
        loss_function = torch.nn.CrossEntropyLoss()
    else:
        outputs = int(np.prod(y_train.shape[1:]))
        y_mean, y_scale = _common.standardisation(y_train)
        targets = torch.from_numpy(
            ((y_train - y_mean) / y_scale).reshape(len(y_train), -1).astype("float32")
        )
        loss_function = torch.nn.MSELoss()
    model = StackedLSTM(X_train.shape[-1], config["units"], outputs)
    optimizer = torch.optim.Adam(model.parameters(), lr=config["learning_rate"])
    inputs = scaled(X_train)

    def predict(X):
        with torch.no_grad():
            out = model(scaled(X)).numpy()
        if classification:
            return out.argmax(-1)
        return out.reshape(len(X), *y_train.shape[1:]) * y_scale + y_mean

    def validate():
        return _common.task_error(data["y_val"], predict(data["X_val"]), config)

    ends, errors, elapsed = [], [], 0.0
    for _ in range(config["epochs"]):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(inputs))
        for start in range(0, len(inputs), config["batch_size"]):
            batch = order[start : start + config["batch_size"]]
            optimizer.zero_grad()
            loss = loss_function(model(inputs[batch]), targets[batch])
            loss.backward()
            optimizer.step()
        elapsed += time.perf_counter() - started
        ends.append(elapsed)
        model.eval()
        errors.append(validate())
    _common.report_run(import_seconds, data, config, predict, ends, errors)


if __name__ == "__main__":
    main()
