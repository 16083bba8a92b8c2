"""Many-to-one classification on two UCR/UEA data sets shipped in the `aeon` package.

GunPoint: univariate, 150 steps, 2 classes (50 training and 150 test series).
BasicMotions: multivariate, 6 channels x 100 steps, 4 classes (40 and 40).
seqshape reads X (n, steps, channels) and integer labels and picks a many-to-one
classifier; we score it on the official test split next to the baselines.
Needs the data extra: `pip install -e '.[data]'`.

Run: python examples/ucr_classification.py
"""

from __future__ import annotations

import numpy as np
from aeon.datasets import load_basic_motions, load_gunpoint
from sklearn.preprocessing import LabelEncoder

from seqshape import SequenceModel
from seqshape.baselines import classification_baselines
from seqshape.metrics import classification_scores


def evaluate(name: str, loader, **model_params) -> dict:
    X_train, y_train = loader(split="train")
    X_test, y_test = loader(split="test")
    # aeon stores (series, channels, steps); seqshape reads (series, steps, channels)
    X_train, X_test = X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1)
    # The training series are independent cases stored class by class: shuffle them so
    # the validation part that SequenceModel holds out (the last samples) has every class.
    order = np.random.default_rng(0).permutation(len(X_train))
    X_train, y_train = X_train[order], y_train[order]
    encoder = LabelEncoder().fit(y_train)
    codes_train, codes_test = encoder.transform(y_train), encoder.transform(y_test)

    model = SequenceModel(random_state=0, **model_params).fit(X_train, codes_train)
    print(f"\n== {name}: X {X_train.shape} -> {len(encoder.classes_)} classes")
    print(f"   topology: {model.spec_.title}; {model.n_epochs_} epochs")
    rows = {"seqshape": classification_scores(codes_test, model.predict(X_test))}
    for baseline_name, baseline in classification_baselines().items():
        predicted = baseline.fit(X_train, codes_train).predict(X_test)
        rows[baseline_name] = classification_scores(codes_test, predicted)
    for row_name, scores in rows.items():
        print(
            f"   {row_name:<22} accuracy {scores['accuracy']:.3f}  "
            f"macro F1 {scores['macro_F1']:.3f}"
        )
    return rows


if __name__ == "__main__":
    # 40-50 training series: a small bidirectional GRU, patient early stopping
    settings = {
        "cell": "gru",
        "bidirectional": True,
        "units": (32,),
        "epochs": 400,
        "patience": 100,
        "batch_size": 8,
        "learning_rate": 3e-3,
        "validation_fraction": 0.2,
    }
    evaluate("GunPoint", load_gunpoint, **settings)
    evaluate("BasicMotions", load_basic_motions, **settings)
