"""What the test resources did, recorded so a test can check it, also across processes.

With ``LIFESPAN_DI_TEST_JOURNAL`` set (end-to-end tests) each event is appended to that file as
``<pid> <event>``; otherwise it goes to the in-process list ``EVENTS``.
"""

from __future__ import annotations

import os

EVENTS: list[str] = []


def record(event: str) -> None:
    path = os.environ.get("LIFESPAN_DI_TEST_JOURNAL")
    if path:
        with open(path, "a", encoding="utf-8") as journal:
            journal.write(f"{os.getpid()} {event}\n")
    else:
        EVENTS.append(event)


def fault(kind: str, name: str) -> bool:
    """Whether env ``LIFESPAN_DI_TEST_<KIND>`` (comma-separated names) names ``name``."""
    return name in os.environ.get(f"LIFESPAN_DI_TEST_{kind.upper()}", "").split(",")
