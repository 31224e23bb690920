"""asgi.py as ``startproject`` writes it."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.from_di.before.settings")
application = get_asgi_application()
