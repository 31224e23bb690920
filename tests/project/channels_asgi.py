"""The test project under Channels: http and lifespan to the package's application, websockets
to consumers (tests/e2e/test_channels.py serves it with uvicorn)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from django_lifespan_di.asgi import get_asgi_application

django_app = get_asgi_application()

from tests.project.consumers import InjectedConsumer, StateConsumer  # noqa: E402

websocket_app = URLRouter(
    [
        path("ws/injected/", InjectedConsumer.as_asgi()),
        path("ws/state/", StateConsumer.as_asgi()),
    ]
)
application = ProtocolTypeRouter(
    {"http": django_app, "websocket": websocket_app, "lifespan": django_app}
)
# The same router without its "lifespan" entry: check E203's case.
application_without_lifespan = ProtocolTypeRouter({"http": django_app, "websocket": websocket_app})
