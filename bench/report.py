"""The results of ``bench/run.py`` as tables, ``docs/benchmarks.md`` and ``docs/benchmarks.png``.

The page's prose lives in the Markdown template ``bench/benchmarks.md.in``; this module fills its
``${...}`` placeholders with the tables and with the figures its sentences quote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from string import Template
from typing import Any

TEMPLATE = Path(__file__).with_name("benchmarks.md.in")

LABELS = {
    "plain": "(a) plain Django",
    "lifespan_di": "(b) django-lifespan-di, @inject",
    "asgi_lifespan": "(c) django-asgi-lifespan, request.state",
    "di_wired": "(d) dependency-injector @inject, wired",
}
MICRO_LABELS = {
    "plain": "plain async function",
    "floor": "floor: an async wrapper merging a dict of 3 objects",
    "lifespan_di_0": "django_lifespan_di.inject, 0 resources",
    "lifespan_di_1": "django_lifespan_di.inject, 1 resource",
    "lifespan_di_3": "django_lifespan_di.inject, 3 resources",
    "lifespan_di_middleware": "plain function behind LifespanStateMiddleware",
    "wireup_1": "wireup's Django @inject, 1 singleton",
    "wireup_3": "wireup's Django @inject, 3 singletons",
    "wireup_middleware": "plain function behind wireup_middleware",
    "di_wired_0": "dependency-injector's @inject, 0 resources",
    "di_wired_1": "dependency-injector's @inject, 1 resource",
    "di_wired_3": "dependency-injector's @inject, 3 resources",
}
#: The guard-by-guard rebuild of @inject's per-call path (bench/micro.py), in order.
STEPS = {
    "floor": "the floor (wrapper, dict merge)",
    "step_published": "+ the objects published for the function (`spec.published`)",
    "step_loop_thread": "+ their loop runs in this thread (`loop._thread_id`)",
    "lifespan_di_3": "+ the argument checks: `@inject` itself, 3 resources",
}
POOLING_LABELS = {
    "pooled": "shared pooled client, injected",
    "unpooled": "new httpx.AsyncClient per request",
    "unpooled_shared_tls": "new client per request, TLS context built once",
}
WSGI_LABELS = {
    "plain_sync": "plain Django, sync view",
    "lifespan_di_sync": "django-lifespan-di, sync @inject view",
    "plain_async_unpooled": "plain Django, async view, new client per request",
    "lifespan_di_async_pooled": "django-lifespan-di, async view, shared pooled client",
}
#: Each WSGI row's ratio is against this row of the same round.
WSGI_BASES = {
    "plain_sync": "plain_sync",
    "lifespan_di_sync": "plain_sync",
    "plain_async_unpooled": "plain_async_unpooled",
    "lifespan_di_async_pooled": "plain_async_unpooled",
}
BRIDGE_LABELS = {
    "run_in_lifespan_loop": "run_in_lifespan_loop(empty coroutine)",
    "async_to_sync": "async_to_sync(empty coroutine)(), a new loop per call",
    "get_shared_client": "one GET: run_in_lifespan_loop, shared pooled client",
    "get_new_client": "one GET: async_to_sync, new client per call",
}
BRIDGE_BASES = {
    "run_in_lifespan_loop": "async_to_sync",
    "async_to_sync": "async_to_sync",
    "get_shared_client": "get_new_client",
    "get_new_client": "get_new_client",
}
CELERY_LABELS = {
    "bench.pooled_get": "shared pooled client (@inject, run_in_lifespan_loop)",
    "bench.unpooled_get": "new httpx.AsyncClient per task",
    "bench.unpooled_sync_get": "new httpx.Client per task",
}
SUITE_LABELS = {
    "none": "no lifespan (the reference)",
    "per_test": "`lifespan`: per test",
    "session": "`lifespan_session`: once per session",
}
PROFILE_TITLES = {
    "asgi": "The ASGI request path of (b), in-process (`bench/direct.py`)",
    "wsgi": "The package's WSGI application serving the sync `@inject` view, in-process",
    "startup": "`lifespan()` over a chain of 1,000 resources and ten slow shutdowns",
    "suite": "The session-wide test suite (`lifespan_session`)",
    "bridge": "Sync code calling async code through the lifespan's loop (`bench/bridge.py`)",
}
#: The smallest difference between two in-process ratios that counts as one (run-to-run noise).
NOISE = 0.01
#: RSS growth beyond plain Django's own (the reference) still counted as none: allocator and
#: page granularity; a leak of 90 bytes a request over the 6,000 requests between the two
#: readings exceeds it.
RSS_GROWTH_LIMIT_KIB = 512
#: Issue 17's targets.
INJECT_THREE_NS = 350
SUITE_SESSION_MS = 1.0
SHUTDOWN_MS = 150
CHAIN_SECONDS = 0.5
WSGI_SYNC_RATIO = 0.97
#: Linear: from 250 to 1,000 resources the time per resource grows at most this many times
#: (caches and the allocator make it grow a little; a quadratic engine would make it 4).
LINEAR_GROWTH = 2.0


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def with_spread(ratio: float, iqr: Sequence[float]) -> str:
    """A median ratio and the interquartile range of the per-round ratios."""
    return f"{ratio:.3f} ({iqr[0]:.3f}-{iqr[1]:.3f})"


# -- tables ------------------------------------------------------------------------------------


def load_rows(summary: dict[str, Any], labels: dict[str, str]) -> list[list[str]]:
    return [
        [
            labels[name],
            f"{figures['rps']:.0f}",
            with_spread(figures["rps_ratio"], figures["rps_ratio_iqr"]),
            f"{figures['p50_us'] / 1000:.2f}",
            f"{figures['p50_us_ratio']:.3f}",
            f"{figures['p99_us'] / 1000:.2f}",
            f"{figures['p99_us_ratio']:.3f}",
        ]
        for name, figures in summary.items()
    ]


LOAD_HEADER = ["req/s", "ratio (IQR)", "p50 ms", "ratio", "p99 ms", "ratio"]
CPU_HEADER = ["server CPU µs per request", "ratio"]


def with_cpu(rows: list[list[str]], names: Sequence[str], cpu: dict[str, Any]) -> list[list[str]]:
    """``rows`` with the server's CPU time per request and its ratio ("-" where not timed)."""
    for row, name in zip(rows, names, strict=True):
        figures = cpu.get(name)
        row += (
            [f"{figures['cpu_us_per_request']:.0f}", f"{figures['ratio']:.3f}"]
            if figures
            else ["-", "-"]
        )
    return rows


