"""asgi.py, with this package's get_asgi_application: it runs the lifespan."""

from __future__ import annotations

import os

from django_lifespan_di.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.from_di.after.settings")
application = get_asgi_application()
