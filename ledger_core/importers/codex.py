"""Codex CLI rollout files (``$CODEX_HOME/sessions/**/rollout-*.jsonl``) → inference entries.

A rollout's ``token_count`` events carry the session's *cumulative* usage
(``info.total_token_usage``); consecutive events often repeat it, and some carry only rate
limits (``info: null``). Each increase of the cumulative total is one entry holding the delta;
if the total ever goes down (a reset), that event's ``last_token_usage`` is the delta. Cached
input is separated from uncached (``input − cached`` is ``input``, ``cached`` is
``cache_read``); reasoning tokens are part of output, as billed. The model is the one named by
the latest ``turn_context``. Per-file state (cumulative totals so far, model, session) is kept
with the read cursor, so incremental imports continue the deltas where they stopped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ..attribution import UNATTRIBUTED, Attributor, valid_key
from ..config import Settings
from ..ledger import ensure_workflow
from ..models import EntryDraft, Line, Tokens
from ..store import Store
from .claude_code import parse_ts
from .cursors import CursorBook, IncrementalRead, iter_jsonl_files
from .summary import ImportSummary, Progress, SkipLog
from .token_prices import TokenPricer

SOURCE = "codex"
STATE = ("import-state", "codex")
_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")


def default_paths(env: dict[str, str] | None = None) -> list[Path]:
    environ = os.environ if env is None else env
    home = Path(environ.get("HOME") or Path.home())
    root = Path(environ["CODEX_HOME"]).expanduser() if environ.get("CODEX_HOME") else home / ".codex"
    return [root / "sessions"] if (root / "sessions").is_dir() else []


@dataclass
class _FileState:
    session: str
    totals: list[int] = field(default_factory=lambda: [0] * len(_FIELDS))
    model: str | None = None
    cwd: str | None = None
    branch: str | None = None

    def dump(self) -> dict[str, Any]:
        return {"session": self.session, "totals": self.totals, "model": self.model, "cwd": self.cwd, "branch": self.branch}

    @classmethod
    def load(cls, data: Any, session: str) -> _FileState:
        if not isinstance(data, dict):
            return cls(session)
        totals = data.get("totals")
        ok = isinstance(totals, list) and len(totals) == len(_FIELDS) and all(type(t) is int for t in totals)
        return cls(
            session=data.get("session") or session, totals=totals if ok else [0] * len(_FIELDS),
            model=data.get("model"), cwd=data.get("cwd"), branch=data.get("branch"),
        )


@dataclass
class _Turn:
    ref: str
    ts: datetime
    tokens: Tokens
    reasoning: int
    state: _FileState
    model: str | None
    cwd: str | None
    branch: str | None


def _usage(value: Any) -> list[int] | None:
    if not isinstance(value, dict):
        return None
    return [value.get(f) if type(value.get(f)) is int and value.get(f) >= 0 else 0 for f in _FIELDS]


def _read_file(path: Path, lines: list[Any], state: _FileState, turns: list[_Turn], skips: SkipLog) -> None:
    for raw in lines:
        data = raw.data.strip()
        if not data:
            continue
        try:
            line = orjson.loads(data)
        except orjson.JSONDecodeError:
            skips.add(str(path), raw.number, "truncated line" if not raw.complete else "malformed JSON")
            continue
        if not isinstance(line, dict) or not isinstance(line.get("payload"), dict):
            skips.add(str(path), raw.number, "not a rollout record")
            continue
        payload = line["payload"]
        kind = line.get("type")
        if kind == "session_meta":
            if isinstance(payload.get("id"), str):
                state.session = payload["id"]
            state.cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else state.cwd
            git = payload.get("git") if isinstance(payload.get("git"), dict) else {}
            state.branch = git.get("branch") if isinstance(git.get("branch"), str) else state.branch
            if isinstance(payload.get("model"), str):
                state.model = payload["model"]
        elif kind == "turn_context":
            if isinstance(payload.get("model"), str):
                state.model = payload["model"]
            if isinstance(payload.get("cwd"), str):
                state.cwd = payload["cwd"]
        elif kind == "event_msg" and payload.get("type") == "token_count":
            info = payload.get("info")
            if not isinstance(info, dict):
                continue
            total = _usage(info.get("total_token_usage"))
            if total is None:
                continue
            ts = parse_ts(line.get("timestamp"))
            if ts is None:
                skips.add(str(path), raw.number, "bad or missing timestamp")
                continue
            if total == state.totals:
                continue
            if any(now < before for now, before in zip(total, state.totals, strict=True)):
                delta = _usage(info.get("last_token_usage")) or total
            else:
                delta = [now - before for now, before in zip(total, state.totals, strict=True)]
            state.totals = total
            input_, cached, output, reasoning, _ = delta
            cached = min(cached, input_)
            tokens = Tokens(input=input_ - cached, cache_read=cached, output=output)
            if tokens.total == 0:
                continue
            turns.append(_Turn(f"{state.session}:{raw.number}", ts, tokens, reasoning, state, state.model, state.cwd, state.branch))


def import_paths(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    workflow: str | None = None,
    progress: Progress | None = None,
    env: dict[str, str] | None = None,
) -> ImportSummary:
    """Import the new events of every rollout file under ``paths``; idempotent, incremental."""
    files = list(iter_jsonl_files(paths))
    book = CursorBook(store, SOURCE)
    saved = store.kv_get(*STATE) or {}
    states: dict[str, Any] = dict(saved)
    skips = SkipLog()
    turns: list[_Turn] = []
    line_count = 0
    reading = IncrementalRead(book, files, skips, label="Codex sessions", progress=progress)
    for changed in reading:
        path = changed.path
        fresh = changed.restarted or changed.cursor is None
        state = _FileState(path.stem) if fresh else _FileState.load(states.get(str(path)), path.stem)
        line_count += len(changed.lines)
        _read_file(path, changed.lines, state, turns, skips)
        states[str(path)] = state.dump()
    attributor = Attributor(store, settings, workflow=workflow, env=env)
    pricer = TokenPricer()
    created: dict[str, dict[str, Any]] = {}
    drafts = []
    for turn in turns:
        key = attributor.workflow_for(turn.state.session, turn.cwd, turn.branch)
        key = key if valid_key(key) else UNATTRIBUTED
        created.setdefault(key, attributor.fields_for(turn.cwd, turn.branch))
        model = turn.model or "unknown"
        price = pricer.price(model, turn.tokens, turn.ts)
        drafts.append(
            EntryDraft(
                ts=turn.ts, workflow=key, line=Line.INFERENCE, kind="model_call", tokens=turn.tokens, count=1,
                cost_usd=price.cost_usd, unpriced=price.unpriced, model=model, price_version=price.price_version,
                actor="codex", source=SOURCE, source_ref=turn.ref, session=turn.state.session,
                attrs={"reasoning_output_tokens": turn.reasoning} if turn.reasoning else {},
            )
        )
    for key, fields in created.items():
        ensure_workflow(store, key, **{k: v for k, v in fields.items() if v})
    result = store.append(drafts)
    if states != saved:
        store.kv_set(*STATE, states)
    book.save()
    return ImportSummary(
        source=SOURCE, files=len(files), files_unchanged=reading.unchanged, files_reread=tuple(reading.reread), lines=line_count,
        entries_added=len(result.stored), duplicates=len(result.duplicates), skipped=tuple(skips.items),
        skipped_count=skips.count, workflows=tuple(sorted(created)), sessions=len({t.state.session for t in turns}),
    )
