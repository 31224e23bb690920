"""Compile the locks in this directory from the ranges declared in ``pyproject.toml``.

``make upgrade`` runs it (``python requirements/compile.py``, with uv on PATH); review the diff
and commit it: upgrading is a deliberate change, never a side effect of a fresh install.

- ``dev-py3XX.txt``: everything ``make test``, ``make docs`` and ``make bench`` need on Python
  3.XX (the ``dev`` group), with the newest Django that Python supports.
- ``py3XX-djangoNN.txt``: one cell of ``make test-matrix`` (the ``test`` group).
- ``demo.txt``: what ``make demo`` needs and nothing else, for every Python.
- ``bootstrap.txt`` is written by hand: the uv release that installs the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYPROJECT = HERE.parent / "pyproject.toml"

#: Django's supported releases, each as the range that selects it.
DJANGO = {"52": "django>=5.2,<5.3", "60": "django>=6.0,<6.1", "61": "django>=6.1,<6.2"}
#: Django 6 needs Python 3.12 or newer.
CELLS = {
    "3.11": ("52",),
    "3.12": ("52", "60", "61"),
    "3.13": ("52", "60", "61"),
}
#: Django 5.2 has no django.tasks: the backport provides it (django-tasks-db's "compat").
EXTRA = {"52": ["django-tasks>=0.12"]}


def compile_lock(output: Path, python: str, group: str, extra: list[str]) -> None:
    """Lock ``group`` (and the package's own dependencies) for Python >= ``python``, any OS."""
    with tempfile.NamedTemporaryFile("w", suffix=".in", delete=False) as pins:
        pins.write("\n".join(extra) + "\n")
    try:
        subprocess.run(
            [
                "uv",
                "pip",
                "compile",
                "--quiet",
                str(PYPROJECT),
                pins.name,
                "--group",
                f"{PYPROJECT}:{group}",
                "--python-version",
                python,
                "--universal",
                "--custom-compile-command",
                "make upgrade",
                "--no-emit-package",
                "django-lifespan-di",
                "--output-file",
                str(output),
                *sys.argv[1:],
            ],
            check=True,
        )
    finally:
        os.unlink(pins.name)
    # The temporary file's name appears in "via" annotations; keep the locks stable.
    text = output.read_text(encoding="utf-8").replace(f"-r {pins.name}", "requirements/compile.py")
    output.write_text(text, encoding="utf-8")


def main() -> None:
    for python, series in CELLS.items():
        tag = python.replace(".", "")
        newest = series[-1]  # development uses the newest Django this Python runs
        compile_lock(
            HERE / f"dev-py{tag}.txt", python, "dev", [DJANGO[newest], *EXTRA.get(newest, [])]
        )
        for django in series:
            compile_lock(
                HERE / f"py{tag}-django{django}.txt",
                python,
                "test",
                [DJANGO[django], *EXTRA.get(django, [])],
            )
    compile_lock(HERE / "demo.txt", "3.11", "demo", [])


if __name__ == "__main__":
    main()
