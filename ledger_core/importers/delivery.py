"""What the delivery-signal importers share: the import report, the workflow-key rule for
branches and pull requests, path rules (docs, sensitive code) and safe lifecycle moves.

Used by the git, GitHub, JUnit, Cobertura and incident importers and the GitHub webhook
receiver. Nothing here talks to a network or a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import pathspec
from pydantic import BaseModel, Field

from .. import ledger
from ..errors import InvalidTransition
from ..lifecycle import _ORDER
from ..models import Workflow, WorkflowState
from ..store import AppendResult, Store


class Skip(BaseModel):
    what: str
    why: str


class ImportReport(BaseModel):
    """What one import did; every importer returns one, and the CLI prints it."""

    source: str
    stored: int = 0
    duplicates: int = 0
    transitions: list[str] = Field(default_factory=list)
    workflows: list[str] = Field(default_factory=list)
    skipped: list[Skip] = Field(default_factory=list)

    def add(self, result: AppendResult) -> AppendResult:
        self.stored += len(result.stored)
        self.duplicates += len(result.duplicates)
        for entry in result.stored:
            self.touch(entry.workflow)
        return result

    def touch(self, key: str) -> None:
        if key not in self.workflows:
            self.workflows.append(key)

    def skip(self, what: str, why: str) -> None:
        self.skipped.append(Skip(what=what, why=why))


# --------------------------------------------------------------------------- workflow keys
# A tracker key such as ABC-123 (Jira, Linear, YouTrack); lowercase in branch names is common.
TRACKER_KEY = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,7})(?![0-9])")
# GitHub's closing keywords: "fixes #12", "Closes: #12", "resolved #12".
CLOSING = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+#([0-9]+)\b", re.IGNORECASE)
# Words that look like a project key in branch names ("fix-12", "release-2024") but are not one.
_NOT_TRACKER = {
    "utf", "sha", "iso", "rfc", "pep", "cve", "http", "https", "x86", "win", "fix", "hotfix", "bugfix", "bug",
    "feat", "feature", "issue", "chore", "release", "patch", "test", "step", "pr", "pull", "v", "rev", "wip",
}


def tracker_key(text: str | None) -> str | None:
    for match in TRACKER_KEY.finditer(text or ""):
        project = match.group(1).split("-")[0]
        if project.lower() in _NOT_TRACKER or not any(c.isalpha() for c in project):
            continue
        return match.group(1).upper()
    return None


def workflow_key(*, branch: str | None, title: str | None = None, body: str | None = None, repo: str | None = None) -> str | None:
    """The workflow a branch or pull request belongs to (README "Connecting your tools").

    1. a tracker key (``ABC-123``) in the branch name, then in the title;
    2. a closing keyword (``Fixes #12``) in the title or body → ``<repo>#12`` (``#12`` without a repo);
    3. the branch name.
    """
    for text in (branch, title):
        key = tracker_key(text)
        if key:
            return key
    for text in (title, body):
        match = CLOSING.search(text or "")
        if match:
            return f"{repo}#{match.group(1)}" if repo else f"#{match.group(1)}"
    if branch:
        key = re.sub(r"\s+", "-", branch.strip()).lstrip("/\\")
        return key[:200] or None
    return None


# --------------------------------------------------------------------------- path rules
@lru_cache(maxsize=32)
def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def matching(paths: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """The paths matching any of the (gitignore-style) glob patterns, in input order."""
    spec = _spec(tuple(patterns))
    return [p for p in paths if spec.match_file(p)]


# --------------------------------------------------------------------------- agents
AGENT_NAMES = {
    "claude": "claude-code",
    "anthropic": "claude-code",
    "codex": "codex",
    "openai": "codex",
    "chatgpt": "codex",
    "copilot": "copilot",
    "cursor": "cursor",
    "gemini": "gemini",
    "aider": "aider",
    "devin": "devin",
    "windsurf": "windsurf",
    "amazon q": "amazon-q",
    "jules": "jules",
}


def agent_of(co_author: str) -> str | None:
    """The agent behind a ``Co-Authored-By`` trailer value, or None for a human co-author."""
    lowered = co_author.lower()
    for needle, agent in AGENT_NAMES.items():
        if re.search(rf"(?<![a-z]){re.escape(needle)}(?![a-z])", lowered):
            return agent
    return None


# --------------------------------------------------------------------------- lifecycle
def advance(store: Store, key: str, state: WorkflowState, at: datetime, report: ImportReport, *, actor: str | None = None) -> Workflow | None:
    """Move a workflow forward if it is not there yet; an older or repeated event is a no-op.

    Events arrive out of order (a webhook after a bulk import, git after GitHub), so a state the
    workflow already passed is not an error here, only something to leave alone.
    """
    workflow = store.get_workflow(key)
    current = workflow.state
    if current == state or current == WorkflowState.VERIFIED or (
        state != WorkflowState.ABANDONED and current != WorkflowState.ABANDONED and _ORDER[current] > _ORDER[state]
    ):
        return None
    if current == WorkflowState.ABANDONED:
        report.skip(f"{key} → {state.value}", "workflow is abandoned")
        return None
    last = workflow.transitions[-1].at if workflow.transitions else workflow.created_at
    try:
        moved = ledger.transition(store, key, state, at=max(at, last), actor=actor)
    except InvalidTransition as exc:
        report.skip(f"{key} → {state.value}", str(exc))
        return None
    report.transitions.append(f"{key}: {current.value} → {state.value} at {max(at, last).isoformat()}")
    report.touch(key)
    return moved


def ensure(store: Store, key: str, report: ImportReport, *, at: datetime, **fields: Any) -> Workflow:
    """The workflow, created open at ``at`` (or its missing fields filled in)."""
    found = store.find_workflow(key)
    if found is None:
        report.touch(key)
        return ledger.start_workflow(store, key, at=at, **fields)
    missing = {k: v for k, v in fields.items() if v is not None and getattr(found, k, None) is None}
    return ledger.start_workflow(store, key, **missing) if missing else found


def remember(store: Store, key: str, **attrs: Any) -> Workflow:
    """Merge facts into the workflow's attrs (lists are unioned), for later linking."""
    workflow = store.get_workflow(key)
    merged = dict(workflow.attrs)
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, list):
            merged[name] = list(dict.fromkeys([*merged.get(name, []), *value]))
        else:
            merged[name] = value
    if merged == workflow.attrs:
        return workflow
    return store.put_workflow(workflow.model_copy(update={"attrs": merged}))


def require_review(store: Store, key: str) -> Workflow:
    workflow = store.get_workflow(key)
    if workflow.review_required:
        return workflow
    return store.put_workflow(workflow.model_copy(update={"review_required": True}))
