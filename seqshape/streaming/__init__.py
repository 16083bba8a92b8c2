"""Tables larger than memory: a Parquet file or folder read in record batches.

One job per module:

- ``reading``: whether a path is a Parquet source, opening it, and whether ``fit``
  streams it (``stream_decision``);
- ``table``: ``StreamedTable``, the scan (series, lengths, time order), the split by
  time, the windows of each part, and the one-pass reads predict and evaluate need;
- ``statistics``: ``stream_statistics``, one pass computing exactly the scalers, the
  naive scale and the sampled windows the in-memory path computes from all windows;
- ``batches``: windows regrouped into training batches, shuffled through a bounded
  buffer.

Example:
    >>> import numpy as np, pandas as pd, tempfile, os
    >>> from seqshape.runs.jobs import ForecastJob
    >>> path = os.path.join(tempfile.mkdtemp(), "load.parquet")
    >>> pd.DataFrame({"load": np.arange(100.0)}).to_parquet(path, row_group_size=30)
    >>> job = ForecastJob(targets=("load",), input_steps=5, output_steps=2)
    >>> is_parquet_source(path), stream_decision(path, job, "on")
    (True, (True, 'streamed because --stream on was given'))
    >>> table = StreamedTable.scan(path, job)
    >>> stream_statistics(table, season=1).samples["training"].X.shape
    (64, 5, 1)
    >>> [len(batch) for batch in table.batches("training", 32)]
    [32, 32]
"""

from seqshape.streaming.batches import BUFFER_BYTES, concatenate_windows, window_batches
from seqshape.streaming.reading import (
    BATCH_ROWS,
    MEMORY_SHARE,
    available_memory,
    decoded_bytes,
    is_parquet_source,
    open_dataset,
    stream_decision,
)
from seqshape.streaming.statistics import (
    SAMPLE_WINDOWS,
    Moments,
    StreamStatistics,
    stream_statistics,
)
from seqshape.streaming.table import PARTS, SEASON_ROWS, StreamedTable
from seqshape.tables import parquet_files

__all__ = [
    "BATCH_ROWS",
    "BUFFER_BYTES",
    "MEMORY_SHARE",
    "PARTS",
    "SAMPLE_WINDOWS",
    "SEASON_ROWS",
    "Moments",
    "StreamStatistics",
    "StreamedTable",
    "available_memory",
    "concatenate_windows",
    "decoded_bytes",
    "is_parquet_source",
    "open_dataset",
    "parquet_files",
    "stream_decision",
    "stream_statistics",
    "window_batches",
]
