"""Region text fingerprints and anchoring: finding an agent-written region in a file's current text.

Shared by the agent hooks (which record regions) and the language server (which shows them),
so both sides hash text the same way. Conventions:

* lines are split on ``\\r\\n``, ``\\r`` or ``\\n`` (the LSP's line ends); line numbers are
  0-based and ``end_line`` is inclusive;
* ``content_hash`` is the sha256 of the region's lines joined by ``\\n`` (line ends normalised,
  so a CRLF checkout does not orphan a region);
* ``line_hashes`` are short per-line hashes with trailing whitespace ignored (editors trim it
  on save; that is not a change of meaning);
* a region always covers whole lines; the text an edit replaced, as saved in the undo cache,
  covers the same whole lines before the edit (see ``edit_span``).

Nothing here stores or logs text; only hashes leave this module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import NamedTuple

_LINE_END = re.compile(r"\r\n|\r|\n")
SHORT = 16  # hex digits of a line hash: 64 bits, collisions irrelevant at file scale


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their ends; a final line end does not start a new line."""
    if not text:
        return []
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def content_hash(text: str) -> str:
    return hashlib.sha256("\n".join(split_lines(text)).encode("utf-8", "surrogatepass")).hexdigest()


def line_hash(line: str) -> str:
    return hashlib.blake2b(line.rstrip().encode("utf-8", "surrogatepass"), digest_size=SHORT // 2).hexdigest()


def line_hashes(text: str) -> tuple[str, ...]:
    return tuple(line_hash(line) for line in split_lines(text))


class Span(NamedTuple):
    """Where a region's text sits now: lines ``start..end`` (inclusive), and how many of its
    lines differ from what the agent wrote (0 for an exact match)."""

    start: int
    end: int
    modified: int


class EditSpan(NamedTuple):
    """The whole-line region an edit produced, and the whole lines it replaced."""

    start_line: int
    end_line: int
    text: str
    original_text: str


def edit_span(after: str, new_string: str, old_string: str, *, near_line: int = 0) -> EditSpan | None:
    """The region written by a string replacement (Claude Code's Edit: ``old_string`` → ``new_string``)
    in the file text ``after`` it, widened to whole lines, with the whole lines it replaced.

    Of several occurrences, the one starting nearest ``near_line`` wins. ``None`` when
    ``new_string`` is not in ``after`` (the file changed again since).
    """
    if not new_string:
        return None
    best: int | None = None
    best_distance = 0
    position = after.find(new_string)
    while position != -1:
        distance = abs(after.count("\n", 0, position) - near_line)
        if best is None or distance < best_distance:
            best, best_distance = position, distance
        position = after.find(new_string, position + 1)
    if best is None:
        return None
    line_start = after.rfind("\n", 0, best) + 1
    stop = best + len(new_string)
    if new_string.endswith("\n"):
        line_stop = stop
    else:
        newline = after.find("\n", stop)
        line_stop = len(after) if newline == -1 else newline + 1
    prefix, suffix = after[line_start:best], after[stop:line_stop]
    text = after[line_start:line_stop]
    start = after.count("\n", 0, line_start)
    end = start + max(len(split_lines(text)), 1) - 1
    return EditSpan(start, end, text, prefix + old_string + suffix)


def at_hint(region_hashes: Sequence[str], doc_hashes: Sequence[str], hint: int) -> Span | None:
    """The region exactly where it was recorded, if it is still there: what ``anchor`` would
    answer (an exact match at distance 0 from the hint), without building an index."""
    size = len(region_hashes)
    if size and 0 <= hint and hint + size <= len(doc_hashes) and _matches(region_hashes, doc_hashes, hint):
        return Span(hint, hint + size - 1, 0)
    return None


def line_index(hashes: Sequence[str]) -> dict[str, list[int]]:
    """Positions of each line hash in a document, built once per text and shared by all regions."""
    index: dict[str, list[int]] = {}
    for number, digest in enumerate(hashes):
        index.setdefault(digest, []).append(number)
    return index


def anchor(
    region_hashes: Sequence[str],
    doc_hashes: Sequence[str],
    index: dict[str, list[int]] | None = None,
    *,
    hint: int = 0,
    min_share: float = 0.5,
) -> Span | None:
    """Find a region (its line hashes) in a document (its line hashes).

    An exact contiguous match nearest ``hint`` (the line the region was recorded at) wins.
    Otherwise the placement most region lines agree on is refined with a diff, and accepted if
    at least ``min_share`` of the region's lines are still there; the rest count as modified.
    ``None`` means the region's text is gone (superseded).
    """
    size = len(region_hashes)
    if size == 0 or not doc_hashes:
        return None
    if index is None:
        index = line_index(doc_hashes)
    # Pivot on the region's rarest line: few candidate positions to verify.
    pivot, candidates = min(
        ((i, index.get(h, ())) for i, h in enumerate(region_hashes)), key=lambda item: len(item[1])
    )
    exact = [
        p - pivot
        for p in candidates
        if p - pivot >= 0 and p - pivot + size <= len(doc_hashes) and _matches(region_hashes, doc_hashes, p - pivot)
    ]
    if exact:
        start = min(exact, key=lambda s: (abs(s - hint), s))
        return Span(start, start + size - 1, 0)
    return _fuzzy(region_hashes, doc_hashes, index, hint, min_share)


def _matches(region_hashes: Sequence[str], doc_hashes: Sequence[str], start: int) -> bool:
    return all(doc_hashes[start + i] == h for i, h in enumerate(region_hashes))


def _fuzzy(
    region_hashes: Sequence[str], doc_hashes: Sequence[str], index: dict[str, list[int]], hint: int, min_share: float
) -> Span | None:
    size = len(region_hashes)
    votes: dict[int, int] = {}
    for i, digest in enumerate(region_hashes):
        positions = index.get(digest, ())
        if len(positions) > 64:  # a blank line or a lone brace says nothing about where we are
            continue
        for p in positions:
            votes[p - i] = votes.get(p - i, 0) + 1
    if not votes:
        return None
    guess = max(votes, key=lambda s: (votes[s], -abs(s - hint)))
    lo, hi = max(guess - size, 0), min(guess + 2 * size, len(doc_hashes))
    window = list(doc_hashes[lo:hi])
    blocks = [b for b in SequenceMatcher(None, list(region_hashes), window, autojunk=False).get_matching_blocks() if b.size]
    matched = sum(b.size for b in blocks)
    if matched < max(1, min_share * size):
        return None
    first, last = blocks[0], blocks[-1]
    # Region lines missing at either end were most likely rewritten in place.
    start = max(lo + first.b - first.a, 0)
    end = min(lo + last.b + last.size - 1 + (size - last.a - last.size), len(doc_hashes) - 1)
    if end < start:
        return None
    span_len = end - start + 1
    return Span(start, end, max(size, span_len) - matched)


def modified_lines(region_hashes: Sequence[str], current_hashes: Sequence[str]) -> int:
    """How many lines of a region differ from what the agent wrote (edited, added or removed)."""
    if list(region_hashes) == list(current_hashes):
        return 0
    matched = sum(b.size for b in SequenceMatcher(None, list(region_hashes), list(current_hashes), autojunk=False).get_matching_blocks())
    return max(len(region_hashes), len(current_hashes)) - matched
