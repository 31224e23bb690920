"""The engine keeps its promise whatever a resource does: every shutdown runs, every timeout
holds, only what the lifespan started is handed out, and only while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import typing
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import containers, providers

from django_lifespan_di import (
    LifespanNotRunning,
    LifespanThread,
    Provide,
    Provider,
    ShutdownError,
    StartupError,
    get_container,
    inject,
    resolve,
    run_in_lifespan_loop,
)
from django_lifespan_di.runtime import runs_by_loop
from django_lifespan_di.testing import override_providers
from tests.project import journal
from tests.project.containers import Container, Service, Tracked
from tests.support.engine import journaled, make_runtime
from tests.support.fault_containers import (
    STUBBORN,
    BaseExceptionsContainer,
    BillingContainer,
    BlockingContainer,
    BlockingFailingCloseContainer,
    CancelledStartContainer,
    CoreContainer,
    CycleContainer,
    LoopBlockingContainer,
    PoolContainer,
    Repository,
    SelectorContainer,
    SlowStartContainer,
    StubbornCloseContainer,
    StubbornFunctionContainer,
    StubbornStartContainer,
    UndeclaredDependencyContainer,
    chain_container,
)
from tests.support.waiting import eventually


@pytest.fixture(autouse=True)
def stubborn() -> None:
    STUBBORN.reset()


# -- a start that fails --------------------------------------------------------------------


async def test_a_start_raising_cancelled_error_of_its_own_is_that_resources_failure() -> None:
    # Not a cancellation of the lifespan: a server given CancelledError would not report a
    # failed startup, and the culprit would go unnamed.
    runtime = make_runtime(CancelledStartContainer)
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    assert caught.value.culprit == "CancelledStartContainer.cancelled"
    assert "CancelledStartContainer.cancelled failed to start: CancelledError" in str(caught.value)
    assert journaled("close") == ["pool"]


async def test_startup_cancelled_by_the_server_closes_what_started_and_goes_on() -> None:
    runtime = make_runtime(StubbornStartContainer)
    starting = asyncio.ensure_future(runtime.start())
    await eventually(lambda: "pool" in journaled("open") and "stubborn" in journaled("starting"))
    starting.cancel()
    # The cancelled start of `stubborn` ends within the grace period: it is closed too.
    STUBBORN.release()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert sorted(journaled("close")) == ["pool", "stubborn"]
    assert runtime.phase == "stopped"


async def test_a_resource_reaching_an_undeclared_sibling_that_is_not_ready_fails() -> None:
    runtime = make_runtime(UndeclaredDependencyContainer)
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    assert caught.value.culprit == "UndeclaredDependencyContainer.eager"
    assert "UndeclaredDependencyContainer.slow is starting, not ready" in str(caught.value)
    assert journaled("close") == journaled("open")  # whatever opened is closed


async def test_a_resource_that_provides_nothing_is_named() -> None:
    class Empty(containers.DeclarativeContainer):
        nothing: providers.Resource[Any] = providers.Resource()

    runtime = make_runtime(Empty)
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    assert caught.value.culprit == "Empty.nothing"
    assert "Empty.nothing is a Resource that provides nothing" in str(caught.value)


# -- every shutdown runs ---------------------------------------------------------------------


async def test_a_shutdown_raising_a_base_exception_stops_no_other_shutdown() -> None:
    runtime = make_runtime(BaseExceptionsContainer)
    await runtime.start()
    with pytest.raises(ShutdownError) as caught:
        await runtime.stop()
    failures = {name: type(error) for name, error in caught.value.failures}
    assert failures == {
        "BaseExceptionsContainer.worker": asyncio.CancelledError,
        "BaseExceptionsContainer.interrupted": KeyboardInterrupt,
        "BaseExceptionsContainer.exiting": SystemExit,
        "BaseExceptionsContainer.generator_exit": GeneratorExit,
    }
    # The pool they all depend on still closed, after every one of them.
    closed = journaled("close")
    assert closed[-1] == "pool"
    assert sorted(closed[:-1]) == ["exiting", "generator_exit", "interrupted", "worker"]
    message = str(caught.value)
    assert "BaseExceptionsContainer.worker: CancelledError" in message
    assert "BaseExceptionsContainer.interrupted: KeyboardInterrupt: interrupted raised" in message


async def test_a_cancelled_shutdown_still_runs_every_shutdown_before_the_cancellation() -> None:
    # What hypercorn does after its own shutdown timeout: it cancels the lifespan task.
    runtime = make_runtime(StubbornCloseContainer)
    await runtime.start()
    stopping = asyncio.ensure_future(runtime.stop())
    await eventually(lambda: "closing stubborn" in journal.EVENTS)
    stopping.cancel()
    await asyncio.sleep(0.05)
    assert not stopping.done()  # the shutdowns go on
    STUBBORN.release()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert sorted(journaled("close")) == ["other", "pool", "stubborn"]
    assert journaled("close")[-1] == "pool"


@inject
async def use_the_pool_for(
    seconds: float, pool: Tracked = Provide[PoolContainer.pool]
) -> tuple[Tracked, list[str]]:
    await asyncio.sleep(seconds)
    return pool, journaled("close")


async def test_shutdown_waits_for_an_injected_call_on_the_per_call_path() -> None:
    runtime = make_runtime(PoolContainer)
    await runtime.start()
    spec = use_the_pool_for.__lifespan_di_spec__  # type: ignore[attr-defined]
    await use_the_pool_for(0)  # makes the plan: its ready objects are published
    assert spec.published is not None
    call = asyncio.ensure_future(use_the_pool_for(0.3))
    await asyncio.sleep(0)  # the call is in flight, on the per-call path
    stopping = asyncio.ensure_future(runtime.stop())
    await eventually(lambda: runtime.phase == "draining")
    with pytest.raises(LifespanNotRunning, match="cannot begin: the lifespan is shutting down"):
        await use_the_pool_for(0)  # a new call while it drains
    await stopping
    pool, closed_during_the_call = call.result()
    assert pool is runtime.units[0].value
    assert closed_during_the_call == []  # the pool closed after the call, not under it
    assert journaled("close") == ["pool"]
    assert spec.published is None  # later calls take the full path, which refuses them
    with pytest.raises(LifespanNotRunning):
        await use_the_pool_for(0)


@inject
async def poll_the_pool(pool: Tracked = Provide[PoolContainer.pool]) -> Tracked:
    await asyncio.sleep(0.01)
    return pool


@contextlib.asynccontextmanager
async def background_poller() -> AsyncIterator[None]:
    """The documented pattern: a lifespan manager that starts a task on enter and cancels it on
    exit; the task's function is ``@inject``-ed."""

    async def poll_forever() -> None:
        while True:
            await poll_the_pool()

    task = asyncio.ensure_future(poll_forever())
    try:
        yield None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_shutdown_does_not_wait_for_calls_of_the_lifespans_own_tasks() -> None:
    """Exiting the manager is what ends its task: the drain must not wait for the task's calls
    (which would hold every shutdown for SHUTDOWN_TIMEOUT and then fail it), while requests are
    still drained before anything closes."""
    runtime = make_runtime(PoolContainer, managers=[background_poller], shutdown_timeout=5)
    await runtime.start()
    await asyncio.sleep(0.05)  # the background task is polling, on the per-call path
    request = asyncio.ensure_future(use_the_pool_for(0.2))
    await asyncio.sleep(0)
    await runtime.stop()  # no ShutdownError: nothing abandoned
    assert request.result()[1] == []  # the request was drained before the pool closed
    assert journaled("close") == ["pool"]


