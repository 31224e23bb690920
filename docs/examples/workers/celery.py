"""The project's Celery app (``myproject/celery.py``), with a lifespan in every worker process."""

from __future__ import annotations

# --8<-- [start:app]
import os

from celery import Celery

from django_lifespan_di.celery import setup_lifespan

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myproject.settings")

app = Celery("myproject")
app.config_from_object("django.conf:settings", namespace="CELERY")
setup_lifespan(app)  # before any task is defined
app.autodiscover_tasks()
# --8<-- [end:app]
