"""Profiles of the targets a full run missed, for the Benchmarks page: where the time goes.

Each profile is pyinstrument's text report of the missed benchmark's own workload, run again in
a process of its own (the servers are left out: what is profiled is the code path they run).
The decorator's target has a profile of its own instead, the guard-by-guard rebuild of its
per-call path in ``bench/micro.py``: a sampling profiler cannot resolve tens of nanoseconds.
Run one by hand with::

    python -m bench.profiles wsgi      # or asgi, startup, suite, bridge
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping

from bench.server import ROOT, uvicorn

#: Lines of each profile kept for the page.
LINES = 70
SETTINGS = {"DJANGO_SETTINGS_MODULE": "bench.project.settings"}


def pyinstrument(module_args: list[str], **env: str) -> str:
    """``python -m pyinstrument -r text -m <module_args>``: its report, trimmed to ``LINES``."""
    command = [sys.executable, "-m", "pyinstrument", "-r", "text", "-m", *module_args]
    finished = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **SETTINGS, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = finished.stdout + (finished.stderr if finished.returncode else "")
    return trimmed(text)


def trimmed(text: str) -> str:
    """The report from its banner on, at most ``LINES`` lines, without pyinstrument's hint."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Recorded:" in line), 0)
    kept = [line for line in lines[start:] if "--load-prev" not in line and "To view" not in line]
    return "\n".join(kept[:LINES]).rstrip()


def asgi() -> str:
    """The ASGI request path of the (b) variant, in-process (``bench/direct.py``)."""
    return pyinstrument(["bench.direct", "5000"], BENCH_VARIANT="lifespan_di")


def wsgi() -> str:
    """The package's WSGI application serving the sync ``@inject`` view, in-process."""
    return pyinstrument(["bench.profiles", "wsgi-workload"], BENCH_VARIANT="lifespan_di")


def startup() -> str:
    """``lifespan()`` over a chain of 1,000 resources and over ten slow shutdowns."""
    return pyinstrument(["bench.profiles", "startup-workload"])


def suite() -> str:
    """One pytest run of the session-wide configuration of ``bench/suite.py``."""
    from bench import suite as test_suite

    return trimmed(test_suite.profile("session"))


def bridge() -> str:
    """``bench/bridge.py``: the calls from sync code through the lifespan's loop (what the Celery
    tasks and async views under WSGI do too)."""
    with uvicorn("bench.upstream:app", "--lifespan", "off", env={}, core="1") as upstream:
        return pyinstrument(
            ["bench.bridge", "--calls", "200", "--repeat", "1"],
            BENCH_UPSTREAM_URL=upstream.url(""),
        )


PROFILERS: Mapping[str, Callable[[], str]] = {
    "asgi": asgi,
    "wsgi": wsgi,
    "startup": startup,
    "suite": suite,
    "bridge": bridge,
}


def of(keys: Iterable[str]) -> dict[str, str]:
    """The profile of each of ``keys`` that has a profiler (the decorator's has none: see above)."""
    return {key: PROFILERS[key]() for key in sorted(set(keys) & set(PROFILERS))}


# -- the workloads, run under pyinstrument ---------------------------------------------------------


def startup_workload(runs: int = 5) -> None:
    import django

    django.setup()
    from bench.startup import time_lifespan

    async def main() -> None:
        for _ in range(runs):
            await time_lifespan("Chain1000")
            await time_lifespan("IndependentShutdowns")

    asyncio.run(main())


def main() -> None:
    from bench import wsgi_direct

    workloads: dict[str, Callable[[], None]] = {
        "wsgi-workload": lambda: wsgi_direct.serve(5000),
        "startup-workload": startup_workload,
    }
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name in workloads:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
        workloads[name]()
    elif name in PROFILERS:
        print(PROFILERS[name]())
    else:
        sys.exit(f"usage: python -m bench.profiles {{{','.join(PROFILERS)}}}")


if __name__ == "__main__":
    main()
