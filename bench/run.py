"""``make bench``: every benchmark in one run, on 127.0.0.1 only, bounded in time (~5 min).

1. request overhead under uvicorn (1 worker) of the four variants of ``bench/project``, in
   interleaved rounds (A B C D, B C D A, ...), each as a ratio to plain Django;
   1b. the same request path in-process, without the network (``bench/direct.py``);
2. decorator cost against the floor, stock dependency-injector and wireup (``bench/micro.py``);
   2b. ``@inject`` and the middleware with an OpenTelemetry tracer provider set and without;
3. startup and shutdown: concurrency, order, scaling to 1,000 resources (``bench/startup.py``);
4. a test suite: per-test against session-wide lifespan (``bench/suite.py``);
5. what the shared pooled client buys against a new client per request;
6. gunicorn sync workers: the package's WSGI application against Django's;
7. sync code calling async code: ``run_in_lifespan_loop`` against ``async_to_sync``
   (``bench/bridge.py``); 8. Celery tasks through the shared client against a client per task;
9. server memory after 1,000 and after 7,000 requests; 10. the health probes: ``readyz`` from the
   pings' cache, and ten slow pings at once (``bench/health.py``).

The servers are pinned to core 0 and the load generator (``wrk`` when installed, else
``bench/loadgen.py``), the upstream and redis-server to core 1, with ``taskset`` when there is
one and two cores or more. A full run profiles each target it missed (``bench/profiles.py``),
writes ``bench/results.json``, then ``bench/report.py`` writes the tables (``bench/tables.md``,
which ``docs/benchmarks.md`` includes) and the plot (``docs/benchmarks.png``). ``--quick`` (a
few seconds a phase, for development) and ``--only`` print the tables only::

    python -m bench.run
    python -m bench.run --quick --only overhead,micro
    python -m bench.report    # the tables and the plot again, from bench/results.json
"""

from __future__ import annotations

import argparse
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

from bench import profiles, report
from bench.server import (
    ROOT,
    Service,
    celery_worker,
    cpu_seconds,
    gunicorn,
    pinned,
    redis_server,
    rss_kib,
)
from bench.server import uvicorn as uvicorn_service

VARIANTS = ("plain", "lifespan_di", "asgi_lifespan", "di_wired")
#: The pooling views of bench/project/views_lifespan_di.py, each served at /<name>/.
POOLING = ("pooled", "unpooled", "unpooled_shared_tls")
#: name -> (variant served by gunicorn, path) of the WSGI benchmark.
WSGI = {
    "plain_sync": ("plain", "/sync/"),
    "lifespan_di_sync": ("lifespan_di", "/sync/"),
    "plain_async_unpooled": ("plain", "/unpooled/"),
    "lifespan_di_async_pooled": ("lifespan_di", "/pooled/"),
}
WSGI_WORKERS = 2
#: The tasks of bench/project/tasks.py; the ones opening a client per task run fewer.
TASKS = ("bench.pooled_get", "bench.unpooled_get", "bench.unpooled_sync_get")
CELERY_THREADS = 4
SERVER_CORE, CLIENT_CORE = "0", "1"
COMMAND = "make bench"
SETTINGS = {"DJANGO_SETTINGS_MODULE": "bench.project.settings"}


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
    telemetry_rounds: int  # pairs of bench/micro.py processes, one traced, one not
    startup_runs: int
    suite_rounds: int
    wsgi_rounds: int  # the sync views
    wsgi_async_rounds: int
    wsgi_direct_rounds: int
    wsgi_direct_requests: int  # per run; each process keeps its best of 10 runs
    bridge_calls: int
    bridge_repeat: int
    celery_rounds: int
    celery_tasks: int  # per round through the shared client; a quarter with a client per task


