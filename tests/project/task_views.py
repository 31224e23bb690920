"""Views that enqueue the Django Tasks of ``tasks.py`` (the immediate backend runs them there and
then) and answer with their outcomes next to the objects the view itself got."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from django_lifespan_di import Provide, inject
from tests.project.containers import Container, Tracked, describe
from tests.project.tasks import async_task, sync_task


def outcome(result: Any) -> dict[str, Any]:
    """A TaskResult's status, with its return value or the tracebacks of its errors."""
    successful = result.status == "SUCCESSFUL"
    return {
        "status": str(result.status),
        "return_value": result.return_value if successful else None,
        "errors": [error.traceback for error in result.errors],
    }


def answer(client: Tracked, cache: Tracked, sync_result: Any, async_result: Any) -> JsonResponse:
    return JsonResponse(
        {
            "view": describe(client=client, cache=cache),
            "sync": outcome(sync_result),
            "async": outcome(async_result),
        }
    )


@inject
async def enqueue_async_view(
    request: HttpRequest,
    client: Tracked = Provide[Container.http_client],
    cache: Tracked = Provide[Container.cache],
) -> JsonResponse:
    return answer(client, cache, await sync_task.aenqueue(), await async_task.aenqueue())


@inject
def enqueue_sync_view(
    request: HttpRequest,
    client: Tracked = Provide[Container.http_client],
    cache: Tracked = Provide[Container.cache],
) -> JsonResponse:
    return answer(client, cache, sync_task.enqueue(), async_task.enqueue())
