"""Streamed windows regrouped into training batches, shuffled through a bounded buffer.

``window_batches`` takes windows as a table yields them (a record batch's worth at a
time) and gives batches of ``batch_size``: in order without a random generator, else
drawn at random from a buffer of at most ``BUFFER_BYTES`` (like ``tf.data``'s
shuffle), so memory stays bounded by the buffer whatever the table's size.

Example:
    >>> import numpy as np
    >>> from seqshape.windowing import Windows
    >>> def cut(n):
    ...     return Windows(np.zeros((n, 3, 1)), np.zeros((n, 1, 1)), np.zeros(n), np.arange(n))
    >>> [len(b) for b in window_batches([cut(5), cut(7)], 4, None, total=12, window_bytes=48)]
    [4, 4, 4]
    >>> rng = np.random.default_rng(0)
    >>> shuffled = list(window_batches([cut(5), cut(7)], 4, rng, total=12, window_bytes=48))
    >>> sorted(concatenate_windows(shuffled).target_start.tolist())
    [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from seqshape.windowing import Windows

# the shuffle buffer of training windows
BUFFER_BYTES = 64 * 2**20


def window_batches(
    windows: Iterable[Windows],
    batch_size: int,
    rng: np.random.Generator | None,
    *,
    total: int,
    window_bytes: int,
) -> Iterator[Windows]:
    """``windows`` (``total`` of them, ``window_bytes`` each) in batches of
    ``batch_size`` (the last may be smaller): in their order without ``rng``, else
    shuffled through a buffer of at most ``BUFFER_BYTES``."""
    capacity = max(batch_size, min(total, BUFFER_BYTES // window_bytes))
    buffer = _ShuffleBuffer(capacity, batch_size, rng)
    for part in windows:
        yield from buffer.add(part)
    yield from buffer.drain()


class _ShuffleBuffer:
    """Windows in, shuffled batches out: a buffer of ``capacity`` windows from which
    each batch is drawn at random once it is full (``rng`` None: in order)."""

    def __init__(self, capacity: int, batch_size: int, rng: np.random.Generator | None):
        self.capacity, self.batch_size, self.rng = capacity, batch_size, rng
        self.arrays: list[np.ndarray] | None = None
        self.free = np.arange(capacity)[::-1]  # a stack of free slots
        self.free_count = capacity
        self.pending: list[Windows] = []

    def add(self, windows: Windows) -> Iterator[Windows]:
        if self.rng is None:
            yield from self._in_order(windows)
            return
        columns = (windows.X, windows.y, windows.series, windows.target_start)
        if self.arrays is None:
            self.arrays = [np.empty((self.capacity, *c.shape[1:]), dtype=c.dtype) for c in columns]
        done = 0
        while done < len(windows.X):
            take = min(self.free_count, len(windows.X) - done)
            slots = self.free[self.free_count - take : self.free_count]
            for array, column in zip(self.arrays, columns, strict=True):
                array[slots] = column[done : done + take]
            self.free_count -= take
            done += take
            if self.free_count == 0:
                drawn = self.rng.choice(self.capacity, self.batch_size, replace=False)
                yield Windows(*(array[drawn] for array in self.arrays))
                self.free[: self.batch_size] = drawn
                self.free_count = self.batch_size

    def _in_order(self, windows: Windows) -> Iterator[Windows]:
        self.pending.append(windows)
        held = sum(len(w) for w in self.pending)
        if held < self.batch_size:
            return
        joined = concatenate_windows(self.pending)
        whole = held - held % self.batch_size
        for begin in range(0, whole, self.batch_size):
            yield joined.subset(slice(begin, begin + self.batch_size))
        self.pending = [joined.subset(slice(whole, held))] if whole < held else []

    def drain(self) -> Iterator[Windows]:
        if self.rng is None:
            if self.pending:
                yield concatenate_windows(self.pending)
            return
        if self.arrays is None:
            return
        used = np.setdiff1d(np.arange(self.capacity), self.free[: self.free_count])
        used = self.rng.permutation(used)
        for begin in range(0, len(used), self.batch_size):
            drawn = used[begin : begin + self.batch_size]
            yield Windows(*(array[drawn] for array in self.arrays))


def concatenate_windows(parts: list[Windows]) -> Windows:
    """``parts`` (at least one) joined into one ``Windows``, in their order (the one
    part itself when there is one)."""
    if len(parts) == 1:
        return parts[0]
    return Windows(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in ("X", "y", "series", "target_start")
        )
    )


__all__ = ["BUFFER_BYTES", "concatenate_windows", "window_batches"]