def overhead_table(overhead: dict[str, Any]) -> str:
    summary = overhead["summary"]
    rows = with_cpu(load_rows(summary, LABELS), list(summary), overhead["cpu"])
    return markdown_table(["variant", *LOAD_HEADER, *CPU_HEADER], rows)


def direct_table(direct: dict[str, Any]) -> str:
    summary = direct["summary"]
    base = summary["plain"]["us_per_request"]
    rows = [
        [
            LABELS[name],
            f"{figures['us_per_request']:.0f}",
            f"{figures['us_per_request'] - base:+.1f}",
            with_spread(figures["ratio"], figures["ratio_iqr"]),
        ]
        for name, figures in summary.items()
    ]
    return markdown_table(["variant", "µs per request", "µs over (a)", "ratio (IQR)"], rows)


def micro_table(micro: dict[str, Any]) -> str:
    costs = micro["ns_per_call"]
    rows = [
        [label, f"{costs[name]:,.0f}", f"{costs[name] - costs['plain']:+,.0f}"]
        for name, label in MICRO_LABELS.items()
        if name in costs
    ]
    return markdown_table(["call", "ns per call", "over the plain call (ns)"], rows)


def micro_steps_table(micro: dict[str, Any]) -> str:
    costs = micro["ns_per_call"]
    rows, previous = [], costs["plain"]
    for name, label in STEPS.items():
        rows.append(
            [label, f"{costs[name] - costs['plain']:+,.0f}", f"{costs[name] - previous:+,.0f}"]
        )
        previous = costs[name]
    return markdown_table(["per-call path", "over the plain call (ns)", "step (ns)"], rows)


def startup_table(startup: dict[str, Any]) -> str:
    sleep = startup["sleep_ms"]
    count, chain = startup["independent_resources"], startup["chain_length"]
    rows = [
        [
            f"startup: {count} independent resources, {sleep:.0f} ms each",
            f"{startup['independent_ms']:.1f}",
            f"{sleep:.0f} (one after another: {count * sleep:.0f})",
        ],
        [
            f"startup: a chain of {chain} dependent resources, {sleep:.0f} ms each",
            f"{startup['chain_ms']:.1f}",
            f"{chain * sleep:.0f}; in order: {'yes' if startup['chain_in_order'] else 'NO'}",
        ],
        [
            f"shutdown: {count} independent resources, {sleep:.0f} ms each",
            f"{startup['independent_shutdown_ms']:.1f}",
            f"{sleep:.0f} (one after another: {count * sleep:.0f})",
        ],
    ]
    return markdown_table(["through lifespan()", "ms (median)", "ideal ms"], rows)


def scaling_table(startup: dict[str, Any]) -> str:
    scaling = startup["scaling"]
    rows = []
    for length in startup["chain_lengths"]:
        for shape, label in (("chain", "a chain of"), ("flat", "independent:")):
            figures = scaling[f"{shape}_{length}"]
            total = figures["start_ms"] + figures["stop_ms"]
            rows.append(
                [
                    f"{label} {length:,}",
                    f"{figures['start_ms']:.1f}",
                    f"{figures['stop_ms']:.1f}",
                    f"{total * 1000 / length:.0f}",
                ]
            )
    header = ["resources", "startup ms", "shutdown ms", "µs per resource (both)"]
    return markdown_table(header, rows)


def suite_table(suite: dict[str, Any]) -> str:
    rows = [
        [
            label,
            f"{suite['seconds'][name]:.2f}",
            f"{suite['process_seconds'][name]:.2f}",
            f"{suite['ms_per_test_over_none'][name]:+.2f}",
        ]
        for name, label in SUITE_LABELS.items()
    ]
    header = [f"{suite['tests']} tests", "session s", "process s", "ms per test over none"]
    return markdown_table(header, rows)