@contextlib.asynccontextmanager
async def flushing_worker() -> AsyncIterator[dict[str, Any]]:
    """A background task that uses the pool once more when told to stop (a last flush)."""
    stop = asyncio.Event()
    flushed: list[Tracked] = []

    async def work() -> None:
        await stop.wait()
        flushed.append(await poll_the_pool())

    task = asyncio.ensure_future(work())
    try:
        yield {"flushed": flushed}
    finally:
        stop.set()
        await task


async def test_the_lifespans_own_task_still_gets_the_resources_while_its_manager_exits() -> None:
    runtime = make_runtime(PoolContainer, managers=[flushing_worker])
    state = await runtime.start()
    pool = runtime.units[0].value
    await runtime.stop()  # no ShutdownError: the flush got the pool, open until after it
    assert state["flushed"] == [pool]
    assert journaled("close") == ["pool"]


@inject
async def project_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


def test_two_lifespans_in_two_threads_each_serve_their_own_loop() -> None:
    spec = project_client.__lifespan_di_spec__  # type: ignore[attr-defined]

    def call_on(thread: LifespanThread) -> Tracked:
        return asyncio.run_coroutine_threadsafe(project_client(), thread.loop).result(5)

    with LifespanThread() as first, LifespanThread() as second:
        assert call_on(first) is first.state["http_client"]
        assert call_on(second) is second.state["http_client"]  # published for second's loop
        first.stop()
        # Stopping the first leaves what the second published: its calls keep the fast path.
        assert spec.published is not None
        assert spec.published[2] is runs_by_loop[second.loop]
        assert call_on(second) is second.state["http_client"]
    assert spec.published is None


