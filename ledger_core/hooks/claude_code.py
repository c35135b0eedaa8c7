"""Claude Code hook events → agent regions and transcript imports.

* ``PostToolUse`` of Edit / MultiEdit / Write / NotebookEdit records one Region per written
  span (whole lines of the file as it is now, hashed the way the language server anchors
  them); the replaced text goes only to the local undo cache, for the editor's Reject.
* ``Stop`` / ``SubagentStop`` / ``SessionEnd`` import the new bytes of the session's
  transcript (and its subagent transcripts), incrementally.

The model and the call's tokens are not in the payload; they are read from the tail of the
transcript, where Claude Code has just written the response that asked for the edit.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~10 ms
if TYPE_CHECKING:  # the hook's fast path imports neither typing helpers nor pathlib
    from pathlib import Path
    from typing import Any

EDIT_TOOLS = ("Edit", "MultiEdit", "Write", "NotebookEdit")
IMPORT_EVENTS = ("Stop", "SubagentStop", "SessionEnd")
_TAIL_BYTES = 512 * 1024


def wanted(payload: dict[str, Any]) -> bool:
    """Cheap check, before anything heavy is imported: is this an event we record?"""
    event = payload.get("hook_event_name")
    if event == "PostToolUse":
        return payload.get("tool_name") in EDIT_TOOLS and isinstance(payload.get("tool_input"), dict)
    return event in IMPORT_EVENTS and isinstance(payload.get("transcript_path"), str) and bool(payload["transcript_path"].strip())


def handle(payload: dict[str, Any]) -> None:
    from ..config import load_settings
    from ..store import open_store

    settings = load_settings()
    options = {"lock_timeout": settings.lock_timeout} if "://" not in settings.store else {}
    store = open_store(settings.store, **options)
    try:
        if payload.get("hook_event_name") == "PostToolUse":
            record_edit(store, settings, payload)
        else:
            import_transcript(store, settings, payload)
    finally:
        store.close()


def import_transcript(store: Any, settings: Any, payload: dict[str, Any]) -> None:
    from pathlib import Path

    from ..importers.claude_code import import_paths

    transcript = Path(payload["transcript_path"]).expanduser()
    paths = [transcript]
    subagents = transcript.with_suffix("") / "subagents"
    if subagents.is_dir():
        paths.append(subagents)
    import_paths(store, settings, [p for p in paths if p.exists()])


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8", errors="surrogateescape")
    except OSError:
        return None


def _tail_call(transcript: str | None, tool_use_id: str | None, tool_name: str, file_path: str) -> dict[str, Any]:
    """The response that asked for this edit: its model, usage and tool_use id."""
    import orjson

    if not transcript:
        return {}
    try:
        with open(transcript, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return {}
    for raw in reversed(tail.split(b"\n")):
        if b'"tool_use"' not in raw:
            continue
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        message = line.get("message") if isinstance(line, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("content"), list):
            continue
        blocks = [b for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use"]
        for block in blocks:
            target = (block.get("input") or {}) if isinstance(block.get("input"), dict) else {}
            same_id = tool_use_id and block.get("id") == tool_use_id
            same_edit = not tool_use_id and block.get("name") == tool_name and file_path in (target.get("file_path"), target.get("notebook_path"))
            if same_id or same_edit:
                return {
                    "model": message.get("model"),
                    "usage": message.get("usage"),
                    "tool_use_id": block.get("id"),
                    "edits_in_call": len(blocks),
                    "request_id": line.get("requestId"),
                }
    return {}


def _spans(payload: dict[str, Any], after: str) -> list[tuple[int, int, str, str]]:
    """(start, end, new text, replaced text) of each span the tool wrote, whole lines."""
    from ..regions import edit_span, split_lines

    tool = payload["tool_name"]
    tool_input = payload["tool_input"]
    response = payload.get("tool_response") if isinstance(payload.get("tool_response"), dict) else {}
    near = 0
    patch = response.get("structuredPatch")
    if isinstance(patch, list) and patch and isinstance(patch[0], dict) and isinstance(patch[0].get("newStart"), int):
        near = max(patch[0]["newStart"] - 1, 0)
    if tool == "Write":
        lines = split_lines(after)
        original = response.get("originalFile") if isinstance(response.get("originalFile"), str) else ""
        return [(0, max(len(lines), 1) - 1, after, original)] if after else []
    if tool == "NotebookEdit":
        source = tool_input.get("new_source")
        if not isinstance(source, str) or not source:
            return []
        first = source.splitlines()[0] if source.splitlines() else source
        import json

        needle = json.dumps(first)[1:-1]
        position = after.find(needle)
        start = after.count("\n", 0, position) if position >= 0 else 0
        return [(start, start + len(split_lines(source)) - 1, source, "")]
    edits = tool_input.get("edits") if tool == "MultiEdit" else [tool_input]
    spans = []
    for edit in edits if isinstance(edits, list) else []:
        if not isinstance(edit, dict) or not isinstance(edit.get("new_string"), str):
            continue
        span = edit_span(after, edit["new_string"], edit.get("old_string") or "", near_line=near)
        if span is not None:
            spans.append((span.start_line, span.end_line, span.text, span.original_text))
    return spans


def record_edit(store: Any, settings: Any, payload: dict[str, Any]) -> int:
    """Record the regions of one edit; returns how many."""
    from decimal import Decimal
    from pathlib import Path

    from ..attribution import UNATTRIBUTED, Attributor, valid_key
    from ..ledger import ensure_workflow
    from ..models import Region
    from ..policy import check_edit, record_policy_exception
    from ..redaction import kept_text
    from ..regions import content_hash, line_hashes
    from ..undo_cache import save_original
    from . import log

    tool_input = payload["tool_input"]
    file_path = tool_input.get("file_path") or tool_input.get("notebook_path")
    if not isinstance(file_path, str) or not file_path:
        log.write(f"PostToolUse {payload.get('tool_name')}: no file path; ignored")
        return 0
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    path = Path(file_path) if Path(file_path).is_absolute() or not cwd else Path(cwd) / file_path
    after = _read_text(path)
    if after is None:
        log.write(f"PostToolUse {payload.get('tool_name')}: cannot read the edited file; ignored")
        return 0
    spans = _spans(payload, after)
    if not spans:
        log.write(f"PostToolUse {payload.get('tool_name')}: written text not found in the file (changed again?)")
        return 0
    session = payload.get("session_id") if isinstance(payload.get("session_id"), str) else None
    tool_use_id = payload.get("tool_use_id") if isinstance(payload.get("tool_use_id"), str) else None
    call = _tail_call(payload.get("transcript_path"), tool_use_id, payload["tool_name"], file_path)
    model = call.get("model") if isinstance(call.get("model"), str) else None
    tokens, cost = _share(call, model)
    attributor = Attributor(store, settings)
    workflow = attributor.workflow_for(session, cwd, None)
    if not valid_key(workflow):
        workflow = UNATTRIBUTED
    if store.find_workflow(workflow) is None:
        ensure_workflow(store, workflow, **{k: v for k, v in attributor.fields_for(cwd, None).items() if v})
    regions = []
    share = Decimal(len(spans))
    violation = check_edit(settings, str(path), model, root=cwd)
    for start, end, text, original in spans:
        region = Region(
            workflow=workflow, path=str(path), start_line=start, end_line=max(end, start),
            content_hash=content_hash(text), line_hashes=line_hashes(text),
            text=kept_text(text, settings), agent="claude-code", model=model, session=session,
            tool_use_id=tool_use_id or call.get("tool_use_id"), tokens=tokens // len(spans),
            cost_usd=cost / share, source="hook",
            attrs={"tool": payload["tool_name"], **({"request_id": call["request_id"]} if call.get("request_id") else {}),
                   **({"policy_exception": violation.message} if violation else {})},
        )
        save_original(region.id, original)
        regions.append(region)
    store.put_regions(regions)
    if violation is not None:  # data boundaries: flagged on the governance line, counted in reports
        record_policy_exception(store, violation, workflow=workflow, session=session, region=regions[0].id,
                                source="hook", source_ref=f"policy:{tool_use_id or regions[0].id}")
        log.write(f"policy exception: {violation.message}")
    return len(regions)


def _share(call: dict[str, Any], model: str | None) -> tuple[int, Any]:
    """Output tokens and cost of the response that wrote the edit, split over its edits."""
    from decimal import Decimal

    from ..importers.claude_code import usage_tokens
    from ..pricing import price_tokens

    usage = call.get("usage")
    if not isinstance(usage, dict) or not model:
        return 0, Decimal(0)
    tokens = usage_tokens(usage)
    edits = max(int(call.get("edits_in_call") or 1), 1)
    price = price_tokens(model, tokens)
    return tokens.output // edits, price.cost_usd / edits
