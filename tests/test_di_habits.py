"""Code written the dependency-injector way gets the lifespan's objects, or a loud error.

A module-level container instance with configuration loaded into it, modules wired to it and
dependency-injector's own ``@inject``: naming the instance in ``CONTAINERS`` runs that very
instance; naming its class is refused (E008), since the lifespan would run a copy without the
configuration and the wired code would open resources nobody closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers
from django.core.checks import run_checks
from django.test import override_settings

from django_lifespan_di import (
    ConfigurationError,
    InjectionError,
    LifespanNotRunning,
    LifespanThread,
    Provide,
    StartupError,
    get_container,
    inject,
    lifespan,
    resolve,
)
from django_lifespan_di.conf import conf
from django_lifespan_di.runtime import new_runtime
from django_lifespan_di.testing import lifespan as kit_lifespan
from django_lifespan_di.testing import override_providers
from tests.project import journal
from tests.project.containers import Tracked
from tests.support import di_habits
from tests.support.di_habits import CLASS, INSTANCE, HabitsContainer
from tests.support.engine_containers import open_async_generator


@pytest.fixture
def instance_configured() -> Iterator[None]:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [INSTANCE]}):
        yield


@pytest.mark.usefixtures("instance_configured")
async def test_the_instance_named_is_the_live_container_with_its_configuration() -> None:
    async with lifespan() as state:
        client = state["client"]
        assert client.dependencies["timeout"] == 5  # the configuration loaded into it
        assert get_container(HabitsContainer) is di_habits.container
        assert resolve(HabitsContainer.client) is client
        assert await di_habits.wired_view() is client  # wired with dependency-injector
        service = await di_habits.wired_service()
        assert service == {"client": client, "greeting": "hello"}
        assert di_habits.container.client() is client
    assert journal.EVENTS.count("open client") == 1
    assert journal.EVENTS.count("close client") == 1


@pytest.mark.usefixtures("instance_configured")
async def test_outside_a_run_the_instance_refuses_instead_of_opening_a_copy() -> None:
    async with lifespan():
        pass
    with pytest.raises(
        LifespanNotRunning, match=r"HabitsContainer\.client belongs to the lifespan"
    ):
        await di_habits.wired_view()
    async with lifespan() as state:  # the next run takes the instance over again
        assert await di_habits.wired_view() is state["client"]
    assert journal.EVENTS.count("open client") == 2  # once per run, never lazily between


@pytest.mark.usefixtures("instance_configured")
async def test_one_instance_serves_one_lifespan_at_a_time() -> None:
    async with lifespan():
        with pytest.raises(StartupError, match="is already run by another lifespan"):
            new_runtime()


def test_naming_the_class_of_a_configured_instance_is_refused_with_the_fix() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [CLASS]}):
        messages = [m for m in run_checks() if m.id == "django_lifespan_di.E008"]
        with pytest.raises(ConfigurationError, match=f"Name the instance instead: '{INSTANCE}'"):
            new_runtime()
    [message] = messages
    assert f"and {INSTANCE} is an instance of it" in message.msg


def test_the_check_accepts_the_instance() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [INSTANCE]}):
        ours = [m for m in run_checks() if m.id and m.id.startswith("django_lifespan_di.E00")]
    assert ours == []


@pytest.mark.usefixtures("instance_configured")
async def test_dependency_injectors_own_overrides_take_effect_in_the_test_kits_lifespan() -> None:
    fake, other = Tracked("fake"), Tracked("other")
    async with kit_lifespan() as state:
        assert await di_habits.wired_view() is state["client"]
        assert await habits_view() is state["client"]  # planned: published nowhere
        with di_habits.container.client.override(fake):  # on the live instance
            assert await di_habits.wired_view() is fake
            assert await habits_view() is fake
        with HabitsContainer.client.override(other):  # on the class, after the start
            assert await habits_view() is other
        assert await habits_view() is state["client"]


@pytest.mark.usefixtures("instance_configured")
async def test_a_class_override_with_a_resource_is_refused_with_the_way_that_works() -> None:
    copy = providers.Resource(open_async_generator, "copy")
    async with kit_lifespan():
        with (
            HabitsContainer.client.override(copy),
            pytest.raises(InjectionError, match=r"Use django_lifespan_di\.testing\.override"),
        ):
            await habits_view()
    assert journal.EVENTS.count("open copy") == 0


@inject
async def habits_view(client: Tracked = Provide[HabitsContainer.client]) -> Tracked:
    return client


@pytest.mark.usefixtures("instance_configured")
async def test_overrides_made_before_the_start_reach_the_instance_the_lifespan_runs() -> None:
    fake, other = Tracked("fake"), Tracked("other")
    with override_providers(HabitsContainer.client, fake):  # the class, before the start
        async with kit_lifespan() as state:
            assert state["client"] is fake  # a stand-in: nothing opened
            assert await di_habits.wired_view() is fake
            assert await habits_view() is fake
    with HabitsContainer.client.override(other):  # dependency-injector's own, on the class
        async with kit_lifespan():
            assert await habits_view() is other
    with override_providers(HabitsContainer.config, {"timeout": 1}):
        async with kit_lifespan() as state:
            assert state["client"].dependencies["timeout"] == 1
            assert (await di_habits.wired_service())["greeting"] == "hello"  # kept
    assert journal.EVENTS.count("open client") == 2  # the two runs with the real client


def test_the_class_of_an_instance_entry_is_its_declaring_class() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": [INSTANCE]}):
        assert conf.container_classes() == (HabitsContainer,)


def test_a_container_built_without_a_class_is_refused_with_the_fix() -> None:
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": ["tests.support.di_habits.dynamic"]}),
        pytest.raises(ConfigurationError, match="built without a container class") as caught,
    ):
        conf.configured_containers()
    assert caught.value.check_id == "django_lifespan_di.E005"


def test_an_override_outside_a_lifespan_with_a_wrong_setting_reaches_the_class_only() -> None:
    fake = Tracked("fake")
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": "not a list"}),
        override_providers(HabitsContainer.client, fake),
    ):
        assert HabitsContainer.client() is fake
        assert di_habits.container.client.last_overriding is not fake
    assert HabitsContainer.client.last_overriding is None


@inject
def sync_habits_view(label: str = "", client: Tracked = Provide[HabitsContainer.client]) -> Any:
    return label, client


@pytest.mark.usefixtures("instance_configured")
def test_a_sync_call_with_keywords_takes_the_per_call_path_unless_it_gives_an_injected_one() -> (
    None
):
    fake = Tracked("fake")
    with LifespanThread() as thread:
        client = thread.state["client"]
        assert sync_habits_view() == ("", client)  # plans and publishes
        assert sync_habits_view(label="x") == ("x", client)  # the per-call path, with a keyword
        assert sync_habits_view(label="y", client=fake) == ("y", fake)  # explicit wins
        with pytest.raises(TypeError):  # a positional value never fills an injected one
            sync_habits_view("z", fake)
