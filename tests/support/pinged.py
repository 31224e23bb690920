"""The health tests' container (its pings are registered by each test) and a fixture-free way
to count pings: every ping below journals ``ping <name>``."""

from __future__ import annotations

from dependency_injector import containers, providers

from tests.project.containers import open_async, open_sync

CONTAINER = "tests.support.pinged.PingedContainer"


class PingedContainer(containers.DeclarativeContainer):
    db = providers.Resource(open_async, "db")
    cache = providers.Resource(open_sync, "cache")
    queue = providers.Resource(open_async, "queue")


class OtherContainer(containers.DeclarativeContainer):
    """Not configured in the health tests: a ping registered here pings nothing there."""

    search = providers.Resource(open_async, "search")


class InstanceContainer(containers.DeclarativeContainer):
    """Configured by its module-level instance (``INSTANCE``), as dependency-injector's own
    projects do."""

    mail = providers.Resource(open_async, "mail")


instance_container = InstanceContainer()
INSTANCE = "tests.support.pinged.instance_container"
