"""Per-request resources: ``RequestResource`` and how one is opened and closed for a request.

A ``providers.Resource`` is one shared object for the whole process. Some objects must instead
live exactly as long as one request (a unit of work, a transaction, a client wrapper that holds
per-request headers) while being built on the shared ones. dependency-injector has no such
scope, and its ``Closing[...]`` marker also shuts down the shared resources the object depends
on, so this package adds one provider class and opens it itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any, TypeVar

from dependency_injector import providers, resources

T = TypeVar("T")


class RequestResource(providers.Resource[T]):
    """A resource opened for each request that injects it, and closed when the view returns.

    Declared exactly like ``providers.Resource`` (generator, async generator, context manager,
    ``resources.Resource`` subclass); the lifespan does not start it. Each request that injects
    it with ``@inject`` gets its own instance; its cleanup (async cleanup awaited) runs when the
    view returns or raises, and sees the view's exception. The shared resources it depends on
    are used, never closed:

        class Container(containers.DeclarativeContainer):
            pool = providers.Resource(open_pool)
            unit_of_work = RequestResource(open_unit_of_work, pool=pool)
    """


async def open_request_resource(
    provider: RequestResource[Any], stack: AsyncExitStack, opened: dict[Any, Any]
) -> Any:
    """Open ``provider`` for one request on ``stack``; ``opened`` shares instances in a request."""
    if provider.last_overriding is not None:
        return await _value_of(provider, stack, opened)  # a fake stands in for it
    if provider in opened:
        return opened[provider]
    args = [await _value_of(arg, stack, opened) for arg in provider.args]
    kwargs = {name: await _value_of(arg, stack, opened) for name, arg in provider.kwargs.items()}
    assert provider.provides is not None, f"{provider!r} provides nothing"
    value = await _enter(provider.provides, args, kwargs, stack)
    opened[provider] = value
    return value


async def _value_of(arg: Any, stack: AsyncExitStack, opened: dict[Any, Any]) -> Any:
    if isinstance(arg, RequestResource) and arg.last_overriding is None:
        return await open_request_resource(arg, stack, opened)
    if not isinstance(arg, providers.Provider):
        return arg
    value = arg()
    return await value if inspect.isawaitable(value) else value


async def _enter(
    factory: Callable[..., Any], args: list[Any], kwargs: dict[str, Any], stack: AsyncExitStack
) -> Any:
    # The same shapes providers.Resource accepts, entered on the request's exit stack.
    if inspect.isasyncgenfunction(factory):
        return await stack.enter_async_context(asynccontextmanager(factory)(*args, **kwargs))
    if inspect.isgeneratorfunction(factory):
        return stack.enter_context(contextmanager(factory)(*args, **kwargs))
    if isinstance(factory, type) and issubclass(factory, resources.AsyncResource):
        async_resource = factory()
        value = await async_resource.init(*args, **kwargs)
        stack.push_async_callback(_async_shutdown, async_resource, value)
        return value
    if isinstance(factory, type) and issubclass(factory, resources.Resource):
        sync_resource = factory()
        value = sync_resource.init(*args, **kwargs)
        stack.callback(sync_resource.shutdown, value)
        return value
    result: Any = factory(*args, **kwargs)
    if hasattr(result, "__aenter__"):
        return await stack.enter_async_context(result)
    if hasattr(result, "__enter__"):
        return stack.enter_context(result)
    if inspect.isawaitable(result):
        return await result
    return result


async def _async_shutdown(resource: resources.AsyncResource[Any], value: Any) -> None:
    await resource.shutdown(value)
