"""The package as users get it: the wheel and the sdist, their metadata, and a newcomer's project.

The distributions are built as a release builds them (``python -m build``: the sdist, then the
wheel from the unpacked sdist), with the locked build tools (``--no-isolation``). The last test
installs the wheel into a clean virtualenv, makes a project with ``django-admin startproject``,
applies the README's quick start to it (the snippet sections of ``docs/examples/quickstart/``,
which the README shows) and serves it with that virtualenv's uvicorn: nothing of the checkout
is on its path.
"""

from __future__ import annotations

import ast
import email
import email.message
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trove_classifiers

from tests.support.locks import current_lock
from tests.support.server import ROOT, Server
from tests.support.snippets import section

pytestmark = pytest.mark.e2e

PACKAGE = "django_lifespan_di"
#: What only the repository holds: never in a distribution.
REPOSITORY_ONLY = ("tests", "docs", "demo", "bench", "requirements", ".ci", ".github")
#: The sdist, deliberately minimal (CONTRIBUTING.md says why): the package and these files.
SDIST_FILES = {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "MANIFEST.in"}
#: What setuptools adds to every sdist.
SDIST_GENERATED = {"PKG-INFO", "setup.cfg", f"{PACKAGE}.egg-info"}
#: Not copied to the build directory: environments, caches and earlier build output.
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv*",
    ".nox",
    "site",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".coverage*",
    "htmlcov",
)
EXAMPLE = ROOT / "docs" / "examples" / "quickstart"
EXAMPLE_PACKAGE = "docs.examples.quickstart"
PROJECT = "myproject"  # the README's name for the project


@dataclass
class Distributions:
    sdist: Path
    wheel: Path


def run(
    command: list[str], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; a failure shows what it printed."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    """The sdist and the wheel, built from a copy of the checkout (a setuptools build writes
    ``build/`` and ``*.egg-info`` next to the sources it builds)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    dist = work / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)])
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    return Distributions(sdist, wheel)


def package_files() -> set[str]:
    """The package's files in the checkout, as paths inside a distribution."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*")
        if (path.suffix in (".py", ".html") or path.name == "py.typed")
        and "__pycache__" not in path.parts
    }


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


# -- the distributions ---------------------------------------------------------------------------


def test_the_wheel_holds_the_typed_package_and_its_licence_only(
    distributions: Distributions,
) -> None:
    with zipfile.ZipFile(distributions.wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(n.split("/")[0] for n in names if ".dist-info/" in n)
        licence = archive.read(f"{dist_info}/licenses/LICENSE").decode()
    assert {name.split("/")[0] for name in names} == {PACKAGE, dist_info}
    assert {name for name in names if name.startswith(f"{PACKAGE}/")} == package_files()
    assert f"{PACKAGE}/py.typed" in names
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert not [n for n in names if n.split("/")[0] in REPOSITORY_ONLY]


def test_the_sdist_is_the_package_and_its_documents_only(distributions: Distributions) -> None:
    with tarfile.open(distributions.sdist) as archive:
        members = [member for member in archive.getmembers() if member.isfile()]
        top = members[0].name.split("/")[0]
        names = {member.name.removeprefix(f"{top}/") for member in members}
        pkg_info = archive.extractfile(f"{top}/PKG-INFO")
        assert pkg_info is not None
        metadata = email.message_from_bytes(pkg_info.read())
    assert {name.split("/")[0] for name in names} == {PACKAGE, *SDIST_FILES, *SDIST_GENERATED}
    assert {name for name in names if name.startswith(f"{PACKAGE}/")} == package_files()
    # setuptools would add tests/test*.py, without the project and the locks they need.
    assert not [name for name in names if name.split("/")[0] in REPOSITORY_ONLY]
    assert metadata["License-File"] == "LICENSE"


def test_twine_accepts_both_distributions(distributions: Distributions) -> None:
    result = run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            str(distributions.sdist),
            str(distributions.wheel),
        ]
    )
    assert result.stdout.count("PASSED") == 2, result.stdout


def matrix_cells() -> dict[str, tuple[str, ...]]:
    """``CELLS`` of noxfile.py, read without importing it: nox is not in the matrix cells' locks,
    and this test runs there too."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    [value] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "CELLS" for target in node.targets)
    ]
    cells: dict[str, tuple[str, ...]] = ast.literal_eval(value)
    return cells


