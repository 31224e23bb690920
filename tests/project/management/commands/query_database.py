"""A command that queries the lifespan's PostgreSQL alias ``pg`` and keeps its connection, as
commands do (Django gives a connection back at the end of a request, never of a command)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Print this process's id and the PostgreSQL backend that served its query."

    def handle(self, *args: Any, **options: Any) -> None:
        with connections["pg"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        self.stdout.write(f"pid={os.getpid()} backend={backend}")
