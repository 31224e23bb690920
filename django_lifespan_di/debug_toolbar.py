"""A django-debug-toolbar panel: this process's lifespan, and what the current request used.

Add it to the toolbar's panels (the toolbar itself set up as its documentation says):

    DEBUG_TOOLBAR_PANELS = [
        *debug_toolbar.settings.PANELS_DEFAULTS,
        "django_lifespan_di.debug_toolbar.LifespanPanel",
    ]

It shows the resources and lifespan managers of the lifespan that serves the request (status,
since when, startup time, and every further field of
[``ResourceStatus.as_dict()``][django_lifespan_di.ResourceStatus.as_dict], such as the last
ping once resources are pinged), the last startup's timeline, the providers a test or a shell
has overridden, and, for the request itself, which providers ``@inject`` handed out and when
each per-request resource opened and closed.

The request is recorded only while the toolbar shows it (``recording.py``): with the toolbar
off, nothing changes on the path of a call. It works under WSGI and ASGI (``is_async``); the
request's async and sync views alike are recorded.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from debug_toolbar.panels import Panel
from dependency_injector import providers
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from django_lifespan_di import recording
from django_lifespan_di.graph import Guard
from django_lifespan_di.injection import forget_plans
from django_lifespan_di.naming import dotted_name
from django_lifespan_di.registry import runtime_or_none
from django_lifespan_di.runtime import Runtime
from django_lifespan_di.status import ResourceStatus
from django_lifespan_di.timeline import StartupTimeline, startup_timeline

__all__ = ["LifespanPanel"]

#: The columns of the resources' table that every status has; any other field of
#: ``ResourceStatus.as_dict()`` gets a column of its own after them.
KNOWN_COLUMNS = ("name", "kind", "status", "since", "startup_ms", "error")


class LifespanPanel(Panel):
    """The lifespan of this process and what the request used, in the debug toolbar."""

    title = gettext_lazy("Lifespan")
    template = "django_lifespan_di/debug_toolbar.html"
    is_async = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record = recording.RequestRecord()

    @property
    def nav_subtitle(self) -> str:
        stats = self.get_stats()  # type: ignore[no-untyped-call]  # the toolbar's own
        if not stats.get("running"):
            return str(gettext_lazy("not running"))
        return f"{stats['ready']} of {len(stats['units'])} ready, {len(stats['injected'])} injected"

    def process_request(self, request: HttpRequest) -> Any:
        with self._recording():
            response = super().process_request(request)  # type: ignore[no-untyped-call]
        if inspect.iscoroutine(response):
            # Under ASGI the view runs when the response is awaited, not when it is asked for.
            return self._recorded_response(response)
        return response

    async def _recorded_response(self, response: Any) -> HttpResponse:
        with self._recording():
            return await response  # type: ignore[no-any-return]

    @contextmanager
    def _recording(self) -> Iterator[None]:
        with recording.recording(self.record):
            runtime = runtime_or_none()
            if runtime is not None:
                # Calls that the per-call path would serve take the full path, which records
                # (only @inject's plans are forgotten: not the pings' cache, say).
                forget_plans(runtime)
            yield

    def generate_stats(self, request: HttpRequest, response: HttpResponse) -> None:
        runtime = runtime_or_none()
        if runtime is None:
            self.record_stats({"running": False})  # type: ignore[no-untyped-call]
            return
        units: list[dict[str, Any]] = [
            dict(ResourceStatus.of(unit).as_dict()) for unit in runtime.units
        ]
        extra_columns = sorted({key for unit in units for key in unit} - set(KNOWN_COLUMNS))
        for unit in units:
            unit["extra"] = [unit[column] for column in extra_columns]
        timeline = startup_timeline(runtime)
        self.record_stats(  # type: ignore[no-untyped-call]
            {
                "running": True,
                "pid": runtime.pid,
                "phase": runtime.phase,
                "units": units,
                "ready": sum(unit["status"] == "ready" for unit in units),
                "extra_columns": extra_columns,
                "startup": None if timeline is None else _timeline_rows(timeline),
                "overrides": list(_overrides(runtime)),
                "injected": [vars(injected) for injected in self.record.injected],
                "request_resources": [
                    {
                        **vars(times),
                        "opened_at": _clock(times.opened_at),
                        "closed_at": None if times.closed_at is None else _clock(times.closed_at),
                    }
                    for times in self.record.request_resources
                ],
            }
        )


def _timeline_rows(timeline: StartupTimeline) -> dict[str, Any]:
    """The startup as rows of a bar chart (plain data: the toolbar's store serializes it)."""
    return {
        "began": timeline.began.isoformat(timespec="milliseconds"),
        "duration_ms": timeline.duration_ms,
        "outcome": timeline.outcome,
        "units": [
            {
                "name": bar.times.name,
                "kind": bar.times.kind,
                "began_ms": bar.times.began_ms,
                "open_ms": bar.times.open_ms,
                "outcome": bar.times.outcome,
                "after": ", ".join(bar.times.depends_on),
                "left": bar.left,
                "width": bar.width,
            }
            for bar in timeline.bars()
        ],
    }


def _overrides(runtime: Runtime) -> Iterator[dict[str, str]]:
    """The providers of the live containers that something other than the runtime overrides."""
    for cls, instance in runtime.containers.items():
        for name, provider in instance.providers.items():
            if isinstance(provider, providers.Configuration):
                # Loading a configuration (from_value, from_dict, from_yaml, ...) overrides it
                # with the values loaded: that is how it is set, not a stand-in.
                continue
            for replacement in provider.overridden:
                if not isinstance(replacement, Guard):
                    yield {"provider": f"{cls.__name__}.{name}", "by": _described(replacement)}


def _described(replacement: providers.Provider[Any]) -> str:
    """What overrides a provider, named from code (never a repr, which may hold a secret)."""
    if isinstance(replacement, providers.Object):
        return f"Object({dotted_name(type(replacement.provides))} instance)"
    provides = getattr(replacement, "provides", None)
    of = f"({dotted_name(provides)})" if callable(provides) else ""
    return f"{type(replacement).__name__}{of}"


def _clock(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