FULL = Budget(
    seconds=1,
    warm_up=2,
    rounds=30,
    pooling_rounds=5,
    connections=10,
    memory_requests=(1_000, 7_000),
    direct_rounds=4,
    direct_requests=1_500,
    micro_calls=2_000,
    micro_repeat=120,
    telemetry_rounds=6,
    startup_runs=5,
    suite_rounds=3,
    wsgi_rounds=30,
    wsgi_async_rounds=4,
    wsgi_direct_rounds=5,
    wsgi_direct_requests=1_000,
    bridge_calls=200,
    bridge_repeat=5,
    celery_rounds=2,
    celery_tasks=200,
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
    micro_calls=1_000,
    micro_repeat=10,
    telemetry_rounds=1,
    startup_runs=1,
    suite_rounds=1,
    wsgi_rounds=1,
    wsgi_async_rounds=1,
    wsgi_direct_rounds=1,
    wsgi_direct_requests=300,
    bridge_calls=40,
    bridge_repeat=1,
    celery_rounds=1,
    celery_tasks=40,
)


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


def serving(
    variant: str = "lifespan_di", *, app: str = "bench.project.asgi:application", **env: str
) -> Service:
    """uvicorn, one worker, pinned to the server core, serving ``variant`` of the project."""
    return uvicorn_service(app, env={**SETTINGS, "BENCH_VARIANT": variant, **env}, core=SERVER_CORE)


def run_json(command: Sequence[str], core: str | None = None, **env: str) -> dict[str, Any]:
    """Run ``python -m ...`` ``command`` (pinned to ``core`` if given); its last line's JSON."""
    full = [sys.executable, "-m", *command]
    finished = subprocess.run(
        pinned(core, full) if core is not None else full,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} failed:\n{finished.stdout}\n{finished.stderr}")
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


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
    urls: dict[str, str], budget: Budget, rounds: int, servers: dict[str, Service] | None = None
) -> dict[str, list[dict[str, float]]]:
    """Warm each URL up, then time them in rounds: A B C D, B C D A, C D A B, ...

    Each round starts one further along, so no variant always runs first or right after
    another one. Before its warm-up, each URL gets one request per connection, however long
    they take: a fresh server's first requests (imports, a worker's first TLS context) can
    take longer than a whole timed run on a busy machine.
    """
    for url in urls.values():
        load(url, budget, requests=budget.connections)
        load(url, budget, seconds=budget.warm_up)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in urls}
    names = list(urls)
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            server = servers[name] if servers else None
            cpu_before = cpu_seconds(server.pid) if server else 0.0
            result = load(urls[name], budget, seconds=budget.seconds)
            if server:
                result["cpu_seconds"] = cpu_seconds(server.pid) - cpu_before
            runs[name].append(result)
            print(f"  round {round_number + 1}: {name} {result['rps']:.0f} rps", flush=True)
    return runs


def cpu_per_request(runs: dict[str, list[dict[str, float]]], base: str) -> dict[str, Any]:
    """Per variant: the server's CPU time over all its timed runs per request served, and its
    ratio to ``base``'s. The other processes of a shared machine delay a server (fewer req/s)
    far more than they add to the CPU time it uses, so this is the steadier figure."""
    totals = {
        name: sum(run["cpu_seconds"] for run in series) / sum(run["requests"] for run in series)
        for name, series in runs.items()
    }
    return {
        name: {"cpu_us_per_request": total * 1e6, "ratio": total / totals[base]}
        for name, total in totals.items()
    }


def bench_overhead(budget: Budget) -> dict[str, Any]:
    with ExitStack() as stack:
        servers = {v: stack.enter_context(serving(v)) for v in VARIANTS}
        urls = {v: server.url("/") for v, server in servers.items()}
        runs = interleaved(urls, budget, budget.rounds, servers)
    return {
        "runs": runs,
        "summary": median_ratios(runs, base="plain"),
        "cpu": cpu_per_request(runs, base="plain"),
    }


def bench_gunicorn_asgi(budget: Budget) -> dict[str, Any]:
    """The ASGI application under gunicorn with one uvicorn worker (uvloop and httptools, as
    under uvicorn itself): this package's against plain Django's, in interleaved rounds."""
    variants = ("plain", "lifespan_di")
    with ExitStack() as stack:
        servers = {
            variant: stack.enter_context(
                gunicorn(
                    "bench.project.asgi:application",
                    workers=1,
                    env={**SETTINGS, "BENCH_VARIANT": variant},
                    core=SERVER_CORE,
                    worker_class="uvicorn.workers.UvicornWorker",
                )
            )
            for variant in variants
        }
        urls = {variant: server.url("/") for variant, server in servers.items()}
        runs = interleaved(urls, budget, budget.rounds)
    return {"runs": runs, "summary": median_ratios(runs, base="plain")}


