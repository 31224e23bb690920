"""The quick start (``docs/examples/quickstart/``) as the README and the home page show it."""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.core.checks import run_checks
from django.test import AsyncClient, override_settings

from django_lifespan_di import lifespan
from django_lifespan_di.asgi import LifespanApplication
from django_lifespan_di.testing import override_providers
from django_lifespan_di.wsgi import LifespanWSGIApplication
from docs.examples.quickstart import settings as quickstart_settings
from docs.examples.quickstart.containers import Container
from tests.support.snippets import section

ROOT = Path(__file__).resolve().parent.parent
PROJECT_URLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
EXAMPLE = ROOT / "docs" / "examples" / "quickstart"
PACKAGE = "docs.examples.quickstart"
#: The example files and snippet sections that the README repeats, in the README's order (the
#: home page, docs/index.md, includes the same sections).
README_FILES = (
    ("settings.py", "quickstart"),
    ("settings.py", "logging"),
    ("asgi.py", "quickstart"),
    ("wsgi.py", "quickstart"),
    ("containers.py", "quickstart"),
    ("views.py", "quickstart"),
    ("urls.py", "quickstart"),
)
#: The install line: the package, and what the example needs (httpx) and serves it (uvicorn).
INSTALL = "pip install django-lifespan-di httpx uvicorn"
#: The same from the repository, until the first release (pyproject.toml's Source URL).
INSTALL_FROM_SOURCE = (
    f'pip install "django-lifespan-di @ git+{PROJECT_URLS["Source"]}" httpx uvicorn'
)


def test_the_readme_quick_start_is_the_tested_example() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)\n```$", readme, re.M | re.S)
    shown = [section(EXAMPLE / filename, name) for filename, name in README_FILES]
    for (filename, name), text in zip(README_FILES, shown, strict=True):
        assert text in blocks, (
            f"README.md's quick start differs from docs/examples/quickstart/{filename}: "
            f"copy the file's {name} section into the README"
        )
    assert blocks == shown, "README.md shows the quick start's sections in another order"
    assert INSTALL in readme
    assert INSTALL_FROM_SOURCE in readme


def test_the_home_page_shows_the_same_quick_start() -> None:
    page = (ROOT / "docs" / "index.md").read_text()
    includes = re.findall(r'^--8<-- "docs/examples/quickstart/(.*?)"$', page, re.M)
    assert includes == [f"{filename}:{name}" for filename, name in README_FILES]
    assert INSTALL in page
    assert INSTALL_FROM_SOURCE in page


def test_the_readme_links_are_absolute() -> None:
    # The README is also the package index's page, where a relative link leads nowhere.
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme) + re.findall(r"<(http[^>]+)>", readme)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://127.0.0.1:"))]
    assert not relative, f"relative links in README.md: {relative}"


@pytest.fixture
def quickstart_project() -> Iterator[None]:
    """The example's settings, for the time of one test."""
    with override_settings(
        MIDDLEWARE=quickstart_settings.MIDDLEWARE,
        LIFESPAN_DI=quickstart_settings.LIFESPAN_DI,
        ROOT_URLCONF=quickstart_settings.ROOT_URLCONF,
    ):
        yield


def forecast_api(request: httpx.Request) -> httpx.Response:
    """A stand-in for the weather service: no network in tests."""
    assert request.url.path == "/forecast"
    return httpx.Response(200, json={"city": request.url.params["city"], "celsius": 21})


@pytest.mark.usefixtures("quickstart_project")
async def test_the_injected_view_calls_the_api_through_the_shared_client() -> None:
    async with httpx.AsyncClient(
        base_url="https://weather.test", transport=httpx.MockTransport(forecast_api)
    ) as fake_client:
        with override_providers(Container.http_client, fake_client):
            async with lifespan():
                client = AsyncClient()
                forecast = await client.get("/forecast/prague/")
                weather_api = await client.get("/weather-api/")
    assert forecast.status_code == 200
    assert forecast.json() == {"city": "prague", "celsius": 21}
    assert weather_api.json() == {"weather_api": "https://weather.test"}


@pytest.mark.usefixtures("quickstart_project")
async def test_the_lifespan_opens_one_client_from_the_configuration_and_closes_it() -> None:
    async with lifespan() as state:
        client = state["http_client"]
        assert isinstance(client, httpx.AsyncClient)
        assert client.base_url == httpx.URL("https://weather.example.com")
        weather_api = await AsyncClient().get("/weather-api/")
        assert weather_api.json() == {"weather_api": "https://weather.example.com"}
        assert not client.is_closed
    assert client.is_closed


@pytest.mark.usefixtures("quickstart_project")
def test_the_quick_start_passes_the_system_checks() -> None:
    assert "django_lifespan_di" in quickstart_settings.INSTALLED_APPS
    with override_settings(ASGI_APPLICATION=f"{PACKAGE}.asgi.application"):
        messages = [
            message
            for message in run_checks(include_deployment_checks=False)
            if (message.id or "").startswith("django_lifespan_di.")
            # The test project's app (tests.project) stays installed, and its views use the
            # test container: only the quick start's views, and the settings (no obj), count.
            and (not isinstance(message.obj, str) or message.obj.startswith(PACKAGE))
        ]
    assert messages == []
    from docs.examples.quickstart.asgi import application

    assert isinstance(application, LifespanApplication)


def runserver_checks(monkeypatch: pytest.MonkeyPatch, wsgi_application: str) -> list[str]:
    """The ids of this package's checks that ``manage.py runserver`` prints as it starts."""
    monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
    with override_settings(WSGI_APPLICATION=wsgi_application):
        return [
            m.id or "" for m in run_checks() if (m.id or "").startswith("django_lifespan_di.W20")
        ]


@pytest.mark.usefixtures("quickstart_project")
def test_runserver_serves_the_quick_start_s_wsgi_py_without_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from docs.examples.quickstart.wsgi import application

    assert isinstance(application, LifespanWSGIApplication)
    assert runserver_checks(monkeypatch, f"{PACKAGE}.wsgi.application") == []
    # startproject's own wsgi.py is what the quick start's edit replaces: runserver would warn.
    assert runserver_checks(monkeypatch, "tests.project.plain_wsgi.application") == [
        "django_lifespan_di.W203"
    ]
