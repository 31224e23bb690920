"""System checks (``manage.py check``): misconfiguration reported with stable ids.

Ids: E001 ``LIFESPAN_DI`` malformed or unknown keys; E002 ``CONTAINERS`` malformed;
E003 a timeout is not a positive number; E004 a container path does not import;
E005 a container path is not a ``DeclarativeContainer``; W001 the middleware is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_lifespan_di.conf import SETTING, conf, import_container
from django_lifespan_di.exceptions import ConfigurationError

MIDDLEWARE_PATH = "django_lifespan_di.middleware.LifespanStateMiddleware"


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for read in (
        lambda: conf.CONTAINERS,
        lambda: conf.STARTUP_TIMEOUT,
        lambda: conf.SHUTDOWN_TIMEOUT,
    ):
        try:
            read()
        except ConfigurationError as exc:
            errors.append(Error(str(exc), id=exc.check_id))
    if errors:
        return errors
    for path in conf.CONTAINERS:
        try:
            import_container(path)
        except ConfigurationError as exc:
            errors.append(Error(str(exc), id=exc.check_id))
    return errors


@register(Tags.compatibility)
def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if MIDDLEWARE_PATH in settings.MIDDLEWARE:
        return []
    return [
        Warning(
            f"{MIDDLEWARE_PATH} is not in MIDDLEWARE, so views get no request.state.",
            hint=f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE (or ignore this check, "
            f"django_lifespan_di.W001, if you only use @inject). {SETTING} still starts the "
            f"resources.",
            id="django_lifespan_di.W001",
        )
    ]