def bench_direct(budget: Budget) -> dict[str, Any]:
    """bench/direct.py for each variant, a process per run, in interleaved rounds on core 0."""
    runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    for _ in range(budget.direct_rounds):
        for variant in VARIANTS:
            command = ["bench.direct", str(budget.direct_requests)]
            runs[variant].append(run_json(command, SERVER_CORE, BENCH_VARIANT=variant))
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


def bench_micro(budget: Budget) -> dict[str, Any]:
    """bench/micro.py in a process of its own (not pinned: the best run is the quietest)."""
    command = ["bench.micro", "--calls", str(budget.micro_calls)]
    return run_json([*command, "--repeat", str(budget.micro_repeat)])


#: What the telemetry phase times: the per-call paths that tracing must leave as they are.
TELEMETRY_VIEWS = ("plain", "lifespan_di_3", "lifespan_di_middleware")


def bench_telemetry(budget: Budget) -> dict[str, Any]:
    """``@inject`` and the middleware with an OpenTelemetry tracer provider set and without:
    bench/micro.py processes in pairs, the traced one first in every other round; the best
    figure of each over all rounds, and its ratio traced over untraced."""
    command = ["bench.micro", "--calls", str(budget.micro_calls)]
    command += ["--repeat", str(budget.micro_repeat), "--views", ",".join(TELEMETRY_VIEWS)]
    best: dict[str, dict[str, float]] = {"untraced": {}, "traced": {}}
    for round_number in range(budget.telemetry_rounds):
        modes = ("untraced", "traced") if round_number % 2 == 0 else ("traced", "untraced")
        for mode in modes:
            ns = run_json([*command, *(["--traced"] if mode == "traced" else [])])
            for view, figure in ns["ns_per_call"].items():
                best[mode][view] = min(best[mode].get(view, figure), figure)
            print(f"  round {round_number + 1}: {mode} {ns['ns_per_call']}", flush=True)
    ratio = {view: best["traced"][view] / best["untraced"][view] for view in TELEMETRY_VIEWS}
    return {"ns_per_call": best, "ratio": ratio}


def bench_startup(budget: Budget) -> dict[str, Any]:
    return run_json(["bench.startup", "--runs", str(budget.startup_runs)], SERVER_CORE, **SETTINGS)


def bench_health(budget: Budget) -> dict[str, Any]:
    return run_json(["bench.health", "--runs", str(budget.startup_runs)], SERVER_CORE, **SETTINGS)


def bench_databases(budget: Budget) -> dict[str, Any]:
    """bench/databases.py: fresh processes against a throwaway PostgreSQL, as many runs as the
    startup phase."""
    return run_json(["bench.databases", "--runs", str(budget.startup_runs)], SERVER_CORE)


def bench_suite(budget: Budget) -> dict[str, Any]:
    return run_json(["bench.suite", "--rounds", str(budget.suite_rounds)])


@contextmanager
def upstream() -> Iterator[str]:
    """The local upstream (bench/upstream.py) on the client core; yields its URL."""
    with uvicorn_service(
        "bench.upstream:app", "--lifespan", "off", env={}, core=CLIENT_CORE
    ) as server:
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


