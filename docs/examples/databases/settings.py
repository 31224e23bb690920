"""The database settings of the guide "Database connections" (docs/guides/databases.md)."""

from __future__ import annotations

import os
from typing import Any

# --8<-- [start:settings]
DATABASES: dict[str, Any] = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "web",
        "PASSWORD": os.environ.get("DATABASE_PASSWORD", ""),
        "HOST": os.environ.get("DATABASE_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DATABASE_PORT", "5432"),
        # Django >= 5.1 with psycopg 3 (`pip install "psycopg[pool]"`): a pool per process.
        "OPTIONS": {"pool": {"min_size": 2, "max_size": 4, "timeout": 10}},
    }
}
LIFESPAN_DI = {
    "CONTAINERS": ["shop.containers.Container"],
    # The lifespan opens these pools at startup and closes them at shutdown.
    "DATABASES": ["default"],
}
# --8<-- [end:settings]
