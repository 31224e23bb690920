"""``manage.py runserver`` that lets the lifespan shut down.

Django's development server serves ``WSGI_APPLICATION``: with ``wsgi.py`` using
[``django_lifespan_di.wsgi.get_wsgi_application()``][django_lifespan_di.wsgi.get_wsgi_application]
the lifespan starts in the serving process (the autoreloader's child) as soon as it is ready to
serve, and stops when that process exits: on Ctrl-C, on SIGTERM, and on every autoreload (which
exits with code 3 and starts a new child, whose lifespan starts afresh). With daphne installed
it is daphne's ASGI runserver, serving ``ASGI_APPLICATION``, whose lifespan runs on daphne's
reactor (``django_lifespan_di.reactor``).

What this command changes: Django's autoreloader kills its child a quarter of a second after
Ctrl-C (``subprocess.run`` gives a child no longer), and at once on SIGTERM, so shutdowns that
take longer never finish. Here the reloader waits for the child to exit, up to
``SHUTDOWN_TIMEOUT`` plus a margin, and passes SIGTERM and SIGINT on to it. It is otherwise the
command ``runserver`` would be without this package: daphne's when daphne is installed, else
``django.contrib.staticfiles``' when that app is installed, else Django's own. List
``"django_lifespan_di"`` above those apps in ``INSTALLED_APPS`` so that this one is used
(check W205 says so).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.commands import runserver
from django.utils import autoreload

from django_lifespan_di import _internals
from django_lifespan_di.conf import conf
from django_lifespan_di.thread import start_process_lifespan
from django_lifespan_di.wsgi import LifespanWSGIApplication

# What `runserver` is without this package, for the apps installed.
BaseRunserver: type[runserver.Command] = runserver.Command
if apps.is_installed("daphne"):
    # daphne's ASGI development server (it serves static files itself).
    from daphne.management.commands import runserver as daphne_runserver

    BaseRunserver = daphne_runserver.Command
elif apps.is_installed("django.contrib.staticfiles"):
    # The same command, with static files served.
    from django.contrib.staticfiles.management.commands import runserver as staticfiles

    BaseRunserver = staticfiles.Command

#: How long, beyond SHUTDOWN_TIMEOUT, the reloader waits for its child to stop.
STOP_MARGIN_SECONDS = 5.0


class Command(BaseRunserver):  # type: ignore[misc,valid-type]  # a base picked at import
    def run(self, **options: Any) -> None:
        reloading = options["use_reloader"]
        if reloading and not _internals.in_reloader_child():
            sys.exit(_internals.restart_with_reloader(_wait))
        if reloading:
            # The child: Django's reloader installs its own SIGTERM handler first.
            autoreload.autoreload_started.connect(_exit_once_on_signals, weak=False)
        else:
            _exit_once_on_signals()
        super().run(**options)

    def get_handler(self, *args: Any, **options: Any) -> Any:
        """The WSGI handler, with the lifespan started before the first request.

        Started here, in the serving process, so that a resource that fails to start says so
        in the console at once (every request then answers 503 until a reload fixes it).
        """
        handler = super().get_handler(*args, **options)
        search = _internals.find_application(handler, LifespanWSGIApplication, WSGIHandler)
        found = search.application
        if isinstance(found, LifespanWSGIApplication):
            with contextlib.suppress(Exception):  # logged by the runtime, naming the culprit
                start_process_lifespan()
        return handler


def _exit_once_on_signals(**kwargs: Any) -> None:
    """In the serving process: SIGTERM and SIGINT end it cleanly, once; later ones wait.

    Both can arrive twice (from a terminal or systemd to every process, and from the reloader
    passing them on): a second one must not cut the shutdown short.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_once)


def _exit_once(signum: int, frame: FrameType | None) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(0)


def _wait(child: subprocess.Popen[bytes]) -> int:
    """Wait for ``child`` (the reloader's serving process) to stop by itself, handing it SIGTERM
    and SIGINT; kill it only if it overstays them."""
    deadline: list[float] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)  # nothing if it has exited (Popen polls it first)
        if not deadline:
            deadline.append(time.monotonic() + conf.SHUTDOWN_TIMEOUT + STOP_MARGIN_SECONDS)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                return child.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                if deadline and time.monotonic() > deadline[0]:
                    child.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
