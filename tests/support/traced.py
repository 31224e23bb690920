"""Runs of the lifespan under OpenTelemetry's real SDK, each in a process of its own.

A tracer provider is set once per process (OpenTelemetry refuses to replace it), so the spans
are checked in a subprocess: ``python -m tests.support.traced traced`` runs a lifespan with the
SDK's in-memory exporter, then a failed startup, a failed shutdown and a start abandoned after
the startup timeout, and prints the spans as JSON; ``untraced`` runs one without any tracer
provider and prints which OpenTelemetry modules got imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import django
from dependency_injector import containers, providers

from tests.support.engine import make_runtime
from tests.support.engine_containers import ChainContainer, greeting_manager
from tests.support.fault_containers import STUBBORN, StubbornStartContainer


async def open_database() -> AsyncIterator[str]:
    """A resource whose opening traces itself, as an instrumented client's connect would."""
    from opentelemetry import trace

    with trace.get_tracer("tests").start_as_current_span("connect"):
        await asyncio.sleep(0.01)
    yield "database"


async def open_cache(database: str) -> AsyncIterator[str]:
    await asyncio.sleep(0.01)
    yield "cache"


class TracedContainer(containers.DeclarativeContainer):
    database = providers.Resource(open_database)
    cache = providers.Resource(open_cache, database=database)


def span_dict(span: Any) -> dict[str, Any]:
    return {
        "name": span.name,
        "parent": span.parent.span_id if span.parent else None,
        "id": span.context.span_id,
        "trace": span.context.trace_id,
        "attributes": dict(span.attributes),
        "status": span.status.status_code.name,
        "description": span.status.description,
        "events": [event.name for event in span.events],
        "start": span.start_time,
        "end": span.end_time,
    }


async def traced() -> dict[str, Any]:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    runs: dict[str, Any] = {}

    runtime = make_runtime(TracedContainer, managers=[greeting_manager])
    await runtime.start()
    runs["after_startup"] = [span.name for span in exporter.get_finished_spans()]
    await runtime.stop()
    runs["ok"] = [span_dict(span) for span in exporter.get_finished_spans()]

    exporter.clear()
    os.environ["LIFESPAN_DI_TEST_FAIL_START"] = "last"
    with contextlib.suppress(Exception):
        await make_runtime(ChainContainer).start()
    runs["failed_startup"] = [span_dict(span) for span in exporter.get_finished_spans()]

    exporter.clear()
    os.environ["LIFESPAN_DI_TEST_FAIL_START"] = ""
    os.environ["LIFESPAN_DI_TEST_FAIL_STOP"] = "first"
    runtime = make_runtime(ChainContainer)
    await runtime.start()
    with contextlib.suppress(Exception):
        await runtime.stop()
    runs["failed_shutdown"] = [span_dict(span) for span in exporter.get_finished_spans()]

    exporter.clear()
    os.environ["LIFESPAN_DI_TEST_FAIL_STOP"] = ""
    STUBBORN.reset()
    with contextlib.suppress(Exception):
        await make_runtime(StubbornStartContainer, startup_timeout=0.2).start()
    STUBBORN.release()
    runs["abandoned"] = [span_dict(span) for span in exporter.get_finished_spans()]
    return runs


async def untraced() -> dict[str, Any]:
    # Other libraries may import it themselves (redis 7's observability does): only what a
    # run imports counts.
    before = {name for name in sys.modules if name.startswith("opentelemetry")}
    runtime = make_runtime(ChainContainer, managers=[greeting_manager])
    await runtime.start()
    await runtime.stop()
    imported = sorted(
        name for name in sys.modules if name.startswith("opentelemetry") and name not in before
    )
    # Imported, but no tracer provider set: still no span (the API's proxy would drop them).
    from opentelemetry import trace

    runtime = make_runtime(ChainContainer)
    await runtime.start()
    await runtime.stop()
    return {"imported": imported, "proxy": type(trace.get_tracer_provider()).__name__}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    scenario = {"traced": traced, "untraced": untraced}[sys.argv[1]]
    print(json.dumps(asyncio.run(scenario())))
