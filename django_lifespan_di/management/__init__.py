"""``LifespanCommand``: management commands that run with the lifespan started.

A command has no ASGI server, so nothing starts the resources. This base class runs
``handle_async()`` inside [``lifespan()``][django_lifespan_di.lifespan] on a fresh event
loop: the same startup, ordering, rollback and shutdown as under a server, and the async
resources belong to the loop the command's code runs on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_lifespan_di.registry import current_runtime
from django_lifespan_di.runtime import lifespan


class LifespanCommand(BaseCommand):
    """A ``BaseCommand`` whose ``handle_async()`` runs with every resource started:

        class Command(LifespanCommand):
            async def handle_async(self, *args, **options):
                client = resolve(Container.http_client)  # the live client, typed
                ...

    It runs once the deferred resources (``LIFESPAN_DI["DEFERRED"]``) have opened or failed to.
    ``@inject``-ed functions, [``resolve()``][django_lifespan_di.resolve] and
    [``get_container()``][django_lifespan_di.get_container] work inside it. A failed startup
    raises [``StartupError``][django_lifespan_di.StartupError] after closing whatever had
    started.
    """

    def handle(self, *args: Any, **options: Any) -> str | None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._run(*args, **options))
        raise CommandError(
            f"{type(self).__module__} runs its own event loop and cannot be called from async "
            f"code. Use `await asgiref.sync.sync_to_async(call_command)(...)`."
        )

    async def _run(self, *args: Any, **options: Any) -> str | None:
        async with lifespan():
            # A command runs once: it starts when its deferred resources have opened (or
            # failed to, which the log says), not in a race with them.
            await current_runtime().deferred_settled()
            return await self.handle_async(*args, **options)

    async def handle_async(self, *args: Any, **options: Any) -> str | None:
        """The command's work, with the lifespan running. Subclasses must implement it."""
        raise NotImplementedError("subclasses of LifespanCommand must provide handle_async()")
