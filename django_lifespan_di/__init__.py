"""ASGI lifespan for Django, with resources declared as dependency-injector providers."""

from __future__ import annotations

from dependency_injector.wiring import Provide, Provider

from django_lifespan_di.exceptions import (
    ConfigurationError,
    EventLoopError,
    InjectionError,
    LifespanError,
    LifespanNotRunning,
    ResourceNotReady,
    ShutdownError,
    StartupError,
    StateKeyError,
)
from django_lifespan_di.graph import RequestResource
from django_lifespan_di.health import register_ping
from django_lifespan_di.injection import inject, resolve, run_in_lifespan_loop
from django_lifespan_di.managers import LifespanManager, register_lifespan_manager
from django_lifespan_di.middleware import LifespanHttpRequest
from django_lifespan_di.registry import get_container
from django_lifespan_di.runtime import lifespan
from django_lifespan_di.status import ResourceStatus, readiness_view, resource_status
from django_lifespan_di.thread import LifespanThread

__all__ = [
    "ConfigurationError",
    "EventLoopError",
    "InjectionError",
    "LifespanError",
    "LifespanHttpRequest",
    "LifespanManager",
    "LifespanNotRunning",
    "LifespanThread",
    "Provide",
    "Provider",
    "RequestResource",
    "ResourceNotReady",
    "ResourceStatus",
    "ShutdownError",
    "StartupError",
    "StateKeyError",
    "get_container",
    "inject",
    "lifespan",
    "readiness_view",
    "register_lifespan_manager",
    "register_ping",
    "resolve",
    "resource_status",
    "run_in_lifespan_loop",
]
