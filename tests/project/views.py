from __future__ import annotations

import os

from django.http import JsonResponse

from django_lifespan_di import LifespanHttpRequest


async def state_view(request: LifespanHttpRequest) -> JsonResponse:
    state = request.state
    client = state["http_client"]
    return JsonResponse(
        {"keys": sorted(state), "client": client.name, "client_id": id(client), "pid": os.getpid()}
    )


def sync_state_view(request: LifespanHttpRequest) -> JsonResponse:
    state = request.state
    return JsonResponse({"keys": sorted(state), "cache": state["cache"].name})
