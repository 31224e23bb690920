"""The WSGI application of the variant named by ``BENCH_VARIANT``, for gunicorn's sync workers.

``lifespan_di``: this package's (``django_lifespan_di.wsgi``), which runs the lifespan in each
worker process; ``plain``: Django's own ``get_wsgi_application``.
"""

from __future__ import annotations

import os

from django.core.handlers.wsgi import WSGIHandler

from bench.project.variant import VARIANT
from django_lifespan_di.wsgi import LifespanWSGIApplication

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")


def build_application() -> WSGIHandler | LifespanWSGIApplication:
    if VARIANT == "lifespan_di":
        from django_lifespan_di.wsgi import get_wsgi_application

        return get_wsgi_application()
    if VARIANT != "plain":
        raise RuntimeError(f"bench/project/wsgi.py serves plain or lifespan_di, not {VARIANT}")
    from django.core.wsgi import get_wsgi_application as get_django_application

    return get_django_application()


application = build_application()
