"""The WSGI application: Django's, with the lifespan running in each serving process.

WSGI has no lifespan protocol, so the lifespan runs in a
[``LifespanThread``][django_lifespan_di.LifespanThread], started before the first request of
each process that serves (so after a server such as gunicorn forks its workers, even with
``--preload``) and stopped when that process exits. Each request's thread serves the lifespan's
event loop: Django runs async views with ``async_to_sync``, which then runs them on that loop,
where the shared async clients belong, and sends their thread-sensitive work (the async ORM)
back to the request's thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application as get_django_wsgi_application

from django_lifespan_di.conf import conf, require_installed
from django_lifespan_di.registry import UNAVAILABLE
from django_lifespan_di.thread import use_process_lifespan

StartResponse = Callable[..., Any]


class LifespanWSGIApplication:
    """A WSGI application that runs the lifespan in its process and hands requests to Django."""

    def __init__(self, django_app: WSGIHandler) -> None:
        self.django_app = django_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            use_process_lifespan()
        except Exception:
            # Logged by the runtime when it failed; every request of this process says so.
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [UNAVAILABLE]
        return self.django_app(environ, start_response)


def get_wsgi_application() -> LifespanWSGIApplication:
    """Set up Django and return the lifespan-aware WSGI application for ``wsgi.py``.

    Use it instead of ``django.core.wsgi.get_wsgi_application``; ``manage.py runserver`` serves
    it too (its ``WSGI_APPLICATION`` setting). Bad settings are reported here, when the server
    imports ``wsgi.py``.
    """
    django_app = get_django_wsgi_application()
    require_installed()
    conf.configured_containers()
    return LifespanWSGIApplication(django_app)
