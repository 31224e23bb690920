"""Per-request resources: the scope of one ``@inject`` call, and what opens a ``RequestResource``.

A ``providers.Resource`` is one shared object for the whole process. Some objects must instead
live exactly as long as one request (a unit of work, a transaction, a client wrapper that holds
per-request headers) while being built on the shared ones. dependency-injector has no such
scope, and its ``Closing[...]`` marker also shuts down the shared resources the object depends
on, so this package adds one provider class and opens it itself.

However a request reaches a ``RequestResource`` (injected directly, through a ``Factory`` or
``Callable`` built on it, through ``resolve()`` or a ``Provider[...]`` marker), the runtime's
guard opens it in the scope of the ``@inject`` call that is running, once per call, and the
scope closes it when the call returns or raises. Outside such a call it refuses.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

from dependency_injector import providers

from django_lifespan_di import events, recording
from django_lifespan_di._internals import provider_children
from django_lifespan_di.exceptions import InjectionError
from django_lifespan_di.graph import RequestResource
from django_lifespan_di.opening import (
    Closer,
    WouldAwait,
    call_inline,
    is_async_declaration,
    open_declaration,
    value_of,
)
from django_lifespan_di.waiting import discard_outcome, wait_uncancellable

__all__ = ["RequestResource", "RequestScope", "current_scope", "open_in_current_scope"]

T = TypeVar("T")


def is_async_request_resource(provider: providers.Provider[Any]) -> bool:
    """Whether opening ``provider`` (a ``RequestResource``) needs to await, itself or below."""
    if isinstance(provider, RequestResource) and is_async_declaration(provider.provides):
        return True
    return any(
        is_async_request_resource(child)
        for _, child in provider_children(provider)
        if isinstance(child, RequestResource)
    )


#: The scope of the ``@inject`` call running in this context, if it has one.
current_scope: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "django_lifespan_di_request_scope", default=None
)


class RequestScope:
    """The per-request resources of one ``@inject`` call: opened on first use, closed at the end.

    Everything the call reaches gets one object per ``RequestResource`` (one unit of work per
    call), however the graph reaches it and however many tasks ask at once: the first asker
    opens it, the others wait for that opening.
    """

    def __init__(self, name: str, close_timeout: float) -> None:
        #: The decorated function whose call this is, for messages.
        self.name = name
        #: How long closing may take before the call stops waiting for it
        #: (``LIFESPAN_DI["SHUTDOWN_TIMEOUT"]``).
        self.close_timeout = close_timeout
        self._stack = AsyncExitStack()
        self._opened: dict[int, Any] = {}
        #: Openings under way, for the askers that come while one awaits.
        self._opening: dict[int, asyncio.Future[Any]] = {}
        self.closed = False
        #: What the request records, while the debug toolbar's panel records it.
        self.record = recording.current.get()

    async def open(
        self, provider: RequestResource[Any], name: str, *, sync_only: bool = False
    ) -> Any:
        """``provider``'s object for this call: opened once, closed with the scope.

        ``sync_only``: a sync one, opened where no event loop runs (``run_without_loop``); such
        an opening never suspends, so no other asker can come while it runs.
        """
        if self.closed:
            raise InjectionError(
                f"{self.name} has returned: its per-request resources are closed, and a task "
                f"it started cannot open new ones."
            )
        key = id(provider)
        if key in self._opened:
            return self._opened[key]
        if sync_only:
            return await self._open(key, provider, name, sync_only=True)
        waiting = self._opening.get(key)
        if waiting is not None:
            # Shielded: an asker that is cancelled must not cancel the opening others wait for.
            return await asyncio.shield(waiting)
        opening = self._opening[key] = asyncio.get_running_loop().create_future()
        opening.add_done_callback(discard_outcome)  # nobody else may be waiting for it
        try:
            value = await self._open(key, provider, name, sync_only=False)
        except asyncio.CancelledError:
            opening.cancel()
            raise
        except BaseException as exc:
            opening.set_exception(exc)
            raise
        finally:
            del self._opening[key]
        opening.set_result(value)
        return value

    async def _open(
        self, key: int, provider: RequestResource[Any], name: str, *, sync_only: bool
    ) -> Any:
        assert provider.provides is not None, "a RequestResource that provides nothing"
        began = recording.now() if self.record is not None else 0.0
        args = [await value_of(arg) for arg in provider.args]
        kwargs = {name: await value_of(arg) for name, arg in provider.kwargs.items()}
        value, closer = await open_declaration(
            provider.provides, args, kwargs, call_inline, sync_only=sync_only
        )
        if self.record is not None:
            closer = _recorded(self.record, name, self.name, began, closer)
        if closer is not None:
            self._stack.push_async_exit(_exit_callback(closer))
        self._opened[key] = value
        return value

    async def close(self, error: BaseException | None) -> None:
        """Close every resource opened, newest first, each seeing ``error`` (the view's).

        A cleanup can react to the view's exception (roll back) but not swallow it: it
        propagates either way, in async and sync views alike.
        """
        self.closed = True
        traceback = error.__traceback__ if error is not None else None
        await self._stack.__aexit__(type(error) if error else None, error, traceback)

    async def close_to_the_end(self, error: BaseException | None) -> None:
        """``close(error)`` that a cancellation of the call (a client that went away) does not
        cut short: a commit or a connection's return to its pool runs to its end, within
        ``close_timeout``; one that overruns is named in the log and left to finish."""
        if not self._opened:
            self.closed = True  # nothing to wait for
            return
        closing = asyncio.ensure_future(self.close(error))
        done, _ = await wait_uncancellable([closing], self.close_timeout)
        if not done:
            _overrunning.add(closing)
            closing.add_done_callback(_overrunning.discard)
            closing.add_done_callback(discard_outcome)
            events.emit(
                "request.close_timed_out",
                "The per-request resources of %s did not close within %g s "
                "(LIFESPAN_DI['SHUTDOWN_TIMEOUT']); their cleanup goes on in the background",
                self.name,
                self.close_timeout,
                level=logging.ERROR,
                call=self.name,
                duration_ms=events.milliseconds(self.close_timeout),
            )
            return
        closing.result()


#: Cleanups that overran their timeout, kept referenced until they end.
_overrunning: set[asyncio.Future[None]] = set()


def _exit_callback(closer: Closer) -> Any:
    async def exit_(
        exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        await closer(exc)
        return False  # never swallow the view's exception

    return exit_


def _recorded(
    record: recording.RequestRecord, name: str, call: str, began: float, closer: Closer | None
) -> Closer | None:
    """Record the opening of ``name`` that began at ``began``; ``closer``, timed."""
    times = recording.RequestResourceTimes(
        name=name, function=call, opened_at=began, open_ms=(recording.now() - began) * 1000
    )
    record.request_resources.append(times)
    if closer is None:
        return None

    async def close(error: BaseException | None) -> None:
        closing = recording.now()
        try:
            await closer(error)
        finally:
            times.closed_at = recording.now()
            times.close_ms = (times.closed_at - closing) * 1000
            times.close_error = None if error is None else type(error).__name__

    return close


def open_in_current_scope(provider: RequestResource[Any], name: str) -> Any:
    """What the runtime's guard of a ``RequestResource`` answers a call with.

    An async one gives an awaitable, a sync one its object (always the same kind for one
    provider: dependency-injector remembers whether a provider is async).
    """
    scope = current_scope.get()
    if scope is None:
        raise InjectionError(
            f"The RequestResource {name} lives for one request, and no @inject call with a "
            f"per-request parameter is running here. Inject it (or what is built on it) with "
            f"Provide[...] into the view, task or function that uses it."
        )
    if is_async_request_resource(provider):
        return scope.open(provider, name)
    return run_without_loop(
        scope.open(provider, name, sync_only=True), f"The sync RequestResource {name}"
    )


def run_without_loop(coroutine: Coroutine[Any, Any, T], what: str) -> T:
    """Run ``coroutine`` to its end right here, as it never has to wait for the event loop.

    For code written once as ``async def`` that, for sync shapes, never suspends (opening and
    closing sync per-request resources): sync views run it without any event loop.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    except WouldAwait:
        pass
    else:
        coroutine.close()
    raise InjectionError(
        f"{what} awaits something (it returned an awaitable or an async context manager); "
        f"declare it as async (an async generator, an `async def`, an AsyncResource) so it is "
        f"opened on the event loop."
    )
