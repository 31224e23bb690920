"""``LifespanStateMiddleware``: puts the lifespan state on ``request.state``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from django_lifespan_di.exceptions import LifespanNotRunning
from django_lifespan_di.runtime import current_runtime
from django_lifespan_di.state import LifespanState, MissingLifespanState

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
