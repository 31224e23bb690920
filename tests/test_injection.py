"""``@inject``: every view kind, explicit arguments, per-request resources, the plans of a run,
and the errors."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
import uvloop
from asgiref.sync import sync_to_async
from dependency_injector import containers, providers
from dependency_injector.wiring import Closing
from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, AsyncRequestFactory, RequestFactory, override_settings
from django.urls import resolve as resolve_url

from django_lifespan_di import (
    EventLoopError,
    InjectionError,
    LifespanNotRunning,
    LifespanThread,
    Provide,
    Provider,
    _internals,
    inject,
    lifespan,
    registry,
    resolve,
    run_in_lifespan_loop,
)
from django_lifespan_di.registry import NOT_RUNNING_CAUSES
from django_lifespan_di.testing import override_providers
from tests.project import injected_views, journal
from tests.project.containers import Container, Tracked
from tests.support.engine import make_runtime
from tests.support.engine_containers import open_async_generator
from tests.support.fault_containers import CoreContainer
from tests.support.project import INJECTED_URLS
from tests.support.url_values import report_view
from tests.support.waiting import eventually


@pytest.fixture
async def state() -> AsyncIterator[dict[str, Any]]:
    async with lifespan() as state:
        yield state


def ids(body: dict[str, Any]) -> dict[str, int]:
    return {name: value["id"] for name, value in body.items() if isinstance(value, dict)}


@pytest.mark.parametrize("url", INJECTED_URLS)
async def test_every_view_kind_gets_the_live_shared_objects(
    state: dict[str, Any], url: str
) -> None:
    response = await AsyncClient().get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    for name, object_id in ids(body).items():
        assert object_id == id(state[body[name]["name"]]), name
        assert body[name]["closed"] is False


async def test_string_ids_annotated_and_configuration_values(state: dict[str, Any]) -> None:
    body = (await AsyncClient().get("/inject/async/bob/")).json()
    assert body["name"] == "bob"  # the URL kwarg still arrives
    assert body["greeting"] == "hello"
    assert body["cache"]["id"] == id(state["cache"])


async def test_sync_view_runs_async_calls_on_the_lifespan_loop(state: dict[str, Any]) -> None:
    body = (await AsyncClient().get("/inject/sync/")).json()
    assert body["ping"] == "pong from http_client"


def test_views_keep_what_django_and_frameworks_read() -> None:
    view = injected_views.async_view
    assert inspect.iscoroutinefunction(view)
    assert not inspect.iscoroutinefunction(injected_views.sync_view)
    assert view.__name__ == "async_view"
    assert inspect.signature(view).parameters.keys() == {"request", "name"}
    assert "client" not in view.__annotations__
    assert "client" in inspect.signature(inspect.unwrap(view)).parameters
    # django-ninja built its schema from the visible signature: only the path parameter.
    operation = next(iter(injected_views.ninja_api.urls[0]))
    assert "client" not in str(operation.pattern)


async def test_explicit_arguments_win_over_injection(state: dict[str, Any]) -> None:
    request = AsyncRequestFactory().get("/")
    fake = Tracked("fake")
    by_keyword = await injected_views.async_view(request, name="x", client=fake)  # type: ignore[call-arg]
    assert ids(_json(by_keyword))["client"] == id(fake)
    # Positionally, a value fills only the parameters callers see (a URL's unnamed groups
    # never fill an injected one).
    with pytest.raises(TypeError, match=r"async_view\(\): too many positional arguments"):
        await injected_views.async_view(request, "x", fake)


async def test_with_every_injected_argument_passed_no_lifespan_is_needed() -> None:
    request = AsyncRequestFactory().get("/")
    fakes = {"cache": Tracked("fake cache"), "client": Tracked("fake client")}
    response = await injected_views.async_view(request, name="x", greeting="hi", **fakes)
    assert _json(response)["greeting"] == "hi"
    assert ids(_json(response)) == {name: id(fake) for name, fake in fakes.items()}

    @inject
    def sync_report(request: HttpRequest, client: Tracked = Provide[Container.http_client]) -> str:
        return client.name

    assert sync_report(request, client=fakes["client"]) == "fake client"
    # One missing: it would have to come from the lifespan, which does not run.
    with pytest.raises(LifespanNotRunning, match=r"async_view needs greeting from the lifespan"):
        await injected_views.async_view(request, name="x", **fakes)  # type: ignore[arg-type]


async def test_a_request_resource_is_opened_and_closed_per_request(
    state: dict[str, Any],
) -> None:
    client = AsyncClient()
    first, second = await asyncio.gather(
        client.get("/inject/unit-of-work/"), client.get("/inject/unit-of-work/")
    )
    assert first.json()["unit_of_work"]["serial"] != second.json()["unit_of_work"]["serial"]
    assert first.json()["client"]["id"] == id(state["http_client"])
    assert journal.EVENTS.count("open unit_of_work") == 2
    assert journal.EVENTS.count("close unit_of_work") == 2
    assert not state["http_client"].closed  # the shared resource it used stays open
    assert (await client.get("/inject/sync-unit-of-work/")).status_code == 200
    assert journal.EVENTS.count("close unit_of_work") == 3


async def test_a_request_resource_sees_the_view_exception(state: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="the view failed"):
        await AsyncClient().get("/inject/unit-of-work/?fail=1")
    assert journal.EVENTS[-2:] == ["rollback unit_of_work ValueError", "close unit_of_work"]


async def test_an_explicit_argument_skips_opening_a_request_resource(
    state: dict[str, Any],
) -> None:
    request = AsyncRequestFactory().get("/")
    fake = Tracked("fake", client=state["http_client"])
    await injected_views.unit_of_work_view(request, unit_of_work=fake)
    assert "open unit_of_work" not in journal.EVENTS


async def test_the_provider_marker_gives_the_live_provider(state: dict[str, Any]) -> None:
    body = (await AsyncClient().get("/inject/provider/")).json()
    assert body["client"]["id"] == id(state["http_client"])


async def test_the_same_object_from_the_first_to_the_thousandth_request(
    state: dict[str, Any],
) -> None:
    client = AsyncClient()
    seen = {(await client.get("/inject/async-class/")).json()["client"]["id"] for _ in range(1000)}
    assert seen == {id(state["http_client"])}


# -- errors ------------------------------------------------------------------------------------


async def test_without_a_lifespan_the_error_names_the_view_and_the_causes() -> None:
    with pytest.raises(LifespanNotRunning) as raised:
        await injected_views.async_view(AsyncRequestFactory().get("/"), name="x")  # type: ignore[call-arg]
    message = str(raised.value)
    assert "tests.project.injected_views.async_view needs cache, client, greeting" in message
    assert "django_lifespan_di.wsgi.get_wsgi_application()" in message
    assert "lifespan()" in message


def test_without_a_lifespan_a_call_logs_the_warning_once_with_every_fix(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(registry, "_warned_not_running", False)  # once per process
    for _ in range(2):
        with pytest.raises(LifespanNotRunning, match="sync_view needs cache, client"):
            injected_views.sync_view(RequestFactory().get("/"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "The lifespan did not run: no resource was started and request.state is empty, so "
        "every use of a resource raises LifespanNotRunning. Cause: The lifespan is not running. "
        + NOT_RUNNING_CAUSES
    ]
    # The fix for every kind of test: pytest's fixtures and, for unittest, the mixin.
    assert "`lifespan_thread` (sync tests, live_server)" in NOT_RUNNING_CAUSES
    assert "django_lifespan_di.testing.LifespanTestMixin" in NOT_RUNNING_CAUSES


def test_a_call_that_passes_every_parameter_needs_no_lifespan_and_logs_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(registry, "_warned_not_running", False)

    @inject
    def greet(client: Tracked = Provide[Container.http_client]) -> str:
        return f"hello from {client.name}"

    # A unit test of the function itself, with its own fake: it asked nothing of the lifespan.
    assert greet(client=Tracked("fake")) == "hello from fake"
    assert caplog.records == []


async def test_after_shutdown_nothing_closed_is_handed_out() -> None:
    async with lifespan():
        pass
    with pytest.raises(LifespanNotRunning, match="async_view"):
        await injected_views.async_view(AsyncRequestFactory().get("/"), name="x")  # type: ignore[call-arg]


async def test_a_lifespan_on_another_event_loop_is_refused() -> None:
    started, release = threading.Event(), threading.Event()

    async def run_elsewhere() -> None:
        async with lifespan():
            started.set()
            await asyncio.get_running_loop().run_in_executor(None, release.wait)

    thread = threading.Thread(target=asyncio.run, args=(run_elsewhere(),))
    thread.start()
    try:
        assert started.wait(10)
        with pytest.raises(LifespanNotRunning, match="another event loop"):
            await injected_views.async_view(AsyncRequestFactory().get("/"), name="x")  # type: ignore[call-arg]
    finally:
        release.set()
        thread.join(10)


def test_closing_marker_is_refused_at_decoration() -> None:
    with pytest.raises(InjectionError, match=r"'client' uses Closing\[...\].*RequestResource"):

        @inject
        async def view(request: HttpRequest, client: Any = Closing[Container.http_client]) -> None:
            pass


def test_variadic_injected_parameter_is_refused_at_decoration() -> None:
    with pytest.raises(InjectionError, match="'clients' is variadic positional"):

        @inject
        def view(request: HttpRequest, *clients: Annotated[Any, Provide[Container.cache]]) -> None:
            pass


def test_attributes_set_by_earlier_decorators_are_kept() -> None:
    async def view(request: HttpRequest, client: Any = Provide[Container.http_client]) -> None:
        pass

    view.csrf_exempt = True  # type: ignore[attr-defined]  # what @csrf_exempt sets
    assert inject(view).csrf_exempt is True  # type: ignore[attr-defined]


def test_a_view_without_markers_is_returned_unchanged() -> None:
    def view(request: HttpRequest) -> None:
        pass

    assert inject(view) is view


class Unconfigured(containers.DeclarativeContainer):
    client = providers.Resource(Tracked, "unconfigured")


@pytest.mark.usefixtures("throwaway_views")
async def test_request_time_errors_name_the_view_and_parameter(state: dict[str, Any]) -> None:
    @inject
    async def typo(request: HttpRequest, client: Any = Provide["htp_client"]) -> None:
        pass

    @inject
    async def elsewhere(request: HttpRequest, client: Any = Provide[Unconfigured.client]) -> None:
        pass

    request = AsyncRequestFactory().get("/")
    with pytest.raises(InjectionError, match=r"typo: parameter 'client': Provide\['htp_client'\]"):
        await typo(request)
    with pytest.raises(InjectionError) as raised:
        await elsewhere(request)
    assert "Provide[tests.test_injection.Unconfigured.client] belongs to a container" in str(
        raised.value
    )
    assert 'LIFESPAN_DI["CONTAINERS"] (configured: Container)' in str(raised.value)


# -- sync code and the lifespan loop -----------------------------------------------------------


async def test_a_factory_on_live_resources_is_a_sync_call_anywhere(state: dict[str, Any]) -> None:
    # The live resources answer with their objects, so a factory built on an async client is
    # served in the calling thread, even on the event loop itself.
    request = AsyncRequestFactory().get("/")
    assert injected_views.sync_factory_view(request).status_code == 200
    response = await sync_to_async(injected_views.sync_factory_view)(request)
    assert response.status_code == 200


async def test_sync_view_with_only_ready_objects_can_be_called_on_the_loop(
    state: dict[str, Any],
) -> None:
    response = injected_views.SyncClassView.as_view()(AsyncRequestFactory().get("/"))
    assert _json(response)["cache"]["id"] == id(state["cache"])


async def test_run_in_lifespan_loop_refuses_the_loop_itself(state: dict[str, Any]) -> None:
    with pytest.raises(RuntimeError, match="ping must wait"):
        run_in_lifespan_loop(injected_views.ping, state["http_client"])
    result = await sync_to_async(run_in_lifespan_loop)(injected_views.ping, state["http_client"])
    assert result == "pong from http_client"


def test_run_in_lifespan_loop_without_a_lifespan() -> None:
    with pytest.raises(LifespanNotRunning):
        run_in_lifespan_loop(injected_views.ping, Tracked("x"))


def _json(response: Any) -> dict[str, Any]:
    assert isinstance(response, JsonResponse)
    import json

    body: dict[str, Any] = json.loads(response.content)
    return body


__all__ = ["Provider"]


async def test_resolve_gives_typed_live_values(state: dict[str, Any]) -> None:
    client: Tracked = resolve(Container.http_client)  # mypy checks this assignment
    assert client is state["http_client"]
    assert resolve(Container.config.greeting) == "hello"
    service = resolve(Container.service)  # a factory on a live async resource: a plain call
    assert service.client is state["http_client"]
    with pytest.raises(InjectionError, match="no @inject call with a per-request parameter"):
        resolve(Container.unit_of_work)  # outside an @inject call: no request to own it


def test_resolve_without_a_lifespan() -> None:
    with pytest.raises(LifespanNotRunning):
        resolve(Container.http_client)


# -- sync views never hang ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url", ["/inject/sync-orm/", "/inject/sync-orm-unit-of-work/", "/inject/async-orm/"]
)
async def test_sync_views_reach_the_async_orm_through_the_lifespan_loop(
    state: dict[str, Any], url: str
) -> None:
    # The sync views run in a worker thread that waits for the lifespan's loop; the ORM's
    # thread-sensitive work must come back to that very thread instead of deadlocking.
    await sync_to_async(User.objects.create)(username="ada")
    response = await asyncio.wait_for(AsyncClient().get(url), timeout=10)
    assert response.status_code == 200, response.content
    assert response.json()["users"] == 1


# -- no value from a URL lands in an injected parameter -----------------------------------------


@override_settings(ROOT_URLCONF="tests.support.url_values")
async def test_a_url_value_never_fills_an_injected_parameter(state: dict[str, Any]) -> None:
    client = AsyncClient(raise_request_exception=True)
    with pytest.raises(TypeError, match=r"report_view\(\): too many positional arguments"):
        await client.get("/report/http:/%2F%2Fattacker.example/")
    with pytest.raises(InjectionError, match=r"the URL passes 'upstream', which the view injects"):
        await client.get("/named/attacker.example/")
    # Called directly, an explicit keyword still wins (unit tests pass fakes that way).
    direct = await report_view(AsyncRequestFactory().get("/"), upstream="fake")
    assert _json(direct) == {"upstream": "fake"}


# -- the per-call path binds as the full path does -------------------------------------------


@inject
async def positional_after_injected(
    first: str, client: Tracked = Provide[Container.http_client], second: str = "default"
) -> tuple[str, Tracked, str]:
    return first, client, second


async def test_the_per_call_path_binds_arguments_as_the_full_path(
    state: dict[str, Any],
) -> None:
    client = state["http_client"]
    spec = positional_after_injected.__lifespan_di_spec__  # type: ignore[attr-defined]
    assert await positional_after_injected("a") == ("a", client, "default")
    assert spec.published is not None  # from here on, calls take the per-call path
    assert await positional_after_injected("a", second="b") == ("a", client, "b")
    # A positional value after the injected parameter fills the next visible one.
    # (mypy reads the declared signature, in which "b" would be the client.)
    assert await positional_after_injected("a", "b") == ("a", client, "b")  # type: ignore[arg-type]
    fake = Tracked("fake")
    assert await positional_after_injected("a", client=fake) == ("a", fake, "default")


async def test_an_explicit_argument_beside_the_url_values_is_not_refused(
    state: dict[str, Any],
) -> None:
    request = AsyncRequestFactory().get("/inject/async/bob/")
    request.resolver_match = resolve_url("/inject/async/bob/")
    fake = Tracked("fake cache")
    response = await injected_views.async_view(request, name="bob", cache=fake)
    assert _json(response)["cache"]["name"] == "fake cache"


# -- sync code never gets an awaitable -------------------------------------------------------


async def make_token() -> str:
    return "token"  # pragma: no cover  (never awaited: refused and closed)


class NotACoroutine:
    """An awaitable that is not a coroutine (a Future-like object)."""

    def __await__(self) -> Iterator[None]:
        yield  # pragma: no cover  (never awaited)


class HiddenAwaitablesContainer(containers.DeclarativeContainer):
    # Plain callables, so nothing says before the call that they give awaitables.
    coroutine = providers.Callable(lambda: make_token())
    awaitable = providers.Callable(NotACoroutine)


@inject
def sync_with_a_coroutine(value: Any = Provide[HiddenAwaitablesContainer.coroutine]) -> Any:
    return value  # pragma: no cover  (never called: refused)


@inject
def sync_with_an_awaitable(value: Any = Provide[HiddenAwaitablesContainer.awaitable]) -> Any:
    return value  # pragma: no cover  (never called: refused)


@pytest.mark.parametrize("function", [sync_with_a_coroutine, sync_with_an_awaitable])
async def test_a_provider_that_gives_an_awaitable_to_sync_code_is_refused(function: Any) -> None:
    runtime = make_runtime(HiddenAwaitablesContainer)
    await runtime.start()
    try:
        with pytest.raises(InjectionError, match="gives an awaitable, which sync code cannot"):
            await sync_to_async(function)()
    finally:
        await runtime.stop()


def test_run_in_lifespan_loop_on_an_idle_loop_says_so() -> None:
    # A lifespan started with run_until_complete(): its loop is not running afterwards.
    loop = asyncio.new_event_loop()
    runtime = make_runtime(Container)
    loop.run_until_complete(runtime.start())
    try:
        with pytest.raises(EventLoopError, match="which is not running"):
            run_in_lifespan_loop(asyncio.sleep, 0)
    finally:
        loop.run_until_complete(runtime.stop())
        loop.close()


# -- plans: how each injected parameter is served in a run: awaited where it must be, each
# provider looked at once, and a marker that names two providers refused ------------------------


async def make_prefixed_token(prefix: str) -> str:
    await asyncio.sleep(0)
    return f"{prefix}-token"


class AwaitedContainer(containers.DeclarativeContainer):
    pool = providers.Resource(open_async_generator, "pool")
    coroutine = providers.Coroutine(make_prefixed_token, "coroutine")
    async_factory = providers.Factory(make_prefixed_token, "factory")
    # The pool is reached twice: the walk looks at it once.
    pair: providers.Factory[dict[str, Tracked]] = providers.Factory(dict, first=pool, second=pool)


@inject
async def awaited(
    coroutine: str = Provide[AwaitedContainer.coroutine],
    async_factory: str = Provide[AwaitedContainer.async_factory],
    pair: dict[str, Tracked] = Provide[AwaitedContainer.pair],
) -> tuple[str, str, dict[str, Tracked]]:
    return coroutine, async_factory, pair


async def test_coroutines_and_async_factories_are_awaited_for_each_call() -> None:
    runtime = make_runtime(AwaitedContainer)
    state = await runtime.start()
    try:
        for _ in range(2):  # the plan, then the plan again from the cache
            coroutine, async_factory, pair = await awaited()
            assert (coroutine, async_factory) == ("coroutine-token", "factory-token")
            assert pair == {"first": state["pool"], "second": state["pool"]}
    finally:
        await runtime.stop()


# Factories: two Resources of one name would collide in the lifespan state first.
class First(containers.DeclarativeContainer):
    client = providers.Factory(Tracked, "first client")


class Second(containers.DeclarativeContainer):
    client = providers.Factory(Tracked, "second client")


@inject
async def ambiguous(client: Any = Provide["client"]) -> Any:
    return client  # pragma: no cover  (never called: the marker is refused)


async def test_a_string_id_that_names_a_provider_in_two_containers_is_refused() -> None:
    runtime = make_runtime(First, Second)
    await runtime.start()
    try:
        with pytest.raises(InjectionError, match="several configured containers") as caught:
            await ambiguous()
    finally:
        await runtime.stop()
    assert caught.value.check_id == "django_lifespan_di.E104"
    assert "(First, Second)" in str(caught.value)


# -- the per-call path's guards hold on asyncio's loop and on uvloop's -------------------------

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@inject
async def loop_client(client: Tracked = Provide[CoreContainer.client]) -> Tracked:
    return client


def on_loop(factory: Callable[[], asyncio.AbstractEventLoop], main: Any) -> Any:
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main())


@pytest.mark.parametrize("factory", LOOPS.values(), ids=LOOPS)
def test_the_per_call_path_is_taken_on_either_loop(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    spec = loop_client.__lifespan_di_spec__  # type: ignore[attr-defined]

    async def main() -> None:
        runtime = make_runtime(CoreContainer)
        await runtime.start()
        try:
            first = await loop_client()  # plans and publishes
            assert spec.published is not None
            assert spec.published[0] == _internals.loop_mark(asyncio.get_running_loop())
            assert await loop_client() is first  # the per-call path
            with override_providers(CoreContainer.client, fake := Tracked("fake")):
                assert spec.published is None  # an override sends calls back to the full path
                assert await loop_client() is fake
            assert await loop_client() is first
        finally:
            stopping = asyncio.ensure_future(runtime.stop())
            await eventually(lambda: runtime.phase != "running")
        assert spec.published is None  # shutting down: calls take the full path, which refuses
        with pytest.raises(LifespanNotRunning):
            await loop_client()
        await stopping

    on_loop(factory, main)


@pytest.mark.parametrize("factory", LOOPS.values(), ids=LOOPS)
def test_the_per_call_path_refuses_another_loop_on_either_loop(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    with LifespanThread() as thread:
        # Published for the thread's loop, then called on a loop of another kind or the same.
        asyncio.run_coroutine_threadsafe(configured_client(), thread.loop).result(5)
        with pytest.raises(EventLoopError):
            on_loop(factory, configured_client)


@inject
async def configured_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


@inject
async def driven_by_hand(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


def test_a_coroutine_driven_by_hand_is_published_only_by_its_loops_mark() -> None:
    spec = driven_by_hand.__lifespan_di_spec__  # type: ignore[attr-defined]
    with LifespanThread() as thread:
        # In a thread that runs no loop, the process's only run serves the call; whether the
        # per-call path opens depends on the mark: the loop itself (Python 3.12+), or its
        # hooks, which only its own thread has (3.11: published at the next call on the loop).
        coroutine = driven_by_hand()
        with pytest.raises(StopIteration) as stopped:
            coroutine.send(None)
        assert stopped.value.value is thread.state["http_client"]
        if _internals.RUNNING_LOOP_IS_CHEAP:
            assert spec.published is not None
            assert spec.published[0] is thread.loop
        else:
            assert spec.published is None
        asyncio.run_coroutine_threadsafe(driven_by_hand(), thread.loop).result(5)
        assert spec.published is not None
        assert spec.published[0] == asyncio.run_coroutine_threadsafe(
            mark_of_running_loop(), thread.loop
        ).result(5)


async def mark_of_running_loop() -> object:
    return _internals.loop_mark(asyncio.get_running_loop())


@pytest.mark.parametrize("factory", LOOPS.values(), ids=LOOPS)
def test_a_forked_child_gets_nothing_through_the_per_call_path_on_either_loop(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    async def main() -> int:
        runtime = make_runtime(CoreContainer)
        await runtime.start()
        try:
            await loop_client()  # published for this loop
            pid = os.fork()
            if pid == 0:  # the child: the same loop object, none of the parent's objects
                signal.alarm(10)
                try:
                    loop_client().send(None)
                except LifespanNotRunning:
                    os._exit(0)
                os._exit(1)  # pragma: no cover  (handed out: the failure this test catches)
            return (await asyncio.to_thread(os.waitpid, pid, 0))[1]
        finally:
            await runtime.stop()

    assert on_loop(factory, main) == 0


@inject
def sync_configured_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


def test_a_sync_function_takes_the_per_call_path_while_the_process_has_one_run() -> None:
    spec = sync_configured_client.__lifespan_di_spec__  # type: ignore[attr-defined]
    with LifespanThread() as thread:
        first = sync_configured_client()  # plans and publishes, for threads with no loop
        assert spec.published is not None
        assert spec.published[0] is None
        assert sync_configured_client() is first is thread.state["http_client"]
        with LifespanThread():
            assert spec.published is None  # a second run: sync code must say which it uses
            with pytest.raises(LifespanNotRunning, match="Several lifespans"):
                sync_configured_client()
    assert spec.published is None
    with pytest.raises(LifespanNotRunning):
        sync_configured_client()
