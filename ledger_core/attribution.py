"""Which workflow an agent session's work belongs to.

In order: a link made with ``opledger link SESSION WF`` (kept in the store), the
``OPLEDGER_WORKFLOW`` environment variable, a workflow given by the caller (``--workflow``),
the team's ``workflow_map`` (glob → workflow, matched against the session's cwd, its branch
and ``cwd@branch``), an existing workflow of that repository and branch, and finally the git
branch itself — read from the transcript (``gitBranch``) or from the repository at ``cwd``.
Work with no branch at all goes to ``unattributed``.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from .config import Settings
from .models import EntryDraft, Workflow
from .store import Store

LINKS = "session-links"
UNATTRIBUTED = "unattributed"


def session_link(store: Store, session: str) -> str | None:
    value = store.kv_get(LINKS, session)
    return value if isinstance(value, str) else None


def set_session_link(store: Store, session: str, workflow: str) -> None:
    store.kv_set(LINKS, session, workflow)


@lru_cache(maxsize=256)
def git_root(cwd: str) -> Path | None:
    """The repository (work tree) containing ``cwd``, found without running git."""
    path = Path(cwd)
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


@lru_cache(maxsize=256)
def git_branch(cwd: str) -> str | None:
    """The checked-out branch of the repository at ``cwd`` (``.git/HEAD``; worktrees too)."""
    root = git_root(cwd)
    if root is None:
        return None
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: ".git" names the real git dir
            pointer = git.read_text("utf-8").strip()
            if not pointer.startswith("gitdir:"):
                return None
            git = (root / pointer.removeprefix("gitdir:").strip()).resolve()
        head = (git / "HEAD").read_text("utf-8").strip()
    except OSError:
        return None
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None


def repo_name(cwd: str | None) -> str | None:
    if not cwd:
        return None
    root = git_root(cwd)
    return (root or Path(cwd)).name or None


class Attributor:
    """Resolves sessions to workflows for one import, caching what it found."""

    def __init__(self, store: Store, settings: Settings, *, workflow: str | None = None, env: dict[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        self.store = store
        self.settings = settings
        self.forced = environ.get("OPLEDGER_WORKFLOW") or workflow
        self._links: dict[str, str | None] = {}
        self._cache: dict[tuple[str | None, str | None], str] = {}
        self._by_branch: dict[tuple[str | None, str], str] | None = None

    def workflow_for(self, session: str | None, cwd: str | None, branch: str | None) -> str:
        if session:
            if session not in self._links:
                self._links[session] = session_link(self.store, session)
            if self._links[session]:
                return self._links[session]  # type: ignore[return-value]
        if self.forced:
            return self.forced
        key = (cwd, branch)
        if key not in self._cache:
            self._cache[key] = self._resolve(cwd, branch)
        return self._cache[key]

    def _resolve(self, cwd: str | None, branch: str | None) -> str:
        if not branch and cwd:
            branch = git_branch(cwd)
        candidates = [c for c in (cwd, branch, f"{cwd}@{branch}" if cwd and branch else None) if c]
        for pattern, target in self.settings.workflow_map.items():
            if any(fnmatchcase(c, pattern) for c in candidates):
                return target
        if not branch or branch == "HEAD":
            return UNATTRIBUTED
        repo = repo_name(cwd)
        existing = self._existing().get((repo, branch)) or self._existing().get((None, branch))
        return existing or _as_key(branch)

    def _existing(self) -> dict[tuple[str | None, str], str]:
        if self._by_branch is None:
            self._by_branch = {}
            for workflow in self.store.workflows():
                if workflow.branch:
                    self._by_branch.setdefault((workflow.repo, workflow.branch), workflow.key)
                    self._by_branch.setdefault((None, workflow.branch), workflow.key)
        return self._by_branch

    def fields_for(self, cwd: str | None, branch: str | None) -> dict[str, str | None]:
        """What to record on a workflow created for a session (its repository and branch)."""
        return {"repo": repo_name(cwd), "branch": branch or (git_branch(cwd) if cwd else None)}


def _as_key(branch: str) -> str:
    key = "-".join(branch.split())
    return key.lstrip("/\\") or UNATTRIBUTED


def valid_key(key: str) -> bool:
    try:
        Workflow(key=key)
    except ValueError:
        return False
    return True


def link_session(store: Store, session: str, workflow: str, *, actor: str | None = None) -> int:
    """Move a session's entries and regions to ``workflow`` and attribute its future work there.

    The ledger is append-only: each moved entry is reversed on its old workflow and recorded
    again on the new one (same source, a ``@link`` reference), so the history shows the fix.
    Returns how many entries were moved.
    """
    from .errors import InvalidInput
    from .ledger import ensure_workflow
    from .models import reversal_of

    if not valid_key(workflow):
        raise InvalidInput(f"invalid workflow key {workflow!r} (no spaces, must not start with / or \\)")
    entries = store.entries()
    reversed_ids = {e.reverses for e in entries if e.reverses}
    moving = [
        e for e in entries
        if e.session == session and e.workflow != workflow and not e.reverses and e.id not in reversed_ids
    ]
    regions = [r for r in store.regions() if r.session == session and r.workflow != workflow]
    if not moving and not regions and not any(e.session == session for e in entries):
        raise InvalidInput(f"no entries or regions of session {session!r} in the ledger (import it first)")
    ensure_workflow(store, workflow)
    drafts = []
    for entry in moving:
        drafts.append(reversal_of(entry, actor=actor, note=f"session {session} linked to {workflow}"))
        copy = entry.model_dump(include=set(EntryDraft.model_fields))
        copy.update(workflow=workflow, source_ref=f"{entry.source_ref or entry.id}@link:{workflow}")
        drafts.append(EntryDraft.model_validate(copy))
    if drafts:
        store.append(drafts)
    if regions:
        store.put_regions([r.model_copy(update={"workflow": workflow}) for r in regions])
    set_session_link(store, session, workflow)
    return len(moving)
