"""Tamper evidence: the chain rule, sealing of private fields, and the walk that checks both.

The chain rule (``Entry.compute_hash``): an entry's hash is SHA-256 over the previous entry's
hash and the canonical JSON of its *public* fields (time, workflow, line, kind, tokens, minutes,
count, cost, model, ids, source, seq) plus one SHA-256 digest per *private* field
(``PRIVATE_FIELDS``: actor, note, attrs). Every number is covered directly.

Retention and ``forget`` drop private fields without breaking the chain by *sealing* them
(``seal_doc``): the field's digest moves into the entry's ``sealed`` record and the value is
replaced by a fixed placeholder (note → null, attrs → {}, actor → null or a ``former-…``
pseudonym). The hash is unchanged because the digest it was computed from is still there.
A seal is only legitimate if it is accounted for on the chain, so ``verify_chain`` also checks:

* each seal names purge entries (line ``governance``, kind ``retention_purge`` or ``forget``)
  that exist and come later in the chain;
* a purge's ``count`` equals the number of entries that name it;
* sealed fields hold their placeholder, nothing else.

What the chain cannot show on its own: a rewrite of the *whole* tail with recomputed hashes,
or dropped entries at the very end. Anchor the head for that: a signed export
(``ledger_core.export``) records the head hash at a moment in time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .models import GENESIS_HASH, PRIVATE_FIELDS, Entry, field_digest
from .store.base import ChainProblem, VerifyReport

PURGE_KINDS = ("retention_purge", "forget")
PSEUDONYM = re.compile(r"^former-[0-9a-f]{8}$")
PLACEHOLDERS: dict[str, Any] = {"note": None, "attrs": {}, "actor": None}
_MAX_PROBLEMS = 50


def placeholder_ok(field: str, value: Any) -> bool:
    if field == "actor" and isinstance(value, str):
        return bool(PSEUDONYM.match(value))
    return value == PLACEHOLDERS[field]


def seal_doc(doc: dict[str, Any], replace: dict[str, Any], *, by: str) -> dict[str, Any]:
    """``doc`` with the private fields in ``replace`` dropped for their placeholders; hash unchanged.

    A field sealed before keeps its first digest (it stands for the original value) and its
    placeholder; sealing it again is a no-op, so retention can be re-run safely.
    """
    unknown = set(replace) - set(PRIVATE_FIELDS)
    if unknown:
        raise ValueError(f"only private fields can be sealed, not {sorted(unknown)}")
    sealed = dict(doc.get("sealed") or {"fields": {}, "by": []})
    fields = dict(sealed.get("fields") or {})
    new = {f: v for f, v in replace.items() if f not in fields}
    if not new:
        return doc
    for field, value in new.items():
        if not placeholder_ok(field, value):
            raise ValueError(f"{field} can only be replaced by its placeholder, not {value!r}")
        fields[field] = field_digest(doc.get(field, PLACEHOLDERS[field]))
    by_ids = [*sealed.get("by", []), by]
    return doc | new | {"sealed": {"fields": fields, "by": by_ids}}


def _damage(where: str, error: Exception) -> tuple[int | None, str]:
    """For an unreadable segment file: the first seq that cannot be read, and where the damage is."""
    path = Path(where)
    cause = error.__cause__
    pos = getattr(cause, "pos", None)
    try:
        raw = path.read_bytes() if path.is_file() else b""
    except OSError:
        raw = b""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:  # the JSON parser reports these at the start of the file
        pos = bad.start if pos is None else min(pos or bad.start, bad.start)
    if pos is None or not raw:
        return None, str(error)
    before = raw[:pos]
    # Documents are written in seq order and each ends with its hash: the last complete one
    # before the damage is the last entry of this file that can be trusted.
    complete = list(re.finditer(rb'"seq":(\d+)[^{}]*"hash":"[0-9a-f]{64}"\}', before))
    if complete:
        last = int(complete[-1].group(1))
        return last + 1, f"file damaged at byte {pos} of {len(raw)}: entries up to seq {last} precede the damage; seq {last + 1} onward in this file cannot be read ({error})"
    match = re.search(r"seg-(\d{8})\.json$", where)
    first = int(match.group(1)) * 1000 if match else None
    return first, f"file damaged at byte {pos} of {len(raw)}, before its first complete entry ({error})"


class _Walk:
    """The state of one pass over the chain; collects problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[ChainProblem] = []
        self.prev_hash = GENESIS_HASH
        self.before_prev = ""
        self.expected = 0
        self.count = 0
        self.resync = False
        self.seen_hashes: set[str] = set()
        self.seen_seqs: set[int] = set()
        self.reported: set[int] = set()
        self.purges: dict[str, tuple[int, int]] = {}  # id → (seq, count)
        self.seals: list[tuple[dict[str, Any], str]] = []

    def problem(self, doc: dict[str, Any] | None, kind: str, where: str, detail: str, seq: int | None = None) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(ChainProblem(
                seq=doc.get("seq") if doc is not None else seq, entry_id=doc.get("id") if doc is not None else None,
                kind=kind, where=where, detail=detail,
            ))

    def content_ok(self, doc: dict[str, Any]) -> bool:
        body = {k: v for k, v in doc.items() if k not in ("hash", "prev_hash")}
        try:
            return Entry.compute_hash(str(doc.get("prev_hash", "")), body) == doc.get("hash")
        except TypeError:  # a value JSON cannot carry (hand-edited file)
            return False

    def step(self, doc: dict[str, Any], where: str, all_seqs: set[int]) -> None:
        self.count += 1
        seq = doc.get("seq")
        if not isinstance(seq, int):
            self.problem(doc, "corrupt", where, f"entry has no valid seq ({seq!r})")
            return
        if doc.get("line") == "governance" and doc.get("kind") in PURGE_KINDS and isinstance(doc.get("id"), str):
            self.purges[doc["id"]] = (seq, int(doc.get("count") or 0))
        if doc.get("sealed"):
            self.seals.append((doc, where))
        if self.resync:
            # The link to an unreadable part cannot be checked; carry on from here.
            self.prev_hash, self.expected, self.resync = str(doc.get("prev_hash")), seq, False
        if seq in self.seen_seqs:
            self.problem(doc, "insertion", where, f"a second entry with seq {seq} (an entry was inserted)")
            self.reported.add(seq)
            return
        self.seen_seqs.add(seq)
        if seq < self.expected:
            # Out of place: reported when its absence was noticed; only its own content is checked.
            if seq not in self.reported:
                self.problem(doc, "reorder", where, f"entry seq {seq} appears after seq {self.expected - 1}")
            elif not self.content_ok(doc):
                self.problem(doc, "edit", where, "entry content does not match its hash (edited after it was recorded)")
            return
        if seq > self.expected:
            missing = range(self.expected, seq)
            if any(s in all_seqs for s in missing):
                self.problem(doc, "reorder", where, f"entry seq {seq} appears before seq {self.expected}")
                self.reported.update(s for s in missing if s in all_seqs)
            else:
                self.problem(doc, "deletion", where, f"entries {self.expected}..{seq - 1} are missing")
        elif doc.get("prev_hash") != self.prev_hash:
            if doc.get("prev_hash") == self.before_prev and self.count > 1:
                self.problem(doc, "insertion", where, f"entry seq {seq - 1} before it was inserted (both claim the same predecessor)")
            elif doc.get("prev_hash") in self.seen_hashes:
                self.problem(doc, "reorder", where, "entry links to an earlier entry than its predecessor")
            else:
                self.problem(doc, "insertion", where, "entry does not link to its predecessor (an entry was inserted or replaced before it)")
        elif not self.content_ok(doc):
            self.problem(doc, "edit", where, "entry content does not match its hash (edited after it was recorded)")
        self.before_prev = str(doc.get("prev_hash"))
        self.prev_hash = str(doc.get("hash"))
        self.seen_hashes.add(self.prev_hash)
        self.expected = seq + 1

    def check_seals(self) -> None:
        citations: dict[str, int] = {}
        for doc, where in self.seals:
            sealed = doc["sealed"] if isinstance(doc["sealed"], dict) else {}
            by = sealed.get("by") or []
            fields = sealed.get("fields") or {}
            bad = [f for f in fields if f not in PLACEHOLDERS or not placeholder_ok(f, doc.get(f, PLACEHOLDERS.get(f)))]
            if bad:
                self.problem(doc, "edit", where, f"sealed field(s) {', '.join(map(str, bad))} hold a value again (only the placeholder may stand there)")
            if not by:
                self.problem(doc, "purge", where, "private fields were dropped without a recorded purge")
            for purge_id in by:
                citations[purge_id] = citations.get(purge_id, 0) + 1
                purge = self.purges.get(purge_id)
                if purge is None or purge[0] <= doc["seq"]:
                    self.problem(doc, "purge", where, f"private fields were dropped citing {purge_id}, which is not a later purge entry on the chain")
        for purge_id, (seq, count) in self.purges.items():
            if citations.get(purge_id, 0) != count:
                self.problem(None, "purge", "purge record", f"purge {purge_id} records {count} sealed entries but {citations.get(purge_id, 0)} name it", seq=seq)


def verify_chain(
    segments: Iterable[tuple[str, list[dict[str, Any]] | Exception]], *, location: str
) -> VerifyReport:
    """Check every link. ``segments`` yields (where, docs in file order) or (where, read error).

    Problems are returned in chain order, the first broken link first. After a problem the walk
    re-synchronises on the next entry, so one bad file or entry does not hide the state of the
    rest: an unreadable segment is reported with the first seq it loses, and the segments after
    it are still checked.
    """
    loaded = list(segments)
    all_seqs = {d.get("seq") for _, docs in loaded if not isinstance(docs, Exception) for d in docs if isinstance(d, dict)}
    walk = _Walk()
    for where, docs in loaded:
        if isinstance(docs, Exception):
            seq, detail = _damage(where, docs)
            walk.problem(None, "corrupt", where, detail, seq=seq)
            walk.resync = True
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                walk.problem(None, "corrupt", where, f"an entry is not a JSON object: {str(doc)[:40]!r}")
                continue
            walk.step(doc, where, all_seqs)
    walk.check_seals()
    return VerifyReport(entries=walk.count, head=walk.prev_hash, problems=tuple(walk.problems))
