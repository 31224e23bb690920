"""The same view at ``/`` in every variant; the pooling views in the ``lifespan_di`` variant."""

from __future__ import annotations

from django.urls import URLPattern, path

from bench.project import views_asgi_lifespan, views_di_wired, views_lifespan_di, views_plain
from bench.project.variant import VARIANT

# Every variant imports the same code, though it routes to its own view: the garbage
# collector's full passes walk every live object, so a variant that loaded fewer modules gets
# shorter pauses and a better p99 for reasons that have nothing to do with its request path
# (measured here: plain Django's p99 went from about 20 to about 33 ms once it loaded them too).
VIEWS = {
    "plain": views_plain,
    "lifespan_di": views_lifespan_di,
    "asgi_lifespan": views_asgi_lifespan,
    "di_wired": views_di_wired,
}
views = VIEWS[VARIANT]

urlpatterns: list[URLPattern] = [path("", views.view)]
if VARIANT == "lifespan_di":
    urlpatterns += [
        path("sync/", views_lifespan_di.sync_view),
        path("pooled/", views_lifespan_di.pooled_view),
        path("unpooled/", views_lifespan_di.unpooled_view),
        path("unpooled_shared_tls/", views_lifespan_di.unpooled_shared_tls_view),
    ]
elif VARIANT == "plain":
    # Under WSGI (bench/project/wsgi.py): plain Django's sync view, and an async view calling
    # the upstream the only way plain Django can (each request runs on an event loop of its
    # own, so a client shared across requests would be used on loops it does not belong to).
    urlpatterns += [
        path("sync/", views_plain.sync_view),
        path("unpooled/", views_lifespan_di.unpooled_view),
    ]
