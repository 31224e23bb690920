"""The testing toolkit: overrides, the pytest fixtures, the unittest mixin."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import unittest
from typing import Any

import pytest
from dependency_injector import providers
from django.contrib.auth.models import User
from django.test import AsyncClient, Client, SimpleTestCase, TestCase, override_settings

from django_lifespan_di import (
    LifespanError,
    LifespanNotRunning,
    LifespanThread,
    Provide,
    StartupError,
    get_container,
    inject,
    resolve,
    runtime,
)
from django_lifespan_di.pytest_plugin import Override
from django_lifespan_di.testing import LifespanTestMixin, lifespan, override_providers
from tests.project import journal
from tests.project.containers import Container, Tracked, open_async, open_sync
from tests.support.fault_containers import BillingContainer, CoreContainer, Repository


async def client_id(client: AsyncClient) -> int:
    body = (await client.get("/inject/async-class/")).json()
    object_id: int = body["client"]["id"]
    return object_id


async def test_lifespan_client_serves_the_lifespan_objects(
    lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    assert await client_id(lifespan_client) == id(lifespan["http_client"])
    state = (await lifespan_client.get("/state/")).json()
    assert state["client_id"] == id(lifespan["http_client"])


async def test_override_while_running_reaches_the_next_request(
    lifespan_client: AsyncClient, override: Override
) -> None:
    real = await client_id(lifespan_client)
    fake = Tracked("fake")
    override(Container.http_client, fake)
    assert await client_id(lifespan_client) == id(fake)
    assert real != id(fake)


@pytest.fixture
def fake_client(override: Override) -> Tracked:
    fake = Tracked("fake")
    override(Container.http_client, fake)
    return fake


async def test_override_before_startup_replaces_the_resource(
    fake_client: Tracked, lifespan: dict[str, Any], lifespan_client: AsyncClient
) -> None:
    assert lifespan["http_client"] is fake_client
    assert await client_id(lifespan_client) == id(fake_client)
    assert "open http_client" not in journal.EVENTS


async def test_a_fake_stands_in_for_a_resource_that_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFESPAN_DI_TEST_FAIL_START", "http_client")
    with pytest.raises(StartupError, match="http_client failed to start"):
        async with lifespan():
            pass
    journal.EVENTS.clear()
    fake = Tracked("fake")
    with override_providers(Container.http_client, fake):
        async with lifespan() as state:
            assert state["http_client"] is fake
            assert await client_id(AsyncClient()) == id(fake)
    assert "open http_client" not in journal.EVENTS
    assert "close database" in journal.EVENTS
    assert not fake.closed  # a plain fake is never "shut down"
    assert not Container.http_client.overridden


async def test_a_resource_replacement_is_started_and_stopped_in_its_place() -> None:
    replacement = providers.Resource(open_async, "fake_client")
    with override_providers(Container.http_client, replacement):
        async with lifespan() as state:
            assert state["http_client"].name == "fake_client"
    assert journal.EVENTS.count("open fake_client") == 1
    assert journal.EVENTS.count("close fake_client") == 1
    assert "open http_client" not in journal.EVENTS


async def test_overriding_before_first_use_does_not_skip_a_later_async_shutdown() -> None:
    # dependency-injector makes an async Resource's mode sticky when it is first called while
    # overridden by a plain object; every run uses fresh container instances instead.
    with override_providers(Container.database, Tracked("fake")):
        Container.database()
    async with lifespan():
        pass
    assert "close database" in journal.EVENTS


async def test_overriding_the_live_container_is_undone_too(lifespan: dict[str, Any]) -> None:
    live = get_container(Container)
    before = live.http_client.overridden  # the runtime's own guard
    fake = Tracked("fake")
    with override_providers(live.http_client, fake):
        assert await client_id(AsyncClient()) == id(fake)
    assert await client_id(AsyncClient()) == id(lifespan["http_client"])
    assert live.http_client.overridden == before


async def test_a_resource_opened_during_an_override_is_shut_down(
    lifespan: dict[str, Any],
) -> None:
    async with override_providers(
        Container.http_client, providers.Resource(open_async, "late_fake")
    ):
        assert (await AsyncClient().get("/inject/async-class/")).json()["client"]["name"] == (
            "late_fake"
        )
    assert journal.EVENTS[-1] == "close late_fake"


async def test_sync_exit_refuses_to_leak_an_opened_async_replacement(
    lifespan: dict[str, Any],
) -> None:
    replacement = providers.Resource(open_async, "late_fake")
    with (
        pytest.raises(LifespanError, match="use `async with override_providers"),
        override_providers(Container.http_client, replacement),
    ):
        await AsyncClient().get("/inject/async-class/")
    shutdown = replacement.shutdown()
    assert shutdown is not None
    await shutdown


async def test_a_sync_replacement_opened_in_a_plain_with_block_is_shut_down(
    lifespan: dict[str, Any],
) -> None:
    with override_providers(Container.cache, providers.Resource(open_sync, "sync_fake")):
        assert resolve(Container.cache).name == "sync_fake"
    assert journal.EVENTS[-1] == "close sync_fake"
    assert resolve(Container.cache) is lifespan["cache"]


def test_an_override_the_test_undid_itself_is_left_alone() -> None:
    with override_providers(Container.cache, Tracked("fake")):
        Container.cache.reset_override()
        Container.cache.override(other := Tracked("other"))
    assert Container.cache() is other  # not the test's own block to undo
    Container.cache.reset_override()


@override_settings(
    LIFESPAN_DI={
        "CONTAINERS": [
            "tests.support.fault_containers.CoreContainer",
            "tests.support.fault_containers.BillingContainer",
        ]
    }
)
async def test_an_override_reaches_the_one_live_container_that_has_the_provider() -> None:
    async with lifespan() as state:
        fake = Tracked("fake core client")
        fake_repository = Repository(fake)
        with override_providers(BillingContainer.repository, providers.Object(fake_repository)):
            assert resolve(BillingContainer.repository) is fake_repository
            assert resolve(CoreContainer.client) is state["client"]
        assert resolve(BillingContainer.repository).client is state["client"]
        with override_providers(CoreContainer.client, fake):
            assert resolve(BillingContainer.repository).client is fake
        assert resolve(BillingContainer.repository).client is state["client"]


def test_override_providers_names_a_bad_argument() -> None:
    with pytest.raises(TypeError, match=r"overrides a provider \(e.g. Container.http_client\)"):
        override_providers("http_client", Tracked("fake"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"option 'config.greeting'.*keep their values"):
        override_providers(Container.config.greeting, "hi")
    assert Container.config.greeting() != "hi"


async def test_a_partial_configuration_override_keeps_the_options_it_does_not_name() -> None:
    original = Container.config()
    assert original["api_key"]  # an option the override below does not name
    with override_providers(Container.config, {"greeting": "hi"}):
        async with lifespan():
            assert resolve(Container.config.greeting) == "hi"
            assert resolve(Container.config.api_key) == original["api_key"]
    assert Container.config() == original


async def test_the_whole_configuration_can_be_overridden_and_is_restored() -> None:
    original = Container.config()
    with override_providers(Container.config, {**original, "greeting": "hi"}):
        async with lifespan():
            assert resolve(Container.config.greeting) == "hi"
    assert Container.config() == original


def test_sync_client_without_a_lifespan_explains_itself_every_time() -> None:
    client = Client(raise_request_exception=True)
    for _ in range(2):  # the second request must not get a closed client either
        with pytest.raises(LifespanNotRunning, match="async_view needs") as caught:
            client.get("/inject/async/bob/")
        # Every kind of test is told what to use: pytest's fixtures and unittest's mixin.
        assert "`lifespan_thread` (sync tests, live_server)" in str(caught.value)
        assert "django_lifespan_di.testing.LifespanTestMixin" in str(caught.value)


class MixinTests(LifespanTestMixin, SimpleTestCase):
    async def test_runs_inside_the_lifespan(self) -> None:
        response = await self.async_client.get("/inject/async-class/")
        assert response.json()["client"]["id"] == id(self.lifespan_state["http_client"])
        assert not self.lifespan_state["http_client"].closed


class MixinOverrideTests(LifespanTestMixin, SimpleTestCase):
    def setUp(self) -> None:
        self.fake = Tracked("fake")
        overriding = override_providers(Container.http_client, self.fake)
        overriding.__enter__()
        self.addCleanup(overriding.__exit__, None, None, None)

    async def test_overrides_from_setup_are_in_place_at_startup(self) -> None:
        assert self.lifespan_state["http_client"] is self.fake


class MixinSyncTests(LifespanTestMixin, SimpleTestCase):
    """Sync test methods run with a LifespanThread around them: Django's sync Client serves
    sync and async views with its objects."""

    def test_the_sync_client_gets_the_live_objects_in_every_kind_of_view(self) -> None:
        live = self.lifespan_state["http_client"]
        for path in ("/inject/sync/", "/inject/async/client/", "/inject/async-class/"):
            response = self.client.get(path)
            assert response.status_code == 200, (path, response.content)
            assert response.json()["client"]["id"] == id(live), path
        assert self.client.get("/state/").json()["client_id"] == id(live)
        assert self.client.get("/inject/sync/").json()["ping"] == "pong from http_client"

    def test_an_override_from_the_tests_thread_reaches_the_next_request(self) -> None:
        fake = Tracked("fake")
        with override_providers(Container.http_client, fake):
            assert self.client.get("/inject/async/client/").json()["client"]["id"] == id(fake)
        live = self.lifespan_state["http_client"]
        assert self.client.get("/inject/async/client/").json()["client"]["id"] == id(live)


class MixinSyncDatabaseTests(LifespanTestMixin, TestCase):
    def test_an_async_views_orm_work_runs_in_the_tests_transaction(self) -> None:
        # The async view runs on the lifespan's loop; its async ORM call comes back to the
        # test's thread, whose connection holds the test's transaction (and this new user).
        User.objects.create(username="in-the-transaction")
        response = self.client.get("/inject/async-orm/")
        assert response.json()["users"] == 1
        assert response.json()["client"]["id"] == id(self.lifespan_state["http_client"])


def test_each_sync_test_method_gets_its_own_lifespan_started_and_shut_down() -> None:
    class OneLifespanPerTest(LifespanTestMixin, SimpleTestCase):
        def test_one(self) -> None:
            assert journal.EVENTS.count("open http_client") == 1
            assert journal.EVENTS.count("close http_client") == 0

        def test_two(self) -> None:
            assert journal.EVENTS.count("close http_client") == 1
            assert journal.EVENTS.count("open http_client") == 2

    # Run as Django's test runner runs them: unittest's own machinery, in order.
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(OneLifespanPerTest).run(result)
    assert (result.errors, result.failures, result.testsRun) == ([], [], 2)
    assert journal.EVENTS.count("close http_client") == 2
    assert runtime.runs_by_loop == {}


def test_plain_unittest_cases_run_their_tests_in_the_lifespan_too() -> None:
    seen: dict[str, bool] = {}

    class SyncCase(LifespanTestMixin, unittest.TestCase):
        def test_sync(self) -> None:
            seen["sync"] = resolve(Container.http_client) is self.lifespan_state["http_client"]

    class AsyncCase(LifespanTestMixin, unittest.IsolatedAsyncioTestCase):
        async def test_async(self) -> None:
            response = await AsyncClient().get("/inject/async-class/")
            seen["async"] = response.json()["client"]["id"] == id(
                self.lifespan_state["http_client"]
            )

    result = unittest.TestResult()
    for case in (SyncCase, AsyncCase):
        unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    assert (result.errors, result.failures, result.testsRun) == ([], [], 2)
    assert seen == {"sync": True, "async": True}
    assert journal.EVENTS.count("close http_client") == 2


# -- overrides that always restore, in any order ---------------------------------------------


def test_blocks_ending_out_of_order_each_remove_only_their_own_fake() -> None:
    a, b = Tracked("a"), Tracked("b")
    first = override_providers(Container.cache, a)
    second = override_providers(Container.cache, b)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # A ends while B's block still runs
    assert Container.cache() is b
    second.__exit__(None, None, None)
    assert not Container.cache.overridden


async def test_concurrent_tasks_overriding_one_provider_restore_it() -> None:
    async def override_for_a_while(name: str, delay: float) -> None:
        with override_providers(Container.cache, Tracked(name)):
            await asyncio.sleep(delay)

    await asyncio.gather(override_for_a_while("x", 0.02), override_for_a_while("y", 0.01))
    assert not Container.cache.overridden


def test_entering_one_override_twice_is_refused() -> None:
    overriding = override_providers(Container.cache, Tracked("fake"))
    with overriding, pytest.raises(LifespanError, match="already in effect"):
        overriding.__enter__()
    assert not Container.cache.overridden


async def test_out_of_order_ends_keep_the_live_guard(lifespan: dict[str, Any]) -> None:
    live = get_container(Container)
    guard = live.http_client.overridden
    a, b = Tracked("a"), Tracked("b")
    first, second = (
        override_providers(Container.http_client, a),
        override_providers(Container.http_client, b),
    )
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert await client_id(AsyncClient()) == id(b)
    second.__exit__(None, None, None)
    assert await client_id(AsyncClient()) == id(lifespan["http_client"])
    assert live.http_client.overridden == guard


@inject
def sync_view_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


@inject
async def async_view_client(client: Tracked = Provide[Container.http_client]) -> Tracked:
    return client


def test_overrides_entered_and_left_while_requests_run_are_atomic_for_every_request() -> None:
    """A sync test overriding a provider while views run on the lifespan's loop and in threads
    (``lifespan_thread`` with ``live_server``): each call sees the fake or the real object, no
    call fails, nothing is left behind once every block has ended, and the real resource is
    opened once."""
    fake = Tracked("fake")
    errors: list[BaseException] = []
    stop = threading.Event()
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can: races show
    with contextlib.ExitStack() as restore, LifespanThread() as thread:
        restore.callback(sys.setswitchinterval, switch_interval)
        real = thread.state["http_client"]

        def request_thread() -> None:
            while not stop.is_set():
                try:
                    for got in (
                        sync_view_client(),
                        asyncio.run_coroutine_threadsafe(async_view_client(), thread.loop).result(),
                    ):
                        assert got is real or got is fake
                except BaseException as exc:
                    errors.append(exc)
                    return

        workers = [threading.Thread(target=request_thread) for _ in range(4)]
        for worker in workers:
            worker.start()
        for _ in range(200):
            with override_providers(Container.http_client, fake):
                pass
        stop.set()
        for worker in workers:
            worker.join()
        assert errors == []
        assert sync_view_client() is real
        assert asyncio.run_coroutine_threadsafe(async_view_client(), thread.loop).result() is real
    assert journal.EVENTS.count("open http_client") == 1
    assert journal.EVENTS.count("close http_client") == 1
