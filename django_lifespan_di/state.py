"""``request.state``: the lifespan state, as a dict that explains what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from django_lifespan_di.exceptions import LifespanNotRunning, StateKeyError

if TYPE_CHECKING:
    from django_lifespan_di.runtime import Runtime


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
            self._runtime.check_serving(f"request.state[{key!r}]")
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
