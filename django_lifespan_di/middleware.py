"""``request.state``: the lifespan state on every request, set by ``LifespanStateMiddleware``.

The state is a dict that explains what is missing (``LifespanState``); without a running
lifespan it is empty and every lookup says why (``MissingLifespanState``); without the middleware
``request.state`` says to add it (``StateNotSet``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from django_lifespan_di import _internals, events
from django_lifespan_di.exceptions import LifespanNotRunning, StateKeyError
from django_lifespan_di.registry import current_runtime
from django_lifespan_di.runtime import Runtime, register_call_frame
from django_lifespan_di.thread import runs_in_lifespan_thread

MIDDLEWARE_PATH = "django_lifespan_di.middleware.LifespanStateMiddleware"
NO_MIDDLEWARE_FOR_FACTORY = (
    "A request built with RequestFactory skips every middleware: send it with "
    "django.test.AsyncClient, or set request.state in the test."
)

WSGI_REASON = (
    "this request came through WSGI (manage.py runserver, a WSGI server, or Django's sync test "
    "Client) and no lifespan runs in this process. In wsgi.py use "
    "django_lifespan_di.wsgi.get_wsgi_application(), which runs it in each serving process; in "
    "tests, use the `lifespan_thread` fixture with the sync Client and live_server, or send the "
    "request with Django's AsyncClient inside the `lifespan` fixture (`lifespan_client`)."
)


class LifespanState(dict[str, Any]):
    """A shallow copy of the lifespan state for one request.

    The objects are shared by every request; keys a view adds stay in its own request.
    A missing key raises [``StateKeyError``][django_lifespan_di.StateKeyError] (a ``KeyError``)
    listing the keys that are there. A lookup gets the same guards as ``@inject``: never after
    shutdown, in a forked child, or on another event loop than the lifespan's
    ([``EventLoopError``][django_lifespan_di.EventLoopError]).
    """

    def __init__(self, runtime: Runtime | None = None) -> None:
        super().__init__(runtime.state if runtime is not None else ())
        self._runtime = runtime

    def __getitem__(self, key: str) -> Any:
        if self._runtime is not None:
            self._runtime.check_may_hand_out(f"request.state[{key!r}]")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            return default
        return self[key]

    def __missing__(self, key: str) -> Any:
        keys = ", ".join(map(repr, sorted(self))) or "none"
        raise StateKeyError(
            f"request.state has no {key!r}; the lifespan state holds: {keys}. A Resource is "
            f"stored under its attribute name in the container, a lifespan manager's keys "
            f"under the names it yields."
        )


class MissingLifespanState(LifespanState):
    """``request.state`` when no lifespan is running: empty, and every lookup says why."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def __missing__(self, key: str) -> Any:
        raise LifespanNotRunning(f"request.state[{key!r}]: {self.reason}")


class LifespanHttpRequest(HttpRequest):
    """``HttpRequest`` with the ``state`` that ``LifespanStateMiddleware`` sets, for annotations.

    Django's request classes have no ``state`` attribute, so type checkers reject
    ``request.state``; annotate the view's ``request`` with this class instead (the request
    really is Django's ``ASGIRequest`` or ``WSGIRequest``):

        async def view(request: LifespanHttpRequest) -> HttpResponse:
            client = request.state["http_client"]
    """

    state: LifespanState


# The first request without a lifespan is where a server that runs none (uvicorn --lifespan
# off, a wsgi.py built with Django's own handler) shows itself; later requests only repeat it.
_warned_not_running = False


def warn_not_running_once(reason: str) -> None:
    """Log, once per process, that requests are served without the lifespan, and why."""
    global _warned_not_running
    if _warned_not_running:
        return
    _warned_not_running = True
    events.emit(
        "lifespan.not_running",
        "The lifespan did not run: no resource was started and request.state is empty, so "
        "every use of a resource raises LifespanNotRunning. Cause: %s",
        reason,
        level=logging.WARNING,
    )


def request_state(request: HttpRequest) -> tuple[LifespanState, Runtime | None]:
    """The ``request.state`` for one request (a shallow copy of the state), and its runtime."""
    try:
        runtime = current_runtime()
        runtime.check_may_begin("request.state")
    except LifespanNotRunning as exc:
        reason = WSGI_REASON if not hasattr(request, "scope") else str(exc)
        warn_not_running_once(reason)
        return MissingLifespanState(reason), None
    return LifespanState(runtime), runtime


class LifespanStateMiddleware:
    """Set ``request.state`` to the per-request copy of the lifespan state.

    Natively async (no thread hop on the async path) and usable in a sync middleware chain,
    where it also makes async views (which Django runs with ``async_to_sync``) run on the
    lifespan's event loop, the loop their objects belong to. Shutdown waits for the requests it
    serves. Without a running lifespan, ``request.state`` is empty and any lookup raises
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
        request.state, runtime = request_state(request)  # type: ignore[attr-defined]
        loop = runtime.loop if runtime is not None else None
        # A thread that serves no loop yet (a request thread of Django's LiveServerThread, the
        # sync test Client) runs its async views (Django runs them with async_to_sync) on the
        # lifespan's loop, where the objects belong, when that loop is a LifespanThread's (the
        # `lifespan_thread` fixture). A loop that runs other code (a test's, under the async
        # `lifespan` fixture) is left alone: the async view then runs on a loop of its own and
        # its first use of the objects raises EventLoopError, every time, instead of depending
        # on what the test's loop happens to be doing.
        if (
            loop is None
            or not runs_in_lifespan_thread(loop)
            or not loop.is_running()
            or _internals.async_to_sync_loop() is not None
        ):
            response = self.get_response(request)
        else:
            with _internals.routing_async_to_sync(loop):
                response = self.get_response(request)
        return _body_in_flight(response, runtime)  # type: ignore[arg-type]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # `runtime` stays in this frame while the request runs: shutdown waits for it.
        request.state, runtime = request_state(request)  # type: ignore[attr-defined]
        response = await self.get_response(request)  # type: ignore[misc]
        return _body_in_flight(response, runtime)


def _body_in_flight(response: HttpResponseBase, runtime: Runtime | None) -> HttpResponseBase:
    """A streaming response's body is sent after the view (and this middleware) returned, and
    it may use the lifespan's objects (a Server-Sent Events stream on the shared pool): the
    runtime holds it in flight until it is exhausted or closed, so shutdown waits for it."""
    if runtime is None or not isinstance(response, StreamingHttpResponse):
        return response
    key = object()
    runtime.hold(key, f"the streaming body of {response.__class__.__name__}")
    content = response.streaming_content
    if response.is_async:

        async def held_async() -> AsyncIterator[Any]:
            try:
                async for part in content:  # type: ignore[union-attr]
                    yield part
            finally:
                runtime.release(key)

        response.streaming_content = held_async()
    else:

        def held() -> Iterator[Any]:
            try:
                yield from content  # type: ignore[misc]
            finally:
                runtime.release(key)

        response.streaming_content = held()
    # The server closes the response when the client goes away, and may never resume the body.
    close = response.close

    def close_and_release() -> None:
        try:
            close()
        finally:
            runtime.release(key)

    response.close = close_and_release  # type: ignore[method-assign]
    return response


def _name_of_request(frame_locals: Mapping[str, Any]) -> str:
    return "a request served with LifespanStateMiddleware"


register_call_frame(LifespanStateMiddleware.__call__.__code__, _name_of_request)
register_call_frame(LifespanStateMiddleware.__acall__.__code__, _name_of_request)


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
