"""Helper for the kill/resume test: a checkpointed fit that announces every epoch.

Run as: python fit_until_killed.py CHECKPOINT_DIR EPOCHS. Prints "EPOCH n" after each
epoch and, at the end, "DONE n_epochs history_length score".
"""

import sys

from seqshape import SequenceModel  # importing seqshape first chooses the JAX backend
from seqshape.datasets import coupled_series


def main() -> None:
    import keras

    class Announce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print("EPOCH", epoch + 1, flush=True)

    folder, epochs = sys.argv[1], int(sys.argv[2])
    X, y = coupled_series(n_samples=300, seed=3)
    model = SequenceModel(units=(12,), epochs=epochs, patience=1000, checkpoint_dir=folder)
    original_fit = keras.Model.fit

    def fit_with_announcements(self, *args, callbacks=(), **kwargs):
        return original_fit(self, *args, callbacks=[*callbacks, Announce()], **kwargs)

    keras.Model.fit = fit_with_announcements
    model.fit(X, y)
    print("DONE", model.n_epochs_, len(model.history_["loss"]), model.score(X, y), flush=True)


if __name__ == "__main__":
    main()
