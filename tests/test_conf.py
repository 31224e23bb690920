"""``conf``: the ``LIFESPAN_DI`` setting read lazily, each mistake a ``ConfigurationError`` with
the id of the check that reports it (``tests/test_checks_settings.py`` runs the checks
themselves)."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import containers
from django.conf import settings
from django.test import override_settings

from django_lifespan_di import ConfigurationError
from django_lifespan_di.conf import DEFAULTS, conf, import_container, require_installed
from django_lifespan_di.databases import database_pool, databases_container
from tests.project.containers import Container
from tests.support.bad_settings import PASSWORD, database_settings


def test_defaults_apply_to_what_the_setting_leaves_out() -> None:
    with override_settings(LIFESPAN_DI={"CONTAINERS": ["tests.project.containers.Container"]}):
        assert conf.is_set
        assert DEFAULTS["STARTUP_TIMEOUT"] == conf.STARTUP_TIMEOUT
        assert DEFAULTS["SHUTDOWN_TIMEOUT"] == conf.SHUTDOWN_TIMEOUT
        assert DEFAULTS["PING_MAX_AGE"] == conf.PING_MAX_AGE == 5.0
        assert conf.container_classes() == (Container,)


def test_every_read_goes_to_django_settings_so_overrides_work() -> None:
    with override_settings(LIFESPAN_DI={"STARTUP_TIMEOUT": 2}):
        assert conf.STARTUP_TIMEOUT == 2.0
        assert conf.CONTAINERS == ()
    assert settings.LIFESPAN_DI["STARTUP_TIMEOUT"] == conf.STARTUP_TIMEOUT


@pytest.mark.parametrize(
    ("value", "read", "check_id"),
    [
        ([], "CONTAINERS", "django_lifespan_di.E001"),
        ({"CONTAINER": []}, "CONTAINERS", "django_lifespan_di.E001"),
        ({"CONTAINERS": "myproject.Container"}, "CONTAINERS", "django_lifespan_di.E002"),
        ({"CONTAINERS": [Container]}, "CONTAINERS", "django_lifespan_di.E002"),
        ({"STARTUP_TIMEOUT": 0}, "STARTUP_TIMEOUT", "django_lifespan_di.E003"),
        ({"SHUTDOWN_TIMEOUT": True}, "SHUTDOWN_TIMEOUT", "django_lifespan_di.E003"),
        ({"PING_MAX_AGE": -1}, "PING_MAX_AGE", "django_lifespan_di.E003"),
        ({"DATABASES": "default"}, "DATABASES", "django_lifespan_di.E007"),
        ({"DATABASES": [1]}, "DATABASES", "django_lifespan_di.E007"),
        ({"DATABASES": ["default", "default"]}, "DATABASES", "django_lifespan_di.E007"),
    ],
    ids=[
        "not-a-dict",
        "unknown-key",
        "a-string",
        "a-class",
        "zero",
        "a-bool",
        "negative-age",
        "an-alias-alone",
        "no-alias",
        "an-alias-twice",
    ],
)
def test_a_bad_value_names_the_setting_and_its_check(value: Any, read: str, check_id: str) -> None:
    with override_settings(LIFESPAN_DI=value), pytest.raises(ConfigurationError) as caught:
        getattr(conf, read)
    assert caught.value.check_id == check_id
    assert "settings.LIFESPAN_DI" in str(caught.value)


def test_a_container_path_is_imported_or_named_as_the_fault() -> None:
    assert import_container("tests.project.containers.Container") is Container
    with pytest.raises(ConfigurationError) as caught:
        import_container("tests.project.containers.Service")
    assert caught.value.check_id == "django_lifespan_di.E005"
    assert "not a container. Point it at a subclass of" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"CONTAINERS": database_settings}, "not a tests.support.bad_settings.DatabaseSettings"),
        (
            {"CONTAINERS": [database_settings]},
            "holds a tests.support.bad_settings.DatabaseSettings",
        ),
        ({"CONTAINERS": [Container]}, "holds the class tests.project.containers.Container:"),
        (
            {"SHUTDOWN_TIMEOUT": database_settings},
            "not a tests.support.bad_settings.DatabaseSettings",
        ),
    ],
    ids=["containers", "an-entry", "a-class", "a-timeout"],
)
def test_a_value_that_is_no_literal_is_named_by_its_type_never_its_repr(
    value: dict[str, Any], named: str
) -> None:
    with override_settings(LIFESPAN_DI=value), pytest.raises(ConfigurationError) as caught:
        getattr(conf, next(iter(value)))
    assert named in str(caught.value)
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("tests.support.bad_settings.database_settings", "a tests.support.bad_settings.Data"),
        ("tests.support.bad_settings", "the module tests.support.bad_settings"),
    ],
    ids=["an-instance", "a-module"],
)
def test_an_entry_that_is_no_container_is_named_by_its_type_never_its_repr(
    entry: str, named: str
) -> None:
    # The ConfigurationError that a server logs when it loads asgi.py or starts the lifespan.
    with pytest.raises(ConfigurationError) as caught:
        import_container(entry)
    assert f"entry {entry!r} is {named}" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_the_app_must_be_installed() -> None:
    require_installed()  # the test settings install it
    apps = [app for app in settings.INSTALLED_APPS if app != "django_lifespan_di"]
    with override_settings(INSTALLED_APPS=apps), pytest.raises(ConfigurationError):
        require_installed()


def test_the_databases_container_follows_the_listed_aliases() -> None:
    with override_settings(LIFESPAN_DI={"DATABASES": "__all__"}):
        assert tuple(settings.DATABASES) == conf.DATABASES
        (databases,) = conf.container_classes()
    assert databases.__qualname__ == "Databases"
    for alias in settings.DATABASES:
        assert databases.providers[alias] is database_pool(alias)
    with override_settings(LIFESPAN_DI={"DATABASES": []}):
        assert conf.container_classes() == ()


# -- DEFERRED ---------------------------------------------------------------------------------

CONTAINERS = ["tests.project.containers.Container"]


def test_deferred_entries_are_split_at_the_configured_container() -> None:
    entries = ["tests.project.containers.Container.reporter"]
    with override_settings(LIFESPAN_DI={"CONTAINERS": CONTAINERS, "DEFERRED": entries}):
        assert conf.deferred_providers() == ((Container, "reporter"),)
    assert DEFAULTS["DEFERRED"] == ()


def test_a_database_alias_that_databases_lists_defers_its_pool() -> None:
    """A bare name is an alias: the Databases container's resource of it, whose opening then
    waits for its database as long as a deferred resource may take to open."""
    owned = {"DATABASES": ["default"], "STARTUP_TIMEOUT": 7, "DEFERRED": ["default"]}
    with override_settings(LIFESPAN_DI=owned):
        ((cls, path),) = conf.deferred_providers()
        (instance,) = conf.configured_containers()
        assert conf.container_classes() == (cls,)
    assert (cls, path) == (databases_container(("default",)), "default")
    assert isinstance(instance, containers.DynamicContainer)
    pool: Any = instance.default
    assert pool.kwargs == {"patience": 7.0}
    assert database_pool("default").kwargs == {}  # the markers' provider is left as it was


def test_an_alias_not_in_databases_is_named_with_those_listed() -> None:
    owned = {"DATABASES": ["default"], "DEFERRED": ["replica"]}
    with override_settings(LIFESPAN_DI=owned), pytest.raises(ConfigurationError) as caught:
        conf.deferred_providers()
    assert caught.value.check_id == "django_lifespan_di.E009"
    assert "entry 'replica' is not a dotted path, nor an alias" in str(caught.value)
    assert "(listed: 'default')" in str(caught.value)


@pytest.mark.parametrize(
    ("deferred", "message"),
    [
        ("tests.project.containers.Container.reporter", "must be a list of dotted paths"),
        ([Container], "holds the class tests.project.containers.Container: give the dotted"),
        (
            ["default"],
            "entry 'default' is not a dotted path, nor an alias that LIFESPAN_DI['DATABASES'] "
            "lists (listed: none). Defer a database by its alias once DATABASES lists it",
        ),
        (["other.Container.search"], "is in none of the containers of LIFESPAN_DI['CONTAINERS']"),
        (["tests.project.containers.Container."], "is in none of the containers"),
    ],
    ids=["a-string", "a-class", "a-database-alias", "another-container", "no-provider-path"],
)
def test_a_bad_deferred_entry_is_named_under_e009(deferred: Any, message: str) -> None:
    with (
        override_settings(LIFESPAN_DI={"CONTAINERS": CONTAINERS, "DEFERRED": deferred}),
        pytest.raises(ConfigurationError) as caught,
    ):
        conf.deferred_providers()
    assert caught.value.check_id == "django_lifespan_di.E009"
    assert message in str(caught.value)
