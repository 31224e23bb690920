"""``request.state``: the lifespan state, as a dict that explains what is missing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from django_lifespan_di.exceptions import LifespanNotRunning, StateKeyError


class LifespanState(dict[str, Any]):
    """A shallow copy of the lifespan state for one request.

    The objects are shared by every request; keys a view adds stay in its own request.
    A missing key raises [``StateKeyError``][django_lifespan_di.StateKeyError] (a ``KeyError``)
    listing the keys that are there.
    """

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
