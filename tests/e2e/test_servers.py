"""Every multi-process ASGI server users run: one lifespan per worker, everything closed once.

The servers and what each was measured to do are listed in ``tests/support/servers.py``, which
also writes ``docs/servers.md`` from them (``python -m tests.support.servers``);
``test_docs_table_is_current`` fails when the page and the list disagree.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.support.journal import assert_each_process_opened_all_and_closed_once
from tests.support.locks import DEV_LOCKS, VERSIONS_LOCK, locked_versions
from tests.support.servers import (
    DOCS_PAGE,
    GUNICORN_ASGI,
    LIFESPAN_SERVERS,
    ServerCase,
    render_table,
    split_page,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("case", LIFESPAN_SERVERS, ids=lambda case: case.id)
def test_each_worker_serves_its_resources_and_closes_them_once(
    case: ServerCase, tmp_path: Path
) -> None:
    with case.serve(tmp_path / "journal") as server:
        server.wait_for_journal("open reporter", count=case.workers)
        with httpx.Client() as client:
            # A fresh connection per request, so the kernel spreads them over the workers.
            answers = [
                client.get(server.url("/state/"), headers={"Connection": "close"}).json()
                for _ in range(20)
            ]
    assert server.returncode == case.sigterm_exit, server.output
    by_pid = assert_each_process_opened_all_and_closed_once(server, case.workers)
    # Each worker hands every request the one client it opened.
    clients_by_pid: dict[int, set[int]] = {}
    for answer in answers:
        assert answer["client"] == "http_client"
        clients_by_pid.setdefault(answer["pid"], set()).add(answer["client_id"])
    assert set(clients_by_pid) <= set(by_pid)
    assert all(len(ids) == 1 for ids in clients_by_pid.values()), clients_by_pid
    assert server.output.count("Lifespan shut down") == case.workers, server.output
    assert "Traceback" not in server.output, server.output


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGQUIT], ids=lambda s: s.name)
def test_gunicorn_asgi_quick_shutdown_still_closes_everything_once(
    stop_signal: signal.Signals, tmp_path: Path
) -> None:
    """gunicorn's ASGI worker skips lifespan.shutdown on SIGINT and SIGQUIT and cancels the
    lifespan instead: the package closes everything on that cancellation."""
    server = GUNICORN_ASGI.serve(tmp_path / "journal", stop_signal=stop_signal)
    with server:
        server.wait_for_journal("open reporter", count=GUNICORN_ASGI.workers)
    assert server.returncode == 0, server.output
    assert_each_process_opened_all_and_closed_once(server, GUNICORN_ASGI.workers)
    assert "Traceback" not in server.output, server.output


def test_docs_table_is_current() -> None:
    assert split_page()[1] == render_table(), (
        f"{DOCS_PAGE.name} does not match the servers the tests ran (or their versions "
        f"changed): run `python -m tests.support.servers` and review the diff."
    )


SERVER_DISTRIBUTIONS = sorted({case.distribution for case in LIFESPAN_SERVERS} - {"django"})


@pytest.mark.parametrize("lock", DEV_LOCKS, ids=lambda lock: lock.name)
def test_every_development_lock_runs_the_server_versions_on_the_page(lock: Path) -> None:
    """Whatever Python ``make test`` runs on, it runs the server releases the page names."""
    page, this = locked_versions(VERSIONS_LOCK), locked_versions(lock)
    assert {d: this[d] for d in SERVER_DISTRIBUTIONS} == {d: page[d] for d in SERVER_DISTRIBUTIONS}
