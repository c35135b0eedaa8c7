"""A local, per-user cache of the text an agent edit replaced, so Reject can restore it.

The ledger itself never stores code text unless the team opts in. The pre-edit text lives
only on the developer's own machine (user cache dir, owner-only permissions) and is pruned
after ``max_age_days``; it is never sent to a team service, a digest or a log.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    base = os.environ.get("OPLEDGER_CACHE_DIR") or platformdirs.user_cache_dir("opledger", appauthor=False)
    return Path(base) / "undo"


def _path(region_id: str) -> Path:
    if not region_id or not region_id.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"bad region id {region_id!r}")
    return cache_dir() / region_id


def save_original(region_id: str, text: str) -> None:
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = _path(region_id)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)


def load_original(region_id: str) -> str | None:
    try:
        return _path(region_id).read_text("utf-8")
    except (FileNotFoundError, ValueError):
        return None


def prune(max_age_days: float = 14) -> int:
    cutoff = time.time() - max_age_days * 86400
    removed = 0
    for item in cache_dir().glob("*"):
        try:
            if item.stat().st_mtime < cutoff:
                item.unlink()
                removed += 1
        except OSError:
            pass
    return removed