# -- timeouts are hard limits ----------------------------------------------------------------


async def test_a_start_that_ignores_cancellation_is_abandoned_after_the_timeout() -> None:
    runtime = make_runtime(StubbornStartContainer, startup_timeout=0.2)
    began = time.monotonic()
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    took = time.monotonic() - began
    assert took < 0.2 + 1.0 + 0.5, took  # the timeout, the grace, and slack for a busy machine
    assert caught.value.culprit == "StubbornStartContainer.stubborn"
    assert "abandoned, as it ignored cancellation: StubbornStartContainer.stubborn" in str(
        caught.value
    )
    assert journaled("close") == ["pool"]  # what had started is closed
    (unit,) = (u for u in runtime.units if u.name == "StubbornStartContainer.stubborn")
    assert unit.status == "abandoned"
    # Once it ends after all, what it opened is closed too.
    STUBBORN.release()
    await eventually(lambda: "stubborn" in journaled("close"))
    assert journaled("open").count("stubborn") == journaled("close").count("stubborn") == 1


async def test_a_shutdown_that_ignores_cancellation_is_abandoned_and_the_rest_closes() -> None:
    runtime = make_runtime(StubbornCloseContainer, shutdown_timeout=0.2)
    await runtime.start()
    began = time.monotonic()
    with pytest.raises(ShutdownError) as caught:
        await runtime.stop()
    assert time.monotonic() - began < 0.2 + 2 * 1.0 + 0.5
    ((name, error),) = caught.value.failures
    assert name == "StubbornCloseContainer.stubborn"
    assert "ignored cancellation: abandoned" in str(error)
    assert sorted(journaled("close")) == ["other", "pool"]
    STUBBORN.release()
    await asyncio.sleep(0.05)


async def test_a_blocking_sync_start_is_named_when_it_overruns() -> None:
    runtime = make_runtime(BlockingContainer, startup_timeout=1.0)
    began = time.monotonic()
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    assert time.monotonic() - began < 1.0 + 1.0 + 0.5  # it ran in a thread: the loop was free
    assert caught.value.culprit == "BlockingContainer.blocking"
    assert "still starting: BlockingContainer.blocking" in str(caught.value)
    assert journaled("close") == ["pool"]
    # The thread opens it later; it is closed as soon as it does.
    await eventually(lambda: "blocking" in journaled("close"))
    assert journaled("open").count("blocking") == journaled("close").count("blocking") == 1


async def test_an_abandoned_start_with_nothing_to_close_ends_quietly() -> None:
    runtime = make_runtime(StubbornFunctionContainer, startup_timeout=0.1)
    with pytest.raises(StartupError, match="abandoned"):
        await runtime.start()
    STUBBORN.release()
    await eventually(lambda: "stubborn" in journaled("open"))
    (unit,) = runtime.units
    assert unit.status == "abandoned"  # never handed out, though it finished opening


