"""Views for the fault and no-lifespan end-to-end tests (tests/e2e/test_faults.py and friends)."""

from __future__ import annotations

import asyncio
import os

from django.http import JsonResponse

from django_lifespan_di import LifespanHttpRequest, LifespanNotRunning, get_container
from tests.project.containers import Container
from tests.project.journal import record


async def slow_view(request: LifespanHttpRequest) -> JsonResponse:
    """Take the client, wait ``?seconds=``, then use it: in flight while the server stops."""
    client = request.state["http_client"]
    record("slow request started")
    await asyncio.sleep(float(request.GET.get("seconds", "1")))
    # Journalled before the response is sent, so the journal orders it against the closes.
    record(f"slow request used {client.name} closed={client.closed}")
    return JsonResponse({"client": client.name, "closed": client.closed, "pid": os.getpid()})


async def first_use_view(request: LifespanHttpRequest) -> JsonResponse:
    """What the first use of the resources says: the value's name, or the error's message.

    Django runs an async view under WSGI (runserver) too, so one view serves every server.
    """
    report: dict[str, str] = {}
    try:
        report["request.state"] = "ok " + request.state["http_client"].name
    except LifespanNotRunning as exc:
        report["request.state"] = f"LifespanNotRunning: {exc}"
    try:
        client = await get_container(Container).http_client.async_()
        report["get_container"] = "ok " + client.name
    except LifespanNotRunning as exc:
        report["get_container"] = f"LifespanNotRunning: {exc}"
    return JsonResponse(report)
