"""``bench/results.json`` as tables (``bench/tables.md``) and a plot (``docs/benchmarks.png``).

The words are written by hand in ``docs/benchmarks.md``, which includes each table of
``bench/tables.md`` by its section name (pymdownx.snippets). A full ``make bench`` writes both;
to write them again from the committed results::

    python -m bench.report

A phase measured again on its own (``python -m bench.run --only telemetry --save run.json``)
replaces that phase's figures in ``bench/results.json``, and the tables say when it ran::

    python -m bench.report --merge run.json
"""

from __future__ import annotations

import argparse
import ast
import json
import operator
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

BENCH = Path(__file__).resolve().parent
RESULTS, TABLES = BENCH / "results.json", BENCH / "tables.md"
PLOT = BENCH.parent / "docs" / "benchmarks.png"

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
    "lifespan_di_middleware_read": "the same, reading one object from request.state",
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
    "step_loop_thread": "+ their loop runs in this thread (`thread_loop_mark() == mark`)",
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
WSGI_DIRECT_LABELS = {
    "plain": WSGI_LABELS["plain_sync"],
    "lifespan_di": WSGI_LABELS["lifespan_di_sync"],
}
BRIDGE_LABELS = {
    "run_in_lifespan_loop": "run_in_lifespan_loop(empty coroutine)",
    "async_to_sync": "async_to_sync(empty coroutine)(), a new loop per call",
    "get_shared_client": "one GET: run_in_lifespan_loop, shared pooled client",
    "get_new_client": "one GET: async_to_sync, new client per call",
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
# -- targets -------------------------------------------------------------------------------------


class Target(NamedTuple):
    """``figure`` ``compare`` ``limit``, each side a number or a formula over the results: paths
    (``memory["pooled client"].growth_kib``), numbers, ``+ - * /`` and ``max``."""

    name: str
    where: str  # what ran the code (the server and its workers, or the harness) and the loop
    profile: str | None  # bench/profiles.py's profile of the code path, taken when missed
    figure: str
    compare: str  # a key of COMPARE
    limit: float | str
    unit: str  # a key of UNITS


#: uvicorn's defaults pick uvloop and httptools when installed, as the locks have them.
UVICORN, GUNICORN = "uvicorn, 1 worker, uvloop + httptools", "gunicorn, sync workers"
GUNICORN_ASGI = "gunicorn, 1 uvicorn worker, uvloop + httptools"
WSGI_DIRECT = "Django's WSGI handler in-process"
ASGI, AWAITED = "ASGI application in-process, asyncio", "awaited in a lifespan, asyncio"
AWAITED_UVLOOP = "awaited in a lifespan, uvloop"
LIFESPAN, SYNC = "lifespan(), asyncio", "sync code, the lifespan in a LifespanThread"
CELERY = "Celery, threads pool, the lifespan in a LifespanThread"
WSGI_FIRST = "Django's sync handler in a fresh process, PostgreSQL on 127.0.0.1"
#: Beyond plain Django's own growth, still none: allocator and page granularity; a leak of 90
#: bytes a request over the 6,000 requests between the two readings exceeds it.
RSS = 'max(memory["plain Django (reference)"].growth_kib, 0) + 512'
CHAIN, FLAT = "startup.scaling.chain_", "startup.scaling.flat_"
#: What the package promises, a row each. A row whose figures the run did not measure (``--only``)
#: is left out; where the limit is another figure of the run, a miss can be within their noise.
# fmt: off
TARGETS = (
    Target("(b) req/s, ratio to (a)", UVICORN, "asgi",
           "overhead.summary.lifespan_di.rps_ratio", "≥", 0.97, "ratio"),
    Target("(b) CPU per request, ratio to (a)", ASGI, "asgi",
           "direct.summary.lifespan_di.ratio", "≤", 1.03, "ratio"),
    Target("(b) not slower than (c): CPU per request, ratio to (a)", ASGI, "asgi",
           "direct.summary.lifespan_di.ratio", "≤", "direct.summary.asgi_lifespan.ratio", "ratio"),
    Target("(b) not slower than (d): CPU per request, ratio to (a)", ASGI, "asgi",
           "direct.summary.lifespan_di.ratio", "≤", "direct.summary.di_wired.ratio", "ratio"),
    Target("`@inject`, 3 resources, over a plain call", AWAITED, "micro",
           "micro.ns_per_call.lifespan_di_3 - micro.ns_per_call.plain", "≤", 300, "ns"),
    Target("`@inject`, 3 resources, over a plain call", AWAITED_UVLOOP, "micro",
           "micro.uvloop_ns_per_call.lifespan_di_3 - micro.uvloop_ns_per_call.plain", "≤", 300,
           "ns"),
    Target("`@inject` over a plain call: uvloop over asyncio", "both loops, one run", "micro",
           "(micro.uvloop_ns_per_call.lifespan_di_3 - micro.uvloop_ns_per_call.plain)"
           " / (micro.ns_per_call.lifespan_di_3 - micro.ns_per_call.plain)", "≤", 1.2, "times"),
    Target("`LifespanStateMiddleware` over a plain call", AWAITED, "micro",
           "micro.ns_per_call.lifespan_di_middleware - micro.ns_per_call.plain", "≤", 300,
           "ns"),
    Target("(b) req/s, ratio to (a)", GUNICORN_ASGI, "asgi",
           "gunicorn_asgi.summary.lifespan_di.rps_ratio", "≥", 0.97, "ratio"),
    Target("sync `@inject` view: CPU per request, ratio to plain Django's", WSGI_DIRECT,
           "wsgi", "wsgi.direct.ratio", "≤", 1.05, "ratio"),
    Target("`@inject`, 3 resources, with a tracer provider set, ratio to without", AWAITED,
           "micro", "telemetry.ratio.lifespan_di_3", "≤", 1.03, "ratio"),
    Target("the middleware, with a tracer provider set, ratio to without", AWAITED, "micro",
           "telemetry.ratio.lifespan_di_middleware", "≤", 1.03, "ratio"),
    Target("10 independent resources of 100 ms start in", LIFESPAN, "startup",
           "startup.independent_ms", "<", "1.5 * startup.sleep_ms", "ms"),
    Target("a chain of 3 dependent resources starts in order", LIFESPAN, "startup",
           "startup.chain_in_order", "=", True, "yes"),
    Target("a chain of 3 resources of 100 ms starts in", LIFESPAN, "startup",
           "startup.chain_ms", "<", "(startup.chain_length + 0.5) * startup.sleep_ms", "ms"),
    Target("10 independent resources of 100 ms shut down in", LIFESPAN, "startup",
           "startup.independent_shutdown_ms", "≤", 150, "ms"),
    Target("a chain of 1,000 resources starts and stops in", LIFESPAN, "startup",
           f"{CHAIN}1000.start_ms + {CHAIN}1000.stop_ms", "≤", 500, "ms"),
    Target("linear: time per resource, a chain of 1,000 over one of 250", LIFESPAN, "startup",
           f"({CHAIN}1000.start_ms + {CHAIN}1000.stop_ms) / 4"
           f" / ({CHAIN}250.start_ms + {CHAIN}250.stop_ms)", "≤", 2, "times"),
    Target("linear: time per resource, 1,000 independent over 250", LIFESPAN, "startup",
           f"({FLAT}1000.start_ms + {FLAT}1000.stop_ms) / 4"
           f" / ({FLAT}250.start_ms + {FLAT}250.stop_ms)", "≤", 2, "times"),
    Target("first request, Django's lazy pool over the pool the lifespan warmed", WSGI_FIRST,
           None, "databases.lazy_first_ms / databases.warmed_first_ms", ">", 1, "times"),
    Target("test suite: `lifespan_session` per test, over no lifespan", "pytest", "suite",
           "suite.ms_per_test_over_none.session", "≤", 1, "ms"),
    Target("pooled client: req/s, ratio to a client per request", UVICORN, "bridge",
           "pooling.pooled_vs_unpooled", ">", 1, "times"),
    Target("pooled client: req/s, ratio to a new connection per request", UVICORN, "bridge",
           "pooling.pooled_vs_new_connection", ">", 1, "times"),
    Target("sync `@inject` view: req/s, ratio to plain Django's", GUNICORN, "wsgi",
           "wsgi.summary.lifespan_di_sync.rps_ratio", "≥", 0.97, "ratio"),
    Target("async view, shared client: req/s, ratio to plain Django's", GUNICORN, "bridge",
           "wsgi.summary.lifespan_di_async_pooled.rps_ratio", ">", 1, "times"),
    Target("`run_in_lifespan_loop`: times faster than `async_to_sync`", SYNC, "bridge",
           "bridge.us_per_call.async_to_sync / bridge.us_per_call.run_in_lifespan_loop",
           ">", 1, "times"),
    Target("Celery: tasks/s, shared client over a client per task", CELERY, "bridge",
           'celery.summary["bench.pooled_get"].ratio', ">", 1, "times"),
    Target("`readyz` from the cache, 10 pinged resources, per request", ASGI, None,
           "health.readyz_cached_ms", "≤", 1, "ms"),
    Target("10 pings of 100 ms complete in", LIFESPAN, None,
           "health.concurrent_pings_ms", "<", "1.5 * health.sleep_ms", "ms"),
    Target("RSS growth, injected view", UVICORN, None,
           'memory["injected view"].growth_kib', "≤", RSS, "KiB"),
    Target("RSS growth, pooled client", UVICORN, None,
           'memory["pooled client"].growth_kib', "≤", RSS, "KiB"),
)
COMPARE = {"≤": operator.le, "<": operator.lt, "≥": operator.ge, ">": operator.gt, "=": operator.eq}
UNITS = {"ratio": "{:.3f}", "times": "x {:.2f}", "ns": "{:,.0f} ns", "ms": "{:,.1f} ms"}
UNITS |= {"KiB": "{:+,.0f} KiB", "yes": "{}"}
# fmt: on
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
OPERATORS |= {ast.Div: operator.truediv}
#: The least difference between two figures of one run that counts as one.
NOISE = 0.01


def value(results: dict[str, Any], formula: float | str) -> Any:
    """``formula`` over ``results``; a KeyError when the run did not measure a figure of it."""
    if not isinstance(formula, str):
        return formula

    def evaluate(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return results[node.id]
        if isinstance(node, ast.Attribute):
            return evaluate(node.value)[node.attr]
        if isinstance(node, ast.Subscript):
            return evaluate(node.value)[evaluate(node.slice)]
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "max":
            return max(evaluate(argument) for argument in node.args)
        raise ValueError(f"{formula!r}: {ast.unparse(node)} is not a path, number, + - * / or max")

    return evaluate(ast.parse(formula, mode="eval").body)


class Verdict(NamedTuple):
    target: Target
    figure: Any
    limit: Any
    met: bool | None  # None: missed, by less than the noise of the two figures compared


def noise(results: dict[str, Any], target: Target) -> float:
    """When both sides are paths to figures of the run with the interquartile range of their
    rounds (``<path>_iqr``): the wider range, at least NOISE. Otherwise none."""
    sides = [f"{side}_iqr" for side in (target.figure, target.limit)]
    if not all(re.fullmatch(r"[a-z_.]+", side) for side in sides):
        return 0.0
    try:
        return float(max(NOISE, *(high - low for low, high in (value(results, s) for s in sides))))
    except KeyError:
        return 0.0


def verdicts(results: dict[str, Any]) -> list[Verdict]:
    """Each target whose figures this run measured, with its verdict."""
    found = []
    for target in TARGETS:
        try:
            figure, limit = value(results, target.figure), value(results, target.limit)
        except KeyError:
            continue
        met: bool | None = COMPARE[target.compare](figure, limit)
        spread = noise(results, target) * (1 if target.compare in "≤<" else -1)
        if not met and spread and COMPARE[target.compare](figure, limit + spread):
            met = None
        found.append(Verdict(target, figure, limit, met))
    return found


def missed(results: dict[str, Any]) -> list[str]:
    """The profiles of the code paths of the targets this run missed."""
    found = [v.target.profile for v in verdicts(results) if v.met is False and v.target.profile]
    return list(dict.fromkeys(found))


def shown(figure: Any, unit: str) -> str:
    return ("yes" if figure else "no") if isinstance(figure, bool) else UNITS[unit].format(figure)


def targets_table(results: dict[str, Any]) -> list[list[str]]:
    """Each target with its figure, its limit and the verdict."""
    rows = []
    for target, figure, limit, met in verdicts(results):
        outcome = {None: "within the noise", True: "met"}.get(met, "**missed**")
        if met is False and target.profile == "micro":
            outcome += ": profile in [2](#2-decorator-cost)"
        elif met is False and target.profile in results.get("profiles", {}):
            outcome += f": profile `{target.profile}` below"
        limit_shown = f"{target.compare} {shown(limit, target.unit)}"
        rows.append([target.name, target.where, shown(figure, target.unit), limit_shown, outcome])
    return [["target", "measured under", "figure", "limit", "verdict"], *rows]


# -- tables: each a list of rows, the header first ----------------------------------------------


def labelled(
    entries: dict[str, Any], labels: dict[str, str], cells: Callable[[str], list[str]]
) -> list[list[str]]:
    """A row per label whose entry the run measured: the label, then the cells of that entry."""
    return [[label, *cells(name)] for name, label in labels.items() if name in entries]


def spread(ratio: float, iqr: Sequence[float]) -> str:
    """A median ratio and the interquartile range of the per-round ratios."""
    return f"{ratio:.3f} ({iqr[0]:.3f}-{iqr[1]:.3f})"


def load_table(part: dict[str, Any], first: str, labels: dict[str, str]) -> list[list[str]]:
    """Requests per second and latencies, medians over rounds and ratios to a reference's run of
    the same round; then the server's CPU time per request, where it was read."""
    summary, cpu = part["summary"], part.get("cpu", {})
    header = [first, "req/s", "ratio (IQR)", "p50 ms", "ratio", "p99 ms", "ratio"]
    header += ["server CPU µs per request", "ratio"] if cpu else []

    def cells(name: str) -> list[str]:
        f, used = summary[name], cpu.get(name)
        found = [f"{f['rps']:.0f}", spread(f["rps_ratio"], f["rps_ratio_iqr"])]
        found += [f"{f['p50_us'] / 1000:.2f}", f"{f['p50_us_ratio']:.3f}"]
        found += [f"{f['p99_us'] / 1000:.2f}", f"{f['p99_us_ratio']:.3f}"]
        if used:
            return [*found, f"{used['cpu_us_per_request']:.0f}", f"{used['ratio']:.3f}"]
        return found + (["-", "-"] if cpu else [])

    return [header, *labelled(summary, labels, cells)]


def direct_table(results: dict[str, Any]) -> list[list[str]]:
    summary = results["direct"]["summary"]
    base = summary["plain"]["us_per_request"]

    def cells(name: str) -> list[str]:
        f = summary[name]
        us = f["us_per_request"]
        return [f"{us:.0f}", f"{us - base:+.1f}", spread(f["ratio"], f["ratio_iqr"])]

    header = ["variant", "µs per request", "µs over (a)", "ratio (IQR)"]
    return [header, *labelled(summary, LABELS, cells)]


def micro_table(results: dict[str, Any]) -> list[list[str]]:
    ns = results["micro"]["ns_per_call"]
    return [
        ["call", "ns per call", "over the plain call (ns)"],
        *labelled(ns, MICRO_LABELS, lambda n: [f"{ns[n]:,.0f}", f"{ns[n] - ns['plain']:+,.0f}"]),
    ]


def steps_table(results: dict[str, Any]) -> list[list[str]]:
    ns, previous = results["micro"]["ns_per_call"], "plain"
    found = [["per-call path", "over the plain call (ns)", "step (ns)", "over the floor (ns)"]]
    for name, label in STEPS.items():
        over = (ns[name] - ns[base] for base in ("plain", previous, "floor"))
        found.append([label, *(f"{x:+,.0f}" for x in over)])
        previous = name
    return found


def telemetry_table(results: dict[str, Any]) -> list[list[str]]:
    telemetry = results["telemetry"]
    untraced, traced = (telemetry["ns_per_call"][mode] for mode in ("untraced", "traced"))
    return [
        ["call", "ns per call, no tracer provider", "ns per call, tracer provider set", "ratio"],
        *labelled(
            telemetry["ratio"],
            MICRO_LABELS,
            lambda n: [f"{untraced[n]:,.0f}", f"{traced[n]:,.0f}", f"{telemetry['ratio'][n]:.3f}"],
        ),
    ]


def startup_table(results: dict[str, Any]) -> list[list[str]]:
    startup = results["startup"]
    count, sleep, chain = (
        startup[key] for key in ("independent_resources", "sleep_ms", "chain_length")
    )
    alone = f"{sleep:.0f} (one after another: {count * sleep:.0f})"
    ordered = f"{chain * sleep:.0f}; in order: {'yes' if startup['chain_in_order'] else 'NO'}"
    found = [["through lifespan()", "ms (median)", "ideal ms"]]
    for what, key, ideal in (
        (f"startup: {count} independent resources", "independent_ms", alone),
        (f"startup: a chain of {chain} dependent resources", "chain_ms", ordered),
        (f"shutdown: {count} independent resources", "independent_shutdown_ms", alone),
    ):
        found.append([f"{what}, {sleep:.0f} ms each", f"{startup[key]:.1f}", ideal])
    return found


def scaling_table(results: dict[str, Any]) -> list[list[str]]:
    startup = results["startup"]
    found = [["resources", "startup ms", "shutdown ms", "µs per resource (both)"]]
    for length in startup["chain_lengths"]:
        for shape, label in (("chain", "a chain of"), ("flat", "independent:")):
            f = startup["scaling"][f"{shape}_{length}"]
            start, stop = f["start_ms"], f["stop_ms"]
            each = (start + stop) * 1000 / length
            found.append([f"{label} {length:,}", f"{start:.1f}", f"{stop:.1f}", f"{each:.0f}"])
    return found


def suite_table(results: dict[str, Any]) -> list[list[str]]:
    suite = results["suite"]
    header = [f"{suite['tests']} tests", "session s", "process s", "ms per test over none"]

    def cells(name: str) -> list[str]:
        seconds, process = suite["seconds"][name], suite["process_seconds"][name]
        return [f"{seconds:.2f}", f"{process:.2f}", f"{suite['ms_per_test_over_none'][name]:+.2f}"]

    return [header, *labelled(suite["seconds"], SUITE_LABELS, cells)]


def wsgi_direct_table(results: dict[str, Any]) -> list[list[str]]:
    us = results["wsgi"]["direct"]["us_per_request"]
    header = ["WSGI application, GET /sync/ in-process", "µs per request", "µs over plain", "ratio"]

    def cells(name: str, plain: float = us["plain"]) -> list[str]:
        return [f"{us[name]:.1f}", f"{us[name] - plain:+.1f}", f"{us[name] / plain:.3f}"]

    return [header, *labelled(us, WSGI_DIRECT_LABELS, cells)]


def bridge_table(results: dict[str, Any]) -> list[list[str]]:
    us = results["bridge"]["us_per_call"]
    header = ["from sync code", "µs per call", "times faster than async_to_sync"]

    def cells(name: str) -> list[str]:
        same = "get_new_client" if name.startswith("get_") else "async_to_sync"
        return [f"{us[name]:,.1f}", f"{us[same] / us[name]:.1f}"]

    return [header, *labelled(us, BRIDGE_LABELS, cells)]


def celery_table(results: dict[str, Any]) -> list[list[str]]:
    tasks = results["celery"]["summary"]
    header = ["each task: one GET to the upstream", "tasks/s", "ratio to an async client per task"]
    figures = {
        name: [f"{f['tasks_per_second']:.0f}", f"{f['ratio']:.2f}"] for name, f in tasks.items()
    }
    return [header, *labelled(tasks, CELERY_LABELS, figures.__getitem__)]


def memory_table(results: dict[str, Any]) -> list[list[str]]:
    memory = results["memory"]
    counts = list(next(iter(memory.values()))["rss_kib"])[1:]  # after "start"
    header = ["server", "MiB at start", *(f"after {count}" for count in counts), "growth KiB"]

    def cells(name: str) -> list[str]:
        mib = [f"{kib / 1024:.1f}" for kib in memory[name]["rss_kib"].values()]
        return [*mib, f"{memory[name]['growth_kib']:+d}"]

    return [
        header,
        *labelled(memory, {n: f"{n} (`{f['path']}`)" for n, f in memory.items()}, cells),
    ]


def run_table(results: dict[str, Any]) -> list[list[str]]:
    info, loads = results["machine"], results.get("phase_load", {})
    phases = [
        f"{phase} {seconds:.0f} s" + (f" ({loads[phase]:g})" if phase in loads else "")
        for phase, seconds in results["phase_seconds"].items()
    ]
    return [
        ["", ""],
        ["command", f"`{results['command']}`, {results['seconds']:.0f} s"],
        ["phases (load average, 1 min, as each ended)", ", ".join(phases)],
        ["date", info["date"]],
        ["CPU", f"{info['cpu']}, {info['cores']} cores"],
        ["load average at start", " / ".join(map(str, info["load_average_at_start"]))],
        ["OS", info["platform"]],
        ["Python", info["python"]],
        ["packages", ", ".join(f"{name} {version}" for name, version in info["packages"].items())],
        ["load generator", info["load_generator"]],
        ["pinning", info["pinning"]],
        *(
            [f"`{phase}` run again on its own", when]
            for phase, when in results.get("merged", {}).items()
        ),
    ]


def budget_table(results: dict[str, Any]) -> list[list[str]]:
    """bench/run.py's Budget for the run: how long and how often each phase measured."""
    shown = {
        key: n if isinstance(n, (list, tuple)) else [n] for key, n in results["budget"].items()
    }
    return [["budget", ""], *([f"`{k}`", ", ".join(f"{x:,}" for x in n)] for k, n in shown.items())]


#: The tables of bench/tables.md by section name; a KeyError leaves out one the run did not measure.
SECTIONS: tuple[tuple[str, Callable[[dict[str, Any]], list[list[str]]]], ...] = (
    ("run", run_table),
    ("budget", budget_table),
    ("targets", targets_table),
    ("overhead", lambda r: load_table(r["overhead"], "variant", LABELS)),
    ("gunicorn-asgi", lambda r: load_table(r["gunicorn_asgi"], "variant", LABELS)),
    ("direct", direct_table),
    ("micro", micro_table),
    ("steps", steps_table),
    ("telemetry", telemetry_table),
    ("startup", startup_table),
    ("scaling", scaling_table),
    ("suite", suite_table),
    ("pooling", lambda r: load_table(r["pooling"], "view calling the upstream", POOLING_LABELS)),
    ("wsgi", lambda r: load_table(r["wsgi"], "gunicorn, sync workers", WSGI_LABELS)),
    ("wsgi-direct", wsgi_direct_table),
    ("bridge", bridge_table),
    ("celery", celery_table),
    ("memory", memory_table),
)


def markdown(rows: Sequence[Sequence[str]]) -> str:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in body])


