"""docs/from-dependency-injector.md: what it includes, and each snapshot run as its users run it.

The guide's code comes from two snapshots of one project (docs/examples/from_di/before/ and
after/). Each snapshot's own tests run under Django's test runner (``manage.py test``), in a
process of their own; tests/e2e/test_from_di.py serves the after snapshot and runs its command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.support.server import ROOT

GUIDE = ROOT / "docs" / "from-dependency-injector.md"
EXAMPLES = ROOT / "docs" / "examples" / "from_di"
STAGES = ("before", "after")
LIFESPAN_LOG = re.compile(
    r"(Started|Stopped) Container\.\S+ in \S+ ms\n|Lifespan (started|shut) .*\n"
)
INCLUDE = re.compile(r'--8<-- "([^":]+)(?::([\w-]+))?"')
#: The test methods of each snapshot's web/tests.py, so an empty run cannot pass.
TESTS = {
    "before": ("IndexTests.test_index", "IndexTests.test_the_configured_client",
               "IndexTests.test_search_command"),
    "after": ("IndexTests.test_index", "IndexTests.test_the_configured_client",
              "SearchCommandTests.test_search_command",
              "ShortTimeoutTests.test_the_client_has_the_shorter_timeout"),
}  # fmt: skip


def manage(stage: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGS`` of the snapshot, from the repository's root (its modules are
    ``docs.examples.from_di.<stage>``), with its own settings."""
    # Not in development mode (make test's): asyncio's debug lines ("Executing <Task ...> took
    # 0.2 seconds" on a busy machine) would land amid the test runner's report it reads.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "PYTHONDEVMODE")
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / stage / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_guide_includes_only_the_tested_snapshots() -> None:
    includes = INCLUDE.findall(GUIDE.read_text(encoding="utf-8"))
    assert len(includes) > 15
    for path, section in includes:
        file = ROOT / path
        assert file.is_relative_to(EXAMPLES), f"{path} is not part of a tested snapshot"
        assert file.relative_to(EXAMPLES).parts[0] in STAGES, path
        assert file.is_file(), path
        if section:
            text = file.read_text(encoding="utf-8")
            assert f"--8<-- [start:{section}]" in text, f"{path} has no section {section!r}"
            assert f"--8<-- [end:{section}]" in text, f"{path} has no end of {section!r}"


def test_what_the_guide_calls_unchanged_is_unchanged() -> None:
    def text(stage: str, name: str, section: str | None = None) -> str:
        content = (EXAMPLES / stage / name).read_text(encoding="utf-8")
        if section is not None:
            content = content.split(f"[start:{section}]")[1].split(f"[end:{section}]")[0]
        return content.replace(stage, "<stage>")

    for name in ("services.py", "urls.py", "web/urls.py", "web/apps.py", "manage.py"):
        assert text("before", name) == text("after", name), name
    assert text("before", "web/views.py", "index") == text("after", "web/views.py", "index")
    # The command's function with dependency-injector's @inject stays as it was.
    command = "web/management/commands/search.py"
    assert (
        text("before", command).split("[end:command]")[1]
        == (text("after", command).split("[end:command]")[1])
    )


@pytest.mark.parametrize("stage", STAGES)
def test_the_snapshot_s_own_tests_pass_under_djangos_test_runner(stage: str) -> None:
    label = f"docs.examples.from_di.{stage}.web.tests"
    finished = manage(stage, "test", label, "-v", "2")
    assert finished.returncode == 0, finished.stderr
    # The after snapshot's LOGGING prints the lifespan's lines amid the runner's.
    report = LIFESPAN_LOG.sub("", finished.stderr)
    for test in TESTS[stage]:
        name = test.rpartition(".")[2]
        assert f"{name} ({label}.{test}) ... ok" in report, finished.stderr
    assert f"Ran {len(TESTS[stage])} tests" in finished.stderr
    if stage == "after":
        # The lifespan opened the client for each test that reaches it, and closed it each time;
        # the command's test never opened it (the override was in place first).
        opened = finished.stderr.count("Started Container.http_client")
        assert opened == finished.stderr.count("Stopped Container.http_client") == 3
        assert "The lifespan did not run" not in finished.stderr + finished.stdout


def test_the_after_snapshot_passes_the_system_checks() -> None:
    finished = manage("after", "check")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "System check identified no issues (0 silenced)."
    assert finished.stderr == ""


def test_naming_the_class_is_refused_with_the_message_the_guide_shows() -> None:
    from docs.examples.from_di.after import containers

    path = "docs.examples.from_di.after.containers"
    assert containers.container.declarative_parent is containers.Container
    with override_settings(LIFESPAN_DI={"CONTAINERS": [f"{path}.Container"]}):
        [message] = [m for m in run_checks() if m.id == "django_lifespan_di.E008"]
    assert f"Name the instance instead: '{path}.container'." in message.msg
    assert f"django_lifespan_di.E008: {message.msg}" in GUIDE.read_text(encoding="utf-8")
