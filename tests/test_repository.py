"""The repository's furniture stays in step with what it describes: the CI workflows run what
``.ci/run`` runs, on the cells of noxfile.py; the pre-commit hooks are ``make lint``'s commands;
the release publishes what was checked; ``make upgrade`` runs modules that exist; no module
imports from a test module. Without these tests they would drift silently.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pkgutil
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ROOT

# PyYAML comes with the docs tools (the dev locks), not with the matrix cells' locks: `make test`
# runs these tests; in a matrix cell they are skipped (they read the same files in every cell).
yaml = pytest.importorskip(
    "yaml", reason="PyYAML is in the dev locks only (the docs tools); make test runs these tests"
)

WORKFLOWS = ROOT / ".github" / "workflows"
#: A major version (`@v4`), or a release branch that an action documents as its major version
#: (`@release/v1`): never a moving `@main`, nor a patch that dependabot must chase.
MAJOR_VERSION = re.compile(r"^[\w.-]+/[\w.-]+@(v\d+|release/v\d+)$")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    found: dict[str, Any] = workflow["on"] if "on" in workflow else workflow[True]
    return found


def steps(workflow: dict[str, Any], job: str | None = None) -> list[dict[str, Any]]:
    jobs = workflow["jobs"].values() if job is None else [workflow["jobs"][job]]
    return [step for j in jobs for step in j["steps"]]


def commands(workflow: dict[str, Any], job: str | None = None) -> list[str]:
    return [step["run"] for step in steps(workflow, job) if "run" in step]


def make_targets(lines: list[str]) -> list[str]:
    return [match for line in lines for match in re.findall(r"(?:^|&& )make ([\w-]+)", line)]


def matrix_cells() -> dict[str, tuple[str, ...]]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    [node] = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "CELLS" for t in n.targets)
    ]
    cells: dict[str, tuple[str, ...]] = ast.literal_eval(node.value)
    return cells


def test_ci_runs_what_ci_run_runs() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    wanted = make_targets([line for line in script if not line.lstrip().startswith("#")])
    assert wanted == ["test", "test-matrix"]
    ci = load(WORKFLOWS / "ci.yml")
    assert set(triggers(ci)) >= {"push", "pull_request"}
    assert make_targets(commands(ci, "lint")) == ["lint"]
    assert make_targets(commands(ci, "test")) == ["test"]
    assert make_targets(commands(ci, "matrix")) == ["test-matrix"]


def test_the_ci_matrix_is_one_job_per_cell_of_the_noxfile() -> None:
    matrix = load(WORKFLOWS / "ci.yml")["jobs"]["matrix"]
    cells = [(cell["python"], cell["django"]) for cell in matrix["strategy"]["matrix"]["include"]]
    expected = [(python, django) for python, series in matrix_cells().items() for django in series]
    assert cells == expected
    setup = next(s for s in matrix["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    run = commands({"jobs": {"matrix": matrix}})[-1]
    # The session names nox gives the parametrized cells.
    assert "tests(python='${{ matrix.python }}', django='${{ matrix.django }}')" in run


def test_the_noxfile_session_names_the_ci_selects_exist() -> None:
    if importlib.util.find_spec("nox") is None:
        pytest.skip("nox is in the dev locks only; make test runs this test")
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for python, series in matrix_cells().items():
        for django in series:
            assert f"tests(python='{python}', django='{django}')" in listed


def test_the_e2e_tests_run_in_the_newest_cell_only() -> None:
    """Every cell runs the in-process suite; the e2e tests run in the newest cell (newest Python,
    newest Django) only, ``make test`` having run them on the oldest's versions: what keeps
    .ci/run within its budget (its comments give the figures)."""
    if importlib.util.find_spec("nox") is None:
        pytest.skip("nox is in the dev locks only; make test runs this test")
    # In a subprocess: importing noxfile.py puts pyenv's interpreters on this process's PATH.
    script = (
        "import json, noxfile; print(json.dumps([[python, django, noxfile.pytest_args(python, "
        "django)] for python, series in noxfile.CELLS.items() for django in series]))"
    )
    listed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    args = {(python, django): own for python, django, own in json.loads(listed)}
    cells = [(python, django) for python, series in matrix_cells().items() for django in series]
    assert list(args) == cells
    newest = cells[-1]  # CELLS lists the Pythons and each one's Djangos in order
    assert args == {cell: [] if cell == newest else ["-m", "not e2e"] for cell in cells}


def test_the_locks_are_compiled_for_the_same_cells() -> None:
    spec = importlib.util.spec_from_file_location("compile_locks", ROOT / "requirements/compile.py")
    assert spec is not None
    assert spec.loader is not None
    compile_locks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compile_locks)
    locked = {
        python: tuple(f"{tag[0]}.{tag[1:]}" for tag in series)
        for python, series in compile_locks.CELLS.items()
    }
    assert locked == matrix_cells()


def test_every_job_that_runs_the_suite_installs_redis_server() -> None:
    for name in ("ci.yml", "latest.yml"):
        workflow = load(WORKFLOWS / name)
        for job_name, job in workflow["jobs"].items():
            runs = " ".join(commands({"jobs": {job_name: job}}))
            if re.search(r"make (test|test-matrix|test-latest)\b", runs):
                assert "apt-get install -y -q redis-server" in runs, f"{name}: {job_name}"


def test_actions_are_pinned_to_major_versions() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in steps(load(path)):
            if "uses" in step:
                assert MAJOR_VERSION.match(step["uses"]), f"{path.name}: {step['uses']}"


def test_a_version_tag_builds_checks_and_publishes_with_trusted_publishing() -> None:
    release = load(WORKFLOWS / "release.yml")
    assert triggers(release) == {"push": {"tags": ["v*"]}}
    build = " ".join(commands(release, "build"))
    assert "-m build --no-isolation" in build
    assert "twine check --strict dist/*" in build
    assert "tests/test_packaging.py" in build
    publish = release["jobs"]["publish"]
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert [s["uses"] for s in publish["steps"]][-1] == "pypa/gh-action-pypi-publish@release/v1"
    assert release["permissions"] == {"contents": "read"}  # only publish may get a token


def test_the_drift_job_is_scheduled_and_decides_nothing() -> None:
    latest = load(WORKFLOWS / "latest.yml")
    assert set(triggers(latest)) == {"schedule", "workflow_dispatch"}
    [job] = latest["jobs"].values()
    assert job["continue-on-error"] is True
    assert make_targets(commands(latest)) == ["test-latest"]


def test_the_locks_are_upgraded_by_a_scheduled_pull_request() -> None:
    upgrade = load(WORKFLOWS / "upgrade-locks.yml")
    assert set(triggers(upgrade)) == {"schedule", "workflow_dispatch"}
    assert make_targets(commands(upgrade)) == ["upgrade"]
    assert steps(upgrade)[-1]["uses"] == "peter-evans/create-pull-request@v7"
    dependabot = load(ROOT / ".github" / "dependabot.yml")
    # The Python dependencies are the locks' business; dependabot only bumps the actions.
    assert [u["package-ecosystem"] for u in dependabot["updates"]] == ["github-actions"]


def make_recipe(target: str) -> list[str]:
    """The command lines of the Makefile's recipe for ``target``."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, f"no {target} target in the Makefile"
    return [line.strip() for line in recipe.group(1).splitlines()]