def tables(results: dict[str, Any]) -> dict[str, str]:
    """The run's tables by section name, then the profiles it took of the missed targets."""
    found = {}
    for name, rows in SECTIONS:
        try:
            found[name] = markdown(rows(results))
        except KeyError:
            continue
    profiles = results.get("profiles", {}).items()
    found["profiles"] = "\n\n".join(f"### `{key}`\n\n```\n{text}\n```" for key, text in profiles)
    return found


def write_tables(results: dict[str, Any], path: Path = TABLES) -> None:
    """Every table at ``path``, between the snippet markers of its section."""
    parts = [
        f"<!-- --8<-- [start:{name}] -->\n{text or 'None.'}\n<!-- --8<-- [end:{name}] -->"
        for name, text in tables(results).items()
    ]
    head = "<!-- Written by bench/report.py from bench/results.json: do not edit. -->"
    path.write_text("\n\n".join([head, *parts]) + "\n")


# -- the plot ------------------------------------------------------------------------------------

#: The panels beside the targets: (title, path to the entries, each entry's figure, labels, log).
# fmt: off
PANELS: tuple[tuple[str, str, str | None, dict[str, str] | None, bool], ...] = (
    ("1b. ASGI in-process: µs per request", "direct.summary", "us_per_request", LABELS, False),
    ("2. Decorator: ns per call (log)", "micro.ns_per_call", None, MICRO_LABELS, True),
    ("4. Test suite: seconds", "suite.seconds", None, SUITE_LABELS, False),
    ("5. Upstream calls under uvicorn: req/s", "pooling.summary", "rps", POOLING_LABELS, False),
    ("6. gunicorn sync workers: req/s (log)", "wsgi.summary", "rps", WSGI_LABELS, True),
    ("6. WSGI in-process: µs per request", "wsgi.direct.us_per_request", None,
     WSGI_DIRECT_LABELS, False),
    ("7. Sync calling async: µs per call (log)", "bridge.us_per_call", None, BRIDGE_LABELS, True),
    ("8. Celery: tasks/s", "celery.summary", "tasks_per_second", CELERY_LABELS, False),
    ("9. Server RSS growth: KiB", "memory", "growth_kib", None, False),
)
# fmt: on


