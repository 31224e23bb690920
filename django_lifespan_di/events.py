"""Every line the package logs, as an event with stable fields, and the observers told of each.

A log line is for people; the fields are for tools. ``emit()`` logs the human message on the
``django_lifespan_di`` logger as before and puts stable fields into the record's ``extra``
(``event_name``, ``pid``, and for a resource or lifespan manager ``resource`` and ``kind``, plus
``duration_ms`` and ``error`` where they apply), so structlog, python-json-logger and
OpenTelemetry's log bridge read them without parsing text. The table of events is in
``docs/guides/observability.md``. The name's field is ``event_name``, not ``event``: structlog
keeps a record's message under ``event``, and its ``ExtraAdder`` would replace the message with
the name.

The same events drive what shows the lifespan: the startup timeline (``timeline.py``) and the
OpenTelemetry spans (``telemetry.py``) are observers (``OBSERVERS``) called with each event,
after it is logged, in the code that emitted it: the task of the resource that starts, the
task that stops it. Events happen at startup and shutdown, never per request.

An ``error`` field is an exception's type name, never its message, which may hold a secret.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("django_lifespan_di")


@runtime_checkable
class Unit(Protocol):
    """What the events of a resource or lifespan manager are about (``runtime.Unit``)."""

    name: str
    kind: str


@dataclass(frozen=True)
class Event:
    """One event, as observers get it."""

    name: str
    """``lifespan.started``, ``resource.stopped``, ... (the table in the docs)."""
    fields: Mapping[str, Any]
    """What the log record got in ``extra``: ``event_name`` and ``pid`` included."""
    time_ns: int
    """When it happened: ``time.time_ns()``, the clock OpenTelemetry stamps spans with."""
    about: object
    """The ``Runtime`` or ``Unit`` it is about (never logged: a repr may hold a secret)."""


#: Called with each event, in order; an observer that raises is logged and the rest still run.
OBSERVERS: list[Callable[[Event], None]] = []


def emit(
    name: str,
    message: str,
    *args: object,
    level: int = logging.INFO,
    about: object = None,
    exc_info: BaseException | bool | None = None,
    **fields: Any,
) -> None:
    """Log ``message % args`` as event ``name`` with ``fields`` in ``extra``; tell observers.

    ``about``: the unit (adds ``resource`` and ``kind``) or runtime the event is about.
    """
    extra: dict[str, Any] = {"event_name": name, "pid": os.getpid()}
    if isinstance(about, Unit):
        extra["resource"], extra["kind"] = about.name, about.kind
    extra.update(fields)
    # stacklevel: the record names the line that emitted the event, not this one.
    logger.log(level, message, *args, extra=extra, exc_info=exc_info, stacklevel=2)
    event = Event(name, extra, time.time_ns(), about)
    for observer in tuple(OBSERVERS):
        try:
            observer(event)
        except Exception:
            # Seeing the lifespan must never break it.
            logger.exception(
                "An observer of the lifespan's events failed on %s",
                name,
                extra={"event_name": "observer.failed", "pid": os.getpid(), "observed": name},
            )


def milliseconds(seconds: float) -> float:
    """A ``duration_ms`` field: milliseconds, rounded to the microsecond."""
    return round(seconds * 1000, 3)
