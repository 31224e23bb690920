"""Run a real ASGI server as a subprocess on 127.0.0.1 for end-to-end tests.

One harness for every server the tests use::

    with Server(["uvicorn", ASGI_APP], journal=tmp_path / "journal") as server:
        response = httpx.get(server.url("/state/"))
    assert server.returncode == 0 and "Stopped Container.http_client" in server.output

Leaving the ``with`` block sends SIGTERM (or ``stop_signal``) and waits for the exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ASGI_APP = "tests.project.asgi:application"
WSGI_APP = "tests.project.wsgi:application"
CHANNELS_APP = "tests.project.channels_asgi:application"
#: How long a server gets to answer its first request: a deadline, not a wait. runserver's
#: autoreloader starts the serving child only after its own startup, each importing the project
#: under coverage; with two pytest-xdist workers on a loaded machine that took 20 s.
STARTUP_TIMEOUT_SECONDS = 60.0
#: How long a server gets to exit once stopped: a deadline too, for a loaded machine (servers
#: that never stopped on SIGINT had inherited it ignored: tests/conftest.py's pytest_configure).
EXIT_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(server: str, app: str, port: int, *extra: str, bin_dir: Path = BIN) -> list[str]:
    """The command line that serves ``app`` on 127.0.0.1:``port`` with ``server``, whose
    executable is in ``bin_dir`` (this environment's, or another virtualenv's)."""
    host = "127.0.0.1"
    commands = {
        "uvicorn": [str(bin_dir / "uvicorn"), app, "--host", host, "--port", str(port)],
        "hypercorn": [str(bin_dir / "hypercorn"), app, "--bind", f"{host}:{port}"],
        "granian": [
            str(bin_dir / "granian"),
            "--interface",
            "asgi",
            "--host",
            host,
            "--port",
            str(port),
            app,
        ],
        "gunicorn": [
            str(bin_dir / "gunicorn"),
            app,
            "--worker-class",
            "uvicorn.workers.UvicornWorker",
            "--bind",
            f"{host}:{port}",
        ],
        # gunicorn's native ASGI worker (gunicorn >= 24): its own event loop and lifespan.
        "gunicorn-asgi": [
            str(bin_dir / "gunicorn"),
            app,
            "--worker-class",
            "asgi",
            "--bind",
            f"{host}:{port}",
        ],
        # gunicorn's own workers (sync, gthread): ``app`` is a WSGI application.
        "gunicorn-wsgi": [str(bin_dir / "gunicorn"), app, "--bind", f"{host}:{port}"],
        "daphne": [str(bin_dir / "daphne"), "-b", host, "-p", str(port), app],
        # Django's development server, with its autoreloader unless ``--noreload`` is given.
        # It serves the settings' WSGI_APPLICATION (daphne's: ASGI_APPLICATION), not ``app``.
        "runserver": [sys.executable, "-m", "django", "runserver", f"{host}:{port}"],
    }
    return [*commands[server], *extra]


def rss_kib(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


class Server:
    """A server subprocess; ``output`` holds what it printed once it has stopped."""

    def __init__(
        self,
        server: str = "uvicorn",
        *extra_args: str,
        app: str = ASGI_APP,
        journal: Path | None = None,
        env: Mapping[str, str] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        ready_path: str = "/state/",
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        expect_ready: bool = True,
        bin_dir: Path = BIN,
        cwd: Path = ROOT,
        test_project: bool = True,
    ) -> None:
        """``test_project=False`` serves a project of its own (in ``cwd``, e.g. with
        ``bin_dir`` of another virtualenv): nothing of the checkout is put on its path, and
        this suite's settings module is not passed on."""
        self.port = free_port()
        self.command: Sequence[str] = server_command(
            server, app, self.port, *extra_args, bin_dir=bin_dir
        )
        self.journal = journal
        self.cwd = cwd
        inherited = {
            name: value
            for name, value in os.environ.items()
            if test_project or name not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
        }
        self.env = {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            **(
                {"PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"}
                if test_project
                else {}
            ),
            **({"LIFESPAN_DI_TEST_JOURNAL": str(journal)} if journal else {}),
            **(env or {}),
        }
        self.stop_signal = stop_signal
        self.ready_path = ready_path
        self.startup_timeout = startup_timeout
        self.expect_ready = expect_ready
        self.process: subprocess.Popen[str] | None = None
        self.output = ""
        self.returncode: int | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Server:
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so a stuck server can be killed
        )
        if self.expect_ready:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.collect()
                raise AssertionError(
                    f"{self.command[0]} exited with {self.returncode} before it was ready:\n"
                    f"{self.output}"
                )
            try:
                # Connecting is retried quickly; once connected, the answer is awaited up to the
                # deadline: a first request that takes seconds on a loaded machine, given up on,
                # becomes an aborted request in the server's log, and is sent again.
                timeout = httpx.Timeout(max(deadline - time.monotonic(), 1.0), connect=1.0)
                httpx.get(self.url(self.ready_path), timeout=timeout)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"{self.command} was not ready in time:\n{self.output}")

    def wait_listening(self, timeout: float = 20.0) -> None:
        """Wait until the port accepts connections, without sending a request (for a test whose
        every request counts, or that must catch the server while its lifespan starts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.collect()
                raise AssertionError(f"{self.command[0]} exited early:\n{self.output}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        self.stop()
        raise AssertionError(f"nothing listens on port {self.port}:\n{self.output}")

    def wait_exit(self, timeout: float = EXIT_TIMEOUT_SECONDS) -> int:
        """Wait for the server to exit by itself (e.g. after a failed startup)."""
        assert self.process is not None
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()  # collects what it printed, which says where it hung
            raise AssertionError(
                f"{self.command[0]} did not exit within {timeout:g} s (killed); its output:\n"
                f"{self.output}"
            ) from None
        self.collect()
        assert self.returncode is not None
        return self.returncode

    def stop(self, timeout: float = EXIT_TIMEOUT_SECONDS) -> int:
        """Send ``stop_signal`` to the server (not its group) and wait for it to exit."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
        return self.wait_exit(timeout)

    def send(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the server process (not its group) and return at once."""
        assert self.process is not None
        self.process.send_signal(sig)

    def send_group(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the server's whole process group, as Ctrl-C in a terminal does."""
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def wait_for_journal(
        self, event: str, count: int = 1, timeout: float = 20.0
    ) -> list[tuple[int, str]]:
        """Wait until ``event`` is journalled ``count`` times (e.g. once by every worker)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.journal_events()
            if sum(1 for _, e in events if e == event) >= count:
                return events
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(
                    f"{event!r} journalled fewer than {count} time(s): {events}\n{self.output}"
                )
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.collect()

    def collect(self) -> None:
        assert self.process is not None
        out, _ = self.process.communicate()
        self.output += out or ""
        self.returncode = self.process.returncode

    def journal_events(self) -> list[tuple[int, str]]:
        """(pid, event) lines the test resources recorded, in order."""
        if self.journal is None or not self.journal.exists():
            return []
        lines = self.journal.read_text(encoding="utf-8").splitlines()
        return [(int(pid), event) for pid, event in (line.split(" ", 1) for line in lines)]

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None and self.returncode is None:
            try:
                self.stop()
            finally:
                if self.process.poll() is None:
                    self.kill()
