# Everything runs from .venv, built on first use with only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test lint demo docs bench test-matrix clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,lint,docs,bench,matrix]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Python 3.10-3.13 x Django 4.2 / 5.2 / 6.x (noxfile.py); not part of `make test`.
# One cell: make test-matrix NOX_ARGS="-s tests-3.10(django='4.2')"
test-matrix: $(STAMP)
	$(BIN)/nox $(NOX_ARGS)

# The benchmarks (bench/run.py), not part of `make test`: about 4 minutes, 127.0.0.1 only; they
# write bench/results.json, docs/benchmarks.md and docs/benchmarks.png. Uses wrk when installed.
# A short run that only prints the tables: make bench BENCH_ARGS=--quick
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
