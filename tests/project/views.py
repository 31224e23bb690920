from __future__ import annotations

import os

from django.contrib.auth.models import User
from django.http import JsonResponse

from django_lifespan_di import LifespanHttpRequest, Provide, inject
from tests.project.containers import Container, Tracked


async def state_view(request: LifespanHttpRequest) -> JsonResponse:
    state = request.state
    client = state["http_client"]
    return JsonResponse(
        {"keys": sorted(state), "client": client.name, "client_id": id(client), "pid": os.getpid()}
    )


def sync_state_view(request: LifespanHttpRequest) -> JsonResponse:
    state = request.state
    return JsonResponse({"keys": sorted(state), "cache": state["cache"].name, "pid": os.getpid()})


@inject
async def orm_view(
    request: LifespanHttpRequest, client: Tracked = Provide[Container.http_client]
) -> JsonResponse:
    """Django's async ORM (thread-sensitive sync_to_async) next to an injected object."""
    users = await User.objects.acount()
    return JsonResponse(
        {
            "users": users,
            "client": client.name,
            "client_id": id(client),
            "cache": request.state["cache"].name,
            "pid": os.getpid(),
        }
    )
