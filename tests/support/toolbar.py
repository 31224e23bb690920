"""django-debug-toolbar around the test project, for the in-process tests of ``LifespanPanel``.

``toolbar_settings()`` installs the toolbar (only the lifespan's panel) in front of the test
project's middleware and URLs; ``panel_content(client)`` renders the panel of the last request
as the toolbar's own front end does (its ``render_panel`` view).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.test import override_settings

PANEL = "django_lifespan_di.debug_toolbar.LifespanPanel"


def show_toolbar(request: HttpRequest) -> bool:
    """The toolbar shows every request, unless it sends ``X-No-Toolbar``."""
    return "HTTP_X_NO_TOOLBAR" not in request.META


def toolbar_settings() -> override_settings:
    return override_settings(
        DEBUG=True,
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "debug_toolbar"],
        MIDDLEWARE=["debug_toolbar.middleware.DebugToolbarMiddleware", *settings.MIDDLEWARE],
        ROOT_URLCONF="tests.support.toolbar_urls",
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        DEBUG_TOOLBAR_PANELS=[PANEL],
        DEBUG_TOOLBAR_CONFIG={
            "SHOW_TOOLBAR_CALLBACK": "tests.support.toolbar.show_toolbar",
            "IS_RUNNING_TESTS": False,
        },
    )


def last_request_id() -> str:
    # Imported once the toolbar is an installed app: the store imports its models.
    from debug_toolbar.store import get_store

    return str(list(get_store().request_ids())[-1])


def render_panel_query() -> dict[str, Any]:
    return {"request_id": last_request_id(), "panel_id": "LifespanPanel"}
