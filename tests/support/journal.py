"""Reading what the test project's resources recorded in a server's or worker's processes, and
the property every end-to-end test asserts of it: everything opened once, closed once.

Each process of an end-to-end test appends ``<pid> <event>`` to the journal file
(``tests/project/journal.py``); ``Server.journal_events()`` reads it back.
"""

from __future__ import annotations

from collections import Counter

from tests.support.server import Server

#: What the test container opens, by dependency level: a later one needs an earlier one.
RESOURCES = ("cache", "database", "http_client", "reporter")


def journal_by_pid(server: Server) -> dict[int, list[str]]:
    """Each process's journal events, in order."""
    by_pid: dict[int, list[str]] = {}
    for pid, event in server.journal_events():
        by_pid.setdefault(pid, []).append(event)
    return by_pid


def assert_closed_once(events: list[str], *, failed: str | None = None) -> None:
    """Whatever opened (apart from ``failed``) closed exactly once, dependents first."""
    opened = [e.removeprefix("open ") for e in events if e.startswith("open ")]
    closed = [e.removeprefix("close ") for e in events if e.startswith("close ")]
    assert Counter(opened) == Counter(set(opened)), f"a resource opened twice: {events}"
    assert Counter(closed) == Counter(set(opened) - {failed}), events
    # reporter -> http_client -> database: a dependent closes before what it depends on
    chain = [name for name in ("reporter", "http_client", "database") if name in closed]
    assert sorted(chain, key=closed.index) == chain, events


def assert_opened_and_closed_once(events: list[str]) -> None:
    """One process opened every resource and closed each once, dependents first."""
    opened = sorted(e.removeprefix("open ") for e in events if e.startswith("open "))
    assert opened == sorted(RESOURCES), events
    assert_closed_once(events)


def assert_each_process_opened_all_and_closed_once(
    server: Server, processes: int
) -> dict[int, list[str]]:
    """``processes`` processes recorded events; each opened every resource once and closed each
    once, dependents first. Returns each one's events."""
    by_pid = journal_by_pid(server)
    assert len(by_pid) == processes, by_pid
    for pid, events in by_pid.items():
        assert sorted(e for e in events if e.startswith("open ")) == [
            f"open {name}" for name in RESOURCES
        ], (pid, events)
        assert_closed_once(events)
    return by_pid
