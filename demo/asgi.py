"""The demo's ASGI application: Django with the lifespan (``uvicorn demo.asgi:application``)."""

from __future__ import annotations

import os

from django_lifespan_di.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = get_asgi_application()
