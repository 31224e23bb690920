"""``register_lifespan_manager``: managers run in every lifespan, in registration order."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import override_settings

from django_lifespan_di import lifespan, register_lifespan_manager
from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.managers import (
    LifespanManager,
    registered_managers,
    unregister_lifespan_manager,
)
from tests.project import journal
from tests.support.engine_containers import ManagerClass, greeting_manager, silent_manager

Register = Callable[[LifespanManager], None]


@pytest.fixture
def register() -> Iterator[Register]:
    """``register(manager)``; every manager registered is unregistered after the test."""
    registered: list[LifespanManager] = []

    def register_one(manager: LifespanManager) -> None:
        register_lifespan_manager(context_manager=manager)
        registered.append(manager)

    try:
        yield register_one
    finally:
        for manager in dict.fromkeys(registered):
            unregister_lifespan_manager(manager)


@override_settings(LIFESPAN_DI={"CONTAINERS": ["tests.support.engine_containers.ChainContainer"]})
async def test_managers_start_in_registration_order_after_the_resources_and_stop_first(
    register: Register,
) -> None:
    register(silent_manager)
    register(greeting_manager)

    async with lifespan() as state:
        assert state["greeting"] == "hello"
        assert "open first" in journal.EVENTS
        entered_at = len(journal.EVENTS)

    assert journal.EVENTS[entered_at - 2 : entered_at] == [
        "enter silent_manager",
        "enter greeting_manager",
    ]
    assert sorted(e for e in journal.EVENTS[:entered_at] if e.startswith("open")) == [
        "open first",
        "open last",
        "open middle",
        "open sibling",
    ]
    stopped = journal.EVENTS[entered_at:]
    assert stopped[:2] == ["exit greeting_manager", "exit silent_manager"]
    assert sorted(stopped[2:]) == ["close first", "close last", "close middle", "close sibling"]


async def test_registering_twice_is_a_no_op(register: Register) -> None:
    register(greeting_manager)
    register(greeting_manager)
    assert registered_managers().count(greeting_manager) == 1

    async with lifespan():
        pass
    assert journal.EVENTS.count("enter greeting_manager") == 1
    assert journal.EVENTS.count("exit greeting_manager") == 1


def test_unregistering_removes_the_manager(register: Register) -> None:
    register(greeting_manager)
    unregister_lifespan_manager(greeting_manager)
    assert greeting_manager not in registered_managers()
    register(greeting_manager)  # so the fixture's clean-up has something to remove


async def test_a_class_of_async_context_managers_is_a_manager(register: Register) -> None:
    register(ManagerClass)
    async with lifespan() as state:
        assert state["from_class"] == "yes"
    assert journal.EVENTS.count("enter ManagerClass") == journal.EVENTS.count("exit ManagerClass")
    assert journal.EVENTS.count("enter ManagerClass") == 1


def test_a_context_manager_instead_of_its_factory_is_refused_with_the_fix() -> None:
    # What calling an @asynccontextmanager function returns is callable too (as a decorator):
    # accepted, it would fail only at startup, with a TypeError about a missing `func`.
    entered_once = greeting_manager()
    before = registered_managers()
    with pytest.raises(ConfigurationError) as caught:
        register_lifespan_manager(context_manager=entered_once)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "register_lifespan_manager(context_manager=...) got the async context manager a "
        "contextlib._AsyncGeneratorContextManager instance; pass the function that makes one "
        "(`my_manager`, not `my_manager()`): every lifespan enters a new one."
    )
    assert registered_managers() == before


@pytest.mark.parametrize(
    "not_callable",
    ["tests.support.engine_containers.greeting_manager", None],
    ids=["dotted path", "None"],
)
def test_a_non_callable_is_refused_with_the_fix(not_callable: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        register_lifespan_manager(context_manager=not_callable)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "register_lifespan_manager(context_manager=...) needs a callable that returns an async "
        "context manager (e.g. an @asynccontextmanager function), got "
        f"a builtins.{type(not_callable).__name__} instance."
    )
    assert not_callable not in registered_managers()
