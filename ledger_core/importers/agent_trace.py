"""Agent Trace records (JSON or JSONL) → agent regions.

An Agent Trace record says which line ranges (1-based, inclusive) of which files a
conversation's contributor wrote at a VCS revision: ``files[].conversations[].ranges[]`` with
``contributor.type`` (``ai``, ``human``, ``mixed``, ``unknown``) and ``model_id``. Ranges by an
``ai`` or ``mixed`` contributor become regions. The text is hashed from the file under
``--root`` when it is there (the same fingerprints the language server anchors by); otherwise
the record's own ``content_hash`` is kept. Region ids derive from the record, so importing a
record twice changes nothing and keeps review decisions already made.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from ..attribution import UNATTRIBUTED, Attributor, valid_key
from ..config import Settings
from ..ledger import ensure_workflow
from ..models import Region
from ..regions import content_hash, line_hashes, split_lines
from ..store import Store
from .claude_code import parse_ts
from .summary import ImportSummary, SkipLog

SOURCE = "agent-trace"


def region_id(*parts: Any) -> str:
    return "r" + hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:25]


def file_lines(root: Path | None, path: str, cache: dict[str, list[str] | None]) -> list[str] | None:
    if path not in cache:
        target = Path(path) if Path(path).is_absolute() or root is None else root / path
        try:
            cache[path] = split_lines(target.read_text("utf-8", errors="surrogateescape"))
        except OSError:
            cache[path] = None
    return cache[path]


def _records(path: Path, skips: SkipLog) -> list[tuple[int, Any]]:
    raw = path.read_bytes()
    try:
        whole = orjson.loads(raw)
        return [(1, r) for r in whole] if isinstance(whole, list) else [(1, whole)]
    except orjson.JSONDecodeError:
        pass
    found = []
    for number, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            try:
                found.append((number, orjson.loads(line)))
            except orjson.JSONDecodeError:
                skips.add(str(path), number, "malformed JSON")
    return found


def import_paths(
    store: Store, settings: Settings, paths: list[Path], *, workflow: str | None = None, root: Path | None = None, progress: Any = None
) -> ImportSummary:
    files = sorted({p for base in paths for p in ([base] if base.is_file() else base.rglob("*.json*")) if p.is_file()})
    attributor = Attributor(store, settings, workflow=workflow)
    existing = {r.id for r in store.regions()}
    skips = SkipLog()
    regions: list[Region] = []
    cache: dict[str, list[str] | None] = {}
    duplicates = 0
    for path in files:
        base = root or path.parent
        for number, record in _records(path, skips):
            if not isinstance(record, dict) or not isinstance(record.get("files"), list):
                skips.add(str(path), number, "not an Agent Trace record (no files[])")
                continue
            ts = parse_ts(record.get("timestamp"))
            tool = record.get("tool") if isinstance(record.get("tool"), dict) else {}
            vcs = record.get("vcs") if isinstance(record.get("vcs"), dict) else {}
            key = attributor.workflow_for(None, str(base), None)
            key = key if valid_key(key) else UNATTRIBUTED
            for file in record["files"]:
                if not isinstance(file, dict) or not isinstance(file.get("path"), str):
                    skips.add(str(path), number, "file without path")
                    continue
                for conversation in file.get("conversations") or []:
                    contributor = (conversation or {}).get("contributor") or {}
                    if not isinstance(contributor, dict) or contributor.get("type") not in ("ai", "mixed"):
                        continue
                    for span in conversation.get("ranges") or []:
                        try:
                            start, end = int(span["start_line"]) - 1, int(span["end_line"]) - 1
                        except (KeyError, TypeError, ValueError):
                            skips.add(str(path), number, f"{file['path']}: range without start_line/end_line")
                            continue
                        if start < 0 or end < start:
                            skips.add(str(path), number, f"{file['path']}: bad range {start + 1}-{end + 1}")
                            continue
                        rid = region_id(SOURCE, record.get("id"), file["path"], start, end, conversation.get("url"))
                        if rid in existing:
                            duplicates += 1
                            continue
                        existing.add(rid)
                        lines = file_lines(base, file["path"], cache)
                        text = "\n".join(lines[start:end + 1]) if lines is not None and end < len(lines) else None
                        regions.append(Region(
                            id=rid, workflow=key, path=str(Path(file["path"]) if Path(file["path"]).is_absolute() else base / file["path"]),
                            start_line=start, end_line=end,
                            content_hash=content_hash(text) if text is not None else str(span.get("content_hash") or ""),
                            line_hashes=line_hashes(text) if text is not None else (),
                            text=text if settings.store_text else None, agent=str(tool.get("name") or "agent"),
                            model=contributor.get("model_id"), session=conversation.get("url"), source=SOURCE,
                            attrs={"revision": vcs.get("revision"), "contributor": contributor.get("type")},
                            **({"created_at": ts} if ts else {}),
                        ))
    for key in {r.workflow for r in regions}:
        ensure_workflow(store, key)
    store.put_regions(regions)
    return ImportSummary(source=SOURCE, files=len(files), entries_added=len(regions), duplicates=duplicates,
                         skipped=tuple(skips.items), skipped_count=skips.count, workflows=tuple(sorted({r.workflow for r in regions})))
