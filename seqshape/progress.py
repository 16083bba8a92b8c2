"""What training shows while it runs: one progress bar on a terminal, plain lines in a log.

``verbose=1`` on a terminal: one line for the whole fit, redrawn once an epoch (epoch,
a bar, the losses, the best epoch so far), with no escape codes. When the output goes
to a file or a pipe: plain lines, the first epoch and then at most one every
``LOG_SECONDS``. ``verbose=2``: a plain line every epoch. ``verbose=0``: nothing.
At ``verbose`` 1 and 2 a resume from a checkpoint and the end of training (early
stopping, the epoch whose weights were restored) are said in words.

Example:
    >>> import io
    >>> lines = ProgressLines(io.StringIO(), verbose=2, epochs=3)
    >>> lines.epoch_line(1, {"loss": 0.52, "val_loss": 0.61}, best=(1, 0.61), seconds=0.4)
    'epoch 1/3: loss 0.5200, validation 0.6100 (best so far), 0.40 s'
    >>> lines.stop_line(stopped=None, best_epoch=3, patience=10)
    'trained all 3 epochs; best epoch 3 restored'
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

import keras
import numpy as np

# in a log (not a terminal), at most one progress line this often
LOG_SECONDS = 10.0
BAR_WIDTH = 20


def _stream() -> IO[str]:
    return sys.stdout


def loss_text(value: float) -> str:
    """A loss as the progress lines print it: four decimals, whole numbers with
    thousands separators from 1,000 up (a loss in the targets' own units), and three
    significant digits below 0.001 (where four decimals would read 0.0000).

    Example:
        >>> loss_text(0.52), loss_text(40105.2188), loss_text(0.0000312), loss_text(0.0)
        ('0.5200', '40,105', '3.12e-05', '0.0000')
    """
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if 0 < size < 0.001:
        return f"{value:.3g}"
    return f"{value:.4f}"


class ProgressLines:
    """The words and the bar (no Keras here: ``Progress`` feeds it).

    Args:
        stream: where lines go (standard output by default, read when writing).
        verbose: 1 a bar (plain lines when ``stream`` is not a terminal), 2 a line an
            epoch.
        epochs: the most epochs the fit may run.
    """

    def __init__(self, stream: IO[str] | None, verbose: int, epochs: int) -> None:
        self.stream = stream
        self.verbose = verbose
        self.epochs = epochs
        self.drawn = 0  # width of the bar line on screen
        self.logged_at: float | None = None

    @property
    def out(self) -> IO[str]:
        return self.stream if self.stream is not None else _stream()

    @property
    def terminal(self) -> bool:
        isatty = getattr(self.out, "isatty", None)
        return bool(isatty and isatty())

    def epoch_line(
        self, epoch: int, logs: dict[str, Any], best: tuple[int, float] | None, seconds: float
    ) -> str:
        """``epoch 4/200: loss ..., validation ... (best ... at epoch 3), 0.09 s``."""
        parts = [f"loss {loss_text(logs.get('loss', float('nan')))}"]
        if "val_loss" in logs:
            validation = f"validation {loss_text(logs['val_loss'])}"
            if best is not None:
                if best[0] == epoch:
                    validation += " (best so far)"
                else:
                    validation += f" (best {loss_text(best[1])} at epoch {best[0]})"
            parts.append(validation)
        parts.append(f"{seconds:.2f} s")
        return f"epoch {epoch}/{self.epochs}: " + ", ".join(parts)

    def bar_line(self, epoch: int, text: str) -> str:
        """The terminal's one line: ``[#####...............] `` before ``text``."""
        done = round(BAR_WIDTH * epoch / max(self.epochs, 1))
        return "[" + "#" * done + "." * (BAR_WIDTH - done) + "] " + text

    def stop_line(
        self, stopped: int | None, best_epoch: int | None, patience: int, why: str = ""
    ) -> str:
        """How training ended, 1-based epochs; ``stopped`` None when all epochs ran.

        ``why`` says why it stopped (default: early stopping's patience ran out).
        """
        restored = f"; best epoch {best_epoch} restored" if best_epoch is not None else ""
        if stopped is None:
            return f"trained all {self.epochs} epochs{restored}"
        why = why or f"no better validation loss in {patience} epochs"
        return f"stopped at epoch {stopped} ({why}){restored}"

    def draw(self, text: str) -> None:
        """Redraw the terminal's one line (padding with spaces, no escape codes)."""
        width = max(self.drawn, len(text))
        self.out.write("\r" + text.ljust(width))
        self.out.flush()
        self.drawn = len(text)

    def say(self, text: str) -> None:
        """A line of its own, after the bar if one is drawn."""
        if self.drawn:
            self.out.write("\n")
            self.drawn = 0
        self.out.write(text + "\n")
        self.out.flush()

    def epoch(self, epoch: int, text: str) -> None:
        """Show one epoch's line as ``verbose`` and the stream call for."""
        if self.verbose == 2:
            self.say(text)
        elif self.terminal:
            self.draw(self.bar_line(epoch, text))
        else:
            now = time.monotonic()
            if self.logged_at is None or now - self.logged_at >= LOG_SECONDS:
                self.say(text)
                self.logged_at = now


class Progress(keras.callbacks.Callback):
    """Keras callback: training's progress as ``ProgressLines`` draws it.

    Put it after the run's ``EarlyStopping`` in the callback list, so that it reads
    how training ended once early stopping has restored the best weights.

    Args:
        verbose: 0 (nothing), 1 or 2 (see the module docstring).
        epochs: the most epochs.
        early_stopping: the run's ``EarlyStopping``.
        resumed_at: the epoch (1-based) a resumed fit starts at, or None.
        checkpoint_dir: where it resumed from.
        stream: where lines go (standard output by default).
    """

    def __init__(
        self,
        verbose: int,
        epochs: int,
        early_stopping: keras.callbacks.EarlyStopping,
        *,
        resumed_at: int | None = None,
        checkpoint_dir: str | None = None,
        stream: IO[str] | None = None,
    ) -> None:
        super().__init__()
        self.lines = ProgressLines(stream, verbose, epochs)
        self.early_stopping = early_stopping
        self.resumed_at = resumed_at
        self.checkpoint_dir = checkpoint_dir
        self.best: tuple[int, float] | None = None
        self.last_epoch = 0
        self.last_loss = 0.0

    def on_train_begin(self, logs=None):
        if not self.lines.verbose:
            return
        if self.resumed_at is not None:
            self.lines.say(
                f"resuming at epoch {self.resumed_at} from a checkpoint in {self.checkpoint_dir}"
            )
        if self.lines.verbose == 1 and self.lines.terminal:
            first = self.resumed_at or 1
            self.lines.draw(self.lines.bar_line(first - 1, f"epoch {first} (compiling) ..."))

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.last_epoch = epoch + 1
        self.last_loss = float(logs.get("loss", 0.0))
        if "val_loss" in logs and (self.best is None or logs["val_loss"] < self.best[1]):
            self.best = (epoch + 1, float(logs["val_loss"]))
        if self.lines.verbose:
            seconds = time.perf_counter() - self._started
            self.lines.epoch(epoch + 1, self.lines.epoch_line(epoch + 1, logs, self.best, seconds))

    def on_train_end(self, logs=None):
        if not self.lines.verbose:
            return
        stopper = self.early_stopping
        stopped = stopper.stopped_epoch + 1 if stopper.stopped_epoch > 0 else None
        why = ""
        if not np.isfinite(self.last_loss):
            stopped, why = self.last_epoch, "the training loss became NaN"
        restored = stopper.restore_best_weights and stopper.best_weights is not None
        best = stopper.best_epoch + 1 if restored else None
        self.lines.say(self.lines.stop_line(stopped, best, stopper.patience, why))


__all__ = ["LOG_SECONDS", "Progress", "ProgressLines"]
