"""The probes over HTTP: ``livez``, ``readyz`` and ``startupz``.

Each answers ``application/health+json`` (``{"status": "pass" | "warn" | "fail"}``, with
``"output"`` naming what fails or warns; ``?verbose`` adds ``"checks"``), 503 when it fails,
or OpenMetrics text for ``?format=openmetrics``. ``livez`` and ``startupz`` are sync views: they
wait for nothing on the lifespan's loop but, for ``livez``, one callback within a bound, so a
blocked loop fails them instead of hanging them. ``readyz`` is async: it runs on the lifespan's
loop (Django runs it there under WSGI too), where the pings and their results live.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse

from django_lifespan_di.health import Check, Report, liveness, readiness, startup
from django_lifespan_di.registry import runtime_or_none

Probe = Literal["livez", "readyz", "startupz"]
HEALTH_JSON = "application/health+json"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
FORMATS = ("json", "openmetrics")


def livez(request: HttpRequest) -> HttpResponse:
    """200 while this process and its lifespan's event loop answer; never asks a resource,
    so an outage of a database never restarts the process."""
    return answer(request, "livez", liveness(runtime_or_none()))


async def readyz(request: HttpRequest) -> HttpResponse:
    """200 while the lifespan runs, every unit is open and every critical resource's last ping
    passed (``"warn"`` for a failed non-critical one); 503 naming what fails, also while the
    lifespan starts or drains before shutdown."""
    return answer(request, "readyz", await readiness())


def startupz(request: HttpRequest) -> HttpResponse:
    """200 once the lifespan's startup has completed, 503 before."""
    return answer(request, "startupz", startup(runtime_or_none()))


def answer(request: HttpRequest, probe: Probe, report: Report) -> HttpResponse:
    """``report`` in the format the request asks for."""
    wanted = request.GET.get("format", "json")
    if wanted not in FORMATS:
        response = HttpResponse(
            f"Unknown format {wanted[:40]!r}: use ?format=json or ?format=openmetrics.\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    elif wanted == "openmetrics":
        # 200 whatever the probe says: Prometheus drops a scrape answered with an error, and
        # the failure is in the figures.
        response = HttpResponse(openmetrics(probe, report), content_type=OPENMETRICS)
    else:
        response = JsonResponse(
            health_json(report, verbose="verbose" in request.GET),
            status=report.http_status,
            content_type=HEALTH_JSON,
        )
    # A probe must see the live answer, never a cached one.
    response["Cache-Control"] = "no-store"
    return response


def health_json(report: Report, *, verbose: bool) -> dict[str, Any]:
    """The body: ``status``, ``output`` when something fails or warns, ``checks`` if verbose."""
    body: dict[str, Any] = {"status": report.status}
    if report.output is not None:
        body["output"] = report.output
    if verbose:
        checks = {check.name: [_check_json(check, report)] for check in report.checks}
        if report.loop_seconds is not None:
            checks["event loop"] = [
                {
                    "componentType": "system",
                    "status": "pass",
                    "observedValue": round(report.loop_seconds * 1000, 3),
                    "observedUnit": "ms",
                }
            ]
        body["checks"] = checks
    return body


def _check_json(check: Check, report: Report) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "componentType": check.kind,
        "status": check.status,
        "state": check.state,
        "critical": check.critical,
    }
    if check.reason is not None:
        entry["output"] = check.reason
    ping = check.ping
    if ping is not None:
        entry["ping"] = ping.result
        entry["observedValue"] = round(ping.seconds * 1000, 3)
        entry["observedUnit"] = "ms"
        entry["ageSeconds"] = round(max(report.at - ping.ended_at, 0.0), 3)
        entry["time"] = datetime.fromtimestamp(ping.ended_wall, tz=UTC).isoformat()
    return entry


def openmetrics(probe: Probe, report: Report) -> str:
    """The report as OpenMetrics text: the probe, and each unit's figures."""
    lines = [
        "# TYPE lifespan_health gauge",
        "# HELP lifespan_health Whether the probe passes (1, a warning included) or fails (0).",
        f'lifespan_health{{probe="{probe}"}} {int(report.status != "fail")}',
    ]
    if report.checks:
        lines += [
            "# TYPE lifespan_resource_up gauge",
            "# HELP lifespan_resource_up Whether it is open and its last ping (if any) passed.",
            *(
                f"lifespan_resource_up{{{_label(c)}}} {int(c.reason is None)}"
                for c in report.checks
            ),
        ]
    pinged = [c for c in report.checks if c.ping is not None]
    if pinged:
        lines += [
            "# TYPE lifespan_ping_seconds gauge",
            "# UNIT lifespan_ping_seconds seconds",
            "# HELP lifespan_ping_seconds How long its last ping took.",
            *(
                f"lifespan_ping_seconds{{{_label(c)}}} {c.ping.seconds:.6f}"
                for c in pinged
                if c.ping is not None
            ),
        ]
    started = [c for c in report.checks if c.startup_seconds is not None]
    if started:
        lines += [
            "# TYPE lifespan_startup_seconds gauge",
            "# UNIT lifespan_startup_seconds seconds",
            "# HELP lifespan_startup_seconds How long it took to open.",
            *(f"lifespan_startup_seconds{{{_label(c)}}} {c.startup_seconds:.6f}" for c in started),
        ]
    if report.loop_seconds is not None:
        lines += [
            "# TYPE lifespan_loop_answer_seconds gauge",
            "# UNIT lifespan_loop_answer_seconds seconds",
            "# HELP lifespan_loop_answer_seconds How long the lifespan's event loop took to "
            "run a callback.",
            f"lifespan_loop_answer_seconds {report.loop_seconds:.6f}",
        ]
    return "\n".join([*lines, "# EOF", ""])


def _label(check: Check) -> str:
    escaped = check.name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'resource="{escaped}"'
