# Two entry points: `make demo` (the main job, offline) and `make test`. Both build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml ci/constraints.txt ci/peers.txt
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c ci/constraints.txt -e '.[dev,bench,formats,datasets,export]'
	$(BIN)/python -m pip install -q --no-deps -r ci/peers.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snnmodels demo --out cache/demo

test: $(STAMP)
	$(BIN)/ruff check neurodata snnmodels tests scripts
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python scripts/bench_integrate.py

clean:
	rm -rf $(VENV) cache/demo
