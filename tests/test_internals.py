"""The adapter to the dependencies' private and undocumented parts (``_internals.py``): what it
reproduces of dependency-injector must behave as dependency-injector does, and each part it relies
on has a contract test here, whose failure names the upgrade that changed it and the function of
``_internals`` to update."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import uvloop
from asgiref.sync import async_to_sync, sync_to_async
from celery import Celery
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.concurrency.thread import TaskPool as ThreadsPool
from celery.fixups.django import DjangoWorkerFixup
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter
from channels.security.websocket import OriginValidator
from dependency_injector import containers, providers
from dependency_injector.wiring import TypeModifier, as_int
from dependency_injector.wiring import inject as di_inject
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.http import HttpRequest
from django.utils import autoreload
from ninja import NinjaAPI
from psycopg_pool import ConnectionPool
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from django_lifespan_di import Provide, Provider, _internals, get_container, inject, resolve
from django_lifespan_di.asgi import LifespanApplication
from tests.project.asgi import application as lifespan_application
from tests.project.containers import Service
from tests.support.engine import journaled, make_runtime
from tests.support.engine_containers import open_async_generator
from tests.support.postgres import (
    PostgresServer,
    database_alias,
)
from tests.support.server import ROOT


class SelfContainer(containers.DeclarativeContainer):
    container: providers.Self[Any] = providers.Self()
    pool = providers.Resource(open_async_generator, "pool")
    service: providers.Factory[dict[str, Any]] = providers.Factory(
        dict, container=container, pool=pool
    )


async def test_a_self_provider_gives_the_live_container() -> None:
    runtime = make_runtime(SelfContainer)
    await runtime.start()
    try:
        service = resolve(SelfContainer.service)
        assert service["container"] is get_container(SelfContainer)
        assert service["pool"] is runtime.state["pool"]
    finally:
        await runtime.stop()


async def test_a_container_that_does_not_load_its_configuration_is_not_loaded(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"greeting": "from the file"}), encoding="utf-8")

    class Loaded(containers.DeclarativeContainer):
        config = providers.Configuration(json_files=[path])

    class NotLoaded(containers.DeclarativeContainer):
        auto_load_config = False
        config = providers.Configuration(json_files=[path])

    runtime = make_runtime(Loaded, NotLoaded)
    await runtime.start()
    try:
        assert resolve(Loaded.config.greeting) == "from the file"
        assert resolve(NotLoaded.config.greeting) is None
    finally:
        await runtime.stop()


class ProvidesChainContainer(containers.DeclarativeContainer):
    reporter = providers.Resource(
        open_async_generator,
        "reporter",
        service=providers.Callable(
            providers.Factory(Service, client=providers.Resource(open_async_generator, "inner"))
        ),
    )
    pool = providers.Resource(open_async_generator, "pool")
    service = providers.Callable(providers.Factory(Service, client=pool))


async def test_a_resource_reached_through_a_provider_that_provides_starts_first() -> None:
    runtime = make_runtime(ProvidesChainContainer)
    await runtime.start()
    try:
        assert journaled("open").index("inner") < journaled("open").index("reporter")
        service = resolve(ProvidesChainContainer.service)
        assert service.client is runtime.state["pool"]
    finally:
        await runtime.stop()
    assert sorted(journaled("close")) == ["inner", "pool", "reporter"]


class Selected(containers.DeclarativeContainer):
    config = providers.Configuration(default={"storage": "memory"})
    storage = providers.Selector(
        config.storage,
        memory=providers.Factory(dict, kind="memory"),
        disk=providers.Factory(dict, kind="disk"),
    )


@inject
async def selected_storage(storage: dict[str, Any] = Provide[Selected.storage]) -> Any:
    return storage


async def test_an_injected_selector_gives_the_selected_branch() -> None:
    runtime = make_runtime(Selected)
    await runtime.start()
    try:
        assert await selected_storage() == {"kind": "memory"}
        assert resolve(Selected.storage) == {"kind": "memory"}
    finally:
        await runtime.stop()


class Unhashable:
    """A callable view object with value equality: not hashable."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unhashable)

    def __call__(self) -> None:
        pass  # pragma: no cover  (never called: only its record is looked up)


def test_an_unhashable_callable_has_no_dependency_injector_record() -> None:
    assert _internals.dependency_injector_record(Unhashable()) is None


def test_a_wrapped_cycle_unwraps_to_the_function_itself() -> None:
    def view() -> None:
        pass  # pragma: no cover  (never called)

    view.__wrapped__ = view  # type: ignore[attr-defined]
    assert _internals.unwrapped(view) is view


