from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ROOT


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated SQLite file for servers whose views use the ORM, as their environment.

    The test settings' database is in memory, which a server subprocess cannot share.
    """
    path = tmp_path_factory.mktemp("database") / "db.sqlite3"
    env = {"LIFESPAN_DI_TEST_DATABASE": str(path)}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={
            **os.environ,
            **env,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
        },
        check=True,
        timeout=60,
    )
    assert Path(path).exists()
    return env
