from __future__ import annotations

import os

from django.http import HttpRequest, JsonResponse


async def state_view(request: HttpRequest) -> JsonResponse:
    state = request.state  # type: ignore[attr-defined]
    client = state["http_client"]
    return JsonResponse(
        {"keys": sorted(state), "client": client.name, "client_id": id(client), "pid": os.getpid()}
    )


def sync_state_view(request: HttpRequest) -> JsonResponse:
    state = request.state  # type: ignore[attr-defined]
    return JsonResponse({"keys": sorted(state), "cache": state["cache"].name})