# -- contracts: one test per private or undocumented part that _internals relies on -------------


def changed(dependency: str, part: str, function: str) -> str:
    """The failure message of a contract test."""
    return (
        f"An upgrade of {dependency} changed {part}: update _internals.{function} (and the "
        f"releases its docstring names)."
    )


class Inner(containers.DeclarativeContainer):
    store = providers.Object("inner")


class OwnInstance(containers.DynamicContainer):
    """A container class's own ``instance_type``."""


def declarative_container(config_file: Path) -> type[containers.DeclarativeContainer]:
    """A container class that uses every part of ``DeclarativeContainer.__new__`` that
    ``_internals.instantiate`` copies."""

    class Everything(containers.DeclarativeContainer):
        instance_type = OwnInstance
        # Not auto-wired: instantiate leaves wiring out on purpose (it is process-global).
        wiring_config = containers.WiringConfiguration(
            modules=["tests.support.url_values"], auto_wire=False
        )
        __self__ = providers.Self()
        itself = __self__
        config = providers.Configuration(json_files=[config_file])
        inner = providers.Container(Inner, store=providers.Object("overridden"))
        service: providers.Factory[dict[str, Any]] = providers.Factory(dict, config=config)

    return Everything


def built(container: Any, cls: type[containers.DeclarativeContainer]) -> dict[str, Any]:
    """What a live instance of ``cls`` is, part by part of ``DeclarativeContainer.__new__``."""
    wiring_config = container.wiring_config
    return {
        "instance_type": type(container),
        "provider_type": container.provider_type,
        "wiring_config": (vars(wiring_config), wiring_config is cls.wiring_config),
        "declarative_parent": container.declarative_parent,
        "__self__": (container.__self__() is container, container.__self__ is not cls.__self__),
        "alt_names": [
            getattr(container, name, None) is container.__self__ for name in cls.__self__.alt_names
        ],
        # Applied once more after the copy, which copied them already: the stack shows it.
        "apply_container_providers_overridings": (
            container.inner.store(),
            len(container.inner.store.overridden),
        ),
        "auto_load_config": container.config.greeting(),
        "attributes": sorted(vars(container)),
        "providers": sorted(container.providers),
    }


def test_instantiate_builds_what_a_declarative_container_builds(tmp_path: Path) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"greeting": "from the file"}), encoding="utf-8")
    cls = declarative_container(config_file)
    expected = built(cls(), cls)
    found = built(_internals.instantiate([cls])[cls], cls)
    for part, value in expected.items():
        assert found[part] == value, changed(
            "dependency-injector",
            f"what DeclarativeContainer.__new__ does with {part}",
            "instantiate",
        )
    assert expected["auto_load_config"] == "from the file"
    assert expected["alt_names"] == [True]  # `itself`
    assert expected["apply_container_providers_overridings"][0] == "overridden"


class Marked(containers.DeclarativeContainer):
    config = providers.Configuration(default={"port": "8000"})
    service: providers.Factory[dict[str, Any]] = providers.Factory(dict, name="live")


def test_markers_keep_what_they_name_and_their_modifier() -> None:
    message = changed("dependency-injector", "the markers' .provider / .modifier", "marker_target")
    marker = Provide["config.port", as_int()]
    assert isinstance(marker, _internals.PROVIDE), message
    assert _internals.marker_target(marker) == "config.port", message
    assert isinstance(_internals.marker_modifier(marker), TypeModifier), message
    marker = Provider[Marked.service]
    assert isinstance(marker, _internals.PROVIDER), message
    assert _internals.marker_target(marker) is Marked.service, message
    assert _internals.marker_modifier(marker) is None, message


def test_providers_map_resolves_every_marker_form_on_a_live_container() -> None:
    message = changed("dependency-injector", "ProvidersMap.resolve_provider", "live_provider")
    live = Marked()
    assert _internals.live_provider(live, Marked.service) is live.service, message
    assert _internals.live_provider(live, "service") is live.service, message
    port = _internals.live_provider(live, "config.port", as_int())
    assert port is not None, message
    assert port() == 8000, message
    item = _internals.live_provider(live, Marked.service.provided["name"])
    assert item is not None, message
    assert item() == "live", message
    assert _internals.live_provider(live, Inner.store) is None, message


