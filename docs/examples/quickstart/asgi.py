"""The project's asgi.py: Django's template with one import changed.

Serve it with an ASGI server that runs the lifespan, e.g.
``uvicorn myproject.asgi:application``.
"""

# --8<-- [start:quickstart]
import os

from django_lifespan_di.asgi import get_asgi_application  # not django.core.asgi's

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")
application = get_asgi_application()
# --8<-- [end:quickstart]
