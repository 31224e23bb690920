"""The project's settings before the move: Django and dependency-injector only."""

from __future__ import annotations

import os

SECRET_KEY = "docs-example-not-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
ROOT_URLCONF = "docs.examples.from_di.before.urls"
# --8<-- [start:apps]
INSTALLED_APPS = [
    "docs.examples.from_di.before.web",
]
# --8<-- [end:apps]
# What the container is configured from (containers.py loads it into the instance).
SEARCH_API = {
    "api_url": os.environ.get("SEARCH_API_URL", "https://api.github.com"),
    "timeout": 5.0,
    "limit": 3,
    "default_query": "django",
}
