"""The ASGI application: Django for ``http``, this package for ``lifespan``."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.apps import apps
from django.core.asgi import get_asgi_application as get_django_asgi_application
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler

from django_lifespan_di.conf import conf
from django_lifespan_di.runtime import lifespan

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class LifespanApplication:
    """An ASGI 3 application that runs the lifespan and hands everything else to Django.

    ``http`` (and any other scope type, e.g. under Channels' ``ProtocolTypeRouter``) goes to
    ``django_app`` unchanged.
    """

    def __init__(self, django_app: ASGIHandler) -> None:
        self.django_app = django_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
        else:
            await self.django_app(scope, receive, send)  # type: ignore[arg-type]

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan protocol around [``lifespan()``][django_lifespan_di.lifespan].

        A failure is reported with ``lifespan.startup.failed`` / ``lifespan.shutdown.failed``
        (never by merely raising: servers then go on serving without the resources), after
        everything started has been shut down.
        """
        started = False
        await receive()  # lifespan.startup
        try:
            async with lifespan() as state:
                if scope.get("state") is not None:
                    scope["state"].update(state)  # the server copies this into every request
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def get_asgi_application() -> LifespanApplication:
    """Set up Django and return the lifespan-aware ASGI application for ``asgi.py``.

    Use it instead of ``django.core.asgi.get_asgi_application``. Bad settings are reported
    here, when the server imports ``asgi.py``, not at the first request.
    """
    django_app = get_django_asgi_application()
    if not apps.is_installed("django_lifespan_di"):
        raise ImproperlyConfigured(
            'Add "django_lifespan_di" to INSTALLED_APPS: it registers the system checks '
            "that validate LIFESPAN_DI and your injected views."
        )
    conf.container_classes()
    return LifespanApplication(django_app)
