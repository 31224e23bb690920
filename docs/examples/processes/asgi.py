"""A project's asgi.py under Channels: http and lifespan to this package, websockets to its
consumers."""

# --8<-- [start:setup]
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from django_lifespan_di.asgi import get_asgi_application

# Sets Django up: import the consumers (and anything that imports models) after it.
django_app = get_asgi_application()
# --8<-- [end:setup]

from docs.examples.processes.consumers import ForecastConsumer, StateForecastConsumer  # noqa: E402

# --8<-- [start:router]
application = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": URLRouter(
            [
                path("ws/forecast/", ForecastConsumer.as_asgi()),
                path("ws/state-forecast/", StateForecastConsumer.as_asgi()),
            ]
        ),
        # Without it the router raises for the lifespan scope and nothing starts (check E203).
        "lifespan": django_app,
    }
)
# --8<-- [end:router]
