# Everything runs from .venv, built on first use with only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test lint demo docs bench test-matrix

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,lint,docs,bench,matrix]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint docs
	$(BIN)/pytest

# The documentation site into site/; --strict (also in mkdocs.yml) fails on a broken link,
# anchor or snippet path, so `make test` catches them.
export NO_MKDOCS_2_WARNING := 1
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

# The demo project (demo/) under uvicorn on 127.0.0.1:8000; Ctrl-C stops it and logs each close.
DEMO_URL := http://127.0.0.1:8000
demo: $(STAMP)
	@echo "Open $(DEMO_URL)/ (status page), $(DEMO_URL)/quote/, $(DEMO_URL)/visits/,"
	@echo "     $(DEMO_URL)/state/, $(DEMO_URL)/status.json and $(DEMO_URL)/ready/"
	@echo "Also: $(BIN)/python demo/manage.py demo_quotes   (Ctrl-C stops the server)"
	PYTHONPATH=. DJANGO_SETTINGS_MODULE=demo.settings \
		$(BIN)/uvicorn demo.asgi:application --host 127.0.0.1 --port 8000

# Python 3.10-3.13 x Django 4.2 / 5.2 / 6.x (noxfile.py): about 11 minutes, a minute a cell.
# Not part of `make test`; CI runs it after `make test`.
# One cell: make test-matrix NOX_ARGS="-s tests-3.10(django='4.2')"
test-matrix: $(STAMP)
	$(BIN)/nox $(NOX_ARGS)

# The benchmarks (bench/run.py), not part of `make test`: about 4 minutes, 127.0.0.1 only; they
# write bench/results.json, docs/benchmarks.md and docs/benchmarks.png. Uses wrk when installed.
# A short run that only prints the tables: make bench BENCH_ARGS=--quick
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)
