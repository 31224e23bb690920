"""``request.state``: the lifespan state on every request, set by ``LifespanStateMiddleware``.

The state is a dict that explains what is missing (``LifespanState``); without a running
lifespan it is empty and every lookup says why (``MissingLifespanState``); without the middleware
``request.state`` says to add it (``RequestState``, which also makes the state at its first read).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from django_lifespan_di import _internals
from django_lifespan_di import runtime as engine
from django_lifespan_di.exceptions import LifespanNotRunning, ResourceNotReady, StateKeyError
from django_lifespan_di.registry import current_runtime, warn_not_running_once
from django_lifespan_di.runtime import RUN_CACHES, Runtime, register_call_frame, runs_by_loop
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
    "request with Django's AsyncClient inside the `lifespan` fixture (`lifespan_client`); with "
    "unittest or manage.py test, add django_lifespan_di.testing.LifespanTestMixin to the test "
    "case's bases."
)

#: What a 503 for a deferred resource that has not opened asks clients to wait before retrying.
RETRY_AFTER_SECONDS = 5


class LifespanState(dict[str, Any]):
    """A shallow copy of the lifespan state for one request.

    The objects are shared by every request; keys a view adds stay in its own request.
    A missing key raises [``StateKeyError``][django_lifespan_di.StateKeyError] (a ``KeyError``)
    listing the keys that are there. A lookup gets the same guards as ``@inject``: never after
    shutdown, in a forked child, or on another event loop than the lifespan's
    ([``EventLoopError``][django_lifespan_di.EventLoopError]).
    """

    # No __init__ of its own: made per request, dict's own constructor copies the state.
    __slots__ = ("_runtime",)
    _runtime: Runtime | None

    @classmethod
    def of(cls, runtime: Runtime | None) -> LifespanState:
        """The per-request copy of ``runtime``'s state (an empty one for no run)."""
        state = cls(runtime.state if runtime is not None else ())
        state._runtime = runtime
        return state

    def __getitem__(self, key: str) -> Any:
        if self._runtime is not None:
            self._runtime.check_may_hand_out(f"request.state[{key!r}]")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            return default
        return self[key]

    def __missing__(self, key: str) -> Any:
        if self._runtime is not None:
            self._runtime.refuse_deferred_key(key)
        keys = ", ".join(map(repr, sorted(self))) or "none"
        raise StateKeyError(
            f"request.state has no {key!r}; the lifespan state holds: {keys}. A Resource is "
            f"stored under its attribute name in the container, a lifespan manager's keys "
            f"under the names it yields."
        )


