"""``make bench``: every benchmark in one run, on 127.0.0.1 only, bounded in time (~4 min).

1. request overhead under uvicorn (1 worker) of the four variants of ``bench/project``, in
   interleaved rounds (A B C D, B C D A, ...), each as a ratio to plain Django;
   1b. the same request path in-process, without the network (``bench/direct.py``);
2. decorator cost (``bench/micro.py``); 3. startup (``bench/startup.py``);
4. what the shared pooled client buys against a new client per request;
5. server memory after 1,000 and after 10,000 requests.

The servers are pinned to core 0 and the load generator (``wrk`` when installed, else
``bench/loadgen.py``) to core 1, with ``taskset`` when there is one and two cores or more.
A full run writes ``bench/results.json``, ``docs/benchmarks.md`` and ``docs/benchmarks.png``;
``--quick`` (a few seconds a phase, for development) and ``--only`` print the tables only::

    python -m bench.run
    python -m bench.run --quick --only overhead,micro
    python -m bench.run --report-only    # rewrite the page from bench/results.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import report
from tests.support.server import ROOT, Server, rss_kib

VARIANTS = ("plain", "lifespan_di", "asgi_lifespan", "di_wired")
#: The pooling views of bench/project/views_lifespan_di.py, each served at /<name>/.
POOLING = ("pooled", "unpooled", "unpooled_shared_tls")
PHASES = ("overhead", "direct", "micro", "startup", "pooling", "memory")
RESULTS = ROOT / "bench" / "results.json"
SERVER_CORE, CLIENT_CORE = "0", "1"
COMMAND = "make bench"


@dataclass(frozen=True)
class Budget:
    """How long each phase runs."""

    seconds: int  # one timed load run
    warm_up: int  # one untimed run per server first
    rounds: int  # interleaved rounds
    pooling_rounds: int
    connections: int
    memory_requests: tuple[int, int]  # RSS read after this many requests, then this many
    direct_rounds: int
    direct_requests: int  # per process of the in-process request cost
    micro_calls: int
    micro_repeat: int
    startup_runs: int


FULL = Budget(
    seconds=1,
    warm_up=2,
    rounds=20,
    pooling_rounds=5,
    connections=10,
    memory_requests=(1_000, 10_000),
    direct_rounds=6,
    direct_requests=2_000,
    micro_calls=20_000,
    micro_repeat=7,
    startup_runs=5,
)
QUICK = Budget(
    seconds=1,
    warm_up=1,
    rounds=1,
    pooling_rounds=1,
    connections=10,
    memory_requests=(200, 1_000),
    direct_rounds=1,
    direct_requests=300,
    micro_calls=2_000,
    micro_repeat=2,
    startup_runs=1,
)


def pinned(core: str, command: Sequence[str]) -> list[str]:
    """``command`` pinned to ``core`` when the machine allows it, else unchanged."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", core, *command]
    return list(command)


