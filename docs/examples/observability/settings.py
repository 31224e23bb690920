"""The settings of the observability guide's project: the lifespan's log lines as JSON.

The example lives in ``docs/examples/observability/``; in your project the dotted paths start
with your project's package.
"""

import structlog

SECRET_KEY = "example-only-not-secret"
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django_lifespan_di"]
MIDDLEWARE = ["django_lifespan_di.middleware.LifespanStateMiddleware"]
ROOT_URLCONF = "docs.examples.injection.urls"
LIFESPAN_DI = {"CONTAINERS": ["docs.examples.injection.containers.Container"]}

# --8<-- [start:logging]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Records of the standard library's logging, rendered by structlog as one JSON object
        # per line: the message under "event", and each field of the record's extra
        # (event_name, pid, resource, kind, duration_ms, error) as a key of its own.
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": [
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.stdlib.ExtraAdder(),
            ],
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        },
    },
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"django_lifespan_di": {"handlers": ["json"], "level": "INFO"}},
}
# --8<-- [end:logging]
