"""A project's wsgi.py: Django's, with the lifespan run in each serving process."""

# --8<-- [start:wsgi]
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")

from django_lifespan_di.wsgi import get_wsgi_application

application = get_wsgi_application()
# --8<-- [end:wsgi]