def pooling_table(pooling: dict[str, Any]) -> str:
    summary = pooling["summary"]
    rows = [
        [
            POOLING_LABELS[name],
            f"{figures['rps']:.0f}",
            f"{figures['rps_ratio']:.2f}",
            f"{figures['p50_us'] / 1000:.2f}",
            f"{figures['p99_us'] / 1000:.2f}",
        ]
        for name, figures in summary.items()
    ]
    header = ["view calling the upstream", "req/s", "ratio to a client per request", "p50 ms"]
    return markdown_table([*header, "p99 ms"], rows)


def wsgi_table(wsgi: dict[str, Any]) -> str:
    summary = wsgi["summary"]
    rows = with_cpu(load_rows(summary, WSGI_LABELS), list(summary), wsgi["cpu"])
    for row, name in zip(rows, summary, strict=True):
        row.insert(3, "itself" if WSGI_BASES[name] == name else WSGI_LABELS[WSGI_BASES[name]])
    header = ["gunicorn, sync workers", *LOAD_HEADER[:2], "ratio against", *LOAD_HEADER[2:]]
    return markdown_table([*header, *CPU_HEADER], rows)


def wsgi_direct_table(wsgi: dict[str, Any]) -> str:
    direct = wsgi["direct"]["us_per_request"]
    rows = [
        [
            label,
            f"{direct[variant]:.1f}",
            f"{direct[variant] - direct['plain']:+.1f}",
            f"{direct[variant] / direct['plain']:.3f}",
        ]
        for variant, label in (
            ("plain", "plain Django, sync view"),
            ("lifespan_di", "django-lifespan-di, sync @inject view"),
        )
    ]
    header = ["WSGI application, GET /sync/ in-process", "µs per request", "µs over plain"]
    return markdown_table([*header, "ratio"], rows)


def bridge_table(bridge: dict[str, Any]) -> str:
    costs = bridge["us_per_call"]
    rows = [
        [label, f"{costs[name]:,.1f}", f"{costs[BRIDGE_BASES[name]] / costs[name]:.1f}"]
        for name, label in BRIDGE_LABELS.items()
    ]
    return markdown_table(
        ["from sync code", "µs per call", "times faster than async_to_sync"], rows
    )


def celery_table(celery: dict[str, Any]) -> str:
    summary = celery["summary"]
    rows = [
        [
            CELERY_LABELS[name],
            f"{summary[name]['tasks_per_second']:.0f}",
            f"{summary[name]['ratio']:.2f}",
        ]
        for name in CELERY_LABELS
    ]
    header = ["each task: one GET to the upstream", "tasks/s", "ratio to an async client per task"]
    return markdown_table(header, rows)


def memory_table(memory: dict[str, Any]) -> str:
    rows: list[list[str]] = []
    header: list[str] = []
    for name, figures in memory.items():
        rss = figures["rss_kib"]
        first, total = (key for key in rss if key != "start")
        rows.append(
            [
                f"{name} (`{figures['path']}`)",
                f"{rss['start'] / 1024:.1f}",
                f"{rss[first] / 1024:.1f}",
                f"{rss[total] / 1024:.1f}",
                f"{figures['growth_kib']:+d}",
            ]
        )
        header = ["server", "MiB at start", f"after {first}", f"after {total}", "growth KiB"]
    return markdown_table(header, rows)


# -- targets -----------------------------------------------------------------------------------


def target(name: str, measured: str, met: bool | None, profile: str | None) -> dict[str, Any]:
    """One row of the targets: ``met`` None for a comparison judged within the noise."""
    return {"target": name, "measured": measured, "met": met, "profile": profile}


