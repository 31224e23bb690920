"""A test suite's cost of the lifespan: 200 tests over a resource that takes 50 ms to start.

Writes a throwaway project into a temporary directory (settings, a container with one resource
whose startup sleeps ``SLEEP`` s, ``TESTS`` trivial async tests) and runs pytest on it as a
subprocess, once per fixture: none (the reference: what pytest, Django and the tests cost by
themselves), the per-test ``lifespan`` (startup and shutdown around every test) and the
session-wide ``lifespan_session`` (both once). Each run times its own session (a conftest
hook, from the session's start to its end, collection and every fixture's teardown included),
so the start of the interpreter, which costs every configuration the same and varies by a
tenth of a second, does not blur the difference. The configurations run in interleaved rounds;
the per-test cost of each is its best session time less the reference's best, divided by the
number of tests. ``python -m bench.suite --rounds 1`` prints the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TESTS = 200
SLEEP = 0.05
#: configuration -> the fixture its tests request (None: no lifespan at all).
FIXTURES: dict[str, str | None] = {
    "none": None,
    "per_test": "lifespan",
    "session": "lifespan_session",
}

SETTINGS = """\
SECRET_KEY = "bench-suite-not-secret"
USE_TZ = True
INSTALLED_APPS = ["django_lifespan_di"]
DATABASES = {}
LIFESPAN_DI = {"CONTAINERS": ["suite_project.containers.Container"]}
"""
CONTAINERS = f"""\
import asyncio

from dependency_injector import containers, providers


async def slow_to_start():
    await asyncio.sleep({SLEEP})
    yield "ready"


class Container(containers.DeclarativeContainer):
    resource = providers.Resource(slow_to_start)
"""
CONFTEST = """\
import json
import os
import time

import pytest

began = time.perf_counter()


def pytest_sessionstart(session):
    global began
    began = time.perf_counter()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["BENCH_SUITE_TIMES"], "w") as times:
        json.dump(time.perf_counter() - began, times)
"""
PYTEST_INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = suite_project.settings
asyncio_mode = auto
asyncio_default_test_loop_scope = session
asyncio_default_fixture_loop_scope = session
"""


def test_module(fixture: str | None) -> str:
    """``TESTS`` trivial async tests (one parametrized function), each requesting ``fixture``."""
    parameters = f"n, {fixture}" if fixture else "n"
    check = f"assert {fixture}['resource'] == 'ready'" if fixture else "assert n >= 0"
    return textwrap.dedent(
        f"""\
        import pytest


        @pytest.mark.parametrize("n", range({TESTS}))
        async def test_trivial({parameters}):
            {check}
        """
    )


def write_project(root: Path) -> None:
    (root / "suite_project").mkdir()
    (root / "suite_project" / "__init__.py").write_text("")
    (root / "suite_project" / "settings.py").write_text(SETTINGS)
    (root / "suite_project" / "containers.py").write_text(CONTAINERS)
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "conftest.py").write_text(CONFTEST)
    for name, fixture in FIXTURES.items():
        (root / f"tests_{name}").mkdir()
        (root / f"tests_{name}" / f"test_{name}.py").write_text(test_module(fixture))


def pytest_command(root: Path, name: str, *prefix: str) -> list[str]:
    return [
        sys.executable,
        *prefix,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"tests_{name}",
    ]


def environment(root: Path) -> dict[str, str]:
    # Only the throwaway project on the path; the package comes from this environment.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    return {**env, "PYTHONPATH": str(root), "BENCH_SUITE_TIMES": str(root / "session.json")}


def run_once(root: Path, name: str) -> tuple[float, float]:
    """Seconds of the session and of the whole process of one pytest run of configuration
    ``name``; it must pass every test."""
    begun = time.perf_counter()
    finished = subprocess.run(
        pytest_command(root, name),
        cwd=root,
        env=environment(root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - begun
    if finished.returncode != 0 or f"{TESTS} passed" not in finished.stdout:
        raise RuntimeError(f"pytest ({name}) failed:\n{finished.stdout[-3000:]}{finished.stderr}")
    session: float = json.loads((root / "session.json").read_text())
    return session, elapsed


def suite_times(rounds: int) -> dict[str, Any]:
    """Interleaved rounds (none, per_test, session; session, none; none, session; ...): the
    per-test configuration, which takes seconds, runs in the first round only (its cost per
    test is a hundred times the others', so one run is precise enough)."""
    names = list(FIXTURES)
    runs: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as directory:
        root = Path(directory)
        write_project(root)
        for round_number in range(rounds):
            order = names if round_number == 0 else ["none", "session"][:: (-1) ** round_number]
            for name in order:
                session, process = run_once(root, name)
                runs[name].append(session)
                wall[name].append(process)
    # The best run of each configuration against the reference's best: the other processes of a
    # shared machine only ever lengthen a run (by up to a second here).
    per_test = {
        name: (min(series) - min(runs["none"])) / TESTS * 1000 for name, series in runs.items()
    }
    return {
        "tests": TESTS,
        "sleep_ms": SLEEP * 1000,
        "seconds": {name: min(series) for name, series in runs.items()},
        "process_seconds": {name: min(series) for name, series in wall.items()},
        "ms_per_test_over_none": per_test,
        "runs": runs,
        "rounds": rounds,
    }


def profile(name: str = "session") -> str:
    """A pyinstrument profile (text) of one pytest run of configuration ``name``."""
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as directory:
        root = Path(directory)
        write_project(root)
        # `python -m pyinstrument -r text -m pytest ...`: pyinstrument runs the module it is given.
        command = pytest_command(root, name, "-m", "pyinstrument", "-r", "text")
        finished = subprocess.run(
            command, cwd=root, env=environment(root), capture_output=True, text=True, timeout=300
        )
        return finished.stdout + finished.stderr


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(suite_times(args.rounds)))


if __name__ == "__main__":
    main()
