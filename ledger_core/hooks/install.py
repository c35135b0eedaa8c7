"""Adding opledger's hooks to Claude Code's ``settings.json`` and taking them out again.

The file is merged, never replaced: other hooks and settings stay as they were, installing
twice changes nothing, and uninstalling removes only the entries whose command is ours. A
settings file that is not valid JSON is left untouched and reported.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

MARKER = "hook claude-code"
EVENTS = {
    "PostToolUse": "Edit|MultiEdit|Write|NotebookEdit",
    "Stop": None,
    "SubagentStop": None,
    "SessionEnd": None,
}


def command() -> str:
    """The hook command: this installation's ``opledger``, by absolute path when known."""
    found = shutil.which("opledger") or str(Path(sys.executable).with_name("opledger"))
    exe = found if Path(found).exists() else "opledger"
    return f"{exe} {MARKER}" if " " not in exe else f'"{exe}" {MARKER}'


def settings_path(scope: str, *, project_dir: Path | None = None, home: Path | None = None) -> Path:
    if scope == "project":
        return (project_dir or Path.cwd()) / ".claude" / "settings.json"
    if scope == "user":
        return (home or Path(os.environ.get("HOME") or Path.home())) / ".claude" / "settings.json"
    raise InvalidInput(f"unknown scope {scope!r}: use --project or --user")


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8") or "{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON ({exc}); fix it first, nothing was changed") from exc
    if not isinstance(data, dict) or not isinstance(data.get("hooks", {}), dict):
        raise InvalidInput(f"{path}: expected an object with a \"hooks\" object; nothing was changed")
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.opledger-tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)


def _ours(hook: Any) -> bool:
    return isinstance(hook, dict) and isinstance(hook.get("command"), str) and MARKER in hook["command"] and "opledger" in hook["command"]


def install(path: Path, cmd: str | None = None) -> list[str]:
    """Add the hooks; returns the events that were added (empty if all were there)."""
    data = _load(path)
    hooks = data.setdefault("hooks", {})
    added = []
    for event, matcher in EVENTS.items():
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InvalidInput(f"{path}: hooks.{event} is not a list; nothing was changed")
        if any(_ours(h) for g in groups if isinstance(g, dict) for h in g.get("hooks", []) or []):
            continue
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": cmd or command(), "timeout": 10}]}
        if matcher:
            group = {"matcher": matcher, **group}
        groups.append(group)
        added.append(event)
    if added:
        _save(path, data)
    return added


def uninstall(path: Path) -> list[str]:
    """Remove only opledger's hooks; returns the events they were removed from."""
    data = _load(path)
    hooks = data.get("hooks", {})
    removed = []
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept_groups = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                kept = [h for h in group["hooks"] if not _ours(h)]
                if len(kept) != len(group["hooks"]):
                    removed.append(event)
                    if not kept:
                        continue
                    group = {**group, "hooks": kept}
            kept_groups.append(group)
        if kept_groups:
            hooks[event] = kept_groups
        else:
            del hooks[event]
    if removed:
        if not hooks:
            data.pop("hooks", None)
        _save(path, data)
    return sorted(set(removed))
