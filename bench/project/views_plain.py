"""(a) Plain Django: the baseline view, no package, no resource."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

PAYLOAD = b"ok"
#: What the decorator-cost views return: built once, so only the call itself is timed.
RESPONSE = HttpResponse(PAYLOAD)


async def view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAYLOAD)


def sync_view(request: HttpRequest) -> HttpResponse:
    """The sync view of the WSGI benchmark."""
    return HttpResponse(PAYLOAD)


async def micro_0(request: HttpRequest) -> HttpResponse:
    """The plain call the decorator costs are compared with."""
    return RESPONSE
