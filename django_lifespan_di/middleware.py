"""``LifespanStateMiddleware``: puts the lifespan state on ``request.state``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from django_lifespan_di.exceptions import LifespanNotRunning
from django_lifespan_di.runtime import current_runtime
from django_lifespan_di.state import LifespanState, MissingLifespanState

WSGI_REASON = (
    "this request came through WSGI (manage.py runserver or a WSGI server), which has no "
    "lifespan. Serve the project with an ASGI server, e.g. "
    "`uvicorn myproject.asgi:application`, whose asgi.py uses "
    "django_lifespan_di.asgi.get_asgi_application()."
)


def request_state(request: HttpRequest) -> LifespanState:
    """The ``request.state`` for one request: a shallow copy of the running lifespan's state."""
    try:
        runtime = current_runtime()
    except LifespanNotRunning as exc:
        reason = WSGI_REASON if not hasattr(request, "scope") else str(exc)
        return MissingLifespanState(reason)
    return LifespanState(runtime.state)


class LifespanStateMiddleware:
    """Set ``request.state`` to the per-request copy of the lifespan state.

    Natively async (no thread hop on the async path) and usable in a sync middleware chain.
    Without a running lifespan, ``request.state`` is empty and any lookup raises
    :class:`~django_lifespan_di.exceptions.LifespanNotRunning` with the likely cause.
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
