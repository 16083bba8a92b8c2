"""report.html in a real browser (headless Chromium): every image loads, nothing is wider
than the page at 1280 px, and the verdict is on the first screen.

Needs Debian's ``chromium`` package (``.ci/run`` installs it where apt is available);
skips with the reason when it is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from seqshape.cli import main

BROWSER = next(
    (
        shutil.which(name)
        for name in ("chromium", "chromium-browser", "google-chrome")
        if shutil.which(name)
    ),
    None,
)

pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium: apt-get install chromium (Debian's package)"
)

# Runs in the page once it has loaded; its result is written into the page's title.
PROBE = """
<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const verdict = document.querySelector(".verdict");
  const box = verdict.getBoundingClientRect();
  const wide = [...document.querySelectorAll("body *")]
    .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 1)
    .map((node) => node.tagName + "." + node.className);
  document.title = "PROBE" + JSON.stringify({
    images: images.length,
    broken: images.filter((image) => !image.complete || image.naturalWidth === 0).length,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    verdictBottom: box.bottom,
    wide: wide,
  }) + "END";
});
</script>
"""


def _probe(page: str, tmp_path) -> dict:
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"))
    done = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,800",
            "--virtual-time-budget=5000",
            "--dump-dom",
            probed.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"PROBE(.*?)END", done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    rng = np.random.default_rng(0)
    t = np.arange(400)
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=400, freq="h"),
            "load": 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.2, 400),
            "temperature": 20 + 5 * np.cos(2 * np.pi * t / 24),
        }
    )
    data = folder / "data.csv"
    frame.to_csv(data, index=False)
    out = folder / "run"
    arguments = ["fit", str(data), "--target", "load,temperature", "--time-column", "ts"]
    arguments += ["--input-steps", "24", "--output-steps", "6", "--epochs", "2", "--units", "4"]
    arguments += ["--backtest-folds", "2", "--verbose", "0", "--no-checkpoint", "--out", str(out)]
    assert main(arguments) == 0
    return (out / "report.html").read_text()


def test_every_image_loads(report_page, tmp_path):
    result = _probe(report_page, tmp_path)
    assert result["images"] == 4 and result["broken"] == 0


def test_nothing_is_wider_than_the_page_at_1280_px(report_page, tmp_path):
    result = _probe(report_page, tmp_path)
    assert result["innerWidth"] == 1280
    assert result["scrollWidth"] <= result["innerWidth"], result["wide"]
    assert not result["wide"]


def test_the_verdict_is_on_the_first_screen(report_page, tmp_path):
    result = _probe(report_page, tmp_path)
    assert 0 < result["verdictBottom"] <= result["innerHeight"]
