"""``LifespanThread``: the lifespan on a loop of its own, for code with no server loop."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from dependency_injector import containers, providers
from django.test import override_settings

from django_lifespan_di import (
    LifespanError,
    LifespanNotRunning,
    LifespanThread,
    ShutdownError,
    StartupError,
    get_container,
    resolve,
    run_in_lifespan_loop,
)
from django_lifespan_di import thread as thread_module
from django_lifespan_di.thread import (
    forget_process_lifespan,
    start_process_lifespan,
    stop_process_lifespan,
)
from tests.project import journal
from tests.project.containers import Container, Tracked


async def loop_of(client: Tracked) -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_it_starts_serves_sync_code_and_stops() -> None:
    with LifespanThread() as thread:
        assert thread.loop.is_running()
        assert thread.state["http_client"].name == "http_client"
        client = resolve(Container.http_client)  # sync code, another thread than the loop's
        assert client is thread.state["http_client"]
        assert get_container(Container).cache() is thread.state["cache"]
        # Coroutines run on the lifespan's own loop, the one its objects belong to.
        assert run_in_lifespan_loop(loop_of, client) is thread.loop
    assert not thread.is_running
    assert sorted(e for e in journal.EVENTS if e.startswith("close")) == [
        "close cache",
        "close database",
        "close http_client",
        "close reporter",
    ]
    with pytest.raises(LifespanError, match="not running in this process"):
        thread.loop  # noqa: B018


def test_a_failed_startup_is_raised_by_start_with_everything_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "http_client")
    thread = LifespanThread()
    with pytest.raises(StartupError, match=r"Container\.http_client failed to start"):
        thread.start()
    assert not thread.is_running
    opened = {e.split()[1] for e in journal.EVENTS if e.startswith("open")} - {"http_client"}
    closed = {e.split()[1] for e in journal.EVENTS if e.startswith("close")}
    assert opened == closed


def test_a_failed_shutdown_is_raised_by_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "cache")
    thread = LifespanThread().start()
    with pytest.raises(ShutdownError, match=r"Container\.cache: RuntimeError"):
        thread.stop()
    thread.stop()  # stopped already: nothing to do


def test_it_cannot_be_started_twice_and_can_start_again_after_a_stop() -> None:
    thread = LifespanThread().start()
    try:
        with pytest.raises(LifespanError, match="already running"):
            thread.start()
    finally:
        thread.stop()
    with thread:
        assert thread.is_running


def test_in_a_forked_child_it_is_not_running_and_stop_does_nothing() -> None:
    thread = LifespanThread().start()
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            report = [str(thread.is_running)]
            thread.stop()  # the parent's: must neither hang nor touch anything
            report.append("stopped nothing")
            os.write(write, ",".join(report).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            assert pipe.read() == "False,stopped nothing"
        os.waitpid(pid, 0)
        assert thread.is_running  # the parent's is untouched
    finally:
        thread.stop()


@pytest.mark.parametrize("failing_stop", ["", "cache"])
def test_it_stops_at_interpreter_exit(tmp_path: Any, failing_stop: str) -> None:
    import subprocess
    import sys

    from tests.support.server import ROOT

    script = (
        "import django; django.setup()\n"
        "from django_lifespan_di import LifespanThread\n"
        "LifespanThread().start()\n"
        "print('started', flush=True)\n"  # and exit without stopping it
    )
    journal_path = tmp_path / "journal"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "LIFESPAN_DI_TEST_JOURNAL": str(journal_path),
        "LIFESPAN_DI_TEST_FAIL_STOP": failing_stop,
    }
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    events = [line.split(" ", 1)[1] for line in journal_path.read_text().splitlines()]
    opened = sorted(e.split()[1] for e in events if e.startswith("open"))
    closed = sorted(e.split()[1] for e in events if e.startswith("close"))
    assert opened == closed == ["cache", "database", "http_client", "reporter"]
    failure_logged = "The lifespan's shutdown at interpreter exit failed" in done.stderr
    assert failure_logged is bool(failing_stop), done.stderr
    if failing_stop:
        assert "Container.cache: RuntimeError: cache failed to close" in done.stderr


async def stop_it(thread: LifespanThread) -> None:
    thread.stop()


def test_stop_from_the_lifespans_own_loop_is_refused() -> None:
    with LifespanThread() as thread:
        with pytest.raises(LifespanError, match="from the lifespan's own event loop"):
            run_in_lifespan_loop(stop_it, thread)
        assert thread.is_running


async def open_loop_blocking_close() -> AsyncIterator[str]:
    yield "blocking"
    time.sleep(0.5)  # noqa: ASYNC251  # blocks the loop, so its own deadlines cannot fire


class LoopBlockingCloseContainer(containers.DeclarativeContainer):
    blocking = providers.Resource(open_loop_blocking_close)


@override_settings(LIFESPAN_DI={"CONTAINERS": [f"{__name__}.LoopBlockingCloseContainer"]})
def test_stop_gives_up_waiting_for_a_loop_that_something_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    thread = LifespanThread().start()
    monkeypatch.setattr(thread_module, "stop_wait_limit", lambda: 0.1)
    with pytest.raises(ShutdownError, match=r"LifespanThread: .*did not stop within 0.1 s"):
        thread.stop()
    monkeypatch.undo()
    thread.stop()  # waits for the rest of the shutdown this time
    assert not thread.is_running


async def open_slowly_closing() -> AsyncIterator[str]:
    yield "slow"
    await asyncio.sleep(0.5)
    journal.record("close slow")


class SlowCloseContainer(containers.DeclarativeContainer):
    slow = providers.Resource(open_slowly_closing)


@override_settings(LIFESPAN_DI={"CONTAINERS": [f"{__name__}.SlowCloseContainer"]})
def test_a_ctrl_c_while_it_stops_does_not_cut_the_shutdown_short() -> None:
    thread = LifespanThread().start()
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    thread.stop()  # a real SIGINT arrives in this (the main) thread while it waits
    assert journal.EVENTS == ["close slow"]
    assert not thread.is_running


@override_settings(LIFESPAN_DI={"CONTAINERS": ["tests.project.containers.Container"]})
async def test_async_code_on_another_loop_is_told_to_use_run_in_lifespan_loop() -> None:
    from django_lifespan_di import EventLoopError

    with LifespanThread(), pytest.raises(EventLoopError, match="run_in_lifespan_loop"):
        resolve(Container.http_client)


# -- the process lifespan: one LifespanThread per process, started once, failures kept ----


@pytest.fixture
def forget() -> Iterator[None]:
    yield
    forget_process_lifespan()


@pytest.mark.usefixtures("forget")
def test_the_process_lifespan_starts_once_and_stops() -> None:
    thread = start_process_lifespan()
    assert start_process_lifespan() is thread
    assert resolve(Container.cache) is thread.state["cache"]
    stop_process_lifespan()
    assert not thread.is_running
    stop_process_lifespan()  # nothing left to stop


@pytest.mark.usefixtures("forget")
def test_stopping_a_process_lifespan_never_started_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a process that never started one.
    monkeypatch.setattr(thread_module._process, "thread", None)
    stop_process_lifespan()
    with pytest.raises(LifespanNotRunning, match="The lifespan is not running"):
        resolve(Container.cache)


@pytest.mark.usefixtures("forget")
def test_a_failed_process_startup_is_kept_and_named_by_every_later_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "database")
    with pytest.raises(StartupError) as first:
        start_process_lifespan()
    monkeypatch.delenv("LIFESPAN_DI_TEST_FAIL_START")
    with pytest.raises(StartupError) as again:
        start_process_lifespan()  # not retried in this process
    assert again.value is first.value
    with pytest.raises(LifespanNotRunning, match=r"failed to start.*Container\.database"):
        resolve(Container.cache)
