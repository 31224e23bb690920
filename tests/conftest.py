from __future__ import annotations

import gc
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_lifespan_di import runtime
from tests.project import journal

# Here, not in each module that uses it: a fixture imported into a module is that module's
# own, and each would start a PostgreSQL cluster of its own for the session.
from tests.support.postgres import postgres_server  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _clear_journal() -> Iterator[None]:
    journal.EVENTS.clear()
    yield
    journal.EVENTS.clear()


@pytest.fixture(autouse=True)
def _forget_cut_startups() -> Iterator[None]:
    """A test that cancels a startup leaves this process's record of it to itself alone."""
    yield
    runtime.startup_cut_short = None


#: What a terminal's Ctrl-C and Ctrl-\ send: the servers and workers the tests start must get
#: them as a shell would start them, with their default action.
INTERRUPTS = (signal.SIGINT, signal.SIGQUIT)
STATUS = Path("/proc/self/status")


def ignored_interrupts() -> list[signal.Signals]:
    """Those of ``INTERRUPTS`` this process ignores at the system level (``SigIgn``), which
    ``signal.getsignal()`` does not show when C code set it, and which every process it starts
    inherits: a daphne or runserver started so never stops on SIGINT."""
    for line in STATUS.read_text().splitlines():
        if line.startswith("SigIgn:"):
            mask = int(line.split()[1], 16)
            return [sig for sig in INTERRUPTS if mask >> (sig - 1) & 1]
    return []  # pragma: no cover  (every Linux kernel has the line)


class InterruptsIgnored(UserWarning):
    """SIGINT or SIGQUIT is ignored in the test process, which inherited it."""


def pytest_configure(config: pytest.Config) -> None:
    """A shell without job control starts an asynchronous command (`make test &` in a script)
    with SIGINT and SIGQUIT ignored (POSIX), and every process the tests start inherits that:
    a daphne or runserver started so never stops on SIGINT (measured: ``SigIgn`` 0x1001006 in
    the pytest-xdist worker and its daphne). Say so, and give the tests the default actions,
    as a terminal would start them; once per process (each xdist worker runs this too)."""
    if not STATUS.exists():  # pragma: no cover  (not Linux)
        return
    ignored = ignored_interrupts()
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        names = ", ".join(sig.name for sig in ignored)
        config.issue_config_time_warning(
            InterruptsIgnored(f"{names} ignored in the test process; restored to the defaults"),
            stacklevel=1,
        )


@pytest.fixture
def throwaway_views() -> Iterator[None]:
    """Views with bad markers, made in a test, must not linger in the checks of other tests."""
    yield
    gc.collect()
