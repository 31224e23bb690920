"""Headless Chromium driven over the DevTools protocol, for end-to-end tests in a real browser.

No browser is downloaded: the tests use the system's ``chromium`` (Debian's package, which
``.ci/run`` installs where it is missing) and skip, saying so, without one. The protocol runs on
a websocket to 127.0.0.1 (``websocket.py``'s client); the browser gets a fresh profile and every
background network feature off, so it talks to nothing but the test's server::

    with Browser(chromium) as browser:
        browser.open(server.url("/"))
        browser.wait_until("document.readyState === 'complete'")
        browser.click_at(*browser.evaluate("...a point..."))
        browser.screenshot(tmp_path / "page.png")
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from wsproto.events import AcceptConnection, Message, Request, TextMessage

from tests.support.websocket import Connection

FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-port=0",  # a free port, which it writes into DevToolsActivePort
)


def chromium_binary() -> str | None:
    """The system's Chromium (Debian names it ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """A headless Chromium process with one page, driven over the DevTools protocol."""

    def __init__(self, binary: str, width: int = 1280, height: int = 860) -> None:
        self.binary = binary
        self.width, self.height = width, height
        self._directory = tempfile.TemporaryDirectory(prefix="chromium-")
        self._log = Path(self._directory.name) / "chromium.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._connection: Connection | None = None
        self._ids = 0
        self._session = ""
        #: Protocol events received while waiting for a reply, in order.
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        profile = Path(self._directory.name) / "profile"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    f"--window-size={self.width},{self.height}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its renderers in its group, stopped with it
            )
        try:
            self._connect(profile / "DevToolsActivePort")
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
            attached = self.send("Target.attachToTarget", targetId=target, flatten=True)
            self._session = attached["sessionId"]
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=self.height,
                deviceScaleFactor=1,
                mobile=False,
            )
            self.send("Page.enable")
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _connect(self, port_file: Path, timeout: float = 30.0) -> None:
        """Connect to the browser's DevTools websocket, once Chromium has written its address."""
        deadline = time.monotonic() + timeout
        assert self._process is not None
        while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Chromium did not open its DevTools port:\n{self.output()}")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._socket = socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)
        self._connection = Connection(self._socket)
        self._connection.send(Request(host=f"127.0.0.1:{port}", target=path))
        accepted = self._connection.next_event()
        assert isinstance(accepted, AcceptConnection), accepted

    def output(self) -> str:
        """What Chromium printed (its log file), for failure messages."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def _stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            if self._connection is not None:
                self._write({"id": 0, "method": "Browser.close"})
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(15)
        if self._socket is not None:
            self._socket.close()
        self._directory.cleanup()

    def _write(self, message: dict[str, Any]) -> None:
        assert self._connection is not None
        self._connection.send(Message(data=json.dumps(message)))

    def _read(self) -> dict[str, Any]:
        assert self._connection is not None
        parts = []
        while True:
            event = self._connection.next_event()
            assert isinstance(event, TextMessage), event
            parts.append(event.data)
            if event.message_finished:
                message: dict[str, Any] = json.loads("".join(parts))
                return message

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method`` (on the page once attached, else on the browser); its result."""
        self._ids += 1
        message: dict[str, Any] = {"id": self._ids, "method": method, "params": params}
        if self._session:
            message["sessionId"] = self._session
        self._write(message)
        while True:
            reply = self._read()
            if reply.get("id") != self._ids:
                self.events.append(reply)
            elif "error" in reply:
                raise AssertionError(f"{method} failed: {reply['error']}")
            else:
                result: dict[str, Any] = reply["result"]
                return result

    def open(self, url: str) -> None:
        """Navigate the page to ``url``; returns once the browser has the response."""
        navigated = self.send("Page.navigate", url=url)
        if "errorText" in navigated:
            raise AssertionError(f"opening {url} failed: {navigated['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The value of the JavaScript ``expression`` in the page (a promise is awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 20.0) -> Any:
        """Evaluate ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression!r} stayed falsy for {timeout} s")
            time.sleep(0.05)

    def click_at(self, x: float, y: float) -> None:
        """A left click of the mouse at (``x``, ``y``) of the viewport, as a user's."""
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        """Save what the page shows (the viewport) as a PNG file."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
