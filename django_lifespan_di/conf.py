"""The ``LIFESPAN_DI`` setting, read lazily so ``override_settings`` works in tests."""

from __future__ import annotations

import importlib
import json
import math
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any

from dependency_injector import containers
from django.apps import apps
from django.conf import settings

from django_lifespan_di.exceptions import ConfigurationError
from django_lifespan_di.naming import dotted_name

#: A ``CONTAINERS`` entry: a ``DeclarativeContainer`` subclass, or an instance of one.
ContainerEntry = type[containers.DeclarativeContainer] | containers.Container

SETTING = "LIFESPAN_DI"
DEFAULTS: Mapping[str, Any] = {
    "CONTAINERS": (),
    "STARTUP_TIMEOUT": 30.0,
    "SHUTDOWN_TIMEOUT": 30.0,
    "PING_MAX_AGE": 5.0,
    "DATABASES": (),
    "DEFERRED": (),
}
#: ``"DATABASES": "__all__"``: every alias of ``settings.DATABASES``.
ALL_DATABASES = "__all__"
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
        return self._strings(
            "CONTAINERS",
            "dotted paths",
            "the dotted path",
            ["myproject.containers.Container"],
            "django_lifespan_di.E002",
        )

    @property
    def DEFERRED(self) -> tuple[str, ...]:
        return self._strings(
            "DEFERRED",
            "dotted paths of resources or database aliases",
            "the dotted path of a resource (or a database alias)",
            ["myproject.containers.Container.search", "default"],
            "django_lifespan_di.E009",
        )

    def _strings(
        self, key: str, kinds: str, each: str, example: list[str], check_id: str
    ) -> tuple[str, ...]:
        """``LIFESPAN_DI[key]``, a list of ``kinds`` (``each`` names one), as a tuple."""
        value = self._raw.get(key, DEFAULTS[key])
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigurationError(
                f'settings.{SETTING}["{key}"] must be a list of {kinds}, not {shown(value)}. '
                f"Example: {json.dumps(example)}",
                check_id=check_id,
            )
        for item in value:
            if not isinstance(item, str):
                raise ConfigurationError(
                    f'settings.{SETTING}["{key}"] holds {shown(item)}: give {each} as a string, '
                    f"e.g. {json.dumps(example[0])}.",
                    check_id=check_id,
                )
        return tuple(value)

    def deferred_providers(self) -> tuple[tuple[type[containers.DeclarativeContainer], str], ...]:
        """Each ``DEFERRED`` entry as (configured container class, provider path in it)."""
        return tuple(self._deferred_provider(entry) for entry in self.DEFERRED)

    def _deferred_provider(self, entry: str) -> tuple[type[containers.DeclarativeContainer], str]:
        where = f'settings.{SETTING}["DEFERRED"] entry {entry!r}'
        if "." not in entry:
            # A bare name is a database alias: the pool's resource in the Databases container.
            aliases = self.DATABASES
            if entry in aliases:
                from django_lifespan_di.databases import databases_container

                return databases_container(aliases), entry
            listed = ", ".join(map(repr, aliases)) or "none"
            raise ConfigurationError(
                f"{where} is not a dotted path, nor an alias that {SETTING}['DATABASES'] lists "
                f"(listed: {listed}). Defer a database by its alias once DATABASES lists it "
                f'("DATABASES": ["default"], "DEFERRED": ["default"]), or give the path of a '
                f'resource, e.g. "myproject.containers.Container.search".',
                check_id="django_lifespan_di.E009",
            )
        for path in self.CONTAINERS:
            if entry.startswith(f"{path}.") and len(entry) > len(path) + 1:
                return container_class(import_container(path)), entry[len(path) + 1 :]
        configured = ", ".join(map(repr, self.CONTAINERS)) or "none"
        raise ConfigurationError(
            f"{where} is in none of the containers of {SETTING}['CONTAINERS'] (configured: "
            f"{configured}). Begin it with the path of its container, as CONTAINERS lists it, "
            f'then the provider\'s attribute: "myproject.containers.Container.search".',
            check_id="django_lifespan_di.E009",
        )

    @property
    def STARTUP_TIMEOUT(self) -> float:
        return self._timeout("STARTUP_TIMEOUT")

    @property
    def SHUTDOWN_TIMEOUT(self) -> float:
        return self._timeout("SHUTDOWN_TIMEOUT")

    @property
    def PING_MAX_AGE(self) -> float:
        """How old a ping's result a health probe may answer from (``health/``)."""
        return self._timeout("PING_MAX_AGE")

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

    @property
    def DATABASES(self) -> tuple[str, ...]:
        """The aliases of the databases whose connections the lifespan owns (``"__all__"``:
        every alias of ``settings.DATABASES``, in its order)."""
        if self._raw.get("DATABASES") == ALL_DATABASES:
            return tuple(settings.DATABASES)
        aliases = self._strings(
            "DATABASES",
            'database aliases or "__all__"',
            "each database alias",
            ["default"],
            "django_lifespan_di.E007",
        )
        if len(set(aliases)) != len(aliases):
            raise ConfigurationError(
                f'settings.{SETTING}["DATABASES"] lists an alias twice: list each once.',
                check_id="django_lifespan_di.E007",
            )
        return aliases

    def configured_containers(self) -> tuple[ContainerEntry, ...]:
        """Import every configured container, in the configured order: a class (the lifespan
        makes its instance) or an instance (the lifespan runs that one).

        A class of which a module-level instance exists is refused (E008): that instance
        holds the project's configuration, wiring and overrides, and the lifespan would run a
        copy without them.
        """
        entries = tuple(import_container(path) for path in self.CONTAINERS)
        for path, entry in zip(self.CONTAINERS, entries, strict=True):
            if isinstance(entry, type):
                refuse_when_instantiated_elsewhere(path, entry)
        aliases = self.DATABASES
        if not aliases:
            return entries
        # Imported here: it connects a receiver to Django's connection_created, which a
        # project that owns no database has no use for.
        from django_lifespan_di.databases import owned_databases

        # Then the ``Databases`` container of the pools the lifespan owns; a deferred one
        # waits for its database as long as a deferred resource may take to open.
        deferred = [entry for entry in self.DEFERRED if entry in aliases]
        return (*entries, owned_databases(aliases, deferred, self.STARTUP_TIMEOUT))

    def container_classes(self) -> tuple[type[containers.DeclarativeContainer], ...]:
        """The class of every configured container (an instance's declaring class)."""
        return tuple(container_class(entry) for entry in self.configured_containers())


