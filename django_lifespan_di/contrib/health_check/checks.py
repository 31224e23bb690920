"""The lifespan as django-health-check 4.x checks: the lifespan, and each pinged resource.

django-health-check runs its checks concurrently in an async view: on the lifespan's event loop
under an ASGI server, and there too under WSGI (Django runs async views on the loop of the
process's lifespan). These checks ask the same cache as ``health/readyz/``, so a probe starts no
ping of its own beside the ones in flight, and they raise ``ServiceUnavailable`` when readiness
fails, naming what failed by name and exception type only (django-health-check logs the
exception it gets, and shows its message).

A non-critical resource whose ping fails does not raise: any exception, ``ServiceWarning``
included, turns django-health-check's answer into a 500, and readiness stays 200 for it; its
status reads ``Warning: ...`` instead of ``OK`` where django-health-check shows
``pretty_status()`` (the HTML page).
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from django_lifespan_di.health import pinged_names, readiness, registered_pings


def _timeout() -> datetime.timedelta:
    # django-health-check cuts a check off after its timeout (plus a second): the longest
    # ping's is what a check may wait for.
    longest = max((registration.timeout for registration in registered_pings()), default=1.0)
    return datetime.timedelta(seconds=longest)


@dataclasses.dataclass
class Lifespan(HealthCheck):  # type: ignore[misc]  # django-health-check has no type hints
    """Fails when readiness fails: the lifespan does not run here, is starting or shutting
    down, a resource or manager is not open, or a critical resource's last ping failed."""

    @property
    def timeout(self) -> datetime.timedelta:
        return _timeout()

    async def run(self) -> None:
        report = await readiness()
        if report.status == "fail":
            raise ServiceUnavailable(report.output)


@dataclasses.dataclass
class LifespanResource(HealthCheck):  # type: ignore[misc]  # django-health-check has no type hints
    """One resource of the lifespan (``resource="Container.db"``): fails when it is not open
    or, if it is critical, when its last ping failed."""

    resource: str
    warning: str | None = dataclasses.field(default=None, init=False, repr=False)

    @property
    def timeout(self) -> datetime.timedelta:
        return _timeout()

    async def run(self) -> None:
        report = await readiness()
        check = next((c for c in report.checks if c.name == self.resource), None)
        if check is None:
            raise ServiceUnavailable(
                report.output or f"{self.resource} is not a resource of the running lifespan"
            )
        if check.status == "fail":
            raise ServiceUnavailable(f"{self.resource}: {check.reason}")
        if check.status == "warn":
            self.warning = f"{check.reason} (not critical)"

    def pretty_status(self) -> str:
        return "OK" if self.warning is None else f"Warning: {self.warning}"


def lifespan_checks() -> list[type[HealthCheck] | tuple[type[HealthCheck], dict[str, Any]]]:
    """``Lifespan`` and a ``LifespanResource`` per resource with a registered ping, for
    ``HealthCheckView.as_view(checks=[*lifespan_checks(), ...])`` (call it in ``urls.py``,
    after the apps' ``ready()`` has registered the pings)."""
    return [Lifespan, *((LifespanResource, {"resource": name}) for name in pinged_names())]
