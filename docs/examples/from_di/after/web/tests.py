"""The project's tests: Django's test runner, overrides on the container instance, each test
method with the lifespan running around it."""

from __future__ import annotations

import io

import httpx
from django.core.management import call_command
from django.test import SimpleTestCase

from django_lifespan_di.testing import LifespanTestMixin, override_providers
from docs.examples.from_di.after.containers import container


def fake_search_api(request: httpx.Request) -> httpx.Response:
    """The search API, answered in process: no network in tests."""
    names = [f"{request.url.params['q']}/{n}" for n in range(int(request.url.params["per_page"]))]
    return httpx.Response(200, json={"items": [{"full_name": name} for name in names]})


def offline_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="https://api.test", transport=httpx.MockTransport(fake_search_api)
    )


# --8<-- [start:tests]
class IndexTests(LifespanTestMixin, SimpleTestCase):
    def test_index(self) -> None:
        with container.http_client.override(offline_client()):
            response = self.client.get("/?query=lifespan")
        assert response.json() == {
            "query": "lifespan",
            "repositories": ["lifespan/0", "lifespan/1", "lifespan/2"],
        }

    def test_the_configured_client(self) -> None:
        response = self.client.get("/upstream/")
        assert response.json() == {"api_url": "https://api.github.com", "timeout": 5.0}


class SearchCommandTests(SimpleTestCase):
    def test_search_command(self) -> None:
        out = io.StringIO()
        with container.http_client.override(offline_client()):
            call_command("search", "django", stdout=out)
        assert out.getvalue().split() == ["django/0", "django/1", "django/2"]


# --8<-- [end:tests]


# --8<-- [start:config-override]
class ShortTimeoutTests(LifespanTestMixin, SimpleTestCase):
    def setUp(self) -> None:
        # Before the lifespan starts: the client opens with the merged configuration.
        self.enterContext(override_providers(container.config, {"timeout": 1.0}))

    def test_the_client_has_the_shorter_timeout(self) -> None:
        response = self.client.get("/upstream/")
        assert response.json() == {"api_url": "https://api.github.com", "timeout": 1.0}


# --8<-- [end:config-override]
