"""Two applications from ``get_asgi_application()``, mounted by path under a router function:
under daphne, which sends no lifespan, both are served by the one lifespan on its reactor
(tests/e2e/test_daphne.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from django_lifespan_di.asgi import Receive, Scope, Send, get_asgi_application

injected_views = get_asgi_application()
other_views = get_asgi_application()


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    mounted = injected_views if scope.get("path", "").startswith("/inject/") else other_views
    await mounted(scope, receive, send)
