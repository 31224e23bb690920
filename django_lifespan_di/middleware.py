"""``LifespanStateMiddleware``: puts the lifespan state on ``request.state``."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from django_lifespan_di.exceptions import LifespanNotRunning
from django_lifespan_di.runtime import current_runtime
from django_lifespan_di.state import LifespanState, MissingLifespanState

MIDDLEWARE_PATH = "django_lifespan_di.middleware.LifespanStateMiddleware"
NO_MIDDLEWARE_FOR_FACTORY = (
    "A request built with RequestFactory skips every middleware: send it with "
    "django.test.AsyncClient, or set request.state in the test."
)

WSGI_REASON = (
    "this request came through WSGI (manage.py runserver, a WSGI server, or Django's sync test "
    "Client), which has no lifespan. Serve the project with an ASGI server, e.g. "
    "`uvicorn myproject.asgi:application`, whose asgi.py uses "
    "django_lifespan_di.asgi.get_asgi_application(); in tests, send the request with Django's "
    "AsyncClient inside `django_lifespan_di.lifespan()` (or the pytest fixture "
    "`lifespan_client`)."
)

logger = logging.getLogger("django_lifespan_di")

# The first request without a lifespan is where a server that never sends one (daphne,
# runserver, uvicorn --lifespan off) shows itself; later requests would only repeat it.
_warned_not_running = False


def warn_not_running_once(reason: str) -> None:
    """Log, once per process, that requests are served without the lifespan, and why."""
    global _warned_not_running
    if _warned_not_running:
        return
    _warned_not_running = True
    logger.warning(
        "The lifespan did not run: no resource was started and request.state is empty, so "
        "every use of a resource raises LifespanNotRunning. Cause: %s",
        reason,
    )


def request_state(request: HttpRequest) -> LifespanState:
    """The ``request.state`` for one request: a shallow copy of the running lifespan's state."""
    try:
        runtime = current_runtime()
    except LifespanNotRunning as exc:
        reason = WSGI_REASON if not hasattr(request, "scope") else str(exc)
        warn_not_running_once(reason)
        return MissingLifespanState(reason)
    return LifespanState(runtime.state)


class LifespanStateMiddleware:
    """Set ``request.state`` to the per-request copy of the lifespan state.

    Natively async (no thread hop on the async path) and usable in a sync middleware chain.
    Without a running lifespan, ``request.state`` is empty and any lookup raises
    [``LifespanNotRunning``][django_lifespan_di.LifespanNotRunning] with the likely cause.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        request.state = request_state(request)  # type: ignore[attr-defined]
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        request.state = request_state(request)  # type: ignore[attr-defined]
        return await self.get_response(request)  # type: ignore[misc,no-any-return]


class StateNotSet:
    """``HttpRequest.state`` for a request that ``LifespanStateMiddleware`` has not seen.

    Without it, forgetting the middleware gives a bare ``AttributeError: 'ASGIRequest' object
    has no attribute 'state'`` deep in a view. A non-data descriptor (``__get__`` only): the
    middleware's ``request.state = ...`` goes into the request's ``__dict__``, which Python
    reads before such a descriptor, so a request that went through the middleware never reaches
    this code and pays nothing for it. ``hasattr(request, "state")`` stays ``False`` without the
    middleware, as before.
    """

    def __get__(self, request: HttpRequest | None, owner: type[Any] | None = None) -> Any:
        if request is None:
            return self  # the class attribute itself (introspection, documentation tools)
        if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
            problem = (
                f"request.state is not set: {MIDDLEWARE_PATH} is not in settings.MIDDLEWARE. "
                f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE (first in the list is always safe)."
            )
        else:
            problem = (
                f"request.state is not set yet: {MIDDLEWARE_PATH} has not run for this request. "
                f"Code that runs before it (a middleware listed above it, see check "
                f"django_lifespan_di.W202) cannot read request.state: move {MIDDLEWARE_PATH!r} "
                f"above that code (first in MIDDLEWARE is always safe)."
            )
        raise AttributeError(f"{problem} {NO_MIDDLEWARE_FOR_FACTORY}", name="state", obj=request)


def explain_missing_state() -> None:
    """Put ``StateNotSet`` on Django's ``HttpRequest`` (``LifespanDIConfig.ready()`` calls it).

    This is the one place where the package touches a class of Django's. It adds an attribute
    that Django does not define, and leaves any ``state`` that something else (a later Django,
    another package) defines alone.
    """
    if inspect.getattr_static(HttpRequest, "state", None) is None:
        HttpRequest.state = StateNotSet()  # type: ignore[attr-defined]
