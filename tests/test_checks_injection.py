"""The checks of ``@inject``-ed functions and of the URLs that route to them
(``checks/injection.py``): markers that resolve to nothing, URLs that would fill injected
parameters, provider graphs that cannot be served, views whose markers nothing injects.
"""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import containers, providers
from django.apps import apps
from django.core.checks import run_checks
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, override_settings
from django.urls import path

from django_lifespan_di import Provide, inject
from tests.project.containers import Container, Tracked


class Unconfigured(containers.DeclarativeContainer):
    """A container that the test settings do not list in ``CONTAINERS``."""

    client = providers.Resource(Tracked, "unconfigured")


@pytest.mark.usefixtures("throwaway_views")
def test_checks_report_bad_markers() -> None:
    @inject
    async def typo(request: HttpRequest, client: Any = Provide["htp_client"]) -> None:
        pass

    @inject
    async def elsewhere(request: HttpRequest, client: Any = Provide[Unconfigured.client]) -> None:
        pass

    # Judged as the project's views: defined in the package of ROOT_URLCONF ("tests").
    with override_settings(ROOT_URLCONF=__name__):
        found = {
            message.id: message.msg
            for message in run_checks(tags=["urls"])
            if str(message.obj).startswith(f"{__name__}.")
        }
    assert "typo" in found["django_lifespan_di.E101"]
    assert "elsewhere" in found["django_lifespan_di.E102"]
    # Not judged where they are neither routed nor in an installed app or the URLconf's
    # package (tests.project), like any module a process merely imported.
    assert not run_checks(tags=["urls"])
    assert not run_checks(tags=["urls"], app_configs=[apps.get_app_config("project")])


@inject
async def colliding_view(
    request: HttpRequest, cache: Any = Provide[Container.cache]
) -> HttpResponse:
    return HttpResponse()


urlpatterns = [path("items/<str:cache>/", colliding_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_checks_report_an_injected_name_that_is_also_a_url_kwarg() -> None:
    [error] = [e for e in run_checks(tags=["urls"]) if e.id == "django_lifespan_di.E103"]
    assert error.id == "django_lifespan_di.E103"
    assert "colliding_view: injected parameter 'cache'" in error.msg
    assert "items/<str:cache>/" in error.msg


UNDECORATED = "tests.support.undecorated_urls"


@override_settings(ROOT_URLCONF=UNDECORATED)
def test_checks_report_routed_views_with_markers_that_nothing_injects() -> None:
    errors = {
        str(message.obj): message
        for message in run_checks(tags=["urls"])
        if message.id == "django_lifespan_di.E105"
    }
    assert sorted(errors) == [
        f"{UNDECORATED}.ForgotInjectClassView.get",
        f"{UNDECORATED}.dependency_injector_view",
        f"{UNDECORATED}.forgot_inject",
        f"{UNDECORATED}.forgot_inject_annotated",
        f"{UNDECORATED}.forgot_inject_drf",
        f"{UNDECORATED}.forgot_inject_ninja",
    ]
    forgot = errors[f"{UNDECORATED}.forgot_inject"]
    assert forgot.msg.startswith(
        f"{UNDECORATED}.forgot_inject (URL 'forgot/'): parameter(s) 'client' declare a "
        f"dependency-injector marker, but the view is not decorated with django_lifespan_di's"
    )
    assert "(from django_lifespan_di import inject)" in (forgot.hint or "")
    assert "'cache', 'make_service'" in errors[f"{UNDECORATED}.forgot_inject_annotated"].msg
    wiring = errors[f"{UNDECORATED}.dependency_injector_view"]
    assert "decorated with dependency-injector's own @inject" in wiring.msg
    assert "needs no container.wire()" in (wiring.hint or "")


@override_settings(ROOT_URLCONF=UNDECORATED)
def test_a_view_of_a_wired_module_is_left_to_dependency_injector() -> None:
    from tests.support import undecorated_urls

    container = Container()
    container.wire(modules=[undecorated_urls])
    try:
        names = [str(message.obj) for message in run_checks(tags=["urls"])]
    finally:
        container.unwire()
    assert f"{UNDECORATED}.dependency_injector_view" not in names
    assert f"{UNDECORATED}.forgot_inject" in names


@override_settings(ROOT_URLCONF=UNDECORATED)
@pytest.mark.usefixtures("lifespan")
async def test_what_the_check_prevents_is_a_500_at_request_time() -> None:
    with pytest.raises(AttributeError, match="'Provide' object has no attribute 'name'"):
        await AsyncClient().get("/forgot/")


@override_settings(ROOT_URLCONF="tests.support.url_values")
def test_the_checks_report_urls_that_would_fill_injected_parameters() -> None:
    errors = [
        message.msg
        for message in run_checks(tags=["urls"])
        if message.id == "django_lifespan_di.E103" and "report_view" in str(message.obj)
    ]
    assert len(errors) == 2
    assert any("passes 1 positional value(s) (unnamed groups)" in error for error in errors)
    assert any(
        "injected parameter 'upstream' is also a keyword argument" in error for error in errors
    )


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        (
            "CycleContainer",
            [
                (
                    "django_lifespan_di.E107",
                    "CycleContainer.first -> CycleContainer.service -> CycleContainer.first",
                )
            ],
        ),
        # Which branch it selects depends on configuration set before startup: not judged here.
        ("SelectorContainer", []),
    ],
)
def test_a_provider_graph_that_cannot_start_is_an_error_unless_settings_decide_it(
    container: str, expected: list[tuple[str, str]]
) -> None:
    with override_settings(
        LIFESPAN_DI={"CONTAINERS": [f"tests.support.fault_containers.{container}"]}
    ):
        messages = run_checks(tags=["urls"])
    # The errors about the graph name its providers (the views' E102s name the views).
    found = [(m.id, m.obj) for m in messages if str(m.obj).startswith(f"{container}.")]
    assert found == expected
    if expected:
        (error,) = (m for m in messages if m.id == "django_lifespan_di.E107")
        assert error.msg.startswith("The providers form a cycle: CycleContainer.first -> ")
