"""Where each agent-written region sits in an open document, kept current through edits.

Pure bookkeeping over ``ledger_core.regions`` (hashing and anchoring): no LSP types, no store.
A document keeps its own lines (with their line ends) and their hashes, so an incremental
change costs a slice replacement, not a re-split or re-hash of the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ledger_core.models import Region, RegionState
from ledger_core.regions import anchor, at_hint, line_hash, line_index, modified_lines

_KEEP_ENDS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Line breaks for str.splitlines but not for the LSP, which breaks on \r\n, \r and \n only.
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def split_keepends(text: str) -> list[str]:
    if not any(char in text for char in _OTHER_BREAKS):
        return text.splitlines(keepends=True)  # the same lines, several times faster
    return _KEEP_ENDS.findall(text)


def strip_end(line: str) -> str:
    return line.rstrip("\r\n")


# Line hashes by line text (with its end), shared by all documents: reopening a file, or an
# edit that re-splits a line, costs dictionary lookups instead of a blake2b per line.
_HASHES: dict[str, str] = {}
_HASHES_MAX = 200_000


def hash_of(line: str) -> str:
    digest = _HASHES.get(line)
    if digest is None:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        digest = _HASHES[line] = line_hash(strip_end(line))
    return digest


def utf16_to_index(line: str, column: int) -> int:
    """An LSP (UTF-16) column as a Python string index into ``line``."""
    if line.isascii():
        return min(column, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= column:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def index_to_utf16(line: str, index: int) -> int:
    head = line[:index]
    return len(head) if head.isascii() else sum(2 if ord(c) > 0xFFFF else 1 for c in head)


@dataclass
class Tracked:
    """One region placed in a document: lines ``start..end`` inclusive (``end < start``: all deleted)."""

    region: Region
    start: int
    end: int

    @property
    def visible(self) -> bool:
        return self.end >= self.start

    @property
    def pending(self) -> bool:
        return self.region.state == RegionState.PENDING


@dataclass
class DocumentState:
    uri: str
    path: str
    version: int | None
    lines: list[str]
    hashes: list[str] = field(default_factory=list)
    tracked: dict[str, Tracked] = field(default_factory=dict)
    unanchored: dict[str, Region] = field(default_factory=dict)

    @classmethod
    def from_text(cls, uri: str, path: str, text: str, version: int | None) -> DocumentState:
        lines = split_keepends(text)
        known = _HASHES.get
        return cls(uri, path, version, lines, [known(line) or hash_of(line) for line in lines])

    @property
    def text(self) -> str:
        return "".join(self.lines)

    # ------------------------------------------------------------------ anchoring
    def place(self, regions: list[Region]) -> list[Region]:
        """Anchor regions not yet tracked (and refresh the records of tracked ones).
        Returns the regions whose text could not be found in the document."""
        index: dict[str, list[int]] | None = None
        lost: list[Region] = []
        for region in regions:
            known = self.tracked.get(region.id)
            if known is not None:
                known.region = region
                continue
            if region.state == RegionState.SUPERSEDED:
                continue
            if region.line_hashes:
                span = at_hint(region.line_hashes, self.hashes, region.start_line)
                if span is None:
                    if index is None:
                        index = line_index(self.hashes)
                    span = anchor(region.line_hashes, self.hashes, index, hint=region.start_line)
            else:
                span = self._by_position(region)
            if span is None:
                self.unanchored[region.id] = region
                lost.append(region)
            else:
                self.unanchored.pop(region.id, None)
                self.tracked[region.id] = Tracked(region, span[0], span[1])
        return lost

    def retry_unanchored(self) -> list[Region]:
        waiting = list(self.unanchored.values())
        self.unanchored.clear()
        return self.place(waiting)

    def _by_position(self, region: Region) -> tuple[int, int] | None:
        from ledger_core.regions import content_hash

        if region.end_line >= len(self.lines):
            return None
        text = "".join(self.lines[region.start_line : region.end_line + 1])
        return (region.start_line, region.end_line) if content_hash(text) == region.content_hash else None

    # ------------------------------------------------------------------ edits
    def apply_change(self, start: tuple[int, int] | None, end: tuple[int, int] | None, text: str, version: int | None) -> bool:
        """Apply one content change (``start``/``end`` as LSP line/UTF-16 column; ``None`` for a
        full replacement). Returns True if any visible region moved or changed."""
        self.version = version
        if start is None or end is None:
            return self._replace_all(text)
        if end < start:
            start, end = end, start
        lines = self.lines
        sl, el = start[0], end[0]
        if sl >= len(lines):
            sl = el = len(lines)
            prefix, suffix = "", ""
            if lines and not lines[-1].endswith(("\n", "\r")) and text:
                # appending after a last line that has no line end: join onto it
                sl = el = len(lines) - 1
                prefix = lines[-1]
        else:
            el = min(el, len(lines) - 1)
            first, last = lines[sl], lines[el]
            prefix = first[: utf16_to_index(strip_end(first), start[1])]
            if end[0] >= len(lines):
                suffix = ""
            else:
                suffix = last[utf16_to_index(strip_end(last), end[1]) :]
        new = split_keepends(prefix + text + suffix)
        old_count = (el - sl + 1) if sl < len(lines) else 0
        old = lines[sl : sl + old_count]
        # Trim lines the change left identical, so the changed block is minimal.
        head, tail = _common_ends(old, new)
        lines[sl : sl + old_count] = new
        self.hashes[sl : sl + old_count] = [hash_of(line) for line in new]
        return self._shift(sl + head, len(old) - head - tail, len(new) - head - tail)

    def _replace_all(self, text: str) -> bool:
        old = self.lines
        new = split_keepends(text)
        head, tail = _common_ends(old, new)
        self.lines = new
        self.hashes = [hash_of(line) for line in new]
        moved = self._shift(head, len(old) - head - tail, len(new) - head - tail)
        if old[head : len(old) - tail] and new[head : len(new) - tail]:
            # A reload can move text arbitrarily: re-anchor regions inside the rewritten block.
            for tracked in list(self.tracked.values()):
                if tracked.region.line_hashes and tracked.pending and self.current_modified(tracked):
                    del self.tracked[tracked.region.id]
                    self.place([tracked.region])
            moved = True
        return moved

    def _shift(self, at: int, removed: int, added: int) -> bool:
        """Old lines ``at..at+removed-1`` became ``added`` new lines at ``at``."""
        if removed == 0 and added == 0:
            return False
        delta = added - removed
        last_removed = at + removed - 1
        changed = False
        for tracked in self.tracked.values():
            a, b = tracked.start, tracked.end
            if removed == 0:  # pure insertion before old line `at`
                if a >= at:
                    a, b = a + delta, b + delta
                elif b >= at:  # inside the region: it grows
                    b += delta
            elif a > last_removed:
                a, b = a + delta, b + delta
            elif b >= at:
                # The region overlaps the rewritten block: the block's new lines become part of
                # it (the human's modification); its lines outside the block keep their places.
                a = min(a, at)
                b = b + delta if b > last_removed else at + added - 1
                b = max(b, a - 1)
            if (a, b) != (tracked.start, tracked.end):
                tracked.start, tracked.end = a, b
                changed = True
            elif tracked.start <= at + max(removed, 1) - 1 and tracked.end >= at:
                changed = True  # its text changed in place: the modified count did
        return changed

    # ------------------------------------------------------------------ queries
    def current_hashes(self, tracked: Tracked) -> list[str]:
        return self.hashes[tracked.start : tracked.end + 1] if tracked.visible else []

    def current_modified(self, tracked: Tracked) -> int:
        return modified_lines(tracked.region.line_hashes, self.current_hashes(tracked)) if tracked.region.line_hashes else 0

    def region_text(self, tracked: Tracked) -> str:
        return "".join(self.lines[tracked.start : tracked.end + 1]) if tracked.visible else ""

    def pending(self) -> list[Tracked]:
        return sorted((t for t in self.tracked.values() if t.pending and t.visible), key=lambda t: (t.start, t.end))

    def at_line(self, line: int, *, pending_only: bool = True) -> list[Tracked]:
        return [t for t in self.tracked.values() if t.visible and t.start <= line <= t.end and (t.pending or not pending_only)]

    def overlapping(self, first: int, last: int) -> list[Tracked]:
        found = [t for t in self.tracked.values() if t.pending and t.start <= last and t.end >= first and t.visible]
        return sorted(found, key=lambda t: (t.start, t.end))

    def pending_count(self) -> int:
        return sum(1 for t in self.tracked.values() if t.pending and t.visible)

    def line_length(self, line: int) -> int:
        if 0 <= line < len(self.lines):
            text = strip_end(self.lines[line])
            return index_to_utf16(text, len(text))
        return 0


def _common_ends(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many lines at the start, and then at the end, ``old`` and ``new`` share."""
    head = 0
    while head < len(old) and head < len(new) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < len(old) - head and tail < len(new) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail

