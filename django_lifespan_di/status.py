"""What the running lifespan has started, for status pages and readiness probes.

``resource_status()`` reports every resource and lifespan manager of the running lifespan;
``readiness_view()`` answers load balancers and Kubernetes probes from it. Neither shows a
configuration value or an error message (either may carry a secret, such as a connection URL
with a password): an error is reported by its exception type only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypedDict

from django.http import HttpRequest, JsonResponse

from django_lifespan_di.health import readiness
from django_lifespan_di.registry import current_runtime, runtime_or_none
from django_lifespan_di.runtime import Status, Unit

Kind = Literal["resource", "manager"]


class ResourceStatusDict(TypedDict):
    """What ``ResourceStatus.as_dict()`` returns: JSON-ready, ``since`` as an ISO 8601 string."""

    name: str
    kind: Kind
    status: Status
    since: str
    startup_ms: float | None
    error: str | None


@dataclass(frozen=True)
class ResourceStatus:
    """The state of one resource or lifespan manager of the running lifespan."""

    name: str
    """``ContainerClass.provider_path`` for a resource, the dotted path of a manager."""
    kind: Kind
    """``"resource"`` or ``"manager"``."""
    status: Status
    """``pending``, ``starting``, ``ready``, ``failed``, ``closing``, ``closed`` or ``abandoned``
    (a start or shutdown that ignored cancellation after its timeout)."""
    since: datetime
    """When it entered ``status`` (UTC)."""
    startup_ms: float | None
    """How long its startup took, once it has started."""
    error: str | None
    """The exception type name of a failure (never the message, which may hold a secret)."""

    @classmethod
    def of(cls, unit: Unit) -> ResourceStatus:
        """A snapshot of ``unit`` (a ``Unit``) as it is now."""
        return cls(
            name=unit.name,
            kind=unit.kind,
            status=unit.status,
            since=datetime.fromtimestamp(unit.since, tz=UTC),
            startup_ms=None if unit.startup_seconds is None else unit.startup_seconds * 1000,
            error=None if unit.error is None else type(unit.error).__name__,
        )

    @property
    def is_ready(self) -> bool:
        """Whether it is started and not yet shutting down."""
        return self.status == "ready"

    def as_dict(self) -> ResourceStatusDict:
        """The JSON-ready form, as the readiness view and status endpoints send it."""
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "since": self.since.isoformat(),
            "startup_ms": None if self.startup_ms is None else round(self.startup_ms, 3),
            "error": self.error,
        }


def resource_status() -> list[ResourceStatus]:
    """Every resource, then every lifespan manager, of the running lifespan, in start order.

    Raises [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] when no lifespan serves
    the calling code.
    """
    return [ResourceStatus.of(unit) for unit in current_runtime().units]


async def readiness_view(request: HttpRequest) -> JsonResponse:
    """A readiness probe: 200 when every resource and manager is ready, 503 otherwise.

    Route it in ``urls.py``, e.g. ``path("ready/", readiness_view)``. The JSON body is
    ``{"ready": bool, "reason": str | None, "resources": [...]}`` (each resource as
    [``ResourceStatus.as_dict()``][django_lifespan_di.ResourceStatus.as_dict] gives it). Its
    answer is ``health/readyz/``'s (``django_lifespan_di.health``): 503 with a
    reason when no lifespan is running (the server does not run the ASGI lifespan, or it has
    shut down), while it starts or drains before shutdown, and while a critical resource's
    last ping failed; a failed non-critical ping is the reason of a 200.
    """
    report = await readiness()
    runtime = runtime_or_none()
    statuses = [] if runtime is None else [ResourceStatus.of(unit) for unit in runtime.units]
    response = JsonResponse(
        {
            "ready": report.status != "fail",
            "reason": report.output,
            "resources": [s.as_dict() for s in statuses],
        },
        status=report.http_status,
    )
    # A probe must see the live answer, never a cached one.
    response["Cache-Control"] = "no-store"
    return response
