"""ASGI lifespan for Django, with resources declared as dependency-injector providers."""

from __future__ import annotations

from django_lifespan_di.exceptions import (
    InjectionError,
    LifespanError,
    LifespanNotRunning,
    ShutdownError,
    StartupError,
    StateKeyError,
)
from django_lifespan_di.managers import register_lifespan_manager
from django_lifespan_di.runtime import get_container, lifespan

__all__ = [
    "InjectionError",
    "LifespanError",
    "LifespanNotRunning",
    "ShutdownError",
    "StartupError",
    "StateKeyError",
    "get_container",
    "lifespan",
    "register_lifespan_manager",
]