def lint_commands() -> list[list[str]]:
    """The commands of the Makefile's lint recipe, e.g. ``["ruff", "check"]``."""
    return [
        [word for word in line.removeprefix("$(BIN)/").split() if not word.startswith(("-", "."))]
        for line in make_recipe("lint")
    ]


def test_the_pre_commit_hooks_are_make_lint() -> None:
    config = load(ROOT / ".pre-commit-config.yaml")
    [repo] = config["repos"]
    assert repo["repo"] == "local"  # the tools of .venv, at the versions of the lock
    hooks = []
    for hook in repo["hooks"]:
        assert hook["language"] == "system"
        entry = hook["entry"].split()
        assert entry[0].startswith(".venv/bin/"), hook["id"]
        hooks.append(
            [entry[0].removeprefix(".venv/bin/"), *(w for w in entry[1:] if not w.startswith("-"))]
        )
        # make lint checks formatting, it never rewrites files.
        if entry[:2] == [".venv/bin/ruff", "format"]:
            assert "--check" in entry
    assert hooks == lint_commands() == [["ruff", "check"], ["ruff", "format"], ["mypy"]]
    mypy = next(hook for hook in repo["hooks"] if hook["id"] == "mypy")
    assert mypy["pass_filenames"] is False  # the files of [tool.mypy], as make lint


