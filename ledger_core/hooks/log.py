"""The hook log: one file in the user's state dir, never stdout (the agent reads stdout).

Set ``OPLEDGER_HOOK_LOG`` to put it elsewhere. Messages name events, tools, sessions and
error types — never code, prompts or secrets.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def path() -> Path:
    configured = os.environ.get("OPLEDGER_HOOK_LOG")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_state_dir("opledger", appauthor=False)) / "hooks.log"


def write(message: str) -> None:
    try:
        target = path()
        target.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        # One write call per line with O_APPEND: concurrent hooks do not interleave lines.
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{stamp}Z pid={os.getpid()} {message}\n".encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        pass  # nowhere to log: stay silent rather than disturb the agent
