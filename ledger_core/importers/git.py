"""Git history → workflow transitions, agent attribution, docs and sensitive-path signals.

Reads a local repository with the ``git`` command (no network). What it takes:

* each merge commit on HEAD's first-parent line → the merged branch's workflow, ``merged`` at
  the merge's commit time (opened at the branch's first commit);
* ``Co-Authored-By`` trailers naming an agent, and git-ai notes (``refs/notes/ai``) → agent
  attribution entries (``inference`` / ``agent_commit``, no cost: the tokens come from the
  agent's own transcript);
* files the merge brought in under ``settings.docs_paths`` → ``institutional_memory`` /
  ``docs_changed``; under ``settings.sensitive_paths`` → ``governance`` / ``sensitive_paths``
  and the workflow flagged as needing review;
* branches not merged into HEAD → open workflows (flagged if they touch sensitive paths).

Commit message bodies are read to find the workflow key but never stored; only paths, hashes,
counts and names are.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from ..config import Settings
from ..errors import InvalidInput
from ..models import EntryDraft, Line, WorkflowState
from ..store import Store
from .delivery import ImportReport, advance, agent_of, ensure, matching, remember, require_review, workflow_key

SOURCE = "git"
US, RS = "\x1f", "\x1e"
_MERGE_SUBJECTS = (
    re.compile(r"^Merge pull request #(?P<pr>\d+) from (?:[^/\s]+/)?(?P<branch>\S+)"),
    re.compile(r"^Merge (?:remote-tracking )?branch '(?:origin/)?(?P<branch>[^']+)'"),
    re.compile(r"^Merge branch (?P<branch>\S+)"),
)
MAX_FILES_KEPT = 50


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    at: datetime
    co_authors: tuple[str, ...]


def git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "-c", "core.quotepath=off", *args],
            capture_output=True, text=True, encoding="utf-8", errors="replace", check=False,
        )
    except FileNotFoundError as exc:
        raise InvalidInput("the git command is not installed") from exc
    if done.returncode != 0:
        raise InvalidInput(f"git {' '.join(args[:2])} in {repo} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def repo_name(repo: Path) -> str:
    try:
        url = git(repo, "remote", "get-url", "origin").strip()
    except InvalidInput:
        url = ""
    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] if url else repo.resolve().name
    return name.removesuffix(".git") or repo.resolve().name


def _commits(repo: Path, revision_range: str) -> list[Commit]:
    out = git(repo, "log", "--reverse", f"--format=%H{US}%an{US}%aI{US}%(trailers:key=Co-authored-by,valueonly,separator=%x1d){RS}", revision_range)
    commits = []
    for record in out.split(RS):
        parts = record.strip("\n").split(US)
        if len(parts) != 4:
            continue
        sha, author, at, trailers = parts
        commits.append(Commit(sha, author, datetime.fromisoformat(at), tuple(t.strip() for t in trailers.split("\x1d") if t.strip())))
    return commits


def _ai_notes(repo: Path) -> dict[str, str]:
    """commit sha → note blob of git-ai's authorship notes, if the repo has any."""
    try:
        out = git(repo, "notes", "--ref=ai", "list")
    except InvalidInput:
        return {}
    notes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            notes[parts[1]] = parts[0]
    return notes


def parse_ai_note(text: str) -> list[dict]:
    """git-ai authorship log → [{agent, model, lines}] per prompt (the attestation above ``---``
    lists ``<prompt-id> <ranges>`` per file; the JSON below names each prompt's agent)."""
    head, sep, tail = text.partition("\n---\n")
    if not sep:
        return []
    try:
        meta = orjson.loads(tail)
    except orjson.JSONDecodeError:
        return []
    lines: dict[str, int] = {}
    for row in head.splitlines():
        if not row.startswith((" ", "\t")):
            continue
        parts = row.split()
        if len(parts) >= 2:
            for span in parts[1].split(","):
                low, _, high = span.partition("-")
                if low.isdigit():
                    lines[parts[0]] = lines.get(parts[0], 0) + (int(high) - int(low) + 1 if high.isdigit() else 1)
    result = []
    for prompt_id, prompt in (meta.get("prompts") or {}).items():
        agent = (prompt or {}).get("agent_id") or {}
        if isinstance(agent, dict) and agent.get("tool"):
            result.append({"agent": str(agent["tool"]), "model": agent.get("model"), "lines": lines.get(prompt_id, int(prompt.get("accepted_lines") or 0))})
    return result


