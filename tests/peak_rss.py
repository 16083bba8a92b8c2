"""Run the ``seqshape`` command line in this process and print its peak resident memory.

``python tests/peak_rss.py fit DATA ...`` runs ``seqshape fit DATA ...`` and, once it
has finished, prints ``PEAK_RSS_BYTES <n>``: the process's peak resident set size,
everything it loaded and computed included.

On Linux the peak is ``VmHWM`` of ``/proc/self/status``: the high-water mark of this
program's own memory. ``getrusage``'s ``ru_maxrss`` carries over the peak of the memory
the process had before ``exec``, which for a child that ``subprocess`` forked or
vforked is its parent's: a test process that had trained models measured 1.53 GiB for
the same fit that measured 0.88 GiB on its own.
"""

import resource
import sys
from pathlib import Path

from seqshape.cli import main


def peak_bytes() -> int:
    """This process's peak resident set size since it began running this program."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


if __name__ == "__main__":
    code = main(sys.argv[1:])
    print(f"PEAK_RSS_BYTES {peak_bytes()}", flush=True)
    sys.exit(code)
