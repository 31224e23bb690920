"""Checks of the ``LIFESPAN_DI`` setting and of the middleware that sets ``request.state``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from django_lifespan_di import _internals
from django_lifespan_di.conf import (
    DEFAULTS,
    EXAMPLE,
    SETTING,
    conf,
    import_container,
    refuse_when_instantiated_elsewhere,
)
from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.graph import deferred_units, walk
from django_lifespan_di.managers import registered_managers
from django_lifespan_di.middleware import MIDDLEWARE_PATH
from django_lifespan_di.naming import dotted_name


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E001-E005: ``LIFESPAN_DI`` is malformed, or a container it names does not import;
    E006: a container cannot be instantiated here (the lifespan would fail to start); E008: a
    container class is named while the project holds a module-level instance of it."""
    errors: list[CheckMessage] = []
    for key in DEFAULTS:
        try:
            getattr(conf, key)  # each key is a property of conf that validates it
        except ConfigurationError as exc:
            error = Error(str(exc), id=exc.check_id)
            if error not in errors:  # a malformed LIFESPAN_DI fails every read the same way
                errors.append(error)
    if errors:
        return errors
    for path in conf.CONTAINERS:
        try:
            cls = import_container(path)
            if not isinstance(cls, type):
                continue  # an instance the project made: nothing left to instantiate
            refuse_when_instantiated_elsewhere(path, cls)
        except ConfigurationError as exc:
            errors.append(Error(str(exc), id=exc.check_id))
            continue
        try:
            _internals.instantiate([cls])
        except Exception as exc:  # its own code: a configuration file, a provider's arguments
            name = dotted_name(cls)
            errors.append(
                Error(
                    f'settings.{SETTING}["CONTAINERS"] entry {path!r}: {name} cannot be '
                    f"instantiated: {type(exc).__name__}: {exc}",
                    hint=f"The lifespan instantiates it when it starts and would fail the same "
                    f"way: fix {name} (a Configuration's required files must exist where the "
                    f"project runs). Where they are absent on purpose (a build step), add "
                    f'"django_lifespan_di.E006" to SILENCED_SYSTEM_CHECKS there.',
                    id="django_lifespan_di.E006",
                )
            )
    return errors


@register(Tags.compatibility)
def check_deferred(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E009: a ``DEFERRED`` entry is no resource the lifespan opens; E010: a resource that
    opens at startup depends on a deferred one."""
    try:
        if not conf.DEFERRED:
            return []
        instances = _internals.instantiate(conf.container_classes())
        graph = walk(instances.values())
    except Exception:  # E001-E006 (check_settings), E106/E107 (check_injected_functions)
        return []
    try:
        deferred_units(graph, instances, conf.deferred_providers())
    except ConfigurationError as exc:
        return [Error(str(exc), id=exc.check_id)]
    return []


@register(Tags.compatibility)
def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: ``LifespanStateMiddleware`` is not installed, so views get no ``request.state``."""
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


@register(Tags.compatibility)
def check_something_to_start(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W201: the lifespan would start nothing at all (no container, no database, no manager)."""
    try:
        configured = conf.CONTAINERS or conf.DATABASES
    except ConfigurationError:
        return []  # check_settings reports it
    if configured or registered_managers():
        return []
    where = (
        f'settings.{SETTING} has no "CONTAINERS"'
        if conf.is_set
        else f"settings.{SETTING} is not set"
    )
    return [
        Warning(
            f"{where} and no lifespan manager is registered, so the lifespan starts nothing.",
            hint=f"List your containers, e.g. {EXAMPLE}",
            id="django_lifespan_di.W201",
        )
    ]


@register(Tags.compatibility)
def check_middleware_order(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W202: a middleware that may read ``request.state`` runs before it is set.

    The rule: only Django's own middleware (``django.*``), which never reads
    ``request.state``, may come before ``LifespanStateMiddleware``. It depends on no other
    middleware, so moving it first is always safe.
    """
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE_PATH not in middleware:
        return []  # W001
    before = middleware[: middleware.index(MIDDLEWARE_PATH)]
    needs_it = [path for path in before if not path.startswith("django.")]
    if not needs_it:
        return []
    return [
        Warning(
            f"{', '.join(needs_it)} come(s) before {MIDDLEWARE_PATH} in MIDDLEWARE: there, "
            f"request.state is not set yet and reading it raises AttributeError.",
            hint=f"Move {MIDDLEWARE_PATH!r} above them (first in MIDDLEWARE is always safe: "
            f"it needs no other middleware). Silence django_lifespan_di.W202 if none of them "
            f"reads request.state.",
            id="django_lifespan_di.W202",
        )
    ]
