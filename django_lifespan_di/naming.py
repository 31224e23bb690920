"""Names for messages, logs and status pages: only from code, never from a value's ``repr()``.

A ``repr()`` can hold anything a value holds (a DSN with a password in a dataclass, a
``functools.partial``'s arguments), and names reach the public readiness JSON. Every name here
is a dotted path, a container attribute path, or the name of a type.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from dependency_injector import containers, providers


def dotted_name(obj: object) -> str:
    """``myapp.clients.open_client`` for a function or class; the type's name otherwise.

    A ``functools.partial`` is named after the function it wraps, never its arguments.
    """
    if isinstance(obj, functools.partial):
        return f"functools.partial({dotted_name(obj.func)})"
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    kind = type(obj)
    return f"a {kind.__module__}.{kind.__qualname__} instance"


def provider_name(target: providers.Provider[Any] | str) -> str:
    """``myapp.containers.Container.http_client``, ``'http_client'``, ``config option 'a.b'``.

    For a provider that is no attribute of a container class: its type and what it provides.
    """
    if isinstance(target, str):
        return repr(target)
    declared = declared_name(target)
    if declared is not None:
        return declared
    if isinstance(target, (providers.Configuration, providers.ConfigurationOption)):
        return f"config option {target.get_name()!r}"
    provides = getattr(type(target), "provides", None) and getattr(target, "provides", None)
    what = f" of {dotted_name(provides)}" if callable(provides) else ""
    return f"an unnamed {type(target).__name__}{what}"


def declared_name(target: providers.Provider[Any]) -> str | None:
    """``myapp.containers.Container.http_client`` for an attribute of a container class, else
    None."""
    for cls in _container_classes(containers.DeclarativeContainer):
        for name, provider in cls.providers.items():
            if provider is target:
                return f"{cls.__module__}.{cls.__qualname__}.{name}"
    return None


def _container_classes(base: type[Any]) -> Iterator[type[Any]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _container_classes(cls)
