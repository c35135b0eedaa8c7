"""Claude Code transcripts (``projects/**/*.jsonl``) → inference entries and session rework.

Counting follows ccusage 20.0.24 (``ccusage claude daily``), measured on real and generated
transcripts, so the numbers match what developers already trust:

* one API response is often written on several lines (one content block each, repeating
  ``message.id``, ``requestId`` and ``usage``), and again in resumed sessions, in subagent
  files and in the parent's ``agent_progress`` replays. Lines sharing ``message.id`` +
  ``requestId`` are one call: a main-session line beats a sidechain (subagent) copy, then the
  line with the most tokens wins, then the first in path order; the winner's timestamp
  decides the day;
* an ``agent_progress`` line counts with its inner message's timestamp; the usage repeated in
  a Task tool's ``toolUseResult`` is never counted;
* cache creation is the 5m + 1h breakdown when present (1h writes cost 2× input), else
  ``cache_creation_input_tokens``; a ``costUSD`` written by Claude Code is taken as the cost.

Where ccusage is wrong we differ, on purpose (each has a test in tests/importers):

* a response without ``requestId`` is one call keyed by ``message.id`` (ccusage counts every
  streamed chunk);
* the long-context rate applies to the whole request once its input passes the threshold,
  as Anthropic bills it (ccusage prices only the tokens above 200k at that rate);
* timestamps with other than 0 or 3 fractional digits are read (ccusage drops those lines);
* ``<synthetic>`` / API-error lines are not model calls: they become ``api_error`` rework.

Rework signals (``rework`` line, with ``session`` and ``attrs.tokens_wasted`` where known):
rejected tool uses, failed tool calls, edits the user modified before accepting, API errors,
retries and user interrupts. No prompt or code text is stored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from ..attribution import UNATTRIBUTED, Attributor, valid_key
from ..config import Settings
from ..models import EntryDraft, Line, Tokens, reversal_of
from ..store import Store
from .cursors import Cursor, CursorBook, IncrementalRead, LocalBook, iter_jsonl_files, slices_to_read
from .summary import MAX_SKIPPED, ImportSummary, Progress, SkipLog

if TYPE_CHECKING:
    from .token_prices import TokenPricer

SOURCE = "claude-code"
UPGRADES = ("import-upgrades", "claude-code")  # kv: dedupe key → id of the entry that counts now
# Lines without any of these markers carry nothing we count (most of a transcript's bytes).
_INTERESTING = (b'"usage"', b"is_error", b"userModified", b"isApiErrorMessage", b"api_error", b"[Request interrupted")
# Drafts are appended in batches: the store holds each batch's documents and entries in memory
# at once, and one batch of a large corpus would dominate the import's peak memory.
APPEND_BATCH = 10_000
_TOKEN_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
# New bytes below which worker processes cost more to start than they save (a hook's import
# of one session is far below; a first import of a long history is far above).
PARALLEL_BYTES = 32 * 1024 * 1024
REJECTED_TEXT = "User rejected tool use"


def default_paths(env: dict[str, str] | None = None) -> list[Path]:
    """Every config dir Claude Code uses: ``$CLAUDE_CONFIG_DIR`` (comma-separated), else
    ``~/.config/claude`` and ``~/.claude``; their ``projects`` folders."""
    environ = os.environ if env is None else env
    configured = [p.strip() for p in environ.get("CLAUDE_CONFIG_DIR", "").split(",") if p.strip()]
    home = Path(environ.get("HOME") or Path.home())
    roots = [Path(p).expanduser() for p in configured] or [home / ".config" / "claude", home / ".claude"]
    return [root / "projects" for root in roots if (root / "projects").is_dir()]


class Call(NamedTuple):
    """One usage line: a candidate for the API call its dedupe key names. (A tuple: tens of
    thousands cross from the parsing processes, and tuples travel cheaply.)"""

    key: str
    total: int
    main: bool  # not a sidechain copy
    order: tuple[int, int]
    ts: datetime
    model: str
    counts: tuple[int, int, int, int, int]  # Tokens fields in order; a model is built for winners only
    session: str
    cwd: str | None
    branch: str | None
    agent_id: str | None
    cost_usd: Decimal | None


class Signal(NamedTuple):
    kind: str
    ref: str
    ts: datetime
    session: str
    cwd: str | None
    branch: str | None
    tool_use_id: str | None = None
    attrs: dict[str, Any] | None = None


def parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _num(value: Any) -> int:
    return value if type(value) is int and value > 0 else 0


def usage_counts(usage: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """(input, output, cache write 5m, cache write 1h, cache read) of a ``usage`` object."""
    breakdown = usage.get("cache_creation")
    if isinstance(breakdown, dict) and ("ephemeral_5m_input_tokens" in breakdown or "ephemeral_1h_input_tokens" in breakdown):
        write_5m, write_1h = _num(breakdown.get("ephemeral_5m_input_tokens")), _num(breakdown.get("ephemeral_1h_input_tokens"))
    else:
        write_5m, write_1h = _num(usage.get("cache_creation_input_tokens")), 0
    return (_num(usage.get("input_tokens")), _num(usage.get("output_tokens")), write_5m, write_1h,
            _num(usage.get("cache_read_input_tokens")))


def usage_tokens(usage: dict[str, Any]) -> Tokens:
    return Tokens(**dict(zip(Tokens.model_fields, usage_counts(usage), strict=True)))


class _Parser:
    """Reads the lines of one import run into calls and signals."""

    def __init__(self) -> None:
        self.calls: dict[str, Call] = {}
        self.signals: list[Signal] = []
        self.tool_calls: dict[str, str] = {}  # tool_use id → dedupe key of the response
        self.skips = SkipLog()
        self.lines = 0

    def absorb(self, later: _Parser) -> None:
        """Fold in what a parser of the files after this one's (in path order) found, by the
        same rules as if it had read them itself: ties keep the earlier copy."""
        for key, call in later.calls.items():
            best = self.calls.get(key)
            if best is None or (call.main, call.total) > (best.main, best.total):
                self.calls[key] = call
        self.signals.extend(later.signals)
        for tool_use, key in later.tool_calls.items():
            self.tool_calls.setdefault(tool_use, key)
        self.skips.items.extend(later.skips.items[: MAX_SKIPPED - len(self.skips.items)])
        self.skips.count += later.skips.count
        self.lines += later.lines

    def read(self, reading: IncrementalRead) -> None:
        """Every new line of the changed files ``reading`` yields."""
        for changed in reading:
            for raw in changed.lines:
                self.feed(changed.index, changed.path, raw.number, raw.data, raw.complete)

    def feed(self, file_index: int, path: Path, number: int, data: bytes, complete: bool) -> None:
        self.lines += 1
        stripped = data.strip()
        if not stripped:
            return
        a, b, c, d, e, f = _INTERESTING
        if not (a in stripped or b in stripped or c in stripped or d in stripped or e in stripped or f in stripped):
            # Lines we do not need are not parsed (most of a transcript), only checked whole.
            if not (stripped[:1] == b"{" and stripped[-1:] == b"}"):
                self.skips.add(str(path), number, "truncated line" if not complete else "not a JSON object")
            return
        try:
            line = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            self.skips.add(str(path), number, "truncated line" if not complete else "malformed JSON")
            return
        if not isinstance(line, dict):
            self.skips.add(str(path), number, "not a JSON object")
            return
        try:
            self._line(file_index, path, number, line)
        except (TypeError, ValueError, AttributeError) as exc:
            self.skips.add(str(path), number, f"unexpected shape: {type(exc).__name__}")

    def _line(self, file_index: int, path: Path, number: int, line: dict[str, Any]) -> None:
        kind = line.get("type")
        session = line.get("sessionId") if isinstance(line.get("sessionId"), str) else path.stem
        cwd = line.get("cwd") if isinstance(line.get("cwd"), str) else None
        branch = line.get("gitBranch") if isinstance(line.get("gitBranch"), str) else None
        if kind == "assistant":
            self._assistant(file_index, path, number, line, line, session, cwd, branch, main=line.get("isSidechain") is not True)
        elif kind == "progress":
            data = line.get("data")
            if isinstance(data, dict) and data.get("type") == "agent_progress" and isinstance(data.get("message"), dict):
                inner = data["message"]
                if inner.get("type") == "assistant":
                    agent = data.get("agentId") if isinstance(data.get("agentId"), str) else None
                    self._assistant(file_index, path, number, inner, line, session, cwd, branch, main=True, agent=agent)
        elif kind == "user":
            self._user(path, number, line, session, cwd, branch)
        elif kind == "system" and line.get("subtype") == "api_error":
            ts = parse_ts(line.get("timestamp"))
            if ts is None:
                self.skips.add(str(path), number, "bad or missing timestamp")
                return
            attempt = line.get("retryAttempt")
            self.signals.append(
                Signal("retry", _ref(line, path, number), ts, session, cwd, branch,
                       attrs={"retry_attempt": attempt} if isinstance(attempt, int) else {})
            )

    def _assistant(
        self, file_index: int, path: Path, number: int, record: dict[str, Any], outer: dict[str, Any],
        session: str, cwd: str | None, branch: str | None, *, main: bool, agent: str | None = None,
    ) -> None:
        message = record.get("message")
        if not isinstance(message, dict):
            return
        usage = message.get("usage")
        ts = parse_ts(record.get("timestamp")) or parse_ts(outer.get("timestamp"))
        model = message.get("model")
        if record.get("isApiErrorMessage") is True or model == "<synthetic>":
            if ts is not None and record is outer:
                self.signals.append(Signal("api_error", _ref(record, path, number), ts, session, cwd, branch))
            return
        if not isinstance(usage, dict):
            return
        if ts is None:
            self.skips.add(str(path), number, "bad or missing timestamp")
            return
        message_id = message.get("id")
        if not isinstance(message_id, str) or not message_id:
            self.skips.add(str(path), number, "usage without message.id")
            return
        if not isinstance(model, str) or not model:
            self.skips.add(str(path), number, "usage without model")
            return
        request_id = record.get("requestId")
        key = f"{message_id}:{request_id}" if isinstance(request_id, str) and request_id else message_id
        counts = usage_counts(usage)
        total = sum(counts)
        best = self.calls.get(key)
        # Lines arrive in path order, so a tie keeps the earlier copy: no Call needed for a loser.
        if best is None or (main, total) > (best.main, best.total):
            self._candidate(key, total, main, file_index, number, ts, model, counts, record, outer, session, cwd, branch, agent)
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                    self.tool_calls.setdefault(block["id"], key)

    def _candidate(
        self, key: str, total: int, main: bool, file_index: int, number: int, ts: datetime, model: str,
        counts: tuple[int, int, int, int, int], record: dict[str, Any], outer: dict[str, Any],
        session: str, cwd: str | None, branch: str | None, agent: str | None,
    ) -> None:
        cost = record.get("costUSD")
        call = Call(
            key=key, total=total, main=main, order=(file_index, number), ts=ts, model=model, counts=counts,
            session=session, cwd=cwd, branch=branch,
            agent_id=agent or (outer.get("agentId") if isinstance(outer.get("agentId"), str) else None),
            cost_usd=Decimal(str(cost)) if isinstance(cost, (int, float)) and cost >= 0 else None,
        )
        self.calls[key] = call

    def _user(self, path: Path, number: int, line: dict[str, Any], session: str, cwd: str | None, branch: str | None) -> None:
        ts = parse_ts(line.get("timestamp"))
        message = line.get("message")
        if ts is None or not isinstance(message, dict):
            return
        content = message.get("content")
        result = line.get("toolUseResult")
        base = _ref(line, path, number)
        if isinstance(result, dict) and result.get("userModified") is True:
            self.signals.append(Signal("user_modified", f"{base}:modified", ts, session, cwd, branch))
        if not isinstance(content, list):
            return
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result" and block.get("is_error") is True:
                rejected = result == REJECTED_TEXT or str(block.get("content", "")).startswith("The user doesn't want to proceed")
                tool_use = block.get("tool_use_id") if isinstance(block.get("tool_use_id"), str) else None
                kind = "rejected_tool_use" if rejected else "tool_error"
                self.signals.append(Signal(kind, f"{base}:{tool_use or kind}", ts, session, cwd, branch, tool_use_id=tool_use))
            elif block.get("type") == "text" and block.get("text") == "[Request interrupted by user]":
                self.signals.append(Signal("interrupted", f"{base}:interrupted", ts, session, cwd, branch))


def _ref(line: dict[str, Any], path: Path, number: int) -> str:
    uuid = line.get("uuid")
    return uuid if isinstance(uuid, str) and uuid else f"{path.name}:{number}"


def import_paths(
    store: Store,
    settings: Settings,
    paths: list[Path],
    *,
    workflow: str | None = None,
    progress: Progress | None = None,
    env: dict[str, str] | None = None,
) -> ImportSummary:
    """Import the new lines of every transcript under ``paths`` (files or folders).

    Idempotent: files are read from where the last import stopped, and every entry carries
    its dedupe key as ``source_ref``. Bad lines are skipped and reported, never fatal.
    """
    files = list(iter_jsonl_files(paths))
    book = CursorBook(store, SOURCE)
    workers = settings.import_workers or min(4, os.cpu_count() or 1)
    slices = slices_to_read(book, files, workers=workers, min_bytes=PARALLEL_BYTES) if _can_fork() else None
    if slices is not None and len(slices) > 1:
        parser, unchanged, reread = _parse_in_workers(book, files, slices)
        if progress is not None:
            progress("Claude Code transcripts", len(files), len(files))
    else:
        parser = _Parser()
        reading = IncrementalRead(book, files, parser.skips, label="Claude Code transcripts", progress=progress)
        parser.read(reading)
        unchanged, reread = reading.unchanged, reading.reread
    result = _write(store, settings, parser, workflow=workflow, env=env)
    book.save()
    return ImportSummary(
        source=SOURCE,
        files=len(files),
        files_unchanged=unchanged,
        files_reread=tuple(reread),
        lines=parser.lines,
        skipped=tuple(parser.skips.items),
        skipped_count=parser.skips.count,
        **result,
    )


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _parse_slice(files: list[Path], cursors: dict[str, Cursor | None], first_index: int) -> tuple[_Parser, dict[str, Cursor], int, list[str]]:
    """In a worker process: read and parse a slice of the import's files."""
    parser = _Parser()
    book = LocalBook(cursors)
    reading = IncrementalRead(book, files, parser.skips, label="", first_index=first_index)
    parser.read(reading)
    return parser, book.moved, reading.unchanged, reading.reread


