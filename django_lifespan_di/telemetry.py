"""OpenTelemetry spans for the lifespan's startup and shutdown, when a tracer provider is set.

OpenTelemetry has no convention for an application's startup or shutdown, so they show up in
no trace, and a slow or failing deployment is read from log lines. With a tracer provider
configured, each startup becomes one span, ``lifespan.startup``, with a child span per
resource and per lifespan manager (named after it, with its container, its duration and, on
failure, its error type), and each shutdown another, ``lifespan.shutdown``, with a child span
per close and one for the drain of the calls in flight. No span lasts the life of the server.

The spans are made from the lifespan's events (``events.py``), in the task that opens or closes
each unit, so what a resource's own opening traces (an instrumented database connect) nests
under its span. Nothing here runs per request, and nothing of OpenTelemetry is imported unless
the application has imported ``opentelemetry.trace`` and set a tracer provider before the
lifespan starts: without OpenTelemetry, each event costs this observer one dictionary lookup.

Errors are recorded by type only (``error.type`` and the span's status), never with the
exception's message, which may hold a secret.
"""

from __future__ import annotations

import asyncio
import sys
import typing
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from django_lifespan_di import events
from django_lifespan_di.runtime import Runtime, Unit

if typing.TYPE_CHECKING:
    from opentelemetry.trace import Span

#: The span of each phase, by the event that begins it.
PHASES = {"lifespan.starting": "lifespan.startup", "lifespan.stopping": "lifespan.shutdown"}
#: The events that end a phase's span.
PHASE_ENDS = frozenset(
    ("lifespan.started", "lifespan.startup_failed", "lifespan.stopped", "lifespan.shutdown_failed")
)
#: The last step of a unit's events that end its span.
UNIT_ENDS = ("started", "stopped", "failed", "abandoned")


@dataclass
class _Open:
    """A span under way, and the context it was made current in (detached where it was set)."""

    span: Span
    token: object
    task: asyncio.Task[Any] | None


#: The spans under way: a run's phase by its runtime, a unit's opening or closing by its unit.
_open: dict[object, _Open] = {}


def tracing() -> bool:
    """Whether the application has set an OpenTelemetry tracer provider (importing nothing)."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return False
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def observe(event: events.Event) -> None:
    """Begin or end the span ``event`` marks (an observer of ``events.OBSERVERS``)."""
    about = event.about
    if isinstance(about, Runtime):
        if event.name in PHASES and tracing():
            _begin(about, PHASES[event.name], event, {"process.pid": event.fields["pid"]})
        elif event.name == "shutdown.drained" and about in _open:
            _drained(about, event)
        elif event.name in PHASE_ENDS and about in _open:
            _end(about, event)
    elif _open and isinstance(about, Unit):
        step = event.name.rpartition(".")[2]
        if step in ("starting", "stopping"):
            _begin_unit(about, event)
        # A unit event untracked while a phase is: two lifespans of one process at once, one
        # traced (a test's LifespanThread beside the server's lifespan).
        elif step in UNIT_ENDS and about in _open:  # pragma: no branch
            _end(about, event)


def _begin_unit(unit: Unit, event: events.Event) -> None:
    from opentelemetry import trace

    # A unit's span is only ever a child of its run's phase: a rollback's closes, after the
    # startup span ended, are logged, not traced.
    if not trace.get_current_span().is_recording():  # pragma: no cover  (as above)
        return
    attributes: dict[str, str | int] = {
        "lifespan.unit.name": unit.name,
        "lifespan.unit.kind": unit.kind,
    }
    if unit.kind == "resource":
        attributes["lifespan.container"] = unit.name.partition(".")[0]
    _begin(unit, unit.name, event, attributes)


def _begin(about: object, name: str, event: events.Event, attributes: dict[str, Any]) -> None:
    from opentelemetry import context, trace

    tracer = trace.get_tracer("django_lifespan_di", version("django-lifespan-di"))
    span = tracer.start_span(name, start_time=event.time_ns, attributes=attributes)
    token = context.attach(trace.set_span_in_context(span))
    _open[about] = _Open(span, token, asyncio.current_task())


def _drained(runtime: Runtime, event: events.Event) -> None:
    """The drain, as a child span of the shutdown from its start to now."""
    from opentelemetry import trace

    shutdown = _open[runtime].span
    tracer = trace.get_tracer("django_lifespan_di", version("django-lifespan-di"))
    drain = tracer.start_span(
        "lifespan.drain",
        context=trace.set_span_in_context(shutdown),
        start_time=event.time_ns - int(event.fields["duration_ms"] * 1e6),
        attributes={"lifespan.calls_still_running": event.fields["still_running"]},
    )
    drain.end(end_time=event.time_ns)


def _end(about: object, event: events.Event) -> None:
    from opentelemetry import context
    from opentelemetry.trace import Status, StatusCode

    under_way = _open.pop(about)
    span = under_way.span
    error = event.fields.get("error")
    if event.name.endswith(("failed", "abandoned")):
        error = error or event.name.rpartition(".")[2]
        span.set_attribute("error.type", error)
        span.set_status(Status(StatusCode.ERROR, error))
    span.end(end_time=event.time_ns)
    # Only where it was made current: a start given up on ends from the task that gave up,
    # and its own task's context ends with it.
    if under_way.task is asyncio.current_task():
        context.detach(typing.cast(Any, under_way.token))
