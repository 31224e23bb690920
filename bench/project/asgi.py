"""The ASGI application of the variant named by ``BENCH_VARIANT``."""

from __future__ import annotations

import os
from typing import Any

from bench.project.variant import VARIANT

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")


def build_application() -> Any:
    if VARIANT == "lifespan_di":
        from django_lifespan_di.asgi import get_asgi_application

        return get_asgi_application()
    if VARIANT == "asgi_lifespan":
        from django_asgi_lifespan.asgi import get_asgi_application as get_lifespan_application
        from django_asgi_lifespan.register import register_lifespan_manager

        from bench.project.views_asgi_lifespan import lifespan_manager

        register_lifespan_manager(context_manager=lifespan_manager)
        return get_lifespan_application()
    from django.core.asgi import get_asgi_application as get_django_application

    if VARIANT == "di_wired":
        from bench.project.wired import WiredApplication

        return WiredApplication(get_django_application())
    return get_django_application()


application = build_application()
