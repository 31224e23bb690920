"""The same view at ``/`` in every variant; the pooling views in the ``lifespan_di`` variant."""

from __future__ import annotations

from importlib import import_module

from django.urls import URLPattern, path

from bench.project.variant import VARIANT

views = import_module(f"bench.project.views_{VARIANT}")

urlpatterns: list[URLPattern] = [path("", views.view)]
if VARIANT == "lifespan_di":
    urlpatterns += [
        path("pooled/", views.pooled_view),
        path("unpooled/", views.unpooled_view),
        path("unpooled_shared_tls/", views.unpooled_shared_tls_view),
    ]