def bench_wsgi(budget: Budget) -> dict[str, Any]:
    """gunicorn, ``WSGI_WORKERS`` sync workers, one server per variant, in interleaved rounds."""
    with upstream() as upstream_url, ExitStack() as stack:
        servers = {
            variant: stack.enter_context(
                gunicorn(
                    "bench.project.wsgi:application",
                    workers=WSGI_WORKERS,
                    env={**SETTINGS, "BENCH_VARIANT": variant, "BENCH_UPSTREAM_URL": upstream_url},
                    core=SERVER_CORE,
                )
            )
            for variant in ("plain", "lifespan_di")
        }
        urls = {name: servers[variant].url(path) for name, (variant, path) in WSGI.items()}
        by_name = {name: servers[variant] for name, (variant, _) in WSGI.items()}
        # The sync pair decides a target by a few per cent: it gets more rounds than the async
        # pair, whose ratio is several times over.
        sync_views, async_views = list(WSGI)[:2], list(WSGI)[2:]
        runs = interleaved({k: urls[k] for k in sync_views}, budget, budget.wsgi_rounds, by_name)
        runs |= interleaved(
            {k: urls[k] for k in async_views}, budget, budget.wsgi_async_rounds, by_name
        )
    sync = median_ratios({k: runs[k] for k in sync_views}, "plain_sync")
    pooled = median_ratios({k: runs[k] for k in async_views}, "plain_async_unpooled")
    return {
        "runs": runs,
        "summary": {**sync, **pooled},
        "cpu": cpu_per_request({k: runs[k] for k in sync_views}, "plain_sync"),
        "workers": WSGI_WORKERS,
        "direct": wsgi_direct(budget),
    }


def wsgi_direct(budget: Budget) -> dict[str, Any]:
    """bench/wsgi_direct.py for both variants, a process per run, interleaved, on core 0."""
    runs: dict[str, list[float]] = {"plain": [], "lifespan_di": []}
    for round_number in range(budget.wsgi_direct_rounds):
        order = list(runs) if round_number % 2 == 0 else list(reversed(runs))
        for variant in order:
            command = ["bench.wsgi_direct", "--requests", str(budget.wsgi_direct_requests)]
            result = run_json(command, SERVER_CORE, **SETTINGS, BENCH_VARIANT=variant)
            runs[variant].append(result["us_per_request"])
    best = {variant: min(series) for variant, series in runs.items()}
    return {"runs": runs, "us_per_request": best, "ratio": best["lifespan_di"] / best["plain"]}


def bench_bridge(budget: Budget) -> dict[str, Any]:
    with upstream() as upstream_url:
        command = ["bench.bridge", "--calls", str(budget.bridge_calls)]
        command += ["--repeat", str(budget.bridge_repeat)]
        return run_json(command, SERVER_CORE, **SETTINGS, BENCH_UPSTREAM_URL=upstream_url)