def write_plot(results: dict[str, Any], path: Path = PLOT) -> None:
    """The targets, each figure as a share of its limit; then a bar chart per panel of PANELS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(22, 13))
    grid = figure.add_gridspec(3, 4)
    axes = figure.add_subplot(grid[:, 0])
    judged = [v for v in verdicts(results) if not isinstance(v.figure, bool)]
    shares = [
        v.figure / v.limit if v.target.compare in "≤<" else v.limit / v.figure for v in judged
    ]
    colors = [{True: "green", False: "red", None: "orange"}[v.met] for v in judged]
    names = [textwrap.fill(v.target.name.replace("`", ""), 36) for v in judged]
    axes.barh(names, shares, color=colors)
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_title("Targets: each figure over its limit (met below 1; orange: within the noise)")
    for number, (title, where, key, labels, log) in enumerate(PANELS, start=1):
        entries = {name: f[key] if key else f for name, f in value(results, where).items()}
        names = [name for name in (labels or entries) if name in entries]
        axes = figure.add_subplot(grid[(number - 1) // 3, number % 3 or 3])
        axes.barh(
            [textwrap.fill((labels or {}).get(n, n).replace("`", ""), 30) for n in names],
            [entries[n] for n in names],
            log=log,
        )
        axes.set_title(title)
    for axes in figure.axes:
        axes.invert_yaxis()
        axes.tick_params(axis="y", labelsize=7)
    figure.suptitle(f"django-lifespan-di benchmarks, {results['machine']['date']}")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def write(results: dict[str, Any]) -> None:
    """bench/tables.md and docs/benchmarks.png."""
    write_tables(results)
    write_plot(results)
    print(f"wrote {TABLES.relative_to(BENCH.parent)}, {PLOT.relative_to(BENCH.parent)}")


def merged(results: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """``results`` with the phases of the partial ``run`` in place of their own figures."""
    combined = {**results, "merged": dict(results.get("merged", {}))}
    combined["budget"] = {**results["budget"], **run["budget"]}
    for key in ("phase_seconds", "phase_load"):
        combined[key] = {**results[key], **run[key]}
    for phase in run["phase_seconds"]:
        combined[phase] = run[phase]
        load = " / ".join(map(str, run["machine"]["load_average_at_start"]))
        combined["merged"][phase] = f"{run['machine']['date']}, load average at start {load}"
    return combined


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merge", type=Path, help="a partial run's results (bench.run --save)")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text())
    if args.merge:
        results = merged(results, json.loads(args.merge.read_text()))
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS.relative_to(BENCH.parent)}")
    write(results)


if __name__ == "__main__":
    main()
