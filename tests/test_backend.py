"""The backend set-up: the persistent compilation cache, on by default, off on request,
and out of the way when the user configured JAX's own cache.

Each case runs in a fresh interpreter, since JAX's cache is set once per process.
"""

import json
import os
import subprocess
import sys

import pytest

FIT_AND_COUNT = """
import json, jax.monitoring
counts = {"hits": 0, "misses": 0}
def count(event, **kwargs):
    if event == "/jax/compilation_cache/cache_hits":
        counts["hits"] += 1
    if event == "/jax/compilation_cache/cache_misses":
        counts["misses"] += 1
jax.monitoring.register_event_listener(count)
import numpy as np, seqshape, jax
rng = np.random.default_rng(0)
X, y = rng.normal(size=(40, 6, 2)), rng.normal(size=(40, 3))
prediction = seqshape.SequenceModel(units=4, epochs=2, random_state=0).fit(X, y).predict(X[:2])
print("RESULT " + json.dumps({**counts, "folder": jax.config.jax_compilation_cache_dir,
                              "prediction": prediction.tolist()}))
"""


def fit_in_fresh_process(**environment) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEQSHAPE_", "JAX_COMP"))}
    env.update(environment)
    finished = subprocess.run(
        [sys.executable, "-c", FIT_AND_COUNT], capture_output=True, text=True, env=env
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    line = next(x for x in finished.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "jax") != "jax", reason="JAX's compilation cache"
)
class TestCompilationCache:
    def test_second_process_reuses_the_first_ones_programs(self, tmp_path):
        folder = tmp_path / "xla"
        first = fit_in_fresh_process(SEQSHAPE_COMPILATION_CACHE=str(folder))
        second = fit_in_fresh_process(SEQSHAPE_COMPILATION_CACHE=str(folder))
        assert first["folder"] == second["folder"] == str(folder)
        assert first["hits"] == 0 and first["misses"] > 0
        assert any(folder.iterdir())
        assert second["hits"] >= first["misses"] - 1 and second["misses"] <= 1
        assert second["prediction"] == first["prediction"]  # the same programs, bit for bit

    def test_default_folder_is_under_the_user_cache(self, tmp_path):
        result = fit_in_fresh_process(XDG_CACHE_HOME=str(tmp_path))
        assert result["folder"] == str(tmp_path / "seqshape" / "xla")
        assert any((tmp_path / "seqshape" / "xla").iterdir())

    @pytest.mark.parametrize("value", ["off", "0", "FALSE"])
    def test_turned_off(self, tmp_path, value):
        result = fit_in_fresh_process(
            SEQSHAPE_COMPILATION_CACHE=value, XDG_CACHE_HOME=str(tmp_path)
        )
        assert result["folder"] is None and result["hits"] == 0
        assert not (tmp_path / "seqshape").exists()

    def test_users_own_jax_cache_wins(self, tmp_path):
        own = tmp_path / "own"
        result = fit_in_fresh_process(
            JAX_COMPILATION_CACHE_DIR=str(own), XDG_CACHE_HOME=str(tmp_path)
        )
        assert result["folder"] == str(own)
        assert not (tmp_path / "seqshape").exists()

    def test_unwritable_folder_trains_without_cache(self, tmp_path):
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        result = fit_in_fresh_process(SEQSHAPE_COMPILATION_CACHE=str(blocker / "xla"))
        assert result["folder"] is None