class MissingLifespanState(LifespanState):
    """``request.state`` when no lifespan is running: empty, and every lookup says why.

    ``state[key]`` raises ``LifespanNotRunning``; ``state.get(key, default)`` returns the
    default. Either logs, once per process, that the lifespan did not run.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        super().__init__()
        self._runtime = None
        self.reason = reason

    def __missing__(self, key: str) -> Any:
        warn_not_running_once(self.reason)
        raise LifespanNotRunning(f"request.state[{key!r}]: {self.reason}")

    def get(self, key: str, default: Any = None) -> Any:
        # A view that asks for a resource, with a fallback of its own: it asked, so say why
        # nothing is there.
        warn_not_running_once(self.reason)
        return default


class LifespanHttpRequest(HttpRequest):
    """``HttpRequest`` with the ``state`` that ``LifespanStateMiddleware`` sets, for annotations.

    Django's request classes have no ``state`` attribute, so type checkers reject
    ``request.state``; annotate the view's ``request`` with this class instead (the request
    really is Django's ``ASGIRequest`` or ``WSGIRequest``):

        async def view(request: LifespanHttpRequest) -> HttpResponse:
            client = request.state["http_client"]
    """

    state: LifespanState


def request_state(request: HttpRequest) -> tuple[LifespanState, Runtime | None]:
    """The ``request.state`` for one request (a shallow copy of the state), and its runtime."""
    try:
        runtime = current_runtime()
        runtime.check_may_begin("request.state")
    except LifespanNotRunning as exc:
        reason = WSGI_REASON if not hasattr(request, "scope") else str(exc)
        return MissingLifespanState(reason), None
    global _sole_runtime
    if runtime.phase == "running" and len(runs_by_loop) == 1 and _state_made_on_read:
        _sole_runtime = runtime
    return LifespanState.of(runtime), runtime


#: The one running lifespan of this process, once a request found it so: later requests take
#: the per-request path, which only leaves the run on the request (``RUNTIME_ATTRIBUTE``);
#: ``RequestState`` copies its state at the first read of ``request.state``, and each read of
#: the copy still checks the guards (``LifespanState.__getitem__``). Forgotten when the run
#: stops handing out, a provider changes, the process forks or a second run starts
#: (``RUN_CACHES``).
_sole_runtime: Runtime | None = None
#: Where the per-request path leaves the run whose state ``request.state`` is made from (it
#: writes the attribute by name: ``setattr()`` would cost a call per request).
RUNTIME_ATTRIBUTE = "_lifespan_di_runtime"
#: ``RequestState`` is ``HttpRequest.state`` (``explain_missing_state``): without it, the
#: state is copied for every request (the slow path).
_state_made_on_read = False


def _forget_sole_runtime(runtime: Runtime) -> None:
    global _sole_runtime
    if _sole_runtime is runtime:
        _sole_runtime = None


RUN_CACHES.append(_forget_sole_runtime)


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
        runtime = _sole_runtime
        if runtime is not None and _internals.routed_to(runtime.loop):  # type: ignore[arg-type]
            # The per-request path of a thread already routed to the run's loop (a WSGI
            # worker's request thread, routed by the WSGI application). The fork hook forgets
            # _sole_runtime, so its loop is this process's.
            request._lifespan_di_runtime = runtime  # type: ignore[attr-defined]  # RUNTIME_ATTRIBUTE
            response = self.get_response(request)
            if isinstance(response, StreamingHttpResponse):
                return _body_in_flight(response, runtime)
            return response
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
            or _internals.async_to_sync_loop(engine.process_id) is not None
        ):
            response = self.get_response(request)
        else:
            with _internals.routing_async_to_sync(loop):
                response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse):
            return _body_in_flight(response, runtime)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # `runtime` stays in this frame while the request runs: shutdown waits for it.
        runtime = _sole_runtime
        if runtime is not None:  # the per-request path: request.state is made when read
            request._lifespan_di_runtime = runtime  # type: ignore[attr-defined]  # RUNTIME_ATTRIBUTE
        else:
            request.state, runtime = request_state(request)  # type: ignore[attr-defined]
        response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        if isinstance(response, StreamingHttpResponse):
            return _body_in_flight(response, runtime)
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        """A view that needs a deferred resource that has not opened answers 503, naming it
        (Django would answer 500); every other exception goes on to Django's handling."""
        if not isinstance(exception, ResourceNotReady):
            return None
        response = HttpResponse(
            f"503 Service Unavailable: {exception.resource} is not ready yet (a deferred "
            f"resource, LIFESPAN_DI['DEFERRED']).\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _body_in_flight(
    response: StreamingHttpResponse, runtime: Runtime | None
) -> StreamingHttpResponse:
    """A streaming response's body is sent after the view (and this middleware) returned, and
    it may use the lifespan's objects (a Server-Sent Events stream on the shared pool): the
    runtime holds it in flight until it is exhausted or closed, so shutdown waits for it."""
    if runtime is None:
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


class RequestState:
    """``HttpRequest.state``: the per-request copy of the state, made at its first read, or
    why there is none.

    The middleware's per-request path leaves only the run on the request
    (``RUNTIME_ATTRIBUTE``): a request whose view never reads ``request.state`` (an ``@inject``
    view) pays no copy. The first read makes the copy and puts it in the request's
    ``__dict__``, which Python reads before a non-data descriptor (``__get__`` only) like this
    one: later reads, and a ``request.state = ...`` of the middleware's slow path or of a test,
    never reach this code.

    Without the middleware, forgetting it would give a bare ``AttributeError: 'ASGIRequest'
    object has no attribute 'state'`` deep in a view; this says what to add instead.
    ``hasattr(request, "state")`` stays ``False`` without the middleware, as before.
    """

    def __get__(self, request: HttpRequest | None, owner: type[Any] | None = None) -> Any:
        if request is None:
            return self  # the class attribute itself (introspection, documentation tools)
        attributes = vars(request)
        if RUNTIME_ATTRIBUTE in attributes:
            state = attributes["state"] = LifespanState.of(attributes[RUNTIME_ATTRIBUTE])
            return state
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
    """Put ``RequestState`` on Django's ``HttpRequest`` (``LifespanDIConfig.ready()`` calls it).

    This is the one place where the package touches a class of Django's. It adds an attribute
    that Django does not define, and leaves any ``state`` that something else (a later Django,
    another package) defines alone: the middleware then copies the state for every request.
    """
    global _state_made_on_read
    if inspect.getattr_static(HttpRequest, "state", None) is None:
        HttpRequest.state = RequestState()  # type: ignore[attr-defined]
    _state_made_on_read = isinstance(inspect.getattr_static(HttpRequest, "state"), RequestState)
