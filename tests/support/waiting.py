"""Waiting for something to happen, with a deadline: no fixed sleeps in tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Return once ``condition()`` is true; ``AssertionError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    # Polled: what the tests wait for happens in other tasks and threads, which have no event
    # to set for a test.
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {condition}")
        await asyncio.sleep(0.01)
