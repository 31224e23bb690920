"""The debug toolbar's lifespan panel in a real browser: the demo under uvicorn, headless Chromium.

The panel's content comes from the toolbar's own front end (its script fetches the panel when
it is clicked open), so only a browser shows that the panel works as a user sees it. The
screenshot the docs show (``docs/images/lifespan-panel.png``) is taken here: run this test with
``LIFESPAN_DI_SCREENSHOTS=docs/images`` to take it again; otherwise it goes to a temporary
directory, so a test run changes no file of the repository.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.browser import Browser, chromium_binary
from tests.support.server import ROOT, Server

CHROMIUM = chromium_binary()

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium binary: install Debian's chromium package (.ci/run does) to run "
        "the browser test",
    ),
]

UNITS = ("Container.http_client", "Container.store", "demo.upstream.serve_upstream")
SCREENSHOT = "lifespan-panel.png"

#: The toolbar lives in a shadow root of its own.
TOOLBAR = "document.getElementById('djDebugRoot')?.shadowRoot"
#: The middle of the lifespan panel's button in the toolbar, scrolled into view (the list of
#: panels is longer than the window), once it is on screen.
PANEL_BUTTON = f"""(() => {{
    const link = {TOOLBAR}?.querySelector('#djdt-LifespanPanel a');
    if (!link) return null;
    link.scrollIntoView({{block: 'center'}});
    const box = link.getBoundingClientRect();
    return box.width ? [box.x + box.width / 2, box.y + box.height / 2] : null;
}})()"""
#: The panel's content, once the toolbar has fetched it and shows it.
PANEL_CONTENT = f"""(() => {{
    const panel = {TOOLBAR}?.getElementById('LifespanPanel');
    if (!panel || panel.classList.contains('djdt-hidden')) return null;
    return panel.querySelector('#djdt-lifespan-units') ? panel.innerText : null;
}})()"""


def test_the_lifespan_panel_opens_in_chromium_and_shows_the_resources(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    server = Server(
        app="demo.asgi:application",
        env={"DJANGO_SETTINGS_MODULE": "demo.settings", "DEMO_DB_PATH": str(tmp_path / "db")},
        ready_path="/ready/",
        stop_signal=signal.SIGINT,  # Ctrl-C, as after `make demo`
    )
    shots = Path(os.environ.get("LIFESPAN_DI_SCREENSHOTS", tmp_path))
    with server:
        # A visit, so that the home page's list of visits has one.
        assert httpx.get(server.url("/quote/"), timeout=10).status_code == 200
        with Browser(CHROMIUM) as browser:
            browser.open(server.url("/"))
            pid = int(browser.wait_until("document.body?.dataset.pid"))
            x, y = browser.wait_until(PANEL_BUTTON)
            browser.click_at(x, y)
            content = str(browser.wait_until(PANEL_CONTENT))
            browser.screenshot((ROOT / shots / SCREENSHOT).resolve())

    # The panel shows this process's three units, each ready, and what the page's @inject
    # call (demo.views.recent_visits) was handed. (Cells' text, whitespace collapsed.)
    shown = " ".join(content.split())
    assert f"(pid {pid}, running)" in shown
    for name in UNITS:
        assert re.search(rf"{re.escape(name)} (resource|manager) ready ", shown), shown
    assert "Last startup: started in " in shown
    assert "demo.views.recent_visits store Provide[demo.containers.Container.store] object" in shown
    assert "Overridden providers PROVIDER OVERRIDDEN BY" not in shown  # none: the table is empty
    assert "demo-secret-token" not in content
    assert (ROOT / shots / SCREENSHOT).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    # One lifespan in the one serving process: each unit opened once and closed once.
    assert server.returncode == 0, server.output
    assert server.output.count("Lifespan started 3 resource(s) and manager(s) in ") == 1
    assert f"(pid {pid})" in server.output.split("Lifespan started", 1)[1].splitlines()[0]
    for name in UNITS:
        assert server.output.count(f"Started {name} in ") == 1, server.output
        assert server.output.count(f"Stopped {name} in ") == 1, server.output
    assert server.output.count(f"Lifespan shut down (pid {pid})") == 1, server.output
