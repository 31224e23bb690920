"""gunicorn's sync workers with docs/examples/processes/gunicorn.conf.py: the lifespan starts in
``post_worker_init``, as each worker boots, instead of at its first request.

Run with exactly the options of the processes guide's command line (gunicorn.sh, section
``eager``), the test project's ``wsgi.py`` and its journal: each worker opens every resource
before any request is sent, serves with those objects, and closes each once at SIGTERM; a
resource that fails to start fails the worker's boot, and gunicorn stops without serving.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import httpx
import pytest

from tests.support.journal import (
    RESOURCES,
    assert_closed_once,
    assert_each_process_opened_all_and_closed_once,
    journal_by_pid,
)
from tests.support.server import ROOT, WSGI_APP, Server
from tests.support.snippets import section

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "docs" / "examples" / "processes"
WORKERS = 2


def eager_options() -> list[str]:
    """The guide's command line's options, with the example's config file, bound by the test."""
    [line] = section(EXAMPLE / "gunicorn.sh", "eager").splitlines()
    gunicorn, app, *options = shlex.split(line)
    assert (gunicorn, app) == ("gunicorn", "myproject.wsgi:application")
    bind = options.index("--bind")
    del options[bind : bind + 2]  # a free port on 127.0.0.1
    config = options.index("--config") + 1
    assert options[config] == "gunicorn.conf.py"
    options[config] = str(EXAMPLE / "gunicorn.conf.py")
    assert options[options.index("--workers") + 1] == str(WORKERS)
    # gunicorn 27 would leave a control socket file behind.
    return [*options, "--no-control-socket"]


def eager_server(journal: Path, **kwargs: object) -> Server:
    return Server(
        "gunicorn-wsgi",
        *eager_options(),
        app=WSGI_APP,
        journal=journal,
        expect_ready=False,  # no readiness probe: the test sends its first request itself
        **kwargs,  # type: ignore[arg-type]
    )


def test_each_worker_opens_its_resources_as_it_boots(tmp_path: Path) -> None:
    with eager_server(tmp_path / "journal") as server:
        server.wait_listening()
        # No request sent yet: every worker has opened every resource.
        server.wait_for_journal("open reporter", count=WORKERS)
        at_boot = journal_by_pid(server)
        answers = [
            httpx.get(server.url("/state/"), headers={"Connection": "close"}, timeout=30.0)
            for _ in range(6)
        ]
    assert len(at_boot) == WORKERS, at_boot
    for events in at_boot.values():
        assert sorted(e for e in events if e.startswith("open ")) == sorted(
            f"open {name}" for name in RESOURCES
        ), events
    assert [r.status_code for r in answers] == [200] * 6, server.output
    assert {r.json()["pid"] for r in answers} <= set(at_boot)
    assert server.returncode == 0, server.output
    # Requests opened nothing more; SIGTERM closed everything once in each worker.
    by_pid = assert_each_process_opened_all_and_closed_once(server, WORKERS)
    assert set(by_pid) == set(at_boot)
    assert server.output.count("Lifespan shut down") == WORKERS, server.output
    assert "Traceback" not in server.output, server.output


def test_a_resource_that_fails_to_start_fails_the_worker_at_boot(tmp_path: Path) -> None:
    server = eager_server(tmp_path / "journal", env={"LIFESPAN_DI_TEST_FAIL_START": "http_client"})
    with server:
        returncode = server.wait_exit()
    # "Worker failed to boot" halts the master: 3, or 1 when the other worker fails while the
    # master halts (a race in gunicorn, also seen with its uvicorn workers).
    assert returncode in (3, 1), server.output
    assert "Container.http_client failed to start: ConnectionRefusedError" in server.output
    assert "Worker failed to boot" in server.output or returncode == 1, server.output
    by_pid = journal_by_pid(server)
    assert by_pid, server.output
    for events in by_pid.values():
        # Started once, what had started closed; nothing after it opened.
        assert events.count("open http_client") == 1, events
        assert "open reporter" not in events
        assert_closed_once(events, failed="http_client")
