"""URLs of the middleware tests: views that add to and miss keys of ``request.state``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path


async def scratch_view(request: HttpRequest) -> JsonResponse:
    """Adds a key to ``request.state``; reports whether it was already there."""
    state = request.state  # type: ignore[attr-defined]
    had_scratch = "scratch" in state
    state["scratch"] = object()
    return JsonResponse(
        {
            "had_scratch": had_scratch,
            "ids": {key: id(value) for key, value in state.items() if key != "scratch"},
        }
    )


async def missing_key_view(request: HttpRequest) -> HttpResponse:
    request.state["no_such_key"]  # type: ignore[attr-defined]
    return HttpResponse()


urlpatterns = [
    path("scratch/", scratch_view),
    path("missing/", missing_key_view),
]
