from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("docs.examples.from_di.after.web.urls"))]