def _parse_in_workers(book: CursorBook, files: list[Path], slices: list[tuple[int, int]]) -> tuple[_Parser, int, list[str]]:
    """Parse contiguous slices of ``files`` in forked processes (parsing is CPU-bound; one
    process per core), then fold their findings together in path order. Cursors move here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(len(slices), mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_parse_slice, files[a:b], {str(p): book.get(p) for p in files[a:b]}, a) for a, b in slices]
        results = [future.result() for future in futures]
    parser, unchanged, reread = results[0][0], 0, []
    for later, moved, slice_unchanged, slice_reread in results:
        if later is not parser:
            parser.absorb(later)
        for path, cursor in moved.items():
            book.put(Path(path), cursor)
        unchanged += slice_unchanged
        reread.extend(slice_reread)
    return parser, unchanged, reread


def _write(store: Store, settings: Settings, parser: _Parser, *, workflow: str | None, env: dict[str, str] | None) -> dict[str, Any]:
    if not parser.calls and not parser.signals:
        # Nothing new (a re-import): the pricing tables and the ledger's rules are not even imported.
        return {"entries_added": 0, "rework_added": 0, "duplicates": 0, "corrections": 0, "workflows": (), "sessions": 0}
    from ..ledger import ensure_workflow
    from .token_prices import TokenPricer

    attributor = Attributor(store, settings, workflow=workflow, env=env)
    pricer = TokenPricer()
    created: dict[str, dict[str, Any]] = {}
    resolved: dict[tuple[str, str | None, str | None], str] = {}

    def workflow_of(session: str, cwd: str | None, branch: str | None) -> str:
        # Every line of a session asks the same question: answer it once per import.
        where = (session, cwd, branch)
        key = resolved.get(where)
        if key is None:
            key = attributor.workflow_for(session, cwd, branch)
            if not valid_key(key):
                key = UNATTRIBUTED
            if key not in created:
                created[key] = attributor.fields_for(cwd, branch)
            resolved[where] = key
        return key

    calls = sorted(parser.calls.values(), key=lambda c: c.order)
    call_workflows = [workflow_of(c.session, c.cwd, c.branch) for c in calls]
    signal_workflows = [workflow_of(s.session, s.cwd, s.branch) for s in parser.signals]
    # Workflows exist before the first entry that names them is appended.
    for key, fields in created.items():
        ensure_workflow(store, key, **{k: v for k, v in fields.items() if v})
    wasted = {tool_use: parser.calls[key].counts[1] for tool_use, key in parser.tool_calls.items() if key in parser.calls}

    def drafts() -> Iterator[EntryDraft]:
        for call, key in zip(calls, call_workflows, strict=True):
            yield _call_draft(call, key, pricer)
        for signal, key in zip(parser.signals, signal_workflows, strict=True):
            attrs = dict(signal.attrs or {})
            if signal.tool_use_id:
                attrs["tool_use_id"] = signal.tool_use_id
                if signal.kind in ("rejected_tool_use", "tool_error") and signal.tool_use_id in wasted:
                    attrs["tokens_wasted"] = wasted[signal.tool_use_id]
            yield EntryDraft(
                ts=signal.ts, workflow=key, line=Line.REWORK, kind=signal.kind, count=1, source=SOURCE,
                source_ref=f"{signal.kind}:{signal.ref}", session=signal.session, attrs=attrs,
            )

    added = rework_added = duplicates = 0
    known_calls: list[EntryDraft] = []  # calls already on the ledger: maybe a fuller copy now
    batch: list[EntryDraft] = []
    pending = drafts()
    while True:
        batch = list(islice(pending, APPEND_BATCH))
        if not batch:
            break
        result = store.append(batch)
        stored_refs = set()
        for entry in result.stored:
            stored_refs.add(entry.source_ref)
            if entry.line == Line.INFERENCE:
                added += 1
            elif entry.line == Line.REWORK:
                rework_added += 1
        duplicates += len(result.duplicates)
        known_calls.extend(d for d in batch if d.line == Line.INFERENCE and d.source_ref not in stored_refs)
        del result, batch
    corrections = _upgrade(store, known_calls)
    sessions = {c.session for c in calls} | {s.session for s in parser.signals}
    return {
        "entries_added": added + corrections,
        "rework_added": rework_added,
        "duplicates": duplicates - corrections,
        "corrections": corrections,
        "workflows": tuple(sorted(created)),
        "sessions": len(sessions),
    }


def _call_draft(call: Call, workflow: str, pricer: TokenPricer) -> EntryDraft:
    cost, unpriced, version = pricer.cost(call.model, call.counts, call.ts)
    attrs: dict[str, Any] = {}
    if call.agent_id:
        attrs["agent_id"] = call.agent_id
    if call.cost_usd is not None:
        attrs["cost_source"] = "transcript"
        cost, unpriced = call.cost_usd, False
    return EntryDraft(
        ts=call.ts, workflow=workflow, line=Line.INFERENCE, kind="model_call", tokens=Tokens(**dict(zip(_TOKEN_FIELDS, call.counts))),
        count=1, cost_usd=cost, unpriced=unpriced, model=call.model, price_version=version, actor="claude-code",
        source=SOURCE, source_ref=call.key, session=call.session, attrs=attrs,
    )


def _upgrade(store: Store, drafts: list[EntryDraft]) -> int:
    """A call seen before with fewer tokens (its stream was still being written, or another
    copy of it had more): reverse what counts now and record the fuller copy."""
    if not drafts:
        return 0
    known = {e.source_ref: e for e in store.entries() if e.source == SOURCE and e.line == Line.INFERENCE and not e.reverses}
    by_id = {e.id: e for e in known.values()}
    upgrades: dict[str, str] = store.kv_get(*UPGRADES) or {}
    appended = 0
    for draft in drafts:
        current_id = upgrades.get(draft.source_ref or "")
        current = by_id.get(current_id) if current_id else known.get(draft.source_ref)
        if current is None or current.tokens is None or draft.tokens is None or draft.tokens.total <= current.tokens.total:
            continue
        fresh = draft.model_copy(update={"source_ref": f"{draft.source_ref}#{draft.tokens.total}"})
        result = store.append([reversal_of(current, note="superseded by a fuller copy of the same API response"), fresh])
        new = [e for e in result.stored if e.source_ref == fresh.source_ref]
        if new:
            upgrades[draft.source_ref or ""] = new[0].id
            appended += 1
    if appended:
        store.kv_set(*UPGRADES, upgrades)
    return appended