def test_the_metadata_declares_what_the_matrix_tests(distributions: Distributions) -> None:
    metadata = wheel_metadata(distributions.wheel)
    classifiers = metadata.get_all("Classifier") or []
    assert classifiers
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    assert not unknown, f"not trove classifiers: {unknown}"
    deprecated = [c for c in classifiers if c in trove_classifiers.deprecated_classifiers]
    assert not deprecated, f"deprecated classifiers: {deprecated}"
    cells = matrix_cells()
    pythons = {
        c.rpartition(" :: ")[2]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    }
    djangos = {
        c.rpartition(" :: ")[2] for c in classifiers if c.startswith("Framework :: Django :: ")
    }
    assert pythons == set(cells), "the Python classifiers differ from noxfile.py's CELLS"
    assert djangos == {django for series in cells.values() for django in series}, (
        "the Django classifiers differ from noxfile.py's CELLS"
    )
    assert (
        metadata["Requires-Python"]
        == f">={min(cells, key=lambda v: tuple(map(int, v.split('.'))))}"
    )
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert set(urls) == {"Documentation", "Source", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    assert metadata["Description-Content-Type"] == "text/markdown"


# -- a newcomer's project, from the README ------------------------------------------------------


def uv() -> str:
    """uv: next to this interpreter (``make``'s .venv), on PATH, or the checkout's .venv (nox)."""
    for candidate in (
        Path(sys.executable).parent / "uv",
        shutil.which("uv"),
        ROOT / ".venv/bin/uv",
    ):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise AssertionError("no uv: run `make lint` once, which installs it into .venv")


def install(venv: Path, *requirements: str) -> None:
    """Install into ``venv`` with versions from the lock this suite runs on (uv's cache makes
    it quick); the package index is the only network use."""
    run(
        [
            uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *requirements,
            "-c",
            str(current_lock()),
        ],
        env={**os.environ, "UV_NO_PROGRESS": "1"},
    )


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what points at the checkout or its settings."""
    dropped = ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV")
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in dropped and not k.startswith("LIFESPAN_DI_")
        },
        **extra,
    }


def the_project(package: str) -> str:
    """A quick start snippet, with the example's package replaced by the project's."""
    return package.replace(EXAMPLE_PACKAGE, PROJECT)


def apply_quick_start(project: Path) -> None:
    """Edit a fresh ``startproject`` as the README says, from the sections the README shows."""
    settings_file = project / PROJECT / "settings.py"
    settings = settings_file.read_text(encoding="utf-8")
    shown: dict[str, object] = {}
    exec(section(EXAMPLE / "settings.py", "quickstart"), shown)  # the README's lists, as data
    for name in ("INSTALLED_APPS", "MIDDLEWARE"):
        opening = f"{name} = [\n"
        assert opening in settings, f"startproject's settings.py has no {name} list"
        added = "".join(f"    {item!r},\n" for item in shown[name])  # type: ignore[attr-defined]
        settings = settings.replace(opening, opening + added, 1)
    lifespan_di = the_project(f"LIFESPAN_DI = {shown['LIFESPAN_DI']!r}")
    settings += f"\n{lifespan_di}\n{section(EXAMPLE / 'settings.py', 'logging')}\n"
    settings_file.write_text(settings, encoding="utf-8")
    for filename in ("asgi.py", "wsgi.py", "containers.py", "views.py", "urls.py"):
        text = the_project(section(EXAMPLE / filename, "quickstart"))
        (project / PROJECT / filename).write_text(text + "\n", encoding="utf-8")


class FakeWeatherService(BaseHTTPRequestHandler):
    """The upstream the quick start's client calls: ``/forecast?city=...`` on 127.0.0.1.

    HTTP/1.1 with keep-alive, so each request records the client's port: a shared pooled client
    sends every request over the same connection."""

    protocol_version = "HTTP/1.1"
    client_ports: list[int] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        FakeWeatherService.client_ports.append(self.client_address[1])
        body = json.dumps({"city": parse_qs(url.query)["city"][0], "celsius": 21}).encode()
        self.send_response(200 if url.path == "/forecast" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's output is the server's


@pytest.fixture
def weather_service() -> Iterator[str]:
    FakeWeatherService.client_ports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeatherService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_startproject_with_the_readme_quick_start_runs_from_the_wheel(
    distributions: Distributions, tmp_path: Path, weather_service: str
) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    install(venv, str(distributions.wheel))
    env = clean_environment()
    run([str(venv / "bin" / "django-admin"), "startproject", PROJECT], cwd=tmp_path, env=env)
    project = tmp_path / PROJECT
    apply_quick_start(project)
    manage = [str(venv / "bin" / "python"), "manage.py", "check"]

    # Without the README's `httpx uvicorn`, the first check says what is missing.
    missing = subprocess.run(
        manage, cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert missing.returncode != 0
    assert "No module named 'httpx'" in missing.stderr

    install(venv, str(distributions.wheel), "httpx", "uvicorn")
    check = run(manage, cwd=project, env=env)
    assert check.stdout.strip() == "System check identified no issues (0 silenced).", check.stderr
    where = run(
        [str(venv / "bin" / "python"), "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), "not the installed wheel"

    with Server(
        "uvicorn",
        app=f"{PROJECT}.asgi:application",
        bin_dir=venv / "bin",
        cwd=project,
        test_project=False,
        env={"WEATHER_API_URL": weather_service},
        ready_path="/weather-api/",
    ) as server:
        prague = httpx.get(server.url("/forecast/prague/"))
        brno = httpx.get(server.url("/forecast/brno/"))
        weather_api = httpx.get(server.url("/weather-api/"))
    assert prague.status_code == 200, server.output
    assert prague.json() == {"city": "prague", "celsius": 21}
    assert brno.json() == {"city": "brno", "celsius": 21}
    assert weather_api.json() == {"weather_api": weather_service}
    # Both upstream requests went over one connection: the shared client's pool.
    assert len(FakeWeatherService.client_ports) == 2
    assert len(set(FakeWeatherService.client_ports)) == 1, FakeWeatherService.client_ports
    # uvicorn exits by re-raising the SIGTERM once it has shut down cleanly (see servers.md).
    assert server.returncode in (0, -signal.SIGTERM), server.output
    output = server.output
    assert "Traceback" not in output
    assert "Started Container.http_client in" in output
    assert output.index("Started Container.http_client") < output.index(
        "Application startup complete"
    )
    assert "Stopped Container.http_client in" in output
    assert "Lifespan shut down" in output
    assert output.index("Stopped Container.http_client") < output.index(
        "Application shutdown complete"
    )
