"""The last startup of this process, unit by unit: when each began, how long it took, after what.

A status page that shows only "ready" cannot say why a startup took four seconds. The runtime
opens independent resources concurrently and each one after what it depends on; this module
keeps, from the same events that the OpenTelemetry spans are made of (``events.py``), when each
resource and lifespan manager began opening and when it ended, so a page can draw which opened
in parallel and which waited on which (the demo's status page and the debug toolbar's panel do).

It observes every startup of the process (a few entries per resource, kept until the next
startup of the same run or of another): ``startup_timeline()`` gives the running lifespan's, or
the last one this process saw.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django_lifespan_di import events
from django_lifespan_di.runtime import Runtime, Unit

#: Outcomes of a unit's opening; ``starting`` while it is still under way.
Outcome = str


@dataclass
class UnitTimes:
    """One resource or lifespan manager in a startup."""

    name: str
    """``Container.provider`` for a resource, the dotted path of a manager."""
    kind: str
    """``"resource"`` or ``"manager"``."""
    depends_on: tuple[str, ...]
    """The resources it waited for (what its arguments reach)."""
    began_ms: float
    """When it began opening, from the start of the startup: the time it waited."""
    ended_ms: float | None = None
    """When it ended (opened, failed or was abandoned), from the start of the startup."""
    outcome: Outcome = "starting"
    """``started``, ``failed``, ``abandoned``, or ``starting`` while under way."""
    error: str | None = None
    """The exception type name of a failure (never its message)."""

    @property
    def open_ms(self) -> float | None:
        """How long it took to open (or to fail), once it has ended."""
        return None if self.ended_ms is None else self.ended_ms - self.began_ms


@dataclass(frozen=True)
class Bar:
    """One unit's opening as a bar of a chart of its startup, placed in percent of the whole."""

    times: UnitTimes
    left: float
    """Where it begins: the time it waited, in percent of the startup's duration."""
    width: float
    """How long it took, in percent (at least 0.5, so that an instant opening still shows)."""


@dataclass
class StartupTimeline:
    """One startup of the lifespan in this process."""

    pid: int
    began: datetime
    """When the startup began (UTC)."""
    began_ns: int = field(repr=False)
    units: list[UnitTimes] = field(default_factory=list)
    """In the order they began opening."""
    duration_ms: float | None = None
    """How long the whole startup took, once it has ended."""
    outcome: Outcome = "starting"
    """``started``, ``failed``, or ``starting`` while under way."""

    def unit(self, name: str) -> UnitTimes:
        """The entry of the unit named ``name``; ``KeyError`` if it never began opening."""
        for times in self.units:
            if times.name == name:
                return times
        raise KeyError(name)

    def bars(self) -> list[Bar]:
        """Each unit's opening as a bar of a chart, for a page to draw (an ended startup's)."""
        scale = 100 / self.duration_ms if self.duration_ms else 0.0
        return [
            Bar(
                times,
                left=round(times.began_ms * scale, 2),
                width=max(round((times.open_ms or 0) * scale, 2), 0.5),
            )
            for times in self.units
        ]

    def _offset_ms(self, event: events.Event) -> float:
        return round((event.time_ns - self.began_ns) / 1e6, 3)


#: Each run's last startup; the process's last one, for pages served after it stopped.
_by_run: weakref.WeakKeyDictionary[Runtime, StartupTimeline] = weakref.WeakKeyDictionary()
_last: list[StartupTimeline] = []
#: The startup each unit whose opening has not ended belongs to.
_of_unit: weakref.WeakKeyDictionary[Unit, StartupTimeline] = weakref.WeakKeyDictionary()


def startup_timeline(runtime: Runtime | None = None) -> StartupTimeline | None:
    """``runtime``'s last startup, or this process's last one; None if none was seen."""
    if runtime is not None and runtime in _by_run:
        return _by_run[runtime]
    return _last[-1] if _last else None


def observe(event: events.Event) -> None:
    """Keep what ``event`` says about a startup (an observer of ``events.OBSERVERS``)."""
    about = event.about
    if isinstance(about, Runtime):
        _observe_run(about, event)
    elif isinstance(about, Unit) and about in _of_unit:
        _observe_unit(about, _of_unit[about], event)


def _observe_run(runtime: Runtime, event: events.Event) -> None:
    if event.name == "lifespan.starting":
        timeline = StartupTimeline(
            pid=event.fields["pid"],
            began=datetime.fromtimestamp(event.time_ns / 1e9, tz=UTC),
            began_ns=event.time_ns,
        )
        _by_run[runtime] = timeline
        _last[:] = [timeline]
        for unit in runtime.units:
            _of_unit[unit] = timeline
    elif event.name in ("lifespan.started", "lifespan.startup_failed"):
        timeline = _by_run[runtime]
        timeline.duration_ms = timeline._offset_ms(event)
        timeline.outcome = "started" if event.name == "lifespan.started" else "failed"


def _observe_unit(unit: Unit, timeline: StartupTimeline, event: events.Event) -> None:
    """``unit``'s opening (its startup's; a shutdown's events find no timeline for it)."""
    step = event.name.rpartition(".")[2]
    if step == "starting":
        timeline.units.append(
            UnitTimes(
                name=unit.name,
                kind=unit.kind,
                depends_on=tuple(dependency.name for dependency in unit.depends_on),
                began_ms=timeline._offset_ms(event),
            )
        )
    else:  # started, failed or abandoned: nothing else happens to a unit while it opens
        times = timeline.unit(unit.name)
        times.ended_ms = timeline._offset_ms(event)
        times.outcome = step
        times.error = event.fields.get("error")
        # Whatever comes later (its shutdown, the end of a start that was abandoned) is not
        # part of the startup.
        del _of_unit[unit]
