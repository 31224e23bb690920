"""An application written the dependency-injector way (its own Django example's shape): a
module-level container instance, configuration loaded into it at import, a module wired to it,
a view decorated with dependency-injector's own ``@inject``."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers
from dependency_injector.wiring import Provide
from dependency_injector.wiring import inject as di_inject

from tests.project.containers import Tracked
from tests.support.engine_containers import open_async_generator


class HabitsContainer(containers.DeclarativeContainer):
    config = providers.Configuration()
    client = providers.Resource(open_async_generator, "client", timeout=config.timeout)
    service: providers.Factory[dict[str, Any]] = providers.Factory(
        dict, client=client, greeting=config.greeting
    )


#: A container built without a class: the lifespan cannot name it.
dynamic = containers.DynamicContainer()

#: What the project configures at import: the lifespan must run this very instance.
container = HabitsContainer()
container.config.from_dict({"timeout": 5, "greeting": "hello"})


@di_inject
async def wired_view(client: Tracked = Provide[HabitsContainer.client]) -> Tracked:
    return client


@di_inject
async def wired_service(service: dict[str, Any] = Provide[HabitsContainer.service]) -> Any:
    return service


container.wire(modules=[__name__])
INSTANCE = "tests.support.di_habits.container"
CLASS = "tests.support.di_habits.HabitsContainer"
