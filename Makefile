# `make demo` and `make test` work on a fresh machine: they create the virtual
# environment and install the pinned dependencies first.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: install demo test test-torch test-tensorflow lint format clean examples bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/seqshape demo

test: $(STAMP)
	$(BIN)/python -m pytest seqshape tests README.md

# The whole suite on Keras' other backends, each in its own environment (not run by CI:
# each backend is a large install). On Linux, PyPI's torch is the CUDA build; for the CPU
# one: make test-torch PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
test-torch test-tensorflow: test-%:
	$(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install --quiet $(PIP_ARGS) -e '.[dev,$*]'
	KERAS_BACKEND=$* TF_CPP_MIN_LOG_LEVEL=2 .venv-$*/bin/python -m pytest seqshape tests README.md

examples: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[data]'
	$(BIN)/python examples/elecdemand_forecast.py runs/elecdemand
	$(BIN)/python examples/ucr_classification.py

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[data]'
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-torch .venv-tensorflow build *.egg-info .pytest_cache
