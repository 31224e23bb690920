"""The test matrix (``make test-matrix``): the suite on Python 3.10-3.13 x Django 4.2 / 5.2 / 6.x.

One cell: ``nox -s "tests-3.10(django='4.2')"``; extra arguments go to pytest:
``nox -s "tests-3.13(django='6.x')" -- tests/e2e -x``. Interpreters come from PATH, and from
pyenv (``~/.pyenv/versions/3.1x.y``) when it is installed. Django 6 needs Python >= 3.12.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DJANGOS = {"4.2": "django>=4.2,<4.3", "5.2": "django>=5.2,<5.3", "6.x": "django>=6.0,<7"}
DJANGO_6_MIN_PYTHON = (3, 12)

nox.options.default_venv_backend = "venv"
nox.options.download_python = "never"  # use the interpreters that are there; no network
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"


def add_pyenv_interpreters_to_path() -> None:
    """Let nox find pyenv's ``python3.1x`` without a ``pyenv global`` that lists them all."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    bins = [str(path) for path in sorted(versions.glob("3.1*/bin")) if path.is_dir()]
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


add_pyenv_interpreters_to_path()


@nox.session(python=PYTHONS)
@nox.parametrize("django", list(DJANGOS))
def tests(session: nox.Session, django: str) -> None:
    """The pytest suite on one Python x Django cell."""
    assert isinstance(session.python, str)
    if django == "6.x" and version_tuple(session.python) < DJANGO_6_MIN_PYTHON:
        session.skip("Django 6 needs Python >= 3.12")
    # Editable: the tests import the checkout anyway (pytest pythonpath), and pip builds no
    # build/ directory in it.
    session.install("-e", ".[test]", DJANGOS[django])
    session.run(
        "python", "-c", "import django, sys; print('Django', django.__version__, sys.version)"
    )
    # The docs pages record the development environment's versions, not this cell's.
    session.run("pytest", *session.posargs, env={"LIFESPAN_DI_MATRIX_CELL": session.name})
