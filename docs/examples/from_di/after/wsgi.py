"""wsgi.py, with this package's get_wsgi_application: it runs the lifespan in each process
that serves (runserver too)."""

from __future__ import annotations

import os

from django_lifespan_di.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docs.examples.from_di.after.settings")
application = get_wsgi_application()
