"""The test project's URLs and the debug toolbar's (``tests/support/toolbar.py``)."""

from __future__ import annotations

from debug_toolbar.toolbar import debug_toolbar_urls

from tests.project.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, *debug_toolbar_urls()]
