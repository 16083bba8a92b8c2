# `make demo` and `make test` work on a fresh machine: they create the virtual
# environment and install the pinned dependencies first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed
ACCURACY_VENV = .venv-accuracy
ACCURACY_STAMP = $(ACCURACY_VENV)/.installed

.PHONY: install demo test bench-export bench-distributed test-torch test-tensorflow lint format clean examples bench accuracy

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,export]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/seqshape demo

# The suite runs in several pytest processes, one after the other, each a group of test
# files: whole-suite runs in one process crashed inside XLA's CPU compiler (aborts and a
# segmentation fault) after 25 to 35 minutes of compiling models, at tests that pass on
# their own. The ONNX export tests (onnxruntime, jax2onnx) are a group of their own.
# Every group runs; the target fails if any group failed. No persistent compilation
# cache (tests/conftest.py says why). Each group's files are shared out to TEST_WORKERS
# pytest-xdist workers, a whole file to a worker (its fixtures are built once).
TEST_WORKERS ?= 2
TEST_GROUPS = "seqshape README.md" "tests/test_[a-c]*.py" "tests/test_[d-g]*.py" \
	"tests/test_h*.py" "tests/test_[i-r]*.py" "tests/test_[s-z]*.py" "tests/test_export.py"
test: $(STAMP)
	@failed=""; for group in $(TEST_GROUPS); do \
		echo "== pytest $$group"; \
		paths=""; for path in $$group; do \
			[ "$$path" = tests/test_export.py ] && [ "$$group" != tests/test_export.py ] \
				|| paths="$$paths $$path"; \
		done; \
		SEQSHAPE_COMPILATION_CACHE=off $(BIN)/python -m pytest $$paths --durations=5 \
			-n $(TEST_WORKERS) --dist loadfile \
			|| failed="$$failed [$$group]"; \
	done; \
	if [ -n "$$failed" ]; then echo "== failed:$$failed"; exit 1; fi; echo "== all groups passed"

# The whole suite on Keras' other backends, each in its own environment (not run by CI:
# each backend is a large install). On Linux, PyPI's torch is the CUDA build; for the CPU
# one: make test-torch PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
test-torch test-tensorflow: test-%:
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet $(PIP_ARGS) -e '.[dev,$*]'
	KERAS_BACKEND=$* TF_CPP_MIN_LOG_LEVEL=2 .venv-$*/bin/python -m pytest seqshape tests README.md

# onnxruntime beside seqshape's predict (one-sample latency, batch throughput), and
# data-parallel training on 1 and 2 simulated CPU devices (collectives a step, epoch time).
bench-export: $(STAMP)
	$(BIN)/python -m benchmarks.export_latency $(BENCH_ARGS)

bench-distributed: $(STAMP)
	$(BIN)/python -m benchmarks.data_parallel $(BENCH_ARGS)

# The UCR/UEA example needs aeon, which cannot share an environment with seqshape's
# pandas pin: it runs in the accuracy suite's environment (see below).
examples: $(STAMP) $(ACCURACY_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[data]'
	$(BIN)/python examples/elecdemand_forecast.py runs/elecdemand
	$(ACCURACY_VENV)/bin/python examples/ucr_classification.py

# The GunPoint workload reads aeon's shipped data: the benchmark runs in the accuracy
# suite's environment, which has aeon beside seqshape's own pins.
bench: $(ACCURACY_STAMP)
	$(ACCURACY_VENV)/bin/python -m benchmarks

# The accuracy suite (docs/accuracy.md, benchmarks/results/accuracy-*.json), in its own
# environment: seqshape with all its pins, and aeon / statsforecast / fugue, whose declared
# pandas caps (<3.1, <3) exclude seqshape's pandas==3.1.1, with --no-deps: they are the
# lines marked "#no-deps" in benchmarks/requirements-accuracy.txt, which pins their needs.
# make accuracy ACCURACY_ARGS=--quick for a smoke run (see python -m benchmarks.accuracy -h)
$(ACCURACY_STAMP): pyproject.toml benchmarks/requirements-accuracy.txt
	$(PYTHON) -m venv $(ACCURACY_VENV)
	$(ACCURACY_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ACCURACY_VENV)/bin/python -m pip install --quiet -e . -r benchmarks/requirements-accuracy.txt
	$(ACCURACY_VENV)/bin/python -m pip install --quiet --no-deps \
		$$(sed -n 's/^#no-deps //p' benchmarks/requirements-accuracy.txt)
	touch $(ACCURACY_STAMP)

accuracy: $(ACCURACY_STAMP)
	$(ACCURACY_VENV)/bin/python -m benchmarks.accuracy $(ACCURACY_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-torch .venv-tensorflow $(ACCURACY_VENV) build *.egg-info .pytest_cache