def load(url: str, budget: Budget, *, seconds: int = 0, requests: int = 0) -> dict[str, float]:
    """One load run against ``url``: for ``seconds`` (wrk if installed) or exactly ``requests``."""
    wrk = shutil.which("wrk")
    if seconds and wrk:
        script = str(ROOT / "bench" / "wrk.lua")
        connections = str(budget.connections)
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
        command += ["-s", script, url]
    else:
        bound = ["--seconds", str(seconds)] if seconds else ["--requests", str(requests)]
        command = [sys.executable, "-m", "bench.loadgen", url, "--connections"]
        command += [str(budget.connections), *bound]
    finished = subprocess.run(
        pinned(CLIENT_CORE, command), cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    if result["errors"] or result["non_2xx"] or not result["requests"]:
        raise RuntimeError(f"{url}: failed requests {result}\n{finished.stderr}")
    result["rps"] = result["requests"] / result["seconds"]
    return result


def load_generator() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        return "bench/loadgen.py (asyncio, keep-alive)"
    banner = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split()
    return " ".join(banner[:2]) if banner else "wrk"


@contextmanager
def serving(
    variant: str = "lifespan_di", *, app: str = "bench.project.asgi:application", **env: str
) -> Iterator[Server]:
    """uvicorn, one worker, pinned to the server core, serving ``variant`` of the project."""
    server = Server(
        "uvicorn",
        "--no-access-log",
        "--log-level",
        "warning",
        app=app,
        env={"DJANGO_SETTINGS_MODULE": "bench.project.settings", "BENCH_VARIANT": variant, **env},
        ready_path="/",
    )
    server.command = pinned(SERVER_CORE, server.command)
    with server:
        yield server


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """First quartile, median, third quartile."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    first, median, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, median, third


def median_ratios(runs: dict[str, list[dict[str, float]]], base: str) -> dict[str, Any]:
    """Per variant: median over rounds of each figure and of its ratio to ``base``'s same round,
    with the interquartile range of the req/s ratio (how much the rounds disagree)."""
    summary: dict[str, Any] = {}
    for name, series in runs.items():
        figures: dict[str, Any] = {}
        for key in ("rps", "p50_us", "p99_us"):
            figures[key] = statistics.median(run[key] for run in series)
            ratios = [run[key] / ref[key] for run, ref in zip(series, runs[base], strict=True)]
            first, figures[f"{key}_ratio"], third = quartiles(ratios)
            if key == "rps":
                figures["rps_ratio_iqr"] = [first, third]
        summary[name] = figures
    return summary


def interleaved(
    urls: dict[str, str], budget: Budget, rounds: int
) -> dict[str, list[dict[str, float]]]:
    """Warm each URL up, then time them in rounds: A B C D, B C D A, C D A B, ...

    Each round starts one further along, so no variant always runs first or right after
    another one.
    """
    for url in urls.values():
        load(url, budget, seconds=budget.warm_up)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    names = list(urls)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            url = urls[name]
            runs[name].append(load(url, budget, seconds=budget.seconds))
            print(f"  round {round_number + 1}: {name} {runs[name][-1]['rps']:.0f} rps", flush=True)
    return runs


def bench_overhead(budget: Budget) -> dict[str, Any]:
    with ExitStack() as stack:
        servers = {v: stack.enter_context(serving(v)) for v in VARIANTS}
        urls = {v: server.url("/") for v, server in servers.items()}
        runs = interleaved(urls, budget, budget.rounds)
    return {"runs": runs, "summary": median_ratios(runs, base="plain")}


def bench_direct(budget: Budget) -> dict[str, Any]:
    """bench/direct.py for each variant, a process per run, in interleaved rounds on core 0."""
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    for _ in range(budget.direct_rounds):
        for variant in VARIANTS:
            command = [sys.executable, "-m", "bench.direct", str(budget.direct_requests)]
            finished = subprocess.run(
                pinned(SERVER_CORE, command),
                cwd=ROOT,
                env={**os.environ, "BENCH_VARIANT": variant},
                capture_output=True,
                text=True,
                check=True,
            )
            runs[variant].append(json.loads(finished.stdout.strip().splitlines()[-1]))
    summary = {}
    for variant, series in runs.items():
        ratios = [
            run["us_per_request"] / base["us_per_request"]
            for run, base in zip(series, runs["plain"], strict=True)
        ]
        first, ratio, third = quartiles(ratios)
        summary[variant] = {
            "us_per_request": statistics.median(run["us_per_request"] for run in series),
            "ratio": ratio,
            "ratio_iqr": [first, third],
        }
    return {"runs": runs, "summary": summary}


@contextmanager
def upstream() -> Iterator[str]:
    """The local upstream (bench/upstream.py) on the client core; yields its URL."""
    server = Server(
        "uvicorn",
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "off",
        app="bench.upstream:app",
        ready_path="/",
    )
    server.command = pinned(CLIENT_CORE, server.command)
    with server:
        yield server.url("")


def bench_pooling(budget: Budget) -> dict[str, Any]:
    with upstream() as upstream_url, serving(BENCH_UPSTREAM_URL=upstream_url) as server:
        urls = {name: server.url(f"/{name}/") for name in POOLING}
        runs = interleaved(urls, budget, budget.pooling_rounds)
    summary = median_ratios(runs, base="unpooled")
    return {
        "runs": runs,
        "summary": summary,
        "pooled_vs_unpooled": summary["pooled"]["rps_ratio"],
        "pooled_vs_new_connection": median_ratios(runs, base="unpooled_shared_tls")["pooled"][
            "rps_ratio"
        ],
    }


#: (name, variant, path) of the memory benchmark; plain Django is the reference.
MEMORY = (
    ("plain Django (reference)", "plain", "/"),
    ("injected view", "lifespan_di", "/"),
    ("pooled client", "lifespan_di", "/pooled/"),
)


def bench_memory(budget: Budget) -> dict[str, Any]:
    """VmRSS of a fresh server at start, after the first and the second request count."""
    first, total = budget.memory_requests
    figures: dict[str, Any] = {}
    with upstream() as upstream_url:
        for name, variant, path in MEMORY:
            with serving(variant, BENCH_UPSTREAM_URL=upstream_url) as server:
                assert server.process is not None
                pid = server.process.pid
                rss = {"start": rss_kib(pid)}
                load(server.url(path), budget, requests=first)
                rss[str(first)] = rss_kib(pid)
                load(server.url(path), budget, requests=total - first)
                rss[str(total)] = rss_kib(pid)
            figures[name] = {
                "variant": variant,
                "path": path,
                "rss_kib": rss,
                "growth_kib": rss[str(total)] - rss[str(first)],
            }
    return figures


def in_process(phase: str, budget: Budget) -> dict[str, Any]:
    """The micro and startup benchmarks, in this process, in a running event loop."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")
    import django

    django.setup()
    from bench import micro, startup

    if phase == "micro":
        costs = asyncio.run(micro.decorator_costs(budget.micro_calls, budget.micro_repeat))
        return {"ns_per_call": costs, "calls": budget.micro_calls, "repeat": budget.micro_repeat}
    return asyncio.run(startup.startup_times(budget.startup_runs))


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln), "?"
    )
    packages = ("django", "dependency-injector", "uvicorn", "httpx", "django-asgi-lifespan")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": sys.platform + " " + os.uname().release,
        "python": sys.version.split()[0],
        "packages": {name: version(name) for name in packages},
        "load_generator": load_generator(),
        "pinning": "server on core 0, load generator on core 1 (taskset)"
        if pinned("0", [])
        else "none (no taskset or a single core)",
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the benchmarks (make bench).")
    parser.add_argument("--quick", action="store_true", help="a few seconds a phase; no files")
    parser.add_argument("--only", default=",".join(PHASES), help=f"subset of {','.join(PHASES)}")
    parser.add_argument("--save", type=Path, help="also write this run's results JSON here")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: rewrite docs/benchmarks.* from bench/results.json",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        write_outputs(json.loads(RESULTS.read_text()))
        return
    phases = [phase.strip() for phase in args.only.split(",") if phase.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)}; choose among {', '.join(PHASES)}")
    budget = QUICK if args.quick else FULL
    results: dict[str, Any] = {"machine": machine(), "budget": asdict(budget), "command": COMMAND}
    runners = {
        "overhead": bench_overhead,
        "direct": bench_direct,
        "pooling": bench_pooling,
        "memory": bench_memory,
    }
    begun = time.perf_counter()
    results["phase_seconds"] = {}
    for phase in phases:
        print(f"{phase} ...", flush=True)
        phase_begun = time.perf_counter()
        results[phase] = runners[phase](budget) if phase in runners else in_process(phase, budget)
        results["phase_seconds"][phase] = round(time.perf_counter() - phase_begun, 1)
    results["seconds"] = round(time.perf_counter() - begun, 1)

    print(report.table(results))
    if args.save:
        args.save.write_text(json.dumps(results, indent=2) + "\n")
    if args.quick or set(phases) != set(PHASES):
        print("(a partial or quick run: bench/results.json and docs/benchmarks.* left unchanged)")
        return
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    write_outputs(results)


def write_outputs(results: dict[str, Any]) -> None:
    report.write_markdown(results, ROOT / "docs" / "benchmarks.md")
    report.write_plot(results, ROOT / "docs" / "benchmarks.png")
    print("wrote docs/benchmarks.md, docs/benchmarks.png")


if __name__ == "__main__":
    main()
