"""The engine (``django_lifespan_di.runtime``): start, state, stop, and every way they fail."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import os
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from django.test import override_settings

from django_lifespan_di import (
    ConfigurationError,
    LifespanNotRunning,
    ShutdownError,
    StartupError,
    get_container,
    lifespan,
)
from django_lifespan_di.registry import runtime_or_none
from django_lifespan_di.runtime import register_call_frame
from django_lifespan_di.testing import override_providers
from tests.project import journal
from tests.project.containers import Tracked
from tests.support.engine import journaled, make_runtime
from tests.support.engine_containers import (
    JOURNALED_STYLES,
    ChainContainer,
    ConcurrentContainer,
    NestingContainer,
    RaceContainer,
    StylesContainer,
    TwinContainer,
    coroutine_manager,
    first_manager,
    greeting_manager,
    list_manager,
    other_greeting_manager,
    resource_using_manager,
    silent_manager,
    sync_manager,
    undecorated_manager,
)

CHAIN = ("first", "sibling", "middle", "last")


def is_closed(client: httpx.AsyncClient) -> bool:
    """Read anew each time (mypy would keep what an earlier assert narrowed it to)."""
    return client.is_closed


def lifespan_settings(*container_paths: str) -> override_settings:
    return override_settings(LIFESPAN_DI={"CONTAINERS": list(container_paths)})


# -- every resource style --------------------------------------------------------------------


async def test_every_resource_style_starts_and_stops() -> None:
    runtime = make_runtime(StylesContainer)
    state = await runtime.start()
    assert set(state) == {*JOURNALED_STYLES, "plain_function", "coroutine_function", "http_client"}
    for name in (*JOURNALED_STYLES, "plain_function", "coroutine_function"):
        assert isinstance(state[name], Tracked)
        assert state[name].name == name
        assert not state[name].closed
    client = state["http_client"]
    assert isinstance(client, httpx.AsyncClient)
    assert not is_closed(client)
    assert sorted(journaled("open")) == sorted(
        [*JOURNALED_STYLES, "plain_function", "coroutine_function"]
    )

    await runtime.stop()

    assert sorted(journaled("close")) == sorted(JOURNALED_STYLES)
    for name in JOURNALED_STYLES:
        assert state[name].closed, name
    assert is_closed(client)
    assert {unit.status for unit in runtime.units} == {"closed"}


# -- dependencies and order ------------------------------------------------------------------


def test_the_graph_follows_dependencies_through_factories() -> None:
    runtime = make_runtime(ChainContainer)
    depends_on = {unit.name: {dep.name for dep in unit.depends_on} for unit in runtime.units}
    assert list(depends_on) == [f"ChainContainer.{name}" for name in CHAIN]  # as declared
    # Each resource's direct dependencies, through the factory between middle and last.
    assert depends_on == {
        "ChainContainer.first": set(),
        "ChainContainer.sibling": set(),
        "ChainContainer.middle": {"ChainContainer.first"},
        "ChainContainer.last": {"ChainContainer.middle"},
    }


async def test_dependencies_start_first_and_stop_last() -> None:
    runtime = make_runtime(ChainContainer)
    state = await runtime.start()
    opened = journaled("open")
    assert opened.index("first") < opened.index("middle") < opened.index("last")
    assert state["middle"].dependencies["first"] is state["first"]
    assert state["last"].dependencies["service"].client is state["middle"]

    await runtime.stop()

    closed = journaled("close")
    assert closed.index("last") < closed.index("middle") < closed.index("first")
    assert sorted(closed) == sorted(CHAIN)


async def test_independent_resources_start_concurrently() -> None:
    # Each of the two waits until the other has begun: started one after the other, the
    # first would give up after MEETING_TIMEOUT and startup would fail.
    runtime = make_runtime(ConcurrentContainer)
    state = await runtime.start()
    await runtime.stop()
    assert set(state) == {"left", "right"}
    assert sorted(journaled("close")) == ["left", "right"]


# -- all-or-nothing startup ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failing", "started"),
    [
        ("first", {"sibling"}),
        ("middle", {"first", "sibling"}),
        ("last", {"first", "sibling", "middle"}),
    ],
)
async def test_a_failed_start_closes_what_had_started_once_dependents_first(
    monkeypatch: pytest.MonkeyPatch, failing: str, started: set[str]
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", failing)
    runtime = make_runtime(ChainContainer)

    with pytest.raises(StartupError) as caught:
        await runtime.start()

    assert caught.value.culprit == f"ChainContainer.{failing}"
    assert str(caught.value) == (
        f"ChainContainer.{failing} failed to start: "
        f"ConnectionRefusedError: {failing} cannot connect (test fault)"
    )
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    opened = journaled("open")
    assert set(opened) == started
    closed = journaled("close")
    assert sorted(closed) == sorted(opened)
    # middle uses first; sibling depends on nothing, so it closes concurrently with them.
    if "middle" in closed:
        assert closed.index("middle") < closed.index("first")
    assert runtime_or_none() is None


async def test_a_sibling_still_starting_is_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "first")
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "sibling")

    with pytest.raises(StartupError) as caught:
        await make_runtime(ChainContainer).start()

    assert caught.value.culprit == "ChainContainer.first"  # not the cancelled sibling
    assert journaled("cancelled") == ["sibling"]
    assert journaled("open") == journaled("close") == []


async def test_a_sibling_cancelled_around_its_opening_is_closed_once_if_it_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The racer opens `steps` loop iterations after it begins: over this range it opens
    # before the trigger's failure cancels it, or is cancelled while opening.
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "trigger")
    outcomes = set()
    for steps in range(8):
        journal.EVENTS.clear()
        with override_providers(RaceContainer.steps, steps):
            runtime = make_runtime(RaceContainer)
            with pytest.raises(StartupError, match=r"^RaceContainer\.trigger failed to start"):
                await runtime.start()
        assert journaled("close") == journaled("open"), steps
        if journaled("open"):
            outcomes.add("opened before the failure")
        else:
            assert journaled("cancelled") == ["racer"], steps
            outcomes.add("cancelled while opening")
    assert outcomes == {"cancelled while opening", "opened before the failure"}


async def test_a_failed_startup_leaves_no_task_exception_unretrieved(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # asyncio logs "Task exception was never retrieved" when such a task is collected: a
    # second, misleading error in the server's log.
    gc.collect()  # what earlier tests left behind
    caplog.clear()
    # Its own log records would keep the error, and through it the tasks, alive.
    monkeypatch.setattr(logging.getLogger("django_lifespan_di"), "disabled", True)
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "last")
    with pytest.raises(StartupError):
        await make_runtime(ChainContainer).start()
    gc.collect()
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


async def test_a_startup_timeout_names_what_was_still_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_START", "last")

    with pytest.raises(StartupError) as caught:
        await make_runtime(ChainContainer, startup_timeout=0.2).start()

    assert str(caught.value) == (
        "Startup did not finish within LIFESPAN_DI['STARTUP_TIMEOUT'] = 0.2 s; still "
        "starting: ChainContainer.last. Raise the timeout or find out why it hangs."
    )
    assert caught.value.culprit == "ChainContainer.last"
    assert journaled("cancelled") == ["last"]
    assert sorted(journaled("close")) == ["first", "middle", "sibling"]
    closed = journaled("close")
    assert closed.index("middle") < closed.index("first")


# -- the state ------------------------------------------------------------------------------


async def test_the_state_holds_each_resource_by_name_and_the_managers_keys() -> None:
    runtime = make_runtime(ChainContainer, managers=[greeting_manager, silent_manager])
    state = await runtime.start()
    try:
        assert set(state) == {*CHAIN, "greeting"}  # the Factory `service` is no resource
        for name in CHAIN:
            assert state[name].name == name
        assert state["greeting"] == "hello"
    finally:
        await runtime.stop()


async def test_a_manager_reaches_the_started_resources_and_closes_before_them() -> None:
    runtime = make_runtime(ChainContainer, managers=[resource_using_manager])
    state = await runtime.start()
    assert state["greeting"] == "hello from first"
    await runtime.stop()

    events = journal.EVENTS
    assert "manager saw first closed=False" in events
    assert "manager left first closed=False" in events
    assert events.index("manager left first closed=False") < events.index("close first")


async def test_a_resource_and_a_manager_with_one_key_is_a_startup_error() -> None:
    with pytest.raises(StartupError) as caught:
        await make_runtime(ChainContainer, managers=[first_manager]).start()

    assert str(caught.value) == (
        "ChainContainer.first and tests.support.engine_containers.first_manager both put "
        "'first' into the lifespan state. Rename one of them: a key is never silently overwritten."
    )
    assert caught.value.culprit == "tests.support.engine_containers.first_manager"
    assert sorted(journaled("close")) == sorted(CHAIN)
    assert journaled("exit") == ["first_manager"]


async def test_two_managers_with_one_key_is_a_startup_error() -> None:
    runtime = make_runtime(managers=[greeting_manager, other_greeting_manager])

    with pytest.raises(StartupError) as caught:
        await runtime.start()

    assert str(caught.value).startswith(
        "tests.support.engine_containers.greeting_manager and "
        "tests.support.engine_containers.other_greeting_manager both put 'greeting' into the "
        "lifespan state."
    )
    assert journaled("exit") == ["other_greeting_manager", "greeting_manager"]


def test_two_containers_with_one_resource_name_are_refused_before_anything_opens() -> None:
    with pytest.raises(StartupError, match=r"^ChainContainer\.first and TwinContainer\.first"):
        make_runtime(ChainContainer, TwinContainer)
    assert journal.EVENTS == []


# -- lifespan managers that are not what they should be ------------------------------------


async def test_a_manager_yielding_no_mapping_is_refused_and_exited() -> None:
    with pytest.raises(StartupError) as caught:
        await make_runtime(ChainContainer, managers=[list_manager]).start()

    assert str(caught.value) == (
        "tests.support.engine_containers.list_manager failed to start: the lifespan manager "
        "yielded a list; it must yield a mapping of state keys to objects, or None."
    )
    assert journaled("exit") == ["list_manager"]
    assert sorted(journaled("close")) == sorted(CHAIN)


@pytest.mark.parametrize(
    "factory",
    [sync_manager, undecorated_manager, coroutine_manager],
    ids=["sync", "undecorated", "coroutine"],
)
async def test_a_manager_returning_no_async_context_manager_is_refused(
    factory: Any,
) -> None:
    name = f"tests.support.engine_containers.{factory.__name__}"
    with pytest.raises(StartupError) as caught:
        await make_runtime(ChainContainer, managers=[factory]).start()

    assert caught.value.culprit == name
    assert str(caught.value).startswith(f"{name} failed to start: the lifespan manager returned a")
    assert str(caught.value).endswith(
        "not an async context manager. Decorate it with @contextlib.asynccontextmanager."
    )
    assert sorted(journaled("close")) == sorted(CHAIN)


async def test_a_coroutine_returned_instead_of_a_context_manager_is_closed() -> None:
    # Left open, Python would warn "coroutine ... was never awaited" on top of the error.
    returned = []

    def factory() -> Any:
        returned.append(coroutine_manager())
        return returned[-1]

    with pytest.raises(StartupError, match="not an async context manager"):
        await make_runtime(managers=[factory]).start()
    assert inspect.getcoroutinestate(returned[0]) == inspect.CORO_CLOSED


# -- shutdown -------------------------------------------------------------------------------


async def test_every_shutdown_runs_when_some_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "middle,first")
    runtime = make_runtime(ChainContainer)
    await runtime.start()

    with pytest.raises(ShutdownError) as caught:
        await runtime.stop()

    assert sorted(journaled("close")) == sorted(CHAIN)
    assert [name for name, _ in caught.value.failures] == [
        "ChainContainer.middle",
        "ChainContainer.first",
    ]
    assert all(isinstance(exc, RuntimeError) for _, exc in caught.value.failures)
    assert str(caught.value) == (
        "2 shutdown(s) failed (all others completed):\n"
        "  ChainContainer.middle: RuntimeError: middle failed to close (test fault)\n"
        "  ChainContainer.first: RuntimeError: first failed to close (test fault)"
    )
    assert runtime_or_none() is None


async def test_a_hung_shutdown_is_cut_and_the_others_still_close(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_HANG_STOP", "last")
    runtime = make_runtime(ChainContainer, shutdown_timeout=0.1)
    await runtime.start()

    with pytest.raises(ShutdownError) as caught:
        await runtime.stop()

    ((name, error),) = caught.value.failures
    assert name == "ChainContainer.last"
    assert isinstance(error, TimeoutError)
    # Each shutdown gets at least SHUTDOWN_GRACE_SECONDS, even once the timeout is spent.
    assert str(error) == (
        "ChainContainer.last did not shut down within 1.0 s "
        "(LIFESPAN_DI['SHUTDOWN_TIMEOUT'] = 0.1 s)"
    )
    assert sorted(journaled("close")) == sorted(CHAIN)
    assert "Shutdown of ChainContainer.last timed out after 1.0 s" in caplog.messages


# -- overrides and nesting ------------------------------------------------------------------


async def test_an_overridden_resource_is_not_started_and_its_fake_not_shut_down() -> None:
    fake = Tracked("fake")
    with ChainContainer.first.override(providers.Object(fake)):
        runtime = make_runtime(ChainContainer)
        state = await runtime.start()
        await runtime.stop()
    assert state["first"] is fake
    assert state["middle"].dependencies["first"] is fake
    assert not fake.closed
    assert "first" not in journaled("open")
    assert sorted(journaled("close")) == ["last", "middle", "sibling"]


async def test_a_resource_of_a_nested_container_is_named_by_its_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="django_lifespan_di")
    runtime = make_runtime(NestingContainer)
    assert {unit.name for unit in runtime.units} == {
        "NestingContainer.front",
        "NestingContainer.inner.store",
    }
    state = await runtime.start()
    await runtime.stop()

    assert set(state) == {"front"}  # only top-level attributes are state keys
    assert journaled("open") == ["store", "front"]
    assert journaled("close") == ["front", "store"]
    assert any(m.startswith("Started NestingContainer.inner.store in") for m in caplog.messages)


async def test_a_failing_resource_of_a_nested_container_is_named_by_its_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "store")
    with pytest.raises(StartupError, match=r"^NestingContainer\.inner\.store failed to start"):
        await make_runtime(NestingContainer).start()


# -- lifespan() and get_container() ---------------------------------------------------------


def test_each_lifespan_on_its_own_loop_gets_fresh_objects() -> None:
    async def run_once() -> dict[str, Any]:
        async with lifespan() as state:
            return dict(state)

    with lifespan_settings("tests.support.engine_containers.ChainContainer"):
        first_run = asyncio.run(run_once())
        second_run = asyncio.run(run_once())

    for name in CHAIN:
        assert first_run[name] is not second_run[name]
        assert first_run[name].closed
        assert second_run[name].closed
    assert journaled("open").count("first") == journaled("close").count("first") == 2


async def test_a_second_lifespan_on_the_same_loop_is_refused_before_anything_opens() -> None:
    with lifespan_settings("tests.support.engine_containers.ChainContainer"):
        async with lifespan() as state:
            events = list(journal.EVENTS)
            with pytest.raises(StartupError) as caught:
                async with lifespan():
                    pass
            assert events == journal.EVENTS
            assert caught.value.culprit == "lifespan()"
            assert "already running on this event loop" in str(caught.value)
            assert not state["first"].closed
    assert state["first"].closed


def test_get_container_outside_a_lifespan_says_why() -> None:
    with pytest.raises(LifespanNotRunning, match=r"^The lifespan is not running\. The usual"):
        get_container(ChainContainer)


async def test_get_container_gives_the_live_instance_of_a_configured_class_only() -> None:
    with lifespan_settings("tests.support.engine_containers.ChainContainer"):
        async with lifespan() as state:
            assert get_container(ChainContainer).first() is state["first"]
            with pytest.raises(ConfigurationError) as caught:
                get_container(TwinContainer)
    assert str(caught.value) == (
        "tests.support.engine_containers.TwinContainer is not one of the containers the lifespan "
        "runs (configured: ChainContainer). Add its dotted path to "
        'LIFESPAN_DI["CONTAINERS"].'
    )


# -- logs -----------------------------------------------------------------------------------


async def test_each_start_and_stop_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="django_lifespan_di")
    with lifespan_settings("tests.support.engine_containers.ChainContainer"):
        async with lifespan():
            pass
    messages = [r.getMessage() for r in caplog.records if r.name == "django_lifespan_di"]
    for name in CHAIN:
        assert sum(m.startswith(f"Started ChainContainer.{name} in ") for m in messages) == 1
        assert sum(m.startswith(f"Stopped ChainContainer.{name} in ") for m in messages) == 1
    # The process id tells apart the blocks of the workers of one server (gunicorn -w 2).
    started = [m for m in messages if m.startswith("Lifespan started 4 resource(s) and manager")]
    assert len(started) == 1
    assert started[0].endswith(f" ms (pid {os.getpid()})")
    assert messages[-1] == f"Lifespan shut down (pid {os.getpid()})"


async def test_a_failed_startup_and_a_failed_rollback_are_logged_as_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "last")
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_STOP", "middle")

    # The failed close does not hide why startup failed.
    with pytest.raises(StartupError, match=r"^ChainContainer\.last failed to start"):
        await make_runtime(ChainContainer).start()

    assert sorted(journaled("close")) == ["first", "middle", "sibling"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.name for r in errors] == ["django_lifespan_di"] * 3
    assert errors[0].getMessage() == (
        "Lifespan startup failed: ChainContainer.last failed to start: "
        "ConnectionRefusedError: last cannot connect (test fault)"
    )
    assert errors[1].getMessage() == "Shutdown of ChainContainer.middle failed"
    assert errors[1].exc_info is not None
    assert isinstance(errors[1].exc_info[1], RuntimeError)
    assert errors[2].getMessage() == (
        "While rolling back a failed startup, 1 shutdown(s) failed (all others completed):\n"
        "  ChainContainer.middle: RuntimeError: middle failed to close (test fault)"
    )


def test_a_call_frame_without_the_in_flight_local_is_refused() -> None:
    """Shutdown finds calls in flight by their ``runtime`` local: code registered without one
    would be invisible to the drain, so registering it fails at once."""

    def no_marker() -> None:
        pass  # pragma: no cover

    with pytest.raises(RuntimeError, match="no_marker has no local variable 'runtime'"):
        register_call_frame(no_marker.__code__, lambda frame_locals: "never")