async def test_a_failing_close_of_an_abandoned_sync_start_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = make_runtime(BlockingFailingCloseContainer, startup_timeout=0.2)
    with pytest.raises(StartupError):
        await runtime.start()
    # The thread opens it later, closes it at once, and the close raises: logged, not lost.
    await eventually(lambda: "blocking" in journaled("close"))
    await eventually(
        lambda: any(
            "Closing what a cancelled start had opened failed" in record.getMessage()
            and record.exc_info is not None
            and "blocking failed to close" in str(record.exc_info[1])
            for record in caplog.records
        )
    )


async def test_a_start_that_blocks_the_event_loop_is_named_when_it_overruns() -> None:
    runtime = make_runtime(LoopBlockingContainer, startup_timeout=0.5)
    with pytest.raises(StartupError) as caught:
        await runtime.start()
    assert caught.value.culprit == "LoopBlockingContainer.blocking"
    assert "blocked the event loop" in str(caught.value)
    assert sorted(journaled("close")) == ["pool"]  # a plain function's value has no close


# -- only what the lifespan started, only while it runs ---------------------------------------


async def test_a_resource_two_configured_containers_use_is_opened_once() -> None:
    runtime = make_runtime(CoreContainer, BillingContainer)
    state = await runtime.start()
    try:
        assert journaled("open") == ["core client", "ledger"]
        core = runtime.container(CoreContainer)
        billing = runtime.container(BillingContainer)
        repository = billing.repository()
        assert isinstance(repository, Repository)
        assert repository.client is core.client() is state["client"]
        assert state["ledger"].dependencies["client"] is state["client"]
    finally:
        await runtime.stop()
    assert journaled("close") == ["ledger", "core client"]


async def test_a_selector_starts_only_the_selected_branch() -> None:
    with override_providers(SelectorContainer.config, {"backend": "memory"}):
        runtime = make_runtime(SelectorContainer)
        await runtime.start()
        try:
            assert journaled("open") == ["memory cache"]
            names = [unit.name for unit in runtime.units]
            assert names == ["SelectorContainer.cache.providers['memory']"]
            live = runtime.container(SelectorContainer)
            assert live.service().client.name == "memory cache"
            with pytest.raises(LifespanNotRunning, match=r"providers\['redis'\] was not started"):
                typing.cast(providers.Selector[Any], live.cache).providers["redis"]()
        finally:
            await runtime.stop()
    assert journaled("open") == ["memory cache"]  # the other branch never opened


async def test_a_selected_branch_that_fails_is_named_by_its_path() -> None:
    with override_providers(SelectorContainer.config, {"backend": "redis"}):
        runtime = make_runtime(SelectorContainer)
        with pytest.raises(StartupError) as caught:
            await runtime.start()
    assert caught.value.culprit == "SelectorContainer.cache.providers['redis']"
    assert " at 0x" not in str(caught.value)


def test_a_selector_selecting_no_branch_is_refused_before_anything_opens() -> None:
    with (
        override_providers(SelectorContainer.config, {"backend": "disk"}),
        pytest.raises(StartupError, match=r"selects 'disk' at startup, which is none of its"),
    ):
        make_runtime(SelectorContainer)


def test_a_dependency_cycle_is_refused_by_name_before_anything_opens() -> None:
    with pytest.raises(StartupError) as caught:
        make_runtime(CycleContainer)
    assert str(caught.value).startswith(
        "The providers form a cycle: CycleContainer.first -> CycleContainer.service -> "
        "CycleContainer.first."
    )
    assert caught.value.check_id == "django_lifespan_di.E107"
    assert journal.EVENTS == []


async def test_after_shutdown_a_kept_live_provider_opens_nothing() -> None:
    runtime = make_runtime(CoreContainer)
    await runtime.start()
    live = runtime.container(CoreContainer)
    kept_provider = live.client
    await runtime.stop()
    for call in (kept_provider, live.client.async_):
        with pytest.raises(LifespanNotRunning, match=r"CoreContainer\.client is not available"):
            call()
    assert journaled("open") == ["core client"]  # never again


