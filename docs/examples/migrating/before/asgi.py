"""asgi.py before the migration: django-asgi-lifespan's handler behind a router function."""

from __future__ import annotations

import os

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django_asgi_lifespan.asgi import get_asgi_application

from .websocket import websocket_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.migrating.before.settings")

django_application = get_asgi_application()


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    if scope["type"] in {"http", "lifespan"}:
        await django_application(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_application(scope, receive, send)
    else:
        raise NotImplementedError(f"Unknown scope type {scope['type']}")
