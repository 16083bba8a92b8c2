"""Whole-series classification on UCR/UEA sets shipped inside the ``aeon`` package.

Each set is read from the ``.ts`` files aeon ships (``aeon/datasets/data/NAME``) with
aeon's own ``load_from_ts_file``: nothing is downloaded. seqshape gets the official
training split as stored (some sets are stored class by class) and is scored on the
official test split, with its defaults and only ``random_state`` set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.accuracy.stats import quiet, seqshape_warnings, spread

# Value of padded steps in variable-length sets, passed to seqshape as ``mask_value``.
PAD = -1.0e9

SOURCES = {
    "karim2017": "Karim, Majumdar, Darabi, Chen: LSTM Fully Convolutional Networks for Time "
    "Series Classification, IEEE Access 6 (2018), arXiv:1709.05206 (2017); LSTM-FCN test "
    "accuracy as tabulated by the authors in github.com/titu1994/LSTM-FCN, "
    "Results/train_loss_old_datasets.csv",
    "wang2017": "Wang, Yan, Oates: Time Series Classification from Scratch with Deep Neural "
    "Networks: A Strong Baseline, IJCNN 2017, arXiv:1611.06455; FCN test error rate, "
    "reported here as 1 - error",
}


@dataclass(frozen=True)
class ClassificationSet:
    """A UCR/UEA set shipped by aeon, and published accuracy where one is known."""

    name: str
    about: str
    lstm_fcn: float | None = None  # Karim et al. 2017
    fcn: float | None = None  # Wang et al. 2017
    quick: bool = False


SETS = (
    ClassificationSet("GunPoint", "univariate, 2 classes", lstm_fcn=1.0, fcn=1.0, quick=True),
    ClassificationSet("BasicMotions", "multivariate (6 channels), 4 classes, stored by class"),
    ClassificationSet("ArrowHead", "univariate, 3 classes, 36 training series", lstm_fcn=0.89714),
    ClassificationSet(
        "ItalyPowerDemand",
        "univariate, 2 classes, 24 steps",
        lstm_fcn=0.9621,
        fcn=0.970,
        quick=True,
    ),
    ClassificationSet(
        "JapaneseVowels",
        "multivariate (12 channels), variable length, 9 classes, stored by class",
        quick=True,
    ),
    ClassificationSet("OSULeaf", "univariate, 6 classes, 427 steps", lstm_fcn=0.98347, fcn=0.988),
    ClassificationSet(
        "PickupGestureWiimoteZ", "univariate, variable length, 10 classes, stored by class"
    ),
    # added after the defaults were set, none of them chosen on it: long series, 10 classes
    ClassificationSet("ACSF1", "univariate, 10 classes, 1,460 steps, 100 training series"),
)


def data_folder(name: str) -> Path:
    """Where aeon keeps a shipped set; an error (never a download) if it is not there."""
    import aeon.datasets

    folder = Path(aeon.datasets.__file__).parent / "data" / name
    if not (folder / f"{name}_TRAIN.ts").is_file():
        raise FileNotFoundError(f"aeon does not ship {name} in {folder.parent}")
    return folder


def _pad(series: list[np.ndarray], steps: int, value: float) -> np.ndarray:
    """(channels, length) arrays -> (n, steps, channels), padded at the end with ``value``."""
    out = np.full((len(series), steps, series[0].shape[0]), value, dtype=np.float32)
    for row, values in enumerate(series):
        out[row, : values.shape[1]] = values.T
    return out


def load(name: str) -> dict:
    """Train and test split of a shipped set as seqshape reads it: (series, steps, channels).

    Variable-length sets are padded at the end to the longest series of either split:
    with ``PAD`` for seqshape (masked) and with zeros for 1-NN.
    """
    from aeon.datasets import load_from_ts_file

    folder = data_folder(name)
    parts = {
        split: load_from_ts_file(str(folder / f"{name}_{split.upper()}.ts"))
        for split in ("train", "test")
    }
    series = {split: list(X) for split, (X, _) in parts.items()}
    lengths = [values.shape[1] for split in series.values() for values in split]
    steps, variable = max(lengths), min(lengths) != max(lengths)
    labels_train, labels_test = (np.asarray(parts[s][1]) for s in ("train", "test"))
    classes = sorted(set(labels_train))
    code = {label: number for number, label in enumerate(classes)}
    changes = int((labels_train[1:] != labels_train[:-1]).sum())
    return {
        "X_train": _pad(series["train"], steps, PAD if variable else 0.0),
        "X_test": _pad(series["test"], steps, PAD if variable else 0.0),
        "X_train_zero": _pad(series["train"], steps, 0.0),
        "X_test_zero": _pad(series["test"], steps, 0.0),
        "y_train": np.array([code[label] for label in labels_train]),
        "y_test": np.array([code[label] for label in labels_test]),
        "variable": variable,
        "about": {
            "train": len(labels_train),
            "test": len(labels_test),
            "steps": f"{min(lengths)}-{steps}" if variable else steps,
            "channels": int(series["train"][0].shape[0]),
            "classes": len(classes),
            "variable_length": variable,
            # every class in one block: the last samples hold classes the first never see
            "stored_by_class": changes == len(classes) - 1,
        },
    }


def references(data: dict) -> dict[str, float]:
    """Test accuracy of 1-NN (Euclidean, flattened zero-padded series) and seqshape's own
    classification baselines (fitted on the training split)."""
    from sklearn.neighbors import KNeighborsClassifier

    from seqshape.baselines import classification_baselines
    from seqshape.metrics import classification_scores

    flat_train = data["X_train_zero"].reshape(len(data["X_train_zero"]), -1)
    flat_test = data["X_test_zero"].reshape(len(data["X_test_zero"]), -1)
    nearest = KNeighborsClassifier(n_neighbors=1).fit(flat_train, data["y_train"])
    scores = {"1-NN Euclidean": float((nearest.predict(flat_test) == data["y_test"]).mean())}
    mask_value = PAD if data["variable"] else None
    for name, baseline in classification_baselines(mask_value=mask_value).items():
        with quiet():
            predicted = baseline.fit(data["X_train"], data["y_train"]).predict(data["X_test"])
        scores[name] = classification_scores(data["y_test"], predicted)["accuracy"]
    return scores


def fit_seqshape(data: dict, seed: int) -> dict:
    """seqshape's defaults on the training split (as stored), scored on the test split."""
    import keras

    from seqshape import SequenceModel
    from seqshape.metrics import classification_scores

    params = {"random_state": seed}
    if data["variable"]:
        params["mask_value"] = PAD
    started = time.perf_counter()
    with seqshape_warnings() as warned:
        model = SequenceModel(**params).fit(data["X_train"], data["y_train"])
    seconds = time.perf_counter() - started
    scores = classification_scores(data["y_test"], model.predict(data["X_test"]))
    run = {
        "seed": seed,
        **scores,
        "epochs": int(getattr(model, "n_epochs_", -1)),
        "strategy": getattr(getattr(model, "spec_", None), "strategy", None),
        "warnings": warned,
        "fit_seconds": round(seconds, 2),
    }
    keras.backend.clear_session()
    return run


def run_set(spec: ClassificationSet, seeds: list[int], log) -> dict:
    """Every seed of seqshape and every reference on one set."""
    started = time.perf_counter()
    data = load(spec.name)
    result = {
        "about": {"description": spec.about, **data["about"]},
        "references": references(data),
        "published": {
            key: {"accuracy": value, "source": source}
            for key, value, source in (
                ("FCN", spec.fcn, "wang2017"),
                ("LSTM-FCN", spec.lstm_fcn, "karim2017"),
            )
            if value is not None
        },
        "runs": [],
    }
    for seed in seeds:
        run = fit_seqshape(data, seed)
        result["runs"].append(run)
        log(
            f"  {spec.name} seed {seed}: accuracy {run['accuracy']:.3f}, "
            f"{run['epochs']} epochs, {run['fit_seconds']:.1f} s"
        )
    result["seqshape"] = {"accuracy": spread([run["accuracy"] for run in result["runs"]])}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result