async def test_nothing_is_handed_out_before_startup_has_completed() -> None:
    runtime = make_runtime(SlowStartContainer)
    starting = asyncio.ensure_future(runtime.start())
    await eventually(lambda: "starting slow" in journal.EVENTS)
    live = runtime.container(SlowStartContainer)
    assert runtime.resources[0].status == "ready"  # client has opened ...
    with pytest.raises(LifespanNotRunning, match="the lifespan is still starting"):
        live.service()  # ... but a factory built on it gets nothing yet

    @inject
    async def view(service: Service = Provide[SlowStartContainer.service]) -> Service:
        return service

    with pytest.raises(LifespanNotRunning, match="still starting"):
        await view()
    STUBBORN.release()
    await starting
    assert (await view()).client.name == "client"
    await runtime.stop()


@inject
async def core_client(client: Tracked = Provide[CoreContainer.client]) -> Tracked:
    return client


def run_without_suspending(coroutine: typing.Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never awaits to its end, without the loop (a forked child's copy
    of the loop cannot run)."""
    try:
        coroutine.send(None)
    except StopIteration as stopped:
        return stopped.value
    raise AssertionError("the coroutine suspended")  # pragma: no cover  (a test failure)


async def test_a_forked_child_never_gets_the_parents_objects() -> None:
    runtime = make_runtime(CoreContainer)
    await runtime.start()
    await core_client()  # the parent's objects are published for @inject's per-call path
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report what each way in says, then leave at once
            signal.alarm(10)  # a hang would be a failure, not a stuck test run
            lines = []
            for attempt in (
                lambda: resolve(CoreContainer.client),
                lambda: get_container(CoreContainer),
                lambda: runtime.container(CoreContainer).client(),
                lambda: run_in_lifespan_loop(asyncio.sleep, 0),
                lambda: run_without_suspending(core_client()),
            ):
                try:
                    attempt()
                    lines.append("handed out")
                except LifespanNotRunning as exc:
                    lines.append(str(exc))
            os.write(write, "\n".join(lines).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            report = pipe.read().splitlines()
        assert (await asyncio.to_thread(os.waitpid, pid, 0))[1] == 0
    finally:
        await runtime.stop()
    assert "handed out" not in report
    assert len(report) == 5
    for line in report:
        assert "fork" in line, line
        assert "Start the lifespan in the child" in line, line


def test_a_fork_with_no_lifespan_running_gives_the_child_the_usual_message() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            resolve(Container.cache)
            os.write(write, b"handed out")
        except LifespanNotRunning as exc:
            os.write(write, str(exc).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        message = pipe.read()
    assert os.waitpid(pid, 0)[1] == 0
    assert message.startswith("The lifespan is not running. The usual causes"), message


def test_sync_code_outside_any_loop_cannot_pick_one_of_several_lifespans() -> None:
    with (
        LifespanThread(),
        LifespanThread(),
        pytest.raises(LifespanNotRunning, match="Several lifespans are running"),
    ):
        resolve(Container.cache)


async def test_a_chain_of_a_thousand_resources_starts_in_order_and_closes_in_reverse() -> None:
    runtime = make_runtime(chain_container(1000))
    await runtime.start()
    await runtime.stop()
    assert journaled("open") == [f"link{index}" for index in range(1000)]
    assert journaled("close") == [f"link{index}" for index in reversed(range(1000))]


async def test_the_provider_marker_after_shutdown_opens_nothing() -> None:
    @inject
    async def keep(client: Any = Provider[CoreContainer.client]) -> Any:
        return client

    runtime = make_runtime(CoreContainer)
    await runtime.start()
    kept = await keep()
    assert kept() is runtime.state["client"]
    await runtime.stop()
    with pytest.raises(LifespanNotRunning):
        kept()
    assert journaled("open") == ["core client"]
