"""The ``LIFESPAN_DI`` setting, read lazily so ``override_settings`` works in tests."""

from __future__ import annotations

import importlib
import math
import types
from collections.abc import Mapping
from typing import Any

from dependency_injector import containers
from django.apps import apps
from django.conf import settings

from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.naming import dotted_name

SETTING = "LIFESPAN_DI"
DEFAULTS: Mapping[str, Any] = {
    "CONTAINERS": (),
    "STARTUP_TIMEOUT": 30.0,
    "SHUTDOWN_TIMEOUT": 30.0,
    "DEFERRED": (),
}
EXAMPLE = (
    'LIFESPAN_DI = {"CONTAINERS": ["myproject.containers.Container"], '
    '"STARTUP_TIMEOUT": 30, "SHUTDOWN_TIMEOUT": 30}'
)


class Settings:
    """Typed, validated view of ``settings.LIFESPAN_DI``; every read goes to Django's settings."""

    @property
    def is_set(self) -> bool:
        return hasattr(settings, SETTING)

    @property
    def _raw(self) -> Mapping[str, Any]:
        raw = getattr(settings, SETTING, {})
        if not isinstance(raw, Mapping):
            raise ConfigurationError(
                f"settings.{SETTING} must be a dict, not {type(raw).__name__}. Example: {EXAMPLE}",
                check_id="django_lifespan_di.E001",
            )
        unknown = sorted(set(raw) - set(DEFAULTS))
        if unknown:
            raise ConfigurationError(
                f"settings.{SETTING} has unknown key(s) {', '.join(map(repr, unknown))}; "
                f"the keys are {', '.join(map(repr, DEFAULTS))}. Check the spelling.",
                check_id="django_lifespan_di.E001",
            )
        return raw

    @property
    def CONTAINERS(self) -> tuple[str, ...]:
        value = self._raw.get("CONTAINERS", DEFAULTS["CONTAINERS"])
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigurationError(
                f'settings.{SETTING}["CONTAINERS"] must be a list of dotted paths, '
                f'not {shown(value)}. Example: ["myproject.containers.Container"]',
                check_id="django_lifespan_di.E002",
            )
        for path in value:
            if not isinstance(path, str):
                raise ConfigurationError(
                    f'settings.{SETTING}["CONTAINERS"] holds {shown(path)}: give the dotted path '
                    f'as a string, e.g. "myproject.containers.Container".',
                    check_id="django_lifespan_di.E002",
                )
        return tuple(value)

    @property
    def DEFERRED(self) -> tuple[str, ...]:
        value = self._raw.get("DEFERRED", DEFAULTS["DEFERRED"])
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigurationError(
                f'settings.{SETTING}["DEFERRED"] must be a list of dotted paths of resources, '
                f'not {shown(value)}. Example: ["myproject.containers.Container.search"]',
                check_id="django_lifespan_di.E007",
            )
        for path in value:
            if not isinstance(path, str):
                raise ConfigurationError(
                    f'settings.{SETTING}["DEFERRED"] holds {shown(path)}: give the dotted path '
                    f'of a resource as a string, e.g. "myproject.containers.Container.search".',
                    check_id="django_lifespan_di.E007",
                )
        return tuple(value)

    def deferred_providers(self) -> tuple[tuple[type[containers.DeclarativeContainer], str], ...]:
        """Each ``DEFERRED`` entry as (configured container class, provider path in it)."""
        return tuple(self._deferred_provider(entry) for entry in self.DEFERRED)

    def _deferred_provider(self, entry: str) -> tuple[type[containers.DeclarativeContainer], str]:
        where = f'settings.{SETTING}["DEFERRED"] entry {entry!r}'
        if "." not in entry:
            # A bare name is what a database alias looks like: reserved for deferring Django's
            # connection pools, which are not resources of a container.
            raise ConfigurationError(
                f"{where} is not a dotted path: deferring a database alias is not supported. "
                f'Give the path of a resource, e.g. "myproject.containers.Container.search".',
                check_id="django_lifespan_di.E007",
            )
        for path in self.CONTAINERS:
            if entry.startswith(f"{path}.") and len(entry) > len(path) + 1:
                return import_container(path), entry[len(path) + 1 :]
        configured = ", ".join(map(repr, self.CONTAINERS)) or "none"
        raise ConfigurationError(
            f"{where} is in none of the containers of {SETTING}['CONTAINERS'] (configured: "
            f"{configured}). Begin it with the path of its container, as CONTAINERS lists it, "
            f'then the provider\'s attribute: "myproject.containers.Container.search".',
            check_id="django_lifespan_di.E007",
        )

    @property
    def STARTUP_TIMEOUT(self) -> float:
        return self._timeout("STARTUP_TIMEOUT")

    @property
    def SHUTDOWN_TIMEOUT(self) -> float:
        return self._timeout("SHUTDOWN_TIMEOUT")

    def _timeout(self, key: str) -> float:
        value = self._raw.get(key, DEFAULTS[key])
        # NaN passes `value <= 0`, and a wait of nan or inf seconds never times out.
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ConfigurationError(
                f'settings.{SETTING}["{key}"] must be a finite number of seconds > 0, '
                f"not {shown(value)}.",
                check_id="django_lifespan_di.E003",
            )
        return float(value)

    def container_classes(self) -> tuple[type[containers.DeclarativeContainer], ...]:
        """Import every configured container class, in the configured order."""
        return tuple(import_container(path) for path in self.CONTAINERS)