def test_pre_commit_accepts_its_configuration() -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if pre_commit is None:
        pytest.skip("pre-commit is in the dev locks only; make test runs this test")
    subprocess.run(
        [pre_commit, "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_the_contributing_map_lists_every_module_of_the_package() -> None:
    layout = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    package = ROOT / "django_lifespan_di"
    modules = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }
    # A module may be named by a tail of its path (`commands/runserver.py` under `management/`),
    # one that keeps its package's name: `checks/injection.py` is not `injection.py`.
    mentioned = set(re.findall(r"`([\w/]+\.py)`", layout))
    missing = sorted(
        module
        for module in modules
        if not any(
            module == name or ("/" in name and module.endswith(f"/{name}")) for name in mentioned
        )
    )
    assert not missing, f"CONTRIBUTING.md's Layout does not mention {missing}"


class PackageNames:
    """What the package's source defines, read with ``ast``: each module's names (functions,
    nested ones too, classes, module-level assignments), each class's members (methods, class
    attributes, ``self.x`` set in its methods), every attribute assigned anywhere, and every
    string."""

    def __init__(self, package: Path) -> None:
        self.by_module: dict[str, set[str]] = {}
        self.members: dict[str, set[str]] = {}
        self.attributes: set[str] = set()
        self.strings: set[str] = set()
        for path in package.rglob("*.py"):
            module = path.parent.name if path.name == "__init__.py" else path.stem
            names = self.by_module.setdefault(module, set())
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for statement in tree.body:
                if isinstance(statement, (ast.Assign, ast.AnnAssign)):
                    targets = getattr(statement, "targets", [getattr(statement, "target", None)])
                    names.update(t.id for t in targets if isinstance(t, ast.Name))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                if isinstance(node, ast.ClassDef):
                    self.members.setdefault(node.name, set()).update(self._members(node))
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    self.attributes.add(node.attr)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    self.strings.add(node.value)

    @staticmethod
    def _members(cls: ast.ClassDef) -> Iterator[str]:
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield node.name
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                yield node.target.id
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                yield node.attr

    def defines(self, name: str) -> bool:
        """Whether ``name`` (``Runtime.start``, ``registry.current_runtime``, ``spec.published``,
        ``inject``, ``lifespan.startup``) is something of the package, a string it uses (an ASGI
        message type, a phase), or a full dotted path that imports (``asyncio.run``)."""
        everything = set().union(*self.by_module.values())
        if name in everything or name in self.attributes or name in self.strings:
            return True
        head, _, rest = name.partition(".")
        last = rest.rpartition(".")[2]
        if head in self.members and "." not in rest:
            return rest in self.members[head]
        if head in self.by_module:
            module_classes = self.members.keys() & self.by_module[head]
            return last in self.by_module[head] or any(
                last in self.members[cls] for cls in module_classes
            )
        if rest and importlib.util.find_spec(head) is None:
            return last in self.attributes or last in everything  # an object: `spec.published`
        try:
            pkgutil.resolve_name(name)
        except (ImportError, AttributeError, ValueError):
            return False
        return True


def test_the_contributing_walks_cite_names_that_exist() -> None:
    """The walks through a lifespan and a request name the functions a reader opens: a rename
    that leaves them behind fails here, naming what to update."""
    layout = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    walks = layout.split("### Life of a lifespan", 1)[1].split("### Tests and everything else")[0]
    cited = {
        match
        for match in re.findall(r"`@?([A-Za-z_][\w.]*?)(?:\(\))?`", walks)
        if not match.endswith(".py")
    }
    assert {"Runtime.start", "RequestScope.close_to_the_end", "spec.published"} <= cited
    names = PackageNames(ROOT / "django_lifespan_di")
    unknown = sorted(name for name in cited if not names.defines(name))
    assert not unknown, f"CONTRIBUTING.md's walks cite names the package lacks: {unknown}"


def test_make_upgrade_rewrites_the_servers_page_with_a_module_that_exists() -> None:
    """``make upgrade`` runs scripts as modules (``python -m``): each must exist, none may be a
    test module, and the servers page is among what it rewrites."""
    modules = [m for line in make_recipe("upgrade") for m in re.findall(r"-m ([\w.]+)", line)]
    assert "tests.support.servers" in modules
    for module in modules:
        assert importlib.util.find_spec(module) is not None, module
        assert not is_test_module(module), module
    page = (ROOT / "docs" / "servers.md").read_text(encoding="utf-8")
    assert "python -m tests.support.servers" in page


#: Where the repository's Python lives: the package, its tests, the docs' examples and tools.
PYTHON_TREES = ("django_lifespan_di", "tests", "docs", "bench", "demo", "requirements")


def is_test_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module of the suite that pytest runs (``tests/**/test_*.py``),
    or something inside one. The test files of ``docs/examples/`` are not: they are the docs'
    examples, which ``tests/test_docs_*.py`` import to run them."""
    parts = dotted.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts)


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything ``path`` imports, relative imports resolved:
    ``from a.b import c`` gives ``a.b`` and ``a.b.c`` (``c`` may be a module)."""
    package = path.relative_to(ROOT).parent.parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, module
            yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def test_no_module_imports_from_a_test_module() -> None:
    """Shared test helpers live in ``tests/support/``: a test module of the suite is what pytest
    runs, never what another module builds on (a conftest's fixtures need no import)."""
    offenders = sorted(
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for tree in PYTHON_TREES
        for path in (ROOT / tree).rglob("*.py")
        for line, name in imported_names(path)
        if is_test_module(name)
    )
    assert not offenders, f"move what these import to tests/support/: {offenders}"
