"""What one request used: the providers ``@inject`` handed out, each per-request resource's times.

The debug toolbar's panel shows it for the request it renders. Nothing is recorded unless a
recorder runs (``recording()``, entered by the panel around a request the toolbar shows): the
per-call path of ``@inject`` does not change at all, and while no recorder runs, the full path
reads one context variable. While one runs, ``@inject`` publishes nothing for the per-call
path, so every call in the recorded request takes the full path, which records it.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Injected:
    """One parameter of one ``@inject`` call."""

    function: str
    """The decorated function, ``myapp.views.weather``."""
    parameter: str
    provider: str
    """What the marker names, ``Provide[myapp.containers.Container.http_client]``."""
    served: str
    """``"object"`` (a live object of the lifespan), ``"per call"`` (a provider called for the
    call: a factory, configuration, a per-request resource), or ``"given"`` (passed by the
    caller, so not injected)."""


@dataclass
class RequestResourceTimes:
    """One per-request resource opened during the request."""

    name: str
    """``Container.unit_of_work``."""
    function: str
    """The ``@inject`` call whose scope it lived in."""
    opened_at: float
    """When it began opening (``time.time()``)."""
    open_ms: float
    """How long its opening took."""
    closed_at: float | None = None
    """When it finished closing (``time.time()``), once it has."""
    close_ms: float | None = None
    close_error: str | None = None
    """The type name of the exception the call ended with, which its cleanup saw."""


@dataclass
class RequestRecord:
    """Everything recorded for one request."""

    injected: list[Injected] = field(default_factory=list)
    request_resources: list[RequestResourceTimes] = field(default_factory=list)


#: The record of the request running in this context, while a recorder runs for it.
current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "django_lifespan_di_request_record", default=None
)
#: How many recorders run in the process: while any does, nothing is published for the
#: per-call path of ``@inject`` (which records nothing).
_active = 0
_lock = threading.Lock()


def active() -> bool:
    """Whether any recorder runs in the process."""
    return _active > 0


@contextmanager
def recording(record: RequestRecord) -> Iterator[RequestRecord]:
    """Record into ``record`` what the code run in this block (and the tasks it starts) uses."""
    global _active
    token = current.set(record)
    with _lock:
        _active += 1
    try:
        yield record
    finally:
        with _lock:
            _active -= 1
        current.reset(token)


def now() -> float:
    """The clock of the times recorded: ``time.time()``, for wall-clock display."""
    return time.time()