def require_installed() -> None:
    """Raise ``ConfigurationError`` unless the app is in ``INSTALLED_APPS``: its checks validate."""
    if not apps.is_installed("django_lifespan_di"):
        raise ConfigurationError(
            'Add "django_lifespan_di" to INSTALLED_APPS: it registers the system checks '
            "that validate LIFESPAN_DI and your injected views."
        )


def import_container(path: str) -> ContainerEntry:
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
    if isinstance(obj, type) and issubclass(obj, containers.DeclarativeContainer):
        return obj
    if isinstance(obj, containers.DynamicContainer) and obj.declarative_parent is not None:
        return obj  # an instance of a container class: the lifespan runs that very instance
    if isinstance(obj, containers.DynamicContainer):
        raise ConfigurationError(
            f"{where} is a DynamicContainer built without a container class: the lifespan "
            f"names and finds containers by their class. Declare a "
            f"dependency_injector.containers.DeclarativeContainer subclass and name it (or an "
            f"instance of it).",
            check_id="django_lifespan_di.E005",
        )
    raise ConfigurationError(
        f"{where} is {shown(obj)}, not a container. Point it at a subclass of "
        f"dependency_injector.containers.DeclarativeContainer, or at the module-level instance "
        f"of one that your project configures and wires (e.g. 'myproject.containers.container').",
        check_id="django_lifespan_di.E005",
    )


def container_class(entry: ContainerEntry) -> type[containers.DeclarativeContainer]:
    """The container class of a ``CONTAINERS`` entry (an instance's declaring class)."""
    if isinstance(entry, type):
        return entry
    parent = entry.declarative_parent
    assert parent is not None  # import_container refuses instances without one
    return typing.cast(type[containers.DeclarativeContainer], parent)


def module_level_instances(cls: type[containers.DeclarativeContainer]) -> list[str]:
    """The dotted names of the module-level instances of ``cls`` in the modules loaded now.

    dependency-injector's documented way is ``container = Container()`` at module level, with
    configuration loaded into it and modules wired to it. Looked up by type, never by
    ``isinstance()``, which would evaluate Django's lazy objects.
    """
    found = []
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            if (
                issubclass(type(value), containers.DynamicContainer)
                and value.declarative_parent is cls
            ):
                found.append(f"{module_name}.{name}")
    return sorted(found)


def refuse_when_instantiated_elsewhere(
    path: str, cls: type[containers.DeclarativeContainer]
) -> None:
    """E008: ``path`` names a class whose module-level instance the project configures."""
    instances = module_level_instances(cls)
    if instances:
        raise ConfigurationError(
            f'settings.{SETTING}["CONTAINERS"] entry {path!r} names the class '
            f"{dotted_name(cls)}, and {', '.join(instances)} is an instance of it: the "
            f"lifespan would run a copy of its own, without the configuration, wiring and "
            f"overrides given to that instance (and code wired to the instance would open "
            f"resources nobody closes). Name the instance instead: {instances[0]!r}.",
            check_id="django_lifespan_di.E008",
        )


def shown(value: object) -> str:
    """A value of the setting, for a message: a string or number as written, anything else by
    its name or type, never its ``repr()`` (a settings object's may hold a password)."""
    if isinstance(value, (str, int, float)):
        return repr(value)
    if isinstance(value, types.ModuleType):
        return f"the module {value.__name__}"
    return f"the class {dotted_name(value)}" if isinstance(value, type) else dotted_name(value)


conf = Settings()


def pool_options(alias: str) -> Mapping[str, Any] | None:
    """The pool options of ``alias`` (``{}`` for ``"pool": True``), or None: not pooled."""
    database: Mapping[str, Any] = settings.DATABASES[alias]
    if "postgresql" not in str(database.get("ENGINE", "")):
        return None
    options = (database.get("OPTIONS") or {}).get("pool")
    if not options:
        return None
    return options if isinstance(options, Mapping) else {}
