import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from django_lifespan_di.asgi import get_asgi_application

application = get_asgi_application()
