"""The backend set-up: JAX chosen at import; the persistent compilation cache set up
when the first model is trained or loaded (never at import), on by default, off on
request, and out of the way when the user configured JAX's own cache.

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


IMPORT_THEN_LOAD = """
import json, os, sys, seqshape, jax
imported = {"folder": jax.config.jax_compilation_cache_dir,
            "backend": os.environ.get("KERAS_BACKEND")}
import keras
imported["keras"] = keras.backend.backend()
model = seqshape.load(sys.argv[1])
folder = jax.config.jax_compilation_cache_dir
print("RESULT " + json.dumps({"imported": imported, "folder": folder}))
"""


def run_in_fresh_process(code: str, *arguments: str, **environment) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEQSHAPE_", "JAX_COMP", "KERAS_BACKEND"))
    }
    env.update(environment)
    finished = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, env=env
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    line = next(x for x in finished.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def fit_in_fresh_process(**environment) -> dict:
    return run_in_fresh_process(FIT_AND_COUNT, **environment)


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

    def test_importing_sets_nothing_up_loading_does(self, tmp_path):
        import numpy as np

        import seqshape

        path = tmp_path / "model.seqshape"
        X = np.random.default_rng(0).normal(size=(16, 4, 1))
        seqshape.SequenceModel(units=2, epochs=1).fit(X, X[:, -1, 0]).save(path)
        result = run_in_fresh_process(IMPORT_THEN_LOAD, str(path), XDG_CACHE_HOME=str(tmp_path))
        assert result["imported"] == {"folder": None, "backend": "jax", "keras": "jax"}
        assert result["folder"] == str(tmp_path / "seqshape" / "xla")
