"""Run the ``seqshape`` command line in this process and print its peak resident memory.

``python tests/peak_rss.py fit DATA ...`` runs ``seqshape fit DATA ...`` and, once it
has finished, prints ``PEAK_RSS_BYTES <n>``: the process's peak resident set size
(``getrusage``), everything it loaded and computed included.
"""

import resource
import sys

from seqshape.cli import main

if __name__ == "__main__":
    code = main(sys.argv[1:])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(f"PEAK_RSS_BYTES {peak}", flush=True)
    sys.exit(code)
