"""The ``LIFESPAN_DI`` setting, read lazily so ``override_settings`` works in tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dependency_injector import containers
from django.conf import settings
from django.utils.module_loading import import_string

from django_lifespan_di.exceptions import ConfigurationError

SETTING = "LIFESPAN_DI"
DEFAULTS: Mapping[str, Any] = {
    "CONTAINERS": (),
    "STARTUP_TIMEOUT": 30.0,
    "SHUTDOWN_TIMEOUT": 30.0,
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
                f'not {value!r}. Example: ["myproject.containers.Container"]',
                check_id="django_lifespan_di.E002",
            )
        for path in value:
            if not isinstance(path, str):
                raise ConfigurationError(
                    f'settings.{SETTING}["CONTAINERS"] holds {path!r}: give the dotted path '
                    f'as a string, e.g. "myproject.containers.Container".',
                    check_id="django_lifespan_di.E002",
                )
        return tuple(value)

    @property
    def STARTUP_TIMEOUT(self) -> float:
        return self._timeout("STARTUP_TIMEOUT")

    @property
    def SHUTDOWN_TIMEOUT(self) -> float:
        return self._timeout("SHUTDOWN_TIMEOUT")

    def _timeout(self, key: str) -> float:
        value = self._raw.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigurationError(
                f'settings.{SETTING}["{key}"] must be a number of seconds > 0, not {value!r}.',
                check_id="django_lifespan_di.E003",
            )
        return float(value)

    def container_classes(self) -> tuple[type[containers.DeclarativeContainer], ...]:
        """Import every configured container class, in the configured order."""
        return tuple(import_container(path) for path in self.CONTAINERS)


def import_container(path: str) -> type[containers.DeclarativeContainer]:
    """Import one ``CONTAINERS`` entry, with an error that names it when that fails."""
    where = f'settings.{SETTING}["CONTAINERS"] entry {path!r}'
    try:
        obj = import_string(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"{where} cannot be imported: {exc}. Give the full dotted path of a "
            f"DeclarativeContainer subclass, e.g. 'myproject.containers.Container'.",
            check_id="django_lifespan_di.E004",
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, containers.DeclarativeContainer)):
        raise ConfigurationError(
            f"{where} is {obj!r}, not a subclass of "
            f"dependency_injector.containers.DeclarativeContainer. Point it at the container "
            f"class (not an instance or a module).",
            check_id="django_lifespan_di.E005",
        )
    return obj


conf = Settings()