def require_installed() -> None:
    """Raise ``ConfigurationError`` unless the app is in ``INSTALLED_APPS``: its checks validate."""
    if not apps.is_installed("django_lifespan_di"):
        raise ConfigurationError(
            'Add "django_lifespan_di" to INSTALLED_APPS: it registers the system checks '
            "that validate LIFESPAN_DI and your injected views."
        )


def import_container(path: str) -> type[containers.DeclarativeContainer]:
    """Import one ``CONTAINERS`` entry, with an error that names it when that fails.

    A wrong path gets the dotted-path hint; a module that exists but fails to import (a
    dependency missing, an import error inside it) gets what failed and why instead, since
    there the path is right and the hint would point the wrong way.
    """
    where = f'settings.{SETTING}["CONTAINERS"] entry {path!r}'
    wrong_path = (
        "Give the full dotted path of a DeclarativeContainer subclass, e.g. "
        "'myproject.containers.Container'."
    )
    module_path, _, attribute = path.rpartition(".")
    if not module_path or not attribute:
        raise ConfigurationError(
            f"{where} cannot be imported: it is not a dotted path. {wrong_path}",
            check_id="django_lifespan_di.E004",
        )
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and f"{module_path}.".startswith(f"{exc.name}."):
            # The module itself (or a package on its path) does not exist.
            raise ConfigurationError(
                f"{where} cannot be imported: {exc}. {wrong_path}",
                check_id="django_lifespan_di.E004",
            ) from exc
        raise ConfigurationError(
            f"{where} cannot be imported: importing {module_path!r} failed: {exc}; install it "
            f"(the distribution that provides {exc.name!r}) into the environment that runs the "
            f"project, or fix that import in {module_path!r}.",
            check_id="django_lifespan_di.E004",
        ) from exc
    except Exception as exc:  # the module's own code failed (ImportError, NameError, ...)
        raise ConfigurationError(
            f"{where} cannot be imported: importing {module_path!r} failed: "
            f"{type(exc).__name__}: {exc}. Fix {module_path!r} "
            f'(`python -c "import {module_path}"` shows the traceback).',
            check_id="django_lifespan_di.E004",
        ) from exc
    try:
        obj = getattr(module, attribute)
    except AttributeError as exc:
        raise ConfigurationError(
            f"{where} cannot be imported: module {module_path!r} defines no {attribute!r}. "
            f"{wrong_path}",
            check_id="django_lifespan_di.E004",
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, containers.DeclarativeContainer)):
        raise ConfigurationError(
            f"{where} is {shown(obj)}, not a subclass of "
            f"dependency_injector.containers.DeclarativeContainer. Point it at the container "
            f"class (not an instance or a module).",
            check_id="django_lifespan_di.E005",
        )
    return obj


def shown(value: object) -> str:
    """A value of the setting, for a message: a string or number as written, anything else by
    its name or type, never its ``repr()`` (a settings object's may hold a password)."""
    if isinstance(value, (str, int, float)):
        return repr(value)
    if isinstance(value, types.ModuleType):
        return f"the module {value.__name__}"
    return f"the class {dotted_name(value)}" if isinstance(value, type) else dotted_name(value)


conf = Settings()
