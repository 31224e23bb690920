"""gunicorn.conf.py: each worker opens its resources as it boots, not at its first request."""

from __future__ import annotations

# --8<-- [start:eager]
from django_lifespan_di.thread import start_process_lifespan


def post_worker_init(worker: object) -> None:
    # The worker has loaded wsgi.py (Django is set up) and accepts no request yet. A resource
    # that fails to start raises StartupError here: the worker fails to boot, and gunicorn stops.
    start_process_lifespan()


# --8<-- [end:eager]
