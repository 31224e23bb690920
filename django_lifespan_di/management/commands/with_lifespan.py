"""``manage.py with_lifespan COMMAND [ARGS...]``: any management command, with the lifespan running.

For commands that are not yours (django-tasks' ``db_worker``, ``shell``, a third-party command)
and yours alike: the lifespan starts in a
[``LifespanThread``][django_lifespan_di.LifespanThread] before the command runs (which waits for
the deferred resources to open or fail) and stops after it, however it ends. The command keeps
the main thread (``db_worker`` installs signal handlers, which Python allows there only), and
that thread runs ``async_to_sync`` on the lifespan's loop: sync and async code of the command (an
async task that ``Task.call()`` runs) gets the live objects. SIGTERM, unless the command handles
it itself, stops it as Ctrl-C does.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_lifespan_di import _internals
from django_lifespan_di.exceptions import ShutdownError, StartupError
from django_lifespan_di.thread import stop_process_lifespan, use_process_lifespan


class Command(BaseCommand):
    help = "Run a management command with the lifespan running around it."
    requires_system_checks: list[str] = []  # the command it runs does its own

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("command_name", help="The management command to run.")
        parser.add_argument(
            "command_args", nargs=argparse.REMAINDER, help="Its arguments and options."
        )

    def handle(
        self, *args: Any, command_name: str, command_args: list[str], **options: Any
    ) -> None:
        prog = sys.argv[0] if sys.argv else "manage.py"
        argv = [prog, command_name, *command_args]
        command = _internals.fetch_command(argv)  # exits if unknown, as manage.py does
        try:
            thread = use_process_lifespan()
        except StartupError as exc:
            raise CommandError(f"The lifespan failed to start: {exc}") from exc
        thread.wait_deferred()  # the command runs once: after its deferred resources
        _stop_on_sigterm()
        try:
            command.run_from_argv(argv)
        finally:
            try:
                stop_process_lifespan()
            except ShutdownError as exc:
                self.stderr.write(str(exc))
                raise CommandError("The lifespan did not shut down cleanly.") from exc


def _stop_on_sigterm() -> None:
    """SIGTERM raises ``SystemExit`` in the main thread, so the lifespan stops on the way out.

    In the main thread only, where Python allows signal handlers. It replaces the handler the
    process had (the default action, which would leave the lifespan open, or a tool's, such as
    coverage's, which ends the process the same way); a command that installs its own handler
    (``db_worker``) replaces this one in turn.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit)


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)
