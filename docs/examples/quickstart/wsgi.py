"""The project's wsgi.py: Django's template with one import changed.

``manage.py runserver`` serves it (the ``WSGI_APPLICATION`` setting), as do WSGI servers such as
gunicorn; the lifespan then runs in each process that serves.
"""

# --8<-- [start:quickstart]
import os

from django_lifespan_di.wsgi import get_wsgi_application  # not django.core.wsgi's

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")
application = get_wsgi_application()
# --8<-- [end:quickstart]
