"""The test matrix (``make test-matrix``): the suite on every supported Python x Django.

Each cell installs its lock, ``requirements/py3XX-djangoNN.txt`` (``make upgrade`` writes them),
so a cell is green today and after the next release of any dependency. The cells are exactly
what the classifiers in ``pyproject.toml`` claim (``tests/test_packaging.py`` checks that).

The in-process suite runs in every cell; the end-to-end tests (marker ``e2e``: real servers,
workers and builds as subprocesses, three quarters of a cell's time) run in the newest cell
(the newest Python with its newest Django) only: ``make test``, which CI runs first, runs them
on the oldest cell's versions (Python 3.11, the dev lock's Django 5.2). Every cell locks
the same servers, Celery, asgiref and dependency-injector; what a middle cell changes (a Python
between the oldest and the newest, a Django series) the in-process suite runs against. That keeps CI
within its budget (``.ci/run`` says what each part costs).

One cell: ``nox -s "tests(python='3.12', django='6.1')"``; extra arguments go to pytest, after
the cell's own: ``nox -s "tests(python='3.13', django='6.1')" -- tests/e2e -x``, and
``-- -m ""`` runs the e2e tests in a middle cell too. Interpreters come from PATH,
and from pyenv (``~/.pyenv/versions/3.1x.y``) when it is installed. ``nox -s latest`` runs the suite
against the newest releases instead (no lock), to see drift early; it decides nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
#: Python -> the Django series it runs (Django 6 needs Python 3.12 or newer).
CELLS = {
    "3.11": ("5.2",),
    "3.12": ("5.2", "6.0", "6.1"),
    "3.13": ("5.2", "6.0", "6.1"),
}

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # use the interpreters that are there
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]


def add_pyenv_interpreters_to_path() -> None:
    """Let nox find pyenv's ``python3.1x`` without a ``pyenv global`` that lists them all."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    bins = [str(path) for path in sorted(versions.glob("3.1*/bin")) if path.is_dir()]
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


add_pyenv_interpreters_to_path()


def e2e_cell() -> tuple[str, str]:
    """The newest Python with its newest Django (``make test`` runs the e2e tests on the
    oldest's versions)."""
    newest = list(CELLS)[-1]
    return newest, CELLS[newest][-1]


def pytest_args(python: str, django: str) -> list[str]:
    """The cell's own pytest arguments: the other cells leave the e2e tests to the newest."""
    return [] if (python, django) == e2e_cell() else ["-m", "not e2e"]


def lock(python: str, django: str) -> Path:
    return (
        ROOT / "requirements" / f"py{python.replace('.', '')}-django{django.replace('.', '')}.txt"
    )


def install_package(session: nox.Session) -> None:
    # Editable: the tests import the checkout anyway (pytest pythonpath); the build tools come
    # from the lock (no build isolation), and the entry point registers the pytest plugin.
    session.install("--no-deps", "--no-build-isolation", "-e", ".")


@nox.session
@nox.parametrize(
    "python,django",
    [(python, django) for python, series in CELLS.items() for django in series],
)
def tests(session: nox.Session, django: str) -> None:
    """The pytest suite on one Python x Django cell, from that cell's lock (e2e in the newest)."""
    assert isinstance(session.python, str)
    cell_lock = lock(session.python, django)
    session.install("-r", str(cell_lock))
    install_package(session)
    session.run(
        "python", "-c", "import django, sys; print('Django', django.__version__, sys.version)"
    )
    own = pytest_args(session.python, django)
    session.run(
        "pytest",
        *own,
        *session.posargs,
        env={"LIFESPAN_DI_LOCK": str(cell_lock)},
        # Exit code 5, "no tests collected": a middle cell given only e2e tests (`-- tests/e2e`)
        # deselects them all, which is the cell's choice, not a failure.
        success_codes=[0, 5] if own else [0],
    )


@nox.session(python="3.13")
def latest(session: nox.Session) -> None:
    """The suite against the newest release of every dependency: drift shows here first."""
    session.install("--group", "test", "--upgrade", ".")
    session.install("--upgrade", "django")
    session.run("pytest", *session.posargs, "--deselect", "tests/test_locks.py")
