"""Tamper evidence: walk the hash chain and name the first broken link and what it shows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import GENESIS_HASH, Entry
from .store.base import ChainProblem, VerifyReport


def _classify(doc: dict[str, Any], expected_seq: int, prev_hash: str, seen_hashes: set[str]) -> tuple[str, str] | None:
    body = {k: v for k, v in doc.items() if k not in ("hash", "prev_hash")}
    recomputed = Entry.compute_hash(doc.get("prev_hash", ""), body)
    seq = doc.get("seq")
    if seq != expected_seq:
        if isinstance(seq, int) and seq > expected_seq and doc.get("prev_hash") != prev_hash:
            return "deletion", f"entries {expected_seq}..{seq - 1} are missing"
        if isinstance(seq, int) and seq < expected_seq:
            return "reorder", f"entry seq {seq} appears after seq {expected_seq - 1}"
        return "reorder", f"expected seq {expected_seq}, found {seq}"
    if doc.get("prev_hash") != prev_hash:
        if doc.get("prev_hash") in seen_hashes:
            return "reorder", "entry links to an earlier entry than its predecessor"
        return "insertion", "entry does not link to its predecessor (an entry was inserted or replaced before it)"
    if recomputed != doc.get("hash"):
        return "edit", "entry content does not match its hash (edited after it was recorded)"
    return None


def verify_chain(
    segments: Iterable[tuple[str, list[dict[str, Any]] | Exception]], *, location: str
) -> VerifyReport:
    """Check every link. ``segments`` yields (where, docs in file order) or (where, read error).

    Only the first broken link is reported for the chain (everything after it is suspect), but
    unreadable segments are each reported so the readable rest stays usable.
    """
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    expected = 0
    seen: set[str] = set()
    count = 0
    chain_broken = False
    for where, docs in segments:
        if isinstance(docs, Exception):
            problems.append(ChainProblem(seq=None, entry_id=None, kind="corrupt", where=where, detail=str(docs)))
            chain_broken = True
            continue
        for doc in sorted(docs, key=lambda d: d.get("seq", -1)) if chain_broken else docs:
            count += 1
            if chain_broken:
                continue
            problem = _classify(doc, expected, prev_hash, seen)
            if problem is not None:
                problems.append(
                    ChainProblem(seq=doc.get("seq"), entry_id=doc.get("id"), kind=problem[0], where=where, detail=problem[1])
                )
                chain_broken = True
                continue
            seen.add(doc["hash"])
            prev_hash = doc["hash"]
            expected += 1
    return VerifyReport(entries=count, head=prev_hash, problems=tuple(problems))
