"""The lines of settings.py that django-lifespan-di needs (a fragment, not a whole settings file).

The example lives in ``docs/examples/quickstart/``, so its dotted paths start with
``docs.examples.quickstart``; in your project they start with your project's package.
"""

# --8<-- [start:quickstart]
INSTALLED_APPS = [
    "django_lifespan_di",  # its system checks validate LIFESPAN_DI and the injected views
    # ... Django's apps and yours
]
MIDDLEWARE = [
    "django_lifespan_di.middleware.LifespanStateMiddleware",  # sets request.state
    # ... Django's middleware and yours
]
LIFESPAN_DI = {"CONTAINERS": ["docs.examples.quickstart.containers.Container"]}
# --8<-- [end:quickstart]
# --8<-- [start:logging]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # "Started Container.http_client in 1.2 ms" at startup, "Stopped ..." at shutdown.
    "loggers": {"django_lifespan_di": {"handlers": ["console"], "level": "INFO"}},
}
# --8<-- [end:logging]
ROOT_URLCONF = "docs.examples.quickstart.urls"