def bench_celery(budget: Budget) -> dict[str, Any]:
    """A Celery worker (threads pool) on core 0, redis-server and the upstream on core 1; the
    tasks are sent in groups, one task name after another in interleaved rounds."""
    from celery import Celery, group

    with upstream() as upstream_url, redis_server(CLIENT_CORE) as redis:
        broker = f"redis://127.0.0.1:{redis.port}/0"
        env = {**SETTINGS, "BENCH_UPSTREAM_URL": upstream_url, "BENCH_BROKER_URL": broker}
        worker = celery_worker(
            "bench.project.tasks", concurrency=CELERY_THREADS, env=env, core=SERVER_CORE
        )
        with worker:
            app = Celery("bench-client", broker=broker, backend=broker)
            try:
                for name in TASKS:  # the first one waits for the worker to be up
                    assert app.send_task(name).get(timeout=60) == 200
            except Exception as exc:
                raise RuntimeError(f"the Celery worker failed: {exc}\n{worker.output()}") from exc
            runs: dict[str, list[float]] = {name: [] for name in TASKS}
            for round_number in range(budget.celery_rounds):
                shift = round_number % len(TASKS)
                for name in TASKS[shift:] + TASKS[:shift]:
                    count = budget.celery_tasks if name == "bench.pooled_get" else 0
                    count = count or max(budget.celery_tasks // 4, 10)
                    begun = time.perf_counter()
                    answers = group(app.signature(name) for _ in range(count)).apply_async()
                    assert answers.get(timeout=120) == [200] * count
                    runs[name].append(count / (time.perf_counter() - begun))
                    print(f"  round {round_number + 1}: {name} {runs[name][-1]:.0f} tasks/s")
            app.close()
    base = runs["bench.unpooled_get"]
    summary = {
        name: {
            "tasks_per_second": statistics.median(series),
            "ratio": statistics.median(a / b for a, b in zip(series, base, strict=True)),
        }
        for name, series in runs.items()
    }
    return {"runs": runs, "summary": summary, "threads": CELERY_THREADS}


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
                rss = {"start": rss_kib(server.pid)}
                load(server.url(path), budget, requests=first)
                rss[str(first)] = rss_kib(server.pid)
                load(server.url(path), budget, requests=total - first)
                rss[str(total)] = rss_kib(server.pid)
            figures[name] = {
                "variant": variant,
                "path": path,
                "rss_kib": rss,
                "growth_kib": rss[str(total)] - rss[str(first)],
            }
    return figures


#: The phases of a run, in order.
RUNNERS = {
    "overhead": bench_overhead,
    "gunicorn_asgi": bench_gunicorn_asgi,
    "direct": bench_direct,
    "micro": bench_micro,
    "telemetry": bench_telemetry,
    "startup": bench_startup,
    "health": bench_health,
    "databases": bench_databases,
    "suite": bench_suite,
    "pooling": bench_pooling,
    "wsgi": bench_wsgi,
    "bridge": bench_bridge,
    "celery": bench_celery,
    "memory": bench_memory,
}


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if "model name" in ln), "?"
    )
    packages = "django dependency-injector uvicorn gunicorn httpx django-asgi-lifespan wireup"
    packages += " celery pytest pytest-asyncio"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": sys.platform + " " + os.uname().release,
        "python": sys.version.split()[0],
        "packages": {name: version(name) for name in packages.split()},
        "load_generator": load_generator(),
        "pinning": "servers and workers on core 0; load generator, upstream and redis-server "
        "on core 1 (taskset)"
        if pinned("0", ["true"])[0] == "taskset"
        else "none (no taskset or a single core)",
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the benchmarks (make bench).")
    parser.add_argument("--quick", action="store_true", help="a few seconds a phase; no files")
    parser.add_argument("--only", default=",".join(RUNNERS), help=f"subset of {','.join(RUNNERS)}")
    parser.add_argument("--save", type=Path, help="also write this run's results JSON here")
    args = parser.parse_args(argv)
    phases = [phase.strip() for phase in args.only.split(",") if phase.strip()]
    unknown = sorted(set(phases) - set(RUNNERS))
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)}; choose among {', '.join(RUNNERS)}")
    budget = QUICK if args.quick else FULL
    results: dict[str, Any] = {"machine": machine(), "budget": asdict(budget), "command": COMMAND}
    begun = time.perf_counter()
    results["phase_seconds"], results["phase_load"] = {}, {}
    for phase in phases:
        print(f"{phase} ...", flush=True)
        phase_begun = time.perf_counter()
        results[phase] = RUNNERS[phase](budget)
        results["phase_seconds"][phase] = round(time.perf_counter() - phase_begun, 1)
        # What else ran meanwhile: the 1-minute load average as each phase ends.
        results["phase_load"][phase] = round(os.getloadavg()[0], 2)
    full = not args.quick and set(phases) == set(RUNNERS)
    if full:
        print("profiles of the missed targets ...", flush=True)
        profile_begun = time.perf_counter()
        results["profiles"] = profiles.of(report.missed(results))
        results["phase_seconds"]["profiles"] = round(time.perf_counter() - profile_begun, 1)
    results["seconds"] = round(time.perf_counter() - begun, 1)

    tables = report.tables(results).items()
    print("\n\n".join(f"## {name}\n\n{text}" for name, text in tables if text))
    text = json.dumps(results, indent=2) + "\n"
    if args.save:
        args.save.write_text(text)
    if not full:
        print("(a partial or quick run: bench/results.json, tables and plot left unchanged)")
        return
    report.RESULTS.write_text(text)
    print(f"wrote {report.RESULTS.relative_to(ROOT)}")
    report.write(json.loads(text))  # as `python -m bench.report` reads it


if __name__ == "__main__":
    main()