def per_resource_growth(startup: dict[str, Any], shape: str) -> float:
    """How many times more startup and shutdown cost per resource for ``shape`` (chain, flat)
    of the longest length than of the shortest."""
    scaling, lengths = startup["scaling"], startup["chain_lengths"]

    def per_resource(length: int) -> float:
        figures = scaling[f"{shape}_{length}"]
        return float(figures["start_ms"] + figures["stop_ms"]) / length

    return per_resource(max(lengths)) / per_resource(min(lengths))


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of issues 7 and 17 that this run measured, with its verdict."""
    rows = []
    if "overhead" in results:
        ours = results["overhead"]["summary"]["lifespan_di"]["rps_ratio"]
        cpu = results["overhead"]["cpu"]["lifespan_di"]["ratio"]
        rows.append(
            target(
                "(b) req/s >= 0.97 x (a) under uvicorn",
                f"{ours:.3f} (server CPU per request: {cpu:.3f} x (a))",
                ours >= 0.97,
                "asgi",
            )
        )
    if "direct" in results:
        ratio = results["direct"]["summary"]["lifespan_di"]["ratio"]
        rows.append(
            target(
                "(b) CPU per request <= 1.03 x (a), in-process",
                f"{ratio:.3f}",
                ratio <= 1.03,
                "asgi",
            )
        )
    if "overhead" in results and "direct" in results:
        server, direct = results["overhead"]["summary"], results["direct"]["summary"]
        for other in ("asgi_lifespan", "di_wired"):
            # Judged in-process: under uvicorn the rounds of one variant disagree by several
            # per cent on this shared machine (see the IQR), more than the gap being judged.
            ours, theirs = direct["lifespan_di"], direct[other]
            noise = max(
                NOISE, *(high - low for low, high in (ours["ratio_iqr"], theirs["ratio_iqr"]))
            )
            measured = (
                f"in-process {ours['ratio']:.3f} vs {theirs['ratio']:.3f}; under uvicorn "
                f"{server['lifespan_di']['rps_ratio']:.3f} vs {server[other]['rps_ratio']:.3f} "
                f"req/s"
            )
            met: bool | None = ours["ratio"] <= theirs["ratio"]
            if not met and ours["ratio"] <= theirs["ratio"] + noise:
                met, measured = None, f"{measured} (within the noise, ±{noise:.1%})"
            name = f"(b) not slower than {LABELS[other][:3]} (CPU per request)"
            rows.append(target(name, measured, met, "asgi"))
    if "micro" in results:
        costs = results["micro"]["ns_per_call"]
        three = costs["lifespan_di_3"] - costs["plain"]
        floor = costs["floor"] - costs["plain"]
        rows.append(
            target(
                f"@inject with 3 resources <= {INJECT_THREE_NS} ns over a plain call",
                f"{three:,.0f} ns (floor {floor:,.0f} ns; wireup "
                f"{costs['wireup_3'] - costs['plain']:,.0f} ns, stock dependency-injector "
                f"{costs['di_wired_3'] - costs['plain']:,.0f} ns)",
                three <= INJECT_THREE_NS,
                "micro",
            )
        )
    if "startup" in results:
        startup = results["startup"]
        independent, chain, sleep = (
            startup["independent_ms"],
            startup["chain_ms"],
            startup["sleep_ms"],
        )
        count = startup["independent_resources"]
        rows.append(
            target(
                f"{count} independent start in ~{sleep:.0f} ms",
                f"{independent:.1f} ms",
                independent < 1.5 * sleep,
                "startup",
            )
        )
        in_order = startup["chain_in_order"]
        rows.append(
            target(
                "a dependent chain starts in order",
                f"{chain:.1f} ms, {'in order' if in_order else 'OUT OF ORDER'}",
                in_order and chain < (startup["chain_length"] + 0.5) * sleep,
                "startup",
            )
        )
        shutdown = startup["independent_shutdown_ms"]
        rows.append(
            target(
                f"{count} independent {sleep:.0f} ms shutdowns in <= {SHUTDOWN_MS} ms",
                f"{shutdown:.1f} ms",
                shutdown <= SHUTDOWN_MS,
                "startup",
            )
        )
        longest = startup["scaling"]["chain_1000"]
        both = (longest["start_ms"] + longest["stop_ms"]) / 1000
        rows.append(
            target(
                f"a chain of 1,000 starts and stops within {CHAIN_SECONDS} s",
                f"{both:.3f} s (start {longest['start_ms']:.0f} ms, stop "
                f"{longest['stop_ms']:.0f} ms)",
                both <= CHAIN_SECONDS,
                "startup",
            )
        )
        chains = per_resource_growth(startup, "chain")
        flats = per_resource_growth(startup, "flat")
        rows.append(
            target(
                f"linear: the time per resource grows <= x {LINEAR_GROWTH:g} from 250 to 1,000 "
                f"resources (chain; independent)",
                f"x {chains:.2f}; x {flats:.2f}",
                max(chains, flats) <= LINEAR_GROWTH,
                "startup",
            )
        )
    if "suite" in results:
        suite = results["suite"]["ms_per_test_over_none"]
        rows.append(
            target(
                f"test suite: lifespan_session adds <= {SUITE_SESSION_MS:g} ms per test",
                f"{suite['session']:+.2f} ms (per-test lifespan {suite['per_test']:+.1f} ms)",
                suite["session"] <= SUITE_SESSION_MS,
                "suite",
            )
        )
    if "pooling" in results:
        pooling = results["pooling"]
        ratio, connection = pooling["pooled_vs_unpooled"], pooling["pooled_vs_new_connection"]
        rows.append(
            target(
                "pooled client: throughput ratio to a client per request",
                f"x {ratio:.2f} (x {connection:.2f} against a new connection alone)",
                ratio > 1,
                "bridge",
            )
        )
    if "wsgi" in results:
        summary = results["wsgi"]["summary"]
        sync = summary["lifespan_di_sync"]["rps_ratio"]
        cpu = results["wsgi"]["cpu"]["lifespan_di_sync"]["ratio"]
        rows.append(
            target(
                f"gunicorn sync workers: sync @inject view req/s >= {WSGI_SYNC_RATIO} x plain",
                f"{with_spread(sync, summary['lifespan_di_sync']['rps_ratio_iqr'])} (workers' "
                f"CPU per request: {cpu:.3f} x plain)",
                sync >= WSGI_SYNC_RATIO,
                "wsgi",
            )
        )
        pooled = summary["lifespan_di_async_pooled"]["rps_ratio"]
        rows.append(
            target(
                "gunicorn: async view, shared client vs plain Django's client per request",
                f"x {pooled:.1f} req/s",
                pooled > 1,
                "bridge",
            )
        )
    if "bridge" in results:
        costs = results["bridge"]["us_per_call"]
        bridge = costs["async_to_sync"] / costs["run_in_lifespan_loop"]
        rows.append(
            target(
                "run_in_lifespan_loop faster than async_to_sync per call",
                f"{costs['run_in_lifespan_loop']:.0f} vs {costs['async_to_sync']:.0f} µs "
                f"(x {bridge:.1f}); a GET {costs['get_shared_client']:.0f} vs "
                f"{costs['get_new_client']:.0f} µs",
                bridge > 1,
                "bridge",
            )
        )
    if "celery" in results:
        summary = results["celery"]["summary"]
        ratio = summary["bench.pooled_get"]["ratio"]
        rows.append(
            target(
                "Celery: tasks/s through the shared client vs a client per task",
                f"x {ratio:.1f} ({summary['bench.pooled_get']['tasks_per_second']:.0f} vs "
                f"{summary['bench.unpooled_get']['tasks_per_second']:.0f} tasks/s)",
                ratio > 1,
                "bridge",
            )
        )
    if "memory" in results:
        memory = results["memory"].values()
        reference = next(f["growth_kib"] for f in memory if f["variant"] == "plain")
        for name, figures in results["memory"].items():
            if figures["variant"] == "plain":
                continue  # the reference, not a target
            growth = figures["growth_kib"]
            rows.append(
                target(
                    f"no RSS growth beyond plain Django's, {name}",
                    f"{growth:+d} KiB (plain Django {reference:+d} KiB)",
                    growth <= max(reference, 0) + RSS_GROWTH_LIMIT_KIB,
                    None,
                )
            )
    return rows


def targets_table(results: dict[str, Any]) -> str:
    rows = []
    for row in targets(results):
        if row["met"] is None:
            outcome = "within the noise"
        elif row["met"]:
            outcome = "met"
        elif row["profile"] == "micro":
            outcome = "**missed**: profile in [2](#2-decorator-cost)"
        elif row["profile"] in results.get("profiles", {}):
            outcome = f"**missed**: profile `{row['profile']}` below"
        else:
            outcome = "**missed**"
        rows.append([row["target"], row["measured"], outcome])
    return markdown_table(["target", "measured", ""], rows)


SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("overhead", "1. Request overhead under uvicorn", overhead_table),
    ("direct", "1b. Cost per request without the network", direct_table),
    ("micro", "2. Decorator cost", micro_table),
    ("micro", "2. The per-call path of @inject, guard by guard", micro_steps_table),
    ("startup", "3. Startup and shutdown", startup_table),
    ("startup", "3. Scaling", scaling_table),
    ("suite", "4. Test suites", suite_table),
    ("pooling", "5. What pooling buys", pooling_table),
    ("wsgi", "6. WSGI: gunicorn sync workers", wsgi_table),
    ("wsgi", "6. WSGI: CPU per request in-process", wsgi_direct_table),
    ("bridge", "7. Sync code calling async code", bridge_table),
    ("celery", "8. Celery", celery_table),
    ("memory", "9. Memory", memory_table),
)


def table(results: dict[str, Any]) -> str:
    """Every measured section and the targets, as plain-text (markdown) tables."""
    parts = [
        f"## {title}\n\n{render(results[key])}" for key, title, render in SECTIONS if key in results
    ]
    parts.append("## Targets\n\n" + targets_table(results))
    return "\n\n".join(parts)


# -- the page ------------------------------------------------------------------------------------


def machine_table(results: dict[str, Any]) -> str:
    info = results["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items())
    rows = [
        ["date", info["date"]],
        ["CPU", f"{info['cpu']}, {info['cores']} cores"],
        ["load average at start", " / ".join(map(str, info["load_average_at_start"]))],
        [
            "load average (1 min) as each phase ended",
            ", ".join(f"{phase} {load:g}" for phase, load in results.get("phase_load", {}).items())
            or "not recorded",
        ],
        ["OS", info["platform"]],
        ["Python", info["python"]],
        ["packages", packages],
        [
            "servers",
            "uvicorn, 1 worker, default loop and HTTP parser, no access log; gunicorn sync workers",
        ],
        ["load generator", info["load_generator"]],
        ["pinning", info["pinning"]],
        [
            "whole run",
            f"{results['seconds']:.0f} s ("
            + ", ".join(f"{phase} {sec:.0f} s" for phase, sec in results["phase_seconds"].items())
            + ")",
        ],
    ]
    return markdown_table(["", ""], rows)


def profiles_section(results: dict[str, Any]) -> str:
    found = results.get("profiles", {})
    if not found:
        return "None: every target with a profiler was met in this run."
    return "\n\n".join(
        f"### `{key}`: {PROFILE_TITLES[key]}\n\n```\n{text}\n```" for key, text in found.items()
    )


def wsgi_added_us(results: dict[str, Any]) -> float:
    direct = results["wsgi"]["direct"]["us_per_request"]
    return float(direct["lifespan_di"] - direct["plain"])


def targets_reading(results: dict[str, Any]) -> str:
    missed = [row for row in targets(results) if row["met"] is False]
    if not missed:
        return (
            "All met in this run (or within the measured noise), so nothing called for a profile."
        )
    where = [
        "the decorator's is its guard-by-guard table in 2"
        if row["profile"] == "micro"
        else f"`{row['profile']}` at the end of the page"
        for row in missed
        if row["profile"] == "micro" or row["profile"] in results.get("profiles", {})
    ]
    text = "Missed in this run: " + "; ".join(row["target"] for row in missed) + "."
    if where:
        text += " Profiles: " + ", ".join(dict.fromkeys(where)) + "."
    return text


def figures(results: dict[str, Any]) -> dict[str, str]:
    """The figures the template's sentences quote, formatted."""
    direct = results["direct"]["summary"]
    base = direct["plain"]["us_per_request"]
    ours = direct["lifespan_di"]["us_per_request"] - base
    stock = direct["di_wired"]["us_per_request"] - base
    costs = results["micro"]["ns_per_call"]
    plain = costs["plain"]
    middleware = costs["lifespan_di_middleware"] - plain
    inject_one = costs["lifespan_di_1"] - plain
    pooling = results["pooling"]["summary"]
    connection = 1 - pooling["unpooled_shared_tls"]["rps"] / pooling["pooled"]["rps"]
    growth = {name: f["growth_kib"] for name, f in results["memory"].items()}
    reference = next(kib for name, kib in growth.items() if "reference" in name)
    ours_growth = [kib for name, kib in growth.items() if "reference" not in name]
    startup, suite = results["startup"], results["suite"]
    chain = startup["scaling"]["chain_1000"]
    wsgi, bridge = results["wsgi"]["summary"], results["bridge"]["us_per_call"]
    celery = results["celery"]["summary"]
    budget = results["budget"]

    def ns(name: str) -> str:
        return f"{costs[name] - plain:,.0f}"

    return {
        "command": results["command"],
        "direct_base_us": f"{base:.0f}",
        "direct_ours_us": f"{ours:+.1f}",
        "direct_ours_share": f"{ours / base:+.1%}",
        "direct_noise": ", within the run-to-run noise" if abs(ours) <= NOISE * base else "",
        "middleware_ns": f"{middleware:,.0f}",
        "inject_one_ns": f"{inject_one:,.0f}",
        "added_share": f"{(middleware + inject_one) / 1000 / base:.2%}",
        "targets_reading": targets_reading(results),
        "inject_three_ns": ns("lifespan_di_3"),
        "floor_ns": ns("floor"),
        "inject_over_floor_ns": f"{costs['lifespan_di_3'] - costs['floor']:,.0f}",
        "step_published_ns": f"{costs['step_published'] - costs['floor']:,.0f}",
        "step_loop_thread_ns": f"{costs['step_loop_thread'] - costs['step_published']:,.0f}",
        "step_arguments_ns": f"{costs['lifespan_di_3'] - costs['step_loop_thread']:,.0f}",
        "wireup_three_ns": ns("wireup_3"),
        "stock_three_ns": ns("di_wired_3"),
        "stock_one_us": f"{(costs['di_wired_1'] - plain) / 1000:.1f}",
        "stock_direct_us": f"{stock:+.1f}",
        "suite_tests": str(suite["tests"]),
        "suite_per_test_ms": f"{suite['ms_per_test_over_none']['per_test']:.1f}",
        "suite_session_ms": f"{suite['ms_per_test_over_none']['session']:.2f}",
        "suite_per_test_s": f"{suite['seconds']['per_test']:.1f}",
        "suite_session_s": f"{suite['seconds']['session']:.2f}",
        "suite_none_s": f"{suite['seconds']['none']:.2f}",
        "shutdown_ms": f"{startup['independent_shutdown_ms']:.0f}",
        "chain_start_ms": f"{chain['start_ms']:.0f}",
        "chain_stop_ms": f"{chain['stop_ms']:.0f}",
        # ms for 1,000 resources: µs for one.
        "chain_us_per_resource": f"{chain['start_ms'] + chain['stop_ms']:.0f}",
        "chain_growth": f"{per_resource_growth(startup, 'chain'):.2f}",
        "flat_growth": f"{per_resource_growth(startup, 'flat'):.2f}",
        "scaling_reading": (
            "linear in the number and the depth of the resources"
            if max(per_resource_growth(startup, shape) for shape in ("chain", "flat"))
            <= LINEAR_GROWTH
            else "more than linear in this run (see its profile below)"
        ),
        "wsgi_direct_us": f"{results['wsgi']['direct']['us_per_request']['plain']:.0f}",
        "wsgi_direct_added": (
            f"{abs(wsgi_added_us(results)):.1f} µs "
            f"{'more' if wsgi_added_us(results) >= 0 else 'less'}"
        ),
        "wsgi_sync_ratio": f"{wsgi['lifespan_di_sync']['rps_ratio']:.3f}",
        "wsgi_cpu_ratio": f"{results['wsgi']['cpu']['lifespan_di_sync']['ratio']:.3f}",
        "wsgi_cpu_us": f"{results['wsgi']['cpu']['plain_sync']['cpu_us_per_request']:.0f}",
        "overhead_cpu_ratio": f"{results['overhead']['cpu']['lifespan_di']['ratio']:.3f}",
        "wsgi_pooled_ratio": f"{wsgi['lifespan_di_async_pooled']['rps_ratio']:.1f}",
        "bridge_run_us": f"{bridge['run_in_lifespan_loop']:.0f}",
        "bridge_async_to_sync_us": f"{bridge['async_to_sync']:.0f}",
        "bridge_get_shared_us": f"{bridge['get_shared_client']:,.0f}",
        "bridge_get_new_us": f"{bridge['get_new_client']:,.0f}",
        "celery_threads": str(results["celery"]["threads"]),
        "celery_pooled_tps": f"{celery['bench.pooled_get']['tasks_per_second']:.0f}",
        "celery_unpooled_tps": f"{celery['bench.unpooled_get']['tasks_per_second']:.0f}",
        "celery_sync_tps": f"{celery['bench.unpooled_sync_get']['tasks_per_second']:.0f}",
        "celery_ratio": f"{celery['bench.pooled_get']['ratio']:.1f}",
        "connection_reading": (
            f"costs {connection:.0%} of the throughput"
            if connection > NOISE
            else "cost nothing measurable in this run (the pooled view and this one differed by "
            f"{abs(connection):.0%}, within the spread of the rounds)"
        ),
        "memory_ours": " and ".join(f"{kib:+d} KiB" for kib in ours_growth),
        "memory_reference": f"{reference:+d} KiB",
        "memory_reading": (
            ": what is left is uvicorn, asyncio and the allocator settling, not something kept "
            "per request."
            if max(ours_growth) <= max(reference, 0) + RSS_GROWTH_LIMIT_KIB
            else ". (b) grew more than the reference: look for something kept per request."
        ),
        # How each section was run.
        "rounds": str(budget["rounds"]),
        "seconds": str(budget["seconds"]),
        "connections": str(budget["connections"]),
        "direct_requests": f"{budget['direct_requests']:,}",
        "direct_rounds": str(budget["direct_rounds"]),
        "micro_calls": f"{results['micro']['calls']:,}",
        "micro_repeat": str(results["micro"]["repeat"]),
        "sleep_ms": f"{startup['sleep_ms']:.0f}",
        "startup_runs": str(startup["runs"]),
        "chain_lengths": ", ".join(f"{n:,}" for n in startup["chain_lengths"]),
        "suite_sleep_ms": f"{suite['sleep_ms']:.0f}",
        "suite_rounds": str(suite["rounds"]),
        "pooling_rounds": str(budget["pooling_rounds"]),
        "wsgi_workers": str(results["wsgi"]["workers"]),
        "wsgi_rounds": str(budget["wsgi_rounds"]),
        "wsgi_async_rounds": str(budget["wsgi_async_rounds"]),
        "wsgi_direct_rounds": str(budget["wsgi_direct_rounds"]),
        "wsgi_direct_requests": f"{budget['wsgi_direct_requests']:,}",
        "bridge_calls": str(results["bridge"]["calls"]),
        "bridge_repeat": str(results["bridge"]["repeat"]),
        "celery_rounds": str(budget["celery_rounds"]),
        "celery_tasks": str(budget["celery_tasks"]),
        "celery_tasks_per_client": str(max(budget["celery_tasks"] // 4, 10)),
    }


def write_markdown(results: dict[str, Any], path: Path) -> None:
    """docs/benchmarks.md: the template filled with this run's tables and figures."""
    tables = {f"{render.__name__}": render(results[key]) for key, _, render in SECTIONS}
    page = Template(TEMPLATE.read_text()).substitute(
        figures(results),
        **tables,
        machine_table=machine_table(results),
        targets_table=targets_table(results),
        profiles=profiles_section(results),
    )
    path.write_text(page)


# -- the plot ------------------------------------------------------------------------------------


def write_plot(results: dict[str, Any], path: Path) -> None:
    """docs/benchmarks.png: one panel per benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 4, figsize=(22, 13))
    (
        overhead,
        direct,
        micro,
        startup,
        scaling,
        suite,
        pooling,
        wsgi,
        bridge,
        celery,
        memory,
        wsgi_direct,
    ) = axes.flat

    summary = results["overhead"]["summary"]
    names = list(summary)
    width = 0.27
    for offset, (key, label) in enumerate(
        (("rps_ratio", "req/s"), ("p50_us_ratio", "p50 latency"), ("p99_us_ratio", "p99 latency"))
    ):
        positions = [i + (offset - 1) * width for i in range(len(names))]
        overhead.bar(positions, [summary[n][key] for n in names], width, label=label)
    overhead.axhline(1.0, color="black", linewidth=0.8)
    overhead.axhline(0.97, color="grey", linestyle="--", linewidth=0.8, label="0.97 target")
    overhead.set_xticks(range(len(names)), [LABELS[n][:3] for n in names])
    overhead.set_ylim(0.8, max(1.2, *(summary[n]["p99_us_ratio"] for n in names)) + 0.05)
    overhead.set_title("1. Request overhead under uvicorn, ratio to (a)")
    overhead.legend(fontsize=8)

    per_request = results["direct"]["summary"]
    direct.bar(
        [LABELS[n][:3] for n in per_request],
        [per_request[n]["us_per_request"] for n in per_request],
        color="tab:purple",
    )
    direct.set_ylabel("µs per request")
    direct.set_title("1b. CPU per request, in-process (no network)")

    costs = results["micro"]["ns_per_call"]
    shown = [n for n in MICRO_LABELS if n in costs]
    micro.barh(
        [MICRO_LABELS[n].replace(", ", ",\n") for n in shown],
        [max(costs[n] - costs["plain"], 1) for n in shown],
        color=["tab:green" if n.startswith("lifespan_di") else "tab:blue" for n in shown],
    )
    micro.axvline(INJECT_THREE_NS, color="grey", linestyle="--", linewidth=0.8)
    micro.set_xscale("log")
    micro.set_xlim(left=10)
    micro.invert_yaxis()
    micro.set_xlabel(f"ns over a plain call (log scale); dashed: the {INJECT_THREE_NS} ns target")
    micro.set_title("2. Decorator cost")
    micro.tick_params(axis="y", labelsize=7)

    start = results["startup"]
    sleep = start["sleep_ms"]
    cases = ["10 startups,\nindependent", "3 startups,\na chain", "10 shutdowns,\nindependent"]
    startup.bar(
        cases, [start["independent_ms"], start["chain_ms"], start["independent_shutdown_ms"]]
    )
    startup.bar(
        cases, [10 * sleep, 3 * sleep, 10 * sleep], fill=False, linestyle=":", label="one by one"
    )
    startup.set_ylabel("ms")
    startup.set_title("3. Startup and shutdown, 100 ms each")
    startup.legend(fontsize=8)

    lengths = start["chain_lengths"]
    for shape, label in (("chain", "chain"), ("flat", "independent")):
        for phase in ("start_ms", "stop_ms"):
            scaling.plot(
                lengths,
                [start["scaling"][f"{shape}_{n}"][phase] for n in lengths],
                marker="o",
                label=f"{label}, {phase[:-3]}",
            )
    scaling.set_xlabel("resources")
    scaling.set_ylabel("ms")
    scaling.set_ylim(bottom=0)
    scaling.set_title(f"3. Scaling (target: chain of 1,000 in {CHAIN_SECONDS} s)")
    scaling.legend(fontsize=8)

    tests = results["suite"]
    suite.bar(
        ["no lifespan", "lifespan", "lifespan_session"],
        [tests["seconds"][n] for n in SUITE_LABELS],
        color=["tab:grey", "tab:red", "tab:green"],
    )
    suite.set_ylabel("seconds for the suite")
    suite.set_title(f"4. {tests['tests']} tests, a {tests['sleep_ms']:.0f} ms resource")

    pooled = results["pooling"]["summary"]
    pooling.barh(
        [POOLING_LABELS[n].replace(", ", ",\n") for n in pooled],
        [pooled[n]["rps"] for n in pooled],
        color=["tab:green", "tab:red", "tab:orange"],
    )
    pooling.invert_yaxis()
    pooling.set_xlabel("req/s")
    pooling.set_title("5. Upstream calls: shared pool vs client per request")
    pooling.tick_params(axis="y", labelsize=8)

    served = results["wsgi"]["summary"]
    wsgi.barh(
        [WSGI_LABELS[n].replace(", ", ",\n", 1) for n in served],
        [served[n]["rps"] for n in served],
        color=["tab:grey", "tab:green", "tab:red", "tab:green"],
    )
    wsgi.invert_yaxis()
    wsgi.set_xscale("log")
    wsgi.set_xlabel("req/s (log scale)")
    wsgi.set_title(f"6. gunicorn, {results['wsgi']['workers']} sync workers")
    wsgi.tick_params(axis="y", labelsize=8)

    calls = results["bridge"]["us_per_call"]
    bridge.barh(
        [BRIDGE_LABELS[n].replace(": ", ":\n").replace(", ", ",\n", 1) for n in BRIDGE_LABELS],
        [calls[n] for n in BRIDGE_LABELS],
        color=["tab:green", "tab:red", "tab:green", "tab:red"],
    )
    bridge.invert_yaxis()
    bridge.set_xscale("log")
    bridge.set_xlabel("µs per call (log scale)")
    bridge.set_title("7. Sync code calling async code")
    bridge.tick_params(axis="y", labelsize=7)

    tasks = results["celery"]["summary"]
    celery.barh(
        [CELERY_LABELS[n].replace(" (", "\n(") for n in CELERY_LABELS],
        [tasks[n]["tasks_per_second"] for n in CELERY_LABELS],
        color=["tab:green", "tab:red", "tab:orange"],
    )
    celery.invert_yaxis()
    celery.set_xlabel("tasks/s")
    celery.set_title(f"8. Celery, {results['celery']['threads']} threads, one GET a task")
    celery.tick_params(axis="y", labelsize=8)

    for name, rss_figures in results["memory"].items():
        rss = rss_figures["rss_kib"]
        memory.plot(list(rss), [kib / 1024 for kib in rss.values()], marker="o", label=name)
    memory.set_xlabel("requests served")
    memory.set_ylabel("VmRSS, MiB")
    memory.set_ylim(bottom=0)
    memory.set_title("9. Server memory")
    memory.legend(fontsize=8)

    in_process = results["wsgi"]["direct"]["us_per_request"]
    wsgi_direct.bar(
        ["plain Django,\nsync view", "django-lifespan-di,\nsync @inject view"],
        [in_process["plain"], in_process["lifespan_di"]],
        color=["tab:grey", "tab:green"],
    )
    wsgi_direct.set_ylabel("µs per request")
    wsgi_direct.set_title("6b. WSGI, CPU per request in-process")

    figure.suptitle(f"django-lifespan-di benchmarks, {results['machine']['date']}")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
