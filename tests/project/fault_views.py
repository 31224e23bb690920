"""Views for the fault and no-lifespan end-to-end tests (tests/e2e/test_faults.py and friends)."""

from __future__ import annotations

import asyncio
import os
import time

from django.http import HttpRequest, JsonResponse

from django_lifespan_di import (
    LifespanHttpRequest,
    LifespanNotRunning,
    Provide,
    get_container,
    inject,
)
from tests.project.containers import Container, Tracked
from tests.project.journal import record


async def slow_view(request: LifespanHttpRequest) -> JsonResponse:
    """Take the client, wait ``?seconds=``, then use it: in flight while the server stops."""
    client = request.state["http_client"]
    record("slow request started")
    await asyncio.sleep(float(request.GET.get("seconds", "1")))
    # Journalled before the response is sent, so the journal orders it against the closes.
    record(f"slow request used {client.name} closed={client.closed}")
    return JsonResponse({"client": client.name, "closed": client.closed, "pid": os.getpid()})


@inject
async def slow_unit_of_work_view(
    request: HttpRequest, unit_of_work: Tracked = Provide[Container.unit_of_work]
) -> JsonResponse:
    """Hold a per-request object built on the shared client for ``?seconds=``."""
    client = unit_of_work.dependencies["client"]
    record("slow async view started")
    try:
        await asyncio.sleep(float(request.GET.get("seconds", "4")))
    finally:
        record(f"slow async view ended: {client.name} closed={client.closed}")
    return JsonResponse({"closed": client.closed})


@inject
def slow_sync_unit_of_work_view(
    request: HttpRequest, unit_of_work: Tracked = Provide[Container.sync_unit_of_work]
) -> JsonResponse:
    """The same in a sync view: its thread runs on, whatever the server cancels."""
    client = unit_of_work.dependencies["client"]
    record("slow sync view started")
    time.sleep(float(request.GET.get("seconds", "4")))
    record(f"slow sync view ended: {client.name} closed={client.closed}")
    return JsonResponse({"closed": client.closed})


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
        client = get_container(Container).http_client()
        report["get_container"] = "ok " + client.name
    except LifespanNotRunning as exc:
        report["get_container"] = f"LifespanNotRunning: {exc}"
    return JsonResponse(report)


@inject
async def injected_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


async def loop_check_view(request: LifespanHttpRequest) -> JsonResponse:
    """What request.state and @inject say from an async view: the object, or the error.

    Under a WSGI server thread that serves no lifespan loop (live_server with the async
    ``lifespan`` fixture), Django runs the view on an event loop of its own.
    """
    report: dict[str, str] = {}
    try:
        report["request.state"] = "ok " + request.state["http_client"].name
    except LifespanNotRunning as exc:
        report["request.state"] = f"{type(exc).__name__}: {exc}"
    try:
        report["inject"] = "ok " + (await injected_client()).name
    except LifespanNotRunning as exc:
        report["inject"] = f"{type(exc).__name__}: {exc}"
    return JsonResponse(report)
