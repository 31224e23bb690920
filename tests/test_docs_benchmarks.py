"""The Benchmarks page: its words are written by hand, its tables are what ``bench/report.py``
makes of the committed results (``bench/results.json``), and it shows each of them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench import report
from tests.support.server import ROOT


def committed_results() -> dict[str, Any]:
    results: dict[str, Any] = json.loads(report.RESULTS.read_text(encoding="utf-8"))
    return results


def test_the_tables_are_written_from_the_committed_results(tmp_path: Path) -> None:
    report.write_tables(committed_results(), tmp_path / "tables.md")
    assert report.TABLES.read_text(encoding="utf-8") == (tmp_path / "tables.md").read_text(), (
        "bench/tables.md differs from what bench/report.py makes of bench/results.json: run "
        "`python -m bench.report` and commit the result"
    )


def test_the_page_includes_every_table_once_in_the_report_s_order() -> None:
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    included = re.findall(r'^--8<-- "bench/tables\.md:([\w-]+)"$', page, re.M)
    assert included == list(report.tables(committed_results()))


def test_a_full_run_judges_every_target() -> None:
    """Each target's formulas name figures that a full run writes (a new target comes with the
    run that measures it)."""
    judged = [verdict.target for verdict in report.verdicts(committed_results())]
    assert judged == list(report.TARGETS)


def test_a_phase_run_again_on_its_own_replaces_its_figures_and_says_when() -> None:
    results = committed_results()
    run = {
        "machine": {**results["machine"], "date": "2027-01-01 00:00 UTC"},
        "budget": {**results["budget"], "micro_repeat": 3},
        "phase_seconds": {"micro": 1.0},
        "phase_load": {"micro": 0.5},
        "micro": {"ns_per_call": {"plain": 1.0}},
    }
    combined = report.merged(results, run)
    assert combined["micro"] == run["micro"]
    assert combined["startup"] == results["startup"]
    assert combined["budget"]["micro_repeat"] == 3
    assert (combined["phase_seconds"]["micro"], combined["phase_load"]["micro"]) == (1.0, 0.5)
    assert combined["merged"]["micro"].startswith("2027-01-01 00:00 UTC, load average at start ")
    assert results["micro"] != run["micro"]  # the committed results are left as they were
    rows = {row[0]: row[1] for row in report.run_table(combined)}
    assert rows["`micro` run again on its own"] == combined["merged"]["micro"]
