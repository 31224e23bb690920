"""The web app: wires its modules to the project's container instance."""

from __future__ import annotations

from django.apps import AppConfig

from docs.examples.from_di.before.containers import container


class WebConfig(AppConfig):
    name = "docs.examples.from_di.before.web"

    def ready(self) -> None:
        container.wire(modules=[".views", ".management.commands.search"])
