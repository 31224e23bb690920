"""Names come only from code, never from a value's ``repr()``: a secret in a
``functools.partial`` or in the object a Resource provides never reaches a status page."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from dependency_injector import containers, providers
from django.test import AsyncClient, override_settings
from django.urls import path

from django_lifespan_di import readiness_view, resource_status
from django_lifespan_di.naming import dotted_name, provider_name
from django_lifespan_di.runtime import Runtime
from tests.project.containers import Service, Tracked

SECRET = "s3cr3t-password"


@dataclass
class Connector:
    """A callable object holding a DSN: its repr() shows the password."""

    dsn: str

    def __call__(self) -> Tracked:
        return Tracked("connection")


@asynccontextmanager
async def open_clients(dsn: str) -> AsyncIterator[dict[str, str]]:
    yield {"clients": "open"}


class SecretContainer(containers.DeclarativeContainer):
    connection = providers.Resource(Connector(f"redis://default:{SECRET}@cache"))
    report = providers.Factory(
        Service, client=providers.Resource(Connector(f"postgres://app:{SECRET}@db"))
    )


urlpatterns = [path("ready/", readiness_view)]


@override_settings(ROOT_URLCONF=__name__)
async def test_no_secret_reaches_the_status_or_the_readiness_json() -> None:
    manager = functools.partial(open_clients, f"redis://default:{SECRET}@cache")
    runtime = Runtime([SecretContainer], [manager], startup_timeout=5, shutdown_timeout=5)
    await runtime.start()
    try:
        names = [status.name for status in resource_status()]
        body = (await AsyncClient().get("/ready/")).content.decode()
    finally:
        await runtime.stop()
    assert names == [
        "SecretContainer.connection",
        "SecretContainer.report.kwargs['client']",
        f"functools.partial({__name__}.open_clients)",
    ]
    assert SECRET not in body
    assert [r["name"] for r in json.loads(body)["resources"]] == names


def test_dotted_names_never_show_a_value() -> None:
    assert dotted_name(open_clients) == f"{__name__}.open_clients"
    assert dotted_name(Connector) == f"{__name__}.Connector"
    assert dotted_name(Connector(SECRET)) == f"a {__name__}.Connector instance"
    assert dotted_name(functools.partial(open_clients, SECRET)) == (
        f"functools.partial({__name__}.open_clients)"
    )


def test_provider_names_come_from_container_classes_or_types() -> None:
    assert provider_name(SecretContainer.connection) == f"{__name__}.SecretContainer.connection"
    assert provider_name("connection") == "'connection'"
    config = providers.Configuration()
    assert provider_name(config.dsn) == "config option 'config.dsn'"
    anonymous = providers.Resource(Connector(SECRET))
    assert provider_name(anonymous) == f"an unnamed Resource of a {__name__}.Connector instance"
    assert provider_name(providers.Object(SECRET)) == "an unnamed Object"
