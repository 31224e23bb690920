from __future__ import annotations

from debug_toolbar.toolbar import debug_toolbar_urls
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from demo import views
from django_lifespan_di import readiness_view

urlpatterns = [
    path("", views.status_page_view),
    path("quote/", views.quote_view),
    path("visits/", views.VisitsView.as_view()),
    path("state/", views.state_view),
    path("status.json", views.status_json_view),
    path("ready/", readiness_view),
    *debug_toolbar_urls(),
    *staticfiles_urlpatterns(),
]
