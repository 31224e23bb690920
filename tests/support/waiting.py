"""Waiting for something to happen, with a deadline: no fixed sleeps in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

#: How long a test waits for what it expects before it fails.
WITHIN_SECONDS = 5.0


async def eventually(condition: Callable[[], bool]) -> None:
    """Return once ``condition()`` is true; ``AssertionError`` after ``WITHIN_SECONDS``."""
    deadline = time.monotonic() + WITHIN_SECONDS
    # Polled: what the tests wait for happens in other tasks and threads, which have no event
    # to set for a test.
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WITHIN_SECONDS} s: {condition}")
        await asyncio.sleep(0.01)


def wait_until(condition: Callable[[], bool], timeout: float = WITHIN_SECONDS) -> None:
    """``eventually`` for sync code (a test that watches a server process from outside)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {condition}")
        time.sleep(0.05)
