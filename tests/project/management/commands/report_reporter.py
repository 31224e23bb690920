"""A plain command (no lifespan of its own) that uses the deferred tests' resource, for
``with_lifespan``: it runs only once that resource has opened."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from django_lifespan_di import resolve
from tests.project.containers import Container


class Command(BaseCommand):
    help = "Print the name of Container.reporter."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(resolve(Container.reporter).name)