class GitImporter:
    def __init__(self, store: Store, settings: Settings, repo: Path) -> None:
        self.store, self.settings, self.repo = store, settings, repo
        self.report = ImportReport(source=SOURCE)
        self.name = repo_name(repo)
        self.notes = _ai_notes(repo)

    def run(self, since: datetime | None) -> ImportReport:
        git(self.repo, "rev-parse", "--git-dir")
        head_branch = git(self.repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
        after = [f"--since={since.isoformat()}"] if since else []
        out = git(self.repo, "log", "--first-parent", "--merges", f"--format=%H{US}%P{US}%an{US}%cI{US}%s{US}%b{RS}", *after, "HEAD")
        for record in reversed(out.split(RS)):
            parts = record.strip("\n").split(US)
            if len(parts) == 6:
                self._merge(*parts)
        for line in git(self.repo, "for-each-ref", f"--format=%(refname:short){US}%(committerdate:iso-strict)", "refs/heads").splitlines():
            branch, _, at = line.partition(US)
            if branch and branch != head_branch and not (since and datetime.fromisoformat(at) < since):
                self._open_branch(branch)
        return self.report

    def _merge(self, sha: str, parents: str, author: str, at: str, subject: str, body: str) -> None:
        first, second = (parents.split() + [""])[:2]
        branch = next((m.group("branch") for p in _MERGE_SUBJECTS if (m := p.match(subject))), None)
        if not branch:
            self.report.skip(f"merge {sha[:10]}", "its subject names no branch")
            return
        # GitHub puts the PR title on the body's first line: it may carry the issue key.
        key = workflow_key(branch=branch, title=body.strip().split("\n", 1)[0] or None, body=body, repo=self.name)
        commits = _commits(self.repo, f"{first}..{second}")
        if not commits:
            self.report.skip(f"merge {sha[:10]}", "it brought in no commits")
            return
        merged_at = datetime.fromisoformat(at)
        ensure(self.store, key, self.report, at=commits[0].at, repo=self.name, branch=branch)
        remember(self.store, key, commits=[c.sha for c in commits], merge_commit=sha)
        self._attribute(key, commits)
        files = [f for f in git(self.repo, "diff", "--name-only", first, sha).splitlines() if f]
        self._paths(key, files, ref=sha, at=merged_at)
        advance(self.store, key, WorkflowState.MERGED, merged_at, self.report, actor=author)

    def _open_branch(self, branch: str) -> None:
        commits = _commits(self.repo, f"HEAD..{branch}")
        if not commits:
            return
        key = workflow_key(branch=branch, repo=self.name)
        ensure(self.store, key, self.report, at=commits[0].at, repo=self.name, branch=branch)
        remember(self.store, key, commits=[c.sha for c in commits])
        self._attribute(key, commits)
        base = git(self.repo, "merge-base", "HEAD", branch).strip()
        files = [f for f in git(self.repo, "diff", "--name-only", base, branch).splitlines() if f]
        if matching(files, self.settings.sensitive_paths):
            require_review(self.store, key)
        self.report.skip(f"branch {branch}", "not merged yet: docs and governance entries wait for the merge")

    def _attribute(self, key: str, commits: list[Commit]) -> None:
        drafts = []
        for commit in commits:
            agents = {a: {"via": "co-author"} for c in commit.co_authors if (a := agent_of(c))}
            blob = self.notes.get(commit.sha)
            if blob:
                for prompt in parse_ai_note(git(self.repo, "cat-file", "-p", blob)):
                    agents[prompt["agent"]] = {"via": "git-ai", "model": prompt["model"], "lines": prompt["lines"]}
            for agent, facts in agents.items():
                drafts.append(EntryDraft(
                    ts=commit.at, workflow=key, line=Line.INFERENCE, kind="agent_commit", actor=agent,
                    model=facts.get("model"), source=SOURCE, source_ref=f"{commit.sha}:agent:{agent}",
                    attrs={"commit": commit.sha, "agent": agent, "author": commit.author} | facts,
                ))
        if drafts:
            self.report.add(self.store.append(drafts))
            remember(self.store, key, agents=sorted({d.actor for d in drafts if d.actor}))

    def _paths(self, key: str, files: list[str], *, ref: str, at: datetime) -> None:
        drafts = []
        docs = matching(files, self.settings.docs_paths)
        if docs:
            drafts.append(EntryDraft(
                ts=at, workflow=key, line=Line.INSTITUTIONAL_MEMORY, kind="docs_changed", count=len(docs),
                source=SOURCE, source_ref=f"{ref}:docs", attrs={"commit": ref, "files": docs[:MAX_FILES_KEPT]},
            ))
        sensitive = matching(files, self.settings.sensitive_paths)
        if sensitive:
            require_review(self.store, key)
            drafts.append(EntryDraft(
                ts=at, workflow=key, line=Line.GOVERNANCE, kind="sensitive_paths", count=len(sensitive),
                source=SOURCE, source_ref=f"{ref}:sensitive", attrs={"commit": ref, "files": sensitive[:MAX_FILES_KEPT], "review_required": True},
            ))
        if drafts:
            self.report.add(self.store.append(drafts))


def import_repo(store: Store, settings: Settings, repo: Path, *, since: datetime | None = None) -> ImportReport:
    """Import one local repository's merges and branches (idempotent: re-running adds nothing)."""
    if not repo.is_dir():
        raise InvalidInput(f"{repo} is not a directory")
    return GitImporter(store, settings, repo).run(since)
