"""git-ai authorship notes (``refs/notes/ai``) → agent regions.

git-ai attaches to each commit a note: an attestation section — a file path, then indented
lines ``<prompt id> <ranges>`` (1-based lines, ``3-10,14``) — then a ``---`` line and a JSON
block whose ``prompts`` name the agent (``agent_id.tool``, ``.model``, ``.id``) per prompt id.
Each range becomes a region, hashed from the file as it was at that commit. Region ids derive
from commit, file, prompt and range, so re-imports change nothing. Git is run as a
subprocess (``git notes``, ``git cat-file --batch``).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import orjson

from ..attribution import UNATTRIBUTED, Attributor, valid_key
from ..config import Settings
from ..errors import InvalidInput
from ..ledger import ensure_workflow
from ..models import Region
from ..regions import content_hash, line_hashes, split_lines
from ..store import Store
from .agent_trace import region_id
from .summary import ImportSummary, SkipLog

SOURCE = "git-ai"
NOTES_REF = "refs/notes/ai"


def parse_ranges(text: str) -> list[tuple[int, int]]:
    spans = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        start, end = int(low), int(high or low)
        if start < 1 or end < start:
            raise ValueError(f"bad range {part!r}")
        spans.append((start - 1, end - 1))
    return spans


def parse_note(text: str) -> tuple[list[tuple[str, str, list[tuple[int, int]]]], dict[str, Any]]:
    """(file, prompt id, 0-based inclusive spans) attestations and the prompts metadata."""
    head, _, tail = text.partition("\n---\n")
    metadata: dict[str, Any] = {}
    if tail.strip():
        loaded = orjson.loads(tail)
        metadata = loaded if isinstance(loaded, dict) else {}
    attestations = []
    current: str | None = None
    for line in head.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace():
            if current is None:
                raise ValueError("attestation line before any file")
            prompt, _, ranges = line.strip().partition(" ")
            attestations.append((current, prompt, parse_ranges(ranges)))
        else:
            current = line.strip().strip('"')
    return attestations, metadata


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=True).stdout
    except FileNotFoundError as exc:
        raise InvalidInput("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        raise InvalidInput(f"git {' '.join(args)} failed in {repo}: {exc.stderr.decode(errors='replace').strip()}") from exc


def _batch(repo: Path, names: list[str]) -> list[bytes | None]:
    """Contents of objects (``<rev>:<path>`` or blob ids), one ``git cat-file`` for all."""
    if not names:
        return []
    out = _git(repo, "cat-file", "--batch", input="".join(f"{n}\n" for n in names).encode())
    results: list[bytes | None] = []
    position = 0
    for _ in names:
        header_end = out.index(b"\n", position)
        header = out[position:header_end].split()
        if len(header) < 3 or header[1] == b"missing":
            results.append(None)
            position = header_end + 1
            continue
        size = int(header[2])
        results.append(out[header_end + 1:header_end + 1 + size])
        position = header_end + 1 + size + 1
    return results


def import_repo(store: Store, settings: Settings, repo: Path, *, workflow: str | None = None) -> ImportSummary:
    repo = repo.resolve()
    if not (repo / ".git").exists():
        raise InvalidInput(f"{repo} is not a git repository")
    listing = subprocess.run(["git", "-C", str(repo), "notes", f"--ref={NOTES_REF}", "list"], capture_output=True)
    pairs = [line.split() for line in listing.stdout.decode().splitlines() if len(line.split()) == 2]
    notes = _batch(repo, [note for note, _ in pairs])
    attributor = Attributor(store, settings, workflow=workflow)
    key = attributor.workflow_for(None, str(repo), None)
    key = key if valid_key(key) else UNATTRIBUTED
    existing = {r.id for r in store.regions()}
    skips = SkipLog()
    planned: list[tuple[str, str, str, tuple[int, int], dict[str, Any]]] = []
    for (_, commit), blob in zip(pairs, notes, strict=True):
        try:
            attestations, metadata = parse_note((blob or b"").decode("utf-8"))
        except (ValueError, UnicodeDecodeError, orjson.JSONDecodeError) as exc:
            skips.add(f"{NOTES_REF}:{commit}", 0, f"unreadable note: {exc}")
            continue
        prompts = metadata.get("prompts") if isinstance(metadata.get("prompts"), dict) else {}
        for file, prompt, spans in attestations:
            for span in spans:
                planned.append((commit, file, prompt, span, prompts.get(prompt) or {}))
    contents = _batch(repo, sorted({f"{c}:{f}" for c, f, *_ in planned}))
    texts = dict(zip(sorted({f"{c}:{f}" for c, f, *_ in planned}), contents, strict=True))
    regions = []
    duplicates = 0
    for commit, file, prompt, (start, end), info in planned:
        rid = region_id(SOURCE, commit, file, prompt, start, end)
        if rid in existing:
            duplicates += 1
            continue
        existing.add(rid)
        raw = texts.get(f"{commit}:{file}")
        lines = split_lines(raw.decode("utf-8", errors="surrogateescape")) if raw is not None else None
        if lines is None or end >= len(lines):
            skips.add(f"{NOTES_REF}:{commit}", 0, f"{file}: lines {start + 1}-{end + 1} not in the commit")
            continue
        text = "\n".join(lines[start:end + 1])
        agent = info.get("agent_id") if isinstance(info.get("agent_id"), dict) else {}
        regions.append(Region(
            id=rid, workflow=key, path=str(repo / file), start_line=start, end_line=end, content_hash=content_hash(text),
            line_hashes=line_hashes(text), text=text if settings.store_text else None, agent=str(agent.get("tool") or "agent"),
            model=agent.get("model"), session=agent.get("id"), source=SOURCE, attrs={"commit": commit, "prompt": prompt},
        ))
    if regions:
        ensure_workflow(store, key, **{k: v for k, v in attributor.fields_for(str(repo), None).items() if v})
        store.put_regions(regions)
    return ImportSummary(source=SOURCE, files=len(pairs), entries_added=len(regions), duplicates=duplicates,
                         skipped=tuple(skips.items), skipped_count=skips.count, workflows=(key,) if regions else ())
