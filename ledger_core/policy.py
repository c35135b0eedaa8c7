"""Data boundaries: which agent edits are inside policy, and how an exception is put on the ledger.

Two settings decide it (gitignore-style globs, matched against the path relative to the repo):

* ``allowed_models`` — path glob → models allowed to edit matching files (``fnmatch`` patterns,
  e.g. ``claude-opus-*``). A file matched by several globs must satisfy each of them.
* ``sensitive_paths`` — files no agent may edit unless an ``allowed_models`` glob covers them.

An edit outside policy is not blocked here (the adapters decide how loud to be); it becomes
one ``governance`` entry of kind ``policy_exception``, which reports count.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import PurePosixPath

import pathspec
from pydantic import BaseModel, ConfigDict

from .config import Settings
from .models import EntryDraft, Line, utcnow
from .store import AppendResult, Store

POLICY_EXCEPTION = "policy_exception"


class Violation(BaseModel):
    """Why one edit is outside policy; ``rule`` names the setting and glob that decided it."""

    model_config = ConfigDict(frozen=True)

    path: str
    model: str | None
    rule: str
    message: str


@lru_cache(maxsize=256)
def _spec(pattern: str) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


def relative_path(path: str, root: str | None = None) -> str:
    """``path`` as policy globs see it: relative to ``root`` when inside it, with forward slashes."""
    posix = path.replace("\\", "/")
    if root:
        base = root.replace("\\", "/").rstrip("/") + "/"
        if posix.startswith(base):
            posix = posix[len(base):]
    return str(PurePosixPath(posix.lstrip("/"))) if posix.strip("/") else posix


def check_edit(settings: Settings, path: str, model: str | None, *, root: str | None = None) -> Violation | None:
    """The reason an agent edit of ``path`` by ``model`` is outside policy, or None if it is inside."""
    rel = relative_path(path, root)
    covering = [(glob, models) for glob, models in settings.allowed_models.items() if _spec(glob).match_file(rel)]
    for glob, models in covering:
        if model is None or not any(fnmatchcase(model, allowed) for allowed in models):
            allowed = ", ".join(models) or "no model"
            return Violation(
                path=rel, model=model, rule=f"allowed_models[{glob!r}]",
                message=f"{rel} may only be edited by {allowed}; this edit was made by {model or 'an unknown model'}",
            )
    if covering:
        return None
    for glob in settings.sensitive_paths:
        if _spec(glob).match_file(rel):
            return Violation(
                path=rel, model=model, rule=f"sensitive_paths[{glob!r}]",
                message=f"{rel} is a sensitive path ({glob}); agent edits need an allowed_models rule",
            )
    return None


def record_policy_exception(
    store: Store,
    violation: Violation,
    *,
    workflow: str,
    actor: str | None = None,
    session: str | None = None,
    region: str | None = None,
    source: str = "policy",
    source_ref: str | None = None,
    at: datetime | None = None,
) -> AppendResult:
    """Put one exception on the ``governance`` line (once per ``source``+``source_ref``)."""
    draft = EntryDraft(
        ts=at or utcnow(),
        workflow=workflow,
        line=Line.GOVERNANCE,
        kind=POLICY_EXCEPTION,
        count=1,
        actor=actor,
        source=source,
        source_ref=source_ref,
        session=session,
        region=region,
        attrs={"path": violation.path, "model": violation.model, "rule": violation.rule},
    )
    return store.append([draft])


def check_and_record(
    store: Store,
    settings: Settings,
    path: str,
    model: str | None,
    *,
    workflow: str,
    root: str | None = None,
    **where: str | None,
) -> Violation | None:
    """``check_edit`` and, when the edit is outside policy, ``record_policy_exception``: the one
    call an adapter (hook, language server) makes per agent edit."""
    violation = check_edit(settings, path, model, root=root)
    if violation is not None:
        record_policy_exception(store, violation, workflow=workflow, **where)  # type: ignore[arg-type]
    return violation


def policy_exceptions(entries: list) -> int:
    """Net count of policy exceptions among ``entries`` (a reversal cancels one)."""
    return sum(e.count for e in entries if e.line == Line.GOVERNANCE and e.kind == POLICY_EXCEPTION)
