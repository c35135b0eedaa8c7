"""A small headless-Chromium driver over the Chrome DevTools Protocol, through a pipe.

``--remote-debugging-pipe`` makes Chromium read CDP commands from fd 3 and write replies and
events to fd 4, NUL-separated JSON. That needs no port, no websocket library and no npm
package: only the Debian ``chromium`` binary. Used by the report tests and the benchmark.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    """``OPLEDGER_CHROMIUM`` or the first Chromium/Chrome on PATH."""
    explicit = os.environ.get("OPLEDGER_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


# First paint can come after the load event: wait for it (buffered), give up after 5 s.
PAINT = """new Promise(resolve => {
  const seen = {};
  const done = () => resolve(seen);
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) seen[e.name] = e.startTime;
    if ('first-contentful-paint' in seen) done();
  }).observe({type: 'paint', buffered: true});
  setTimeout(done, 5000);
})"""


def _above_ten(fds: tuple[int, int]) -> tuple[int, int]:
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved  # type: ignore[return-value]


class CdpError(RuntimeError):
    pass


@dataclass
class PageLoad:
    """What happened while one page loaded, and what it looks like."""

    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    text: str = ""
    paint: dict[str, float] = field(default_factory=dict)


class Chromium:
    """``with Chromium() as browser: page = browser.load(path)``."""

    def __init__(self, executable: str | None = None, timeout: float = 60.0) -> None:
        self.executable = executable or chromium_path()
        if not self.executable:
            raise FileNotFoundError("no Chromium found: install Debian's chromium or set OPLEDGER_CHROMIUM")
        self.timeout = timeout
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._closed = False

    # ------------------------------------------------------------------ process and pipe
    def __enter__(self) -> Self:
        self._profile = tempfile.mkdtemp(prefix="opledger-chromium-")
        # The child's ends go to fds >= 10 so that moving them to 3 and 4 cannot clobber them.
        to_child_r, self._to_child = _above_ten(os.pipe())
        self._from_child, from_child_w = _above_ten(os.pipe())

        # Chromium wants the pipe at fds 3 and 4; bash moves our two ends there just before it
        # execs Chromium (no preexec_fn, which is unsafe in a process with threads).
        remap = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-'
        bash = shutil.which("bash") or "/bin/bash"
        self._proc = subprocess.Popen(
            [bash, "-c", remap, self.executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self._proc.stderr), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (CdpError, OSError):
            pass  # it is going away anyway; wait() and kill() below make sure
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._cond:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self._events.append(message)
                self._cond.notify_all()

    # ------------------------------------------------------------------ protocol
    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while ident not in self._replies:
                if self._closed:
                    raise CdpError(f"Chromium exited while waiting for {method}: {b''.join(self._stderr)[-2000:].decode(errors='replace')}")
                if not self._cond.wait(max(deadline - time.monotonic(), 0)) and time.monotonic() >= deadline:
                    raise CdpError(f"no reply to {method} within {timeout or self.timeout} s")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while True:
                for event in self._events:
                    if event.get("method") == method and event.get("sessionId") == session:
                        return event
                if self._closed or time.monotonic() >= deadline:
                    raise CdpError(f"no {method} event within {timeout or self.timeout} s")
                self._cond.wait(max(deadline - time.monotonic(), 0.01))

    def events(self, session: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if e.get("sessionId") == session]

    # ------------------------------------------------------------------ pages
    def new_page(self, width: int = 1280, height: int = 900) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.bringToFront", session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        return session

    def load(self, path: Path, *, screenshot: Path | None = None, media: str | None = None, shot_height: int | None = None) -> PageLoad:
        """Open ``path`` as a file:// URL in a fresh tab; collect requests, errors, text, paint timing."""
        session = self.new_page()
        if media:
            self.send("Emulation.setEmulatedMedia", {"media": media}, session=session)
        url = path.resolve().as_uri()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        result = PageLoad(url=url)
        result.text = self.evaluate(session, "document.body.innerText")
        result.paint = self.evaluate(session, PAINT)
        if screenshot is not None:
            params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
            if shot_height:  # the top of the page only, e.g. for a README
                height = min(shot_height, self.evaluate(session, "document.documentElement.scrollHeight"))
                params["clip"] = {"x": 0, "y": 0, "width": self.evaluate(session, "document.documentElement.clientWidth"), "height": height, "scale": 1}
            shot = self.send("Page.captureScreenshot", params, session=session)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        for event in self.events(session):
            method, params = event["method"], event.get("params", {})
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                result.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                result.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                result.console_errors.append(f"{params['entry']['source']}: {params['entry']['text']}")
        result.session = session  # type: ignore[attr-defined]
        return result

    def evaluate(self, session: str, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=session)
        if "exceptionDetails" in reply:
            raise CdpError(f"{expression}: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")