def test_dependency_injectors_own_inject_is_in_its_patched_registry() -> None:
    @di_inject
    def view(service: Any = Provide[Marked.service]) -> Any:
        return service  # pragma: no cover  (never called)

    record = _internals.dependency_injector_record(view)
    message = changed(
        "dependency-injector", "wiring._patched_registry", "dependency_injector_record"
    )
    assert record is not None, message
    assert record.injections == {}, message  # filled only by container.wire()


async def the_running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_asyncio_gives_the_running_loop_without_raising() -> None:
    message = changed("CPython", "asyncio._get_running_loop", "running_loop")
    assert _internals.running_loop() is None, message
    loop = asyncio.new_event_loop()
    try:

        async def running() -> asyncio.AbstractEventLoop | None:
            return _internals.running_loop()

        assert loop.run_until_complete(running()) is loop, message
    finally:
        loop.close()


def test_the_running_loop_is_found_on_uvloops_loop_too() -> None:
    # Sync code's per-call path asks running_loop() whether a loop runs in this thread.
    message = changed("uvloop", "asyncio._get_running_loop under uvloop's Loop", "running_loop")
    loop = uvloop.new_event_loop()
    try:

        async def running() -> asyncio.AbstractEventLoop | None:
            return _internals.running_loop()

        assert loop.run_until_complete(running()) is loop, message
        assert _internals.running_loop() is None, message  # not once it stopped
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("probe", "mark_of"),
    [
        (_internals.running_loop, _internals.loop_itself),
        (sys.get_asyncgen_hooks, _internals.asyncgen_hooks_of),
    ],
    ids=["running_loop", "asyncgen_hooks"],
)
@pytest.mark.parametrize(
    "new_loop", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"]
)
def test_a_loops_mark_tells_whether_it_runs_in_this_thread(
    probe: Callable[[], object],
    mark_of: Callable[[asyncio.AbstractEventLoop], object],
    new_loop: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    # @inject's per-call path of async functions: `thread_loop_mark() == mark` with the mark
    # taken in the loop's thread (either pair, chosen by Python version: both must hold).
    message = changed(
        "CPython or uvloop",
        "what a running loop installs in its thread (running loop, async generator hooks)",
        "loop_mark",
    )
    loop, other = new_loop(), new_loop()
    try:

        async def mark_and_probe_here() -> tuple[object, object]:
            return mark_of(asyncio.get_running_loop()), probe()

        mark, probed = loop.run_until_complete(mark_and_probe_here())
        assert mark is not None, message
        assert probed == mark, message

        async def probe_here() -> object:
            return probe()

        assert other.run_until_complete(probe_here()) != mark, message  # another loop
        assert probe() != mark, message  # none running in this thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            # Another thread that runs no loop, while `loop` is not running either, and then
            # while it runs here.
            assert pool.submit(probe).result() != mark, message

            async def probe_elsewhere() -> object:
                return pool.submit(probe).result()

            assert loop.run_until_complete(probe_elsewhere()) != mark, message
    finally:
        loop.close()
        other.close()


def test_the_hooks_mark_of_a_loop_is_none_outside_its_thread() -> None:
    # @inject publishes nothing then (a coroutine driven by hand in a thread with no loop).
    loop = asyncio.new_event_loop()
    try:
        assert _internals.asyncgen_hooks_of(loop) is None
    finally:
        loop.close()


def held_in_a_thread(entered: threading.Event, release: threading.Event) -> None:
    entered.set()
    release.wait()


async def held_in_a_task(release: asyncio.Event) -> None:
    await release.wait()


async def test_the_frames_of_every_task_and_thread_are_found() -> None:
    entered, release = threading.Event(), threading.Event()
    thread = threading.Thread(target=held_in_a_thread, args=(entered, release))
    thread.start()
    task_release = asyncio.Event()
    task = asyncio.create_task(held_in_a_task(task_release))
    try:
        entered.wait()
        await asyncio.sleep(0)  # the task runs up to its wait
        codes = {
            frame.f_code
            for frame in _internals.frames_in_flight(asyncio.get_running_loop(), skip=())
        }
    finally:
        release.set()
        task_release.set()
        await task
        thread.join()
    assert held_in_a_task.__code__ in codes, changed(
        "CPython", "Task.get_coro() / a coroutine's cr_await", "frames_in_flight"
    )
    assert held_in_a_thread.__code__ in codes, changed(
        "CPython", "sys._current_frames()", "frames_in_flight"
    )


AT_EXIT = """
import concurrent.futures

from django_lifespan_di import _internals

pool = concurrent.futures.ThreadPoolExecutor(1)
# Its thread exists before the exit: from Python 3.12 no thread starts at interpreter exit,
# which is why the package keeps its own worker threads (opening.py).
pool.submit(int).result()


def at_exit():
    print(pool.submit(str, "the pool still runs").result())


_internals.at_interpreter_exit(at_exit)
"""


def test_an_exit_callback_runs_before_thread_pools_refuse_work() -> None:
    result = subprocess.run(
        [sys.executable, "-c", AT_EXIT],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "the pool still runs\n", changed(
        "CPython",
        "threading._register_atexit (run before concurrent.futures' exit hook)",
        f"at_interpreter_exit; the process said: {result.stderr}",
    )


def test_twisteds_asyncio_reactor_keeps_its_loop() -> None:
    loop = asyncio.new_event_loop()
    reactor = AsyncioSelectorReactor(loop)
    try:
        assert _internals.asyncio_reactor_loop(reactor) is loop, changed(
            "Twisted", "AsyncioSelectorReactor._asyncioEventloop", "asyncio_reactor_loop"
        )
    finally:
        reactor.removeAll()  # type: ignore[no-untyped-call]  # its waker's reader
        loop.close()


async def test_asgiref_records_the_loop_its_threads_serve() -> None:
    assert (
        await sync_to_async(_internals.async_to_sync_loop)(os.getpid())
        is asyncio.get_running_loop()
    ), changed(
        "asgiref",
        "SyncToAsync.threadlocal.main_event_loop / main_event_loop_pid",
        "async_to_sync_loop",
    )


def test_async_to_sync_runs_on_the_loop_the_thread_serves() -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        with _internals.routing_async_to_sync(loop):
            ran_on = async_to_sync(the_running_loop)()
            served = _internals.async_to_sync_loop(os.getpid())
            routed = _internals.routed_to(loop)
        assert ran_on is loop, changed(
            "asgiref",
            "AsyncToSync reading SyncToAsync.threadlocal.main_event_loop",
            "route_async_to_sync",
        )
        assert served is loop
        assert routed
        assert _internals.async_to_sync_loop(os.getpid()) is None  # restored on the way out
        assert not _internals.routed_to(loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def listing(request: HttpRequest) -> Response:
    return Response([])  # pragma: no cover  (never called)


class OwnAPIView(APIView):  # type: ignore[misc]  # DRF ships no type hints
    def get(self, request: Request) -> Response:
        return listing(request)  # pragma: no cover  (never called)


def test_drfs_api_view_closes_over_the_function() -> None:
    callback: Any = api_view(["GET"])(listing)
    assert _internals.api_view_functions(callback.view_class) == [listing], changed(
        "djangorestframework", "the closure of @api_view's handler methods", "api_view_functions"
    )
    assert _internals.api_view_functions(OwnAPIView) == []


ninja_api = NinjaAPI(urls_namespace="tests-internals")


@ninja_api.get("/items")
def list_items(request: HttpRequest) -> list[str]:
    return []  # pragma: no cover  (never called)


def test_ninjas_routed_callback_holds_its_operations() -> None:
    patterns, *_ = ninja_api.urls
    [callback] = [p.callback for p in patterns if str(p.pattern) == "items"]
    assert _internals.ninja_view_functions(callback) == [list_items], changed(
        "django-ninja", "PathView.operations / Operation.view_func", "ninja_view_functions"
    )


def test_channels_routers_keep_their_application_mapping() -> None:
    mapping = {"http": lifespan_application, "lifespan": lifespan_application}
    router = ProtocolTypeRouter(mapping)
    search = _internals.find_application(router, LifespanApplication, ASGIHandler)
    assert search == _internals.Search(
        lifespan_application, (_internals.Routed(router, mapping, "http"),)
    ), changed("channels", "ProtocolTypeRouter.application_mapping", "find_application")


class Served:
    """An ASGI application of one's own."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        pass  # pragma: no cover  (never called)


@pytest.mark.parametrize(
    ("dependency", "attribute", "wrap"),
    [
        ("Django", "ASGIStaticFilesHandler.application", ASGIStaticFilesHandler),
        ("channels", "OriginValidator.application", lambda app: OriginValidator(app, ["*"])),
        ("channels", "BaseMiddleware.inner", AuthMiddlewareStack),
        ("uvicorn", "ProxyHeadersMiddleware.app", ProxyHeadersMiddleware),
        ("CPython", "functools.wraps' __wrapped__", lambda app: functools.wraps(app)(Served())),
    ],
)
def test_wrappers_keep_the_application_where_it_is_looked_for(
    dependency: str, attribute: str, wrap: Callable[[Any], object]
) -> None:
    search = _internals.find_application(
        wrap(lifespan_application), LifespanApplication, ASGIHandler
    )
    assert search.application is lifespan_application, changed(
        dependency, attribute, "WRAPPER_ATTRIBUTES"
    )


served = Served()


async def routing_function(scope: Any, receive: Any, send: Any) -> None:
    await served(scope, receive, send)  # pragma: no cover  (never called)


def router_over(application: Served) -> Callable[..., Any]:
    async def route(scope: Any, receive: Any, send: Any) -> None:
        await application(scope, receive, send)  # pragma: no cover  (never called)

    return route


def test_what_a_router_function_calls_is_found_through_its_code_and_closure() -> None:
    found = _internals.find_application(routing_function, Served, ASGIHandler).application
    assert found is served, changed(
        "CPython", "a function's __globals__ / __code__.co_names", "find_application"
    )
    inner = Served()
    found = _internals.find_application(router_over(inner), Served, ASGIHandler).application
    assert found is inner, changed("CPython", "a function's __closure__", "closure_values")


RELOADING = """
import json, os, sys
from pathlib import Path

from django.utils import autoreload

from django_lifespan_di import _internals

record = Path(sys.argv[1])
if os.environ.get("RUN_MAIN") == "true":
    runs = json.loads(record.read_text()) if record.exists() else []
    runs.append({"argv": sys.argv, "child": _internals.in_reloader_child()})
    record.write_text(json.dumps(runs))
    sys.exit(3 if len(runs) == 1 else 7)  # 3: restart me, as after a changed file
if sys.argv[2] == "django":
    sys.exit(autoreload.restart_with_reloader())
sys.exit(_internals.restart_with_reloader(lambda child: child.wait()))
"""


def reloaded(script: Path, whose: str) -> tuple[int, list[dict[str, Any]]]:
    record = script.with_name(f"{whose}.json")
    code = subprocess.run(
        [sys.executable, str(script), str(record), whose],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "RUN_MAIN"} | {"PYTHONPATH": str(ROOT)},
        timeout=60,
    ).returncode
    runs: list[dict[str, Any]] = json.loads(record.read_text())
    return code, runs


def test_the_reloader_loop_starts_the_child_djangos_starts(tmp_path: Path) -> None:
    script = tmp_path / "reloading.py"
    script.write_text(RELOADING, encoding="utf-8")
    message = changed(
        "Django",
        "autoreload.restart_with_reloader (DJANGO_AUTORELOAD_ENV, get_child_arguments(), "
        "restart on exit code 3)",
        "restart_with_reloader / in_reloader_child",
    )
    assert autoreload.DJANGO_AUTORELOAD_ENV == "RUN_MAIN", message
    code, runs = reloaded(script, "django")
    record, ours = str(tmp_path / "django.json"), str(tmp_path / "ours.json")
    # Each child ran with the parent's command line and the reloader's marker; 3 restarted it.
    assert (code, runs) == (7, [{"argv": [str(script), record, "django"], "child": True}] * 2), (
        message
    )
    assert reloaded(script, "ours") == (
        7,
        [{"argv": [str(script), ours, "ours"], "child": True}] * 2,
    )


def test_management_utility_fetches_the_command_manage_py_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = changed("Django", "ManagementUtility.fetch_command", "fetch_command")
    command = _internals.fetch_command(["manage.py", "runserver"])
    # The app listed first that provides it wins: this package's, above staticfiles.
    assert type(command).__module__ == "django_lifespan_di.management.commands.runserver", message
    with pytest.raises(SystemExit) as exited:
        _internals.fetch_command(["manage.py", "migrat"])
    assert exited.value.code == 1, message
    assert "Unknown command: 'migrat'. Did you mean migrate?" in capsys.readouterr().err, message


def test_a_celery_app_keeps_its_task_class_once_a_task_is_defined() -> None:
    app = Celery("tests-internals", set_as_current=False)
    message = changed("celery", "Celery.Task (a cached property)", "has_task_class")
    assert not _internals.has_task_class(app), message

    @app.task
    def add(x: int, y: int) -> int:
        return x + y  # pragma: no cover  (never called)

    assert not _internals.has_task_class(app), message  # a promise of a task, until used
    assert add.name.endswith("add")  # the task is created, and with it the app's Task class
    assert _internals.has_task_class(app), message


@pytest.mark.parametrize(
    "pool_cls",
    ["prefork", "solo", "threads", "celery.concurrency.prefork:TaskPool", PreforkPool, ThreadsPool],
)
def test_a_celery_worker_runs_the_prefork_pool_where_the_django_fixup_says_so(
    pool_cls: Any,
) -> None:
    # A WorkController as worker_init sends it: the pool as given (a name), later the class.
    app = Celery("tests-internals", set_as_current=False)
    worker = SimpleNamespace(app=app, pool_cls=pool_cls)
    fixup = DjangoWorkerFixup(app)
    fixup.worker = worker
    expected = "prefork" in str(pool_cls)
    assert _internals.celery_pool_is_prefork(worker) is fixup._is_prefork() is expected, changed(
        "celery",
        "WorkController.pool_cls / DjangoWorkerFixup._is_prefork",
        "celery_pool_is_prefork",
    )


def test_a_postgresql_wrapper_keeps_its_pool_per_alias_at_class_level(
    postgres_server: PostgresServer,
) -> None:
    message = changed("Django", "DatabaseWrapper.pool / _connection_pools", "django_pool")
    with database_alias("contract", postgres_server.database_settings(pool=True)) as alias:
        wrapper = connections[alias]
        pool = _internals.django_pool(wrapper)
        assert isinstance(pool, ConnectionPool), message
        assert pool.closed, message  # created unopened
        elsewhere: list[Any] = []
        worker = threading.Thread(
            target=lambda: elsewhere.append(_internals.django_pool(connections[alias]))
        )
        worker.start()
        worker.join()
        assert elsewhere == [pool], message  # one pool for every thread's wrapper
        pool.open()
        _internals.close_django_pool(wrapper)
        assert pool.closed, message
        assert _internals.django_pool(wrapper) is not pool, message  # forgotten: a new one
        _internals.close_django_pool(wrapper)
        _internals.close_django_pool(wrapper)  # none left: nothing to do
    assert _internals.django_pool(connections["default"]) is None, message  # SQLite's: none


def test_a_direct_connection_uses_the_parameters_django_connects_with(
    postgres_server: PostgresServer,
) -> None:
    message = changed("Django", "get_connection_params() / Database.connect", "connect_directly")
    with database_alias("direct", postgres_server.database_settings(pool=True)) as alias:
        connection = _internals.connect_directly(connections[alias], timeout=2.4)
        try:
            assert connection.info.dbname == "postgres", message
            assert connection.info.get_parameters()["connect_timeout"] == "2", message
        finally:
            connection.close()
    sqlite = _internals.connect_directly(connections["default"], timeout=1)
    sqlite.close()


def test_another_thread_may_close_a_shared_wrapper(
    postgres_server: PostgresServer,
    django_db_blocker: Any,
) -> None:
    message = changed(
        "Django", "inc_thread_sharing() / dec_thread_sharing()", "close_for_other_thread"
    )
    with database_alias("shared", postgres_server.database_settings()) as alias:
        wrapper = connections[alias]
        with django_db_blocker.unblock():
            wrapper.ensure_connection()
        closer = threading.Thread(target=_internals.close_for_other_thread, args=(wrapper,))
        closer.start()
        closer.join()
        assert wrapper.connection is None, message
        assert not wrapper.allow_thread_sharing, message  # shared for the close only


def test_a_forked_child_disowns_its_parents_pools_without_a_word(
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the child does, run here: the pools and pooled connections are forgotten, closing
    nothing (the server still sees the connection open), and the pool's finalizer is quiet."""
    message = changed("psycopg_pool", "ConnectionPool._closed / __del__", "disown_django_pools")
    with database_alias("disowned", postgres_server.database_settings(pool=True)) as alias:
        wrapper = connections[alias]
        pool = _internals.django_pool(wrapper)
        pool.open(wait=True)
        # Held here too: garbage-collected in the process that opened it, psycopg would close
        # it (in a forked child, it does not).
        held = wrapper.connection = pool.getconn()
        backend = held.info.backend_pid
        _internals.disown_django_pools([wrapper, connections["default"]])
        assert wrapper.connection is None, message
        assert _internals.django_pool(wrapper) is not pool, message
        with postgres_server.connect() as watcher:
            alive = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend]
            ).fetchone()
        assert alive == (1,), message
        pool._closed = False  # this process is its owner after all: close it for real
        pool.putconn(held)
        pool.close()
        _internals.close_django_pool(wrapper)
    monkeypatch.delitem(sys.modules, "django.db.backends.postgresql.base")
    _internals.disown_django_pools([])  # PostgreSQL never used in this process: nothing to do
