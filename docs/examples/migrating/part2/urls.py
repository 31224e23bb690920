from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("docs.examples.migrating.part2.library.urls", namespace="library")),
]
