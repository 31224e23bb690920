"""The environment the suite runs in is exactly a lock of ``requirements/``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from packaging.utils import canonicalize_name

from tests.support.locks import current_lock, locked_versions


def test_installed_versions_are_the_locked_ones() -> None:
    lock = current_lock()
    assert lock.exists(), f"no lock {lock}: this Python is not supported"
    differences = {}
    for name, locked in locked_versions(lock).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if canonicalize_name(installed) != canonicalize_name(locked):
            differences[name] = (locked, installed)
    assert not differences, f"(locked, installed) differ from {lock.name}: {differences}"
