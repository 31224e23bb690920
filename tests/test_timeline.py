"""The startup timeline: when each unit began and ended, from the lifespan's events."""

from __future__ import annotations

import os

import pytest

from django_lifespan_di import StartupError
from django_lifespan_di.timeline import startup_timeline
from tests.support.engine import make_runtime
from tests.support.engine_containers import ChainContainer, greeting_manager


async def test_the_timeline_shows_what_opened_together_and_what_waited() -> None:
    runtime = make_runtime(ChainContainer, managers=[greeting_manager])
    await runtime.start()
    try:
        timeline = startup_timeline(runtime)
    finally:
        await runtime.stop()

    assert timeline is not None
    assert timeline is startup_timeline()  # the process's last one
    assert (timeline.outcome, timeline.pid) == ("started", os.getpid())
    assert timeline.duration_ms is not None
    first, sibling, middle, last = (
        timeline.unit(f"ChainContainer.{n}") for n in ("first", "sibling", "middle", "last")
    )
    manager = timeline.unit("tests.support.engine_containers.greeting_manager")
    assert {u.outcome for u in timeline.units} == {"started"}
    # first and sibling depend on nothing: they began together, at once ...
    assert first.depends_on == sibling.depends_on == ()
    # ... middle waited for first, last for middle (through a Factory), the manager for all.
    assert middle.depends_on == ("ChainContainer.first",)
    assert last.depends_on == ("ChainContainer.middle",)
    assert first.ended_ms is not None
    assert middle.ended_ms is not None
    assert middle.began_ms >= first.ended_ms
    assert last.began_ms >= middle.ended_ms
    assert manager.kind == "manager"
    assert manager.began_ms >= max(u.ended_ms or 0 for u in (first, sibling, middle, last))
    assert all(u.open_ms is not None and u.open_ms >= 0 for u in timeline.units)
    assert timeline.duration_ms >= (manager.ended_ms or 0)
    # As a chart: each opening a bar, placed in percent of the whole startup.
    bars = timeline.bars()
    assert [bar.times for bar in bars] == timeline.units
    for bar in bars:
        assert bar.left >= 0
        assert bar.width >= 0.5
        assert bar.left + bar.width <= 100.5
    assert bars[-1].left >= bars[0].left + bars[0].width - 0.01  # the manager came last
    with pytest.raises(KeyError):
        timeline.unit("ChainContainer.service")  # a Factory: nothing opened


async def test_a_failed_startup_has_its_timeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "middle")
    runtime = make_runtime(ChainContainer)
    with pytest.raises(StartupError):
        await runtime.start()

    timeline = startup_timeline(runtime)
    assert timeline is not None
    assert timeline.outcome == "failed"
    middle = timeline.unit("ChainContainer.middle")
    assert (middle.outcome, middle.error) == ("failed", "ConnectionRefusedError")
    # last never began: it waited for middle.
    assert "ChainContainer.last" not in [u.name for u in timeline.units]
