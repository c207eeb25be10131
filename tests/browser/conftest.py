"""Headless Chromium (Debian's ``chromium``, never a downloaded browser) driven over the DevTools protocol
with ``websocket-client``: open a page, record console errors and network requests, take a screenshot.

When Chromium is missing the tests skip with the command that installs it (``make test`` tries it first).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "apt-get update && apt-get install -y chromium"


def find_chromium() -> str | None:
    """``$VOC_CHROMIUM`` or the first Chromium on PATH (or in /usr/bin)."""
    env = os.environ.get("VOC_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
        if found:
            return found
    return None


@dataclass
class PageVisit:
    """What one page load did: console errors, requests other than the page itself, figure checks."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    screenshot: Path | None = None


class Chromium:
    """One headless Chromium process and one page target, spoken to over the DevTools websocket."""

    def __init__(self, binary: str, *, profile: Path, width: int = 1280, height: int = 900) -> None:
        import websocket  # websocket-client

        self._events: list[dict[str, Any]] = []
        self._next_id = 0
        self._proc = subprocess.Popen(  # noqa: S603 (fixed argument list, no shell)
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-component-update", "--disable-default-apps", "--mute-audio",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # nothing may leave the machine
             f"--user-data-dir={profile}", "--remote-debugging-port=0", f"--window-size={width},{height}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{binary} did not start its DevTools endpoint (exit code {self._proc.poll()})")
            time.sleep(0.1)
        port, browser_path = port_file.read_text().splitlines()[:2]
        self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}{browser_path}", timeout=60,
                                               suppress_origin=True)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._on_event(reply)

    def _on_event(self, event: dict[str, Any]) -> None:
        """Keep ``event``; dismiss a JavaScript dialog at once (it would block the page)."""
        self._events.append(event)
        if event.get("method") == "Page.javascriptDialogOpening":
            self._next_id += 1
            self._ws.send(json.dumps({"id": self._next_id, "method": "Page.handleJavaScriptDialog",
                                      "params": {"accept": True}, "sessionId": self._session}))

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A DevTools command on the page; events that arrive meanwhile are kept."""
        return self._call(method, params, session=self._session)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _pump(self, seconds: float) -> None:
        """Read events for ``seconds``."""
        self._ws.settimeout(0.2)
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                try:
                    self._on_event(json.loads(self._ws.recv()))
                except Exception as exc:  # websocket timeout: nothing arrived in 0.2 s
                    if type(exc).__name__ != "WebSocketTimeoutException":
                        raise
        finally:
            self._ws.settimeout(60)

    def visit(self, path: Path, *, figure_check: str, screenshot: Path, timeout_s: float = 60) -> PageVisit:
        """Open ``path`` from file://, wait for load and for ``figure_check`` (a JS expression returning a
        list of per-figure dicts with ``rendered``) to be all rendered, then screenshot the full page."""
        url = path.resolve().as_uri()
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout_s
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: no load event within {timeout_s} s")
            self._pump(0.2)
        figures: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            figures = self.evaluate(figure_check) or []
            if all(f.get("rendered") for f in figures):
                break
            self._pump(0.3)
        self._pump(0.5)  # late console messages and requests
        visit = PageVisit(url=url, figures=figures)
        visit.text = self.evaluate("document.body.innerText") or ""
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                visit.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                     for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                visit.console_errors.append(str(details.get("exception", {}).get("description")
                                                or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                visit.console_errors.append(f"{params['entry'].get('source')}: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                visit.dialogs.append(str(params.get("message")))
            elif method == "Network.requestWillBeSent":
                requested = params.get("request", {}).get("url", "")
                if requested != url and not requested.startswith(("data:", "blob:", "about:")):
                    visit.requests.append(requested)
        visit.screenshot = self.screenshot(screenshot)
        return visit

    def screenshot(self, out: Path, *, max_height: int = 16000) -> Path:
        """A PNG of the whole page (cut at ``max_height`` CSS pixels)."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], max_height), "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(shot["data"]))
        return out

    def close(self) -> None:
        """Close the websocket and end the Chromium process this object started."""
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except OSError:
                pass
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """A headless Chromium for the session; skips (saying how to install it) when there is none."""
    pytest.importorskip("websocket", reason="websocket-client is needed to drive Chromium (pip install websocket-client)")
    binary = find_chromium()
    if binary is None:
        pytest.skip(f"Chromium not found (looked for {', '.join(CHROMIUM_NAMES)} and $VOC_CHROMIUM); "
                    f"install Debian's with `{INSTALL_HINT}` (`make test` tries this where it may)")
    with tempfile.TemporaryDirectory(prefix="voc-chromium-") as profile:
        browser = Chromium(binary, profile=Path(profile))
        try:
            yield browser
        finally:
            browser.close()
