"""Incremental reading of append-only JSONL files: how far each file was read, and its new lines.

A cursor remembers per file its size, inode, the byte offset after the last complete line and
a hash of that line. The next read starts at the offset, unless the file was rewritten or
truncated (other inode, smaller size, or the remembered line is no longer where it was), in
which case it is read again from the start. Importers are idempotent at the store level, so a
re-read never double-counts. A last line without its newline is returned but not passed by
the cursor: it may still be being written.

All cursors of one source live in one key-value document (``store.kv_get/kv_set``), so an
import of many files costs one store write.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from ..store import Store

NAMESPACE = "import-cursors"
_TAIL = 4096  # bytes of the last line that are hashed: enough to tell a rewrite


class Cursor(BaseModel):
    model_config = ConfigDict(frozen=True)

    size: int = 0
    inode: int = 0
    offset: int = 0
    line_no: int = 0  # lines before ``offset``, so skipped-line reports name real line numbers
    tail_hash: str = ""


class RawLine(NamedTuple):
    """One line of a file (a tuple: a corpus has hundreds of thousands, built in a tight loop)."""

    number: int  # 1-based line number in the file
    offset: int  # byte offset of the line's start
    data: bytes  # without the line end
    complete: bool  # ended by a newline


def _tail_hash(handle: Any, end: int) -> str:
    start = max(0, end - _TAIL)
    handle.seek(start)
    return hashlib.blake2b(handle.read(end - start), digest_size=12).hexdigest()


class CursorBook:
    """The cursors of one source (e.g. ``claude-code``), loaded once and saved once."""

    def __init__(self, store: Store, source: str) -> None:
        self.store = store
        self.source = source
        raw = store.kv_get(NAMESPACE, source) or {}
        self._cursors: dict[str, Cursor] = {}
        for path, value in raw.items():
            try:
                self._cursors[path] = Cursor.model_validate(value)
            except ValueError:
                continue  # an unreadable cursor only costs a re-read
        self._dirty = False

    def get(self, path: Path) -> Cursor | None:
        return self._cursors.get(str(path))

    def put(self, path: Path, cursor: Cursor) -> None:
        if self._cursors.get(str(path)) != cursor:
            self._cursors[str(path)] = cursor
            self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        # Another import may have advanced other files meanwhile: merge, keeping the further cursor.
        current = self.store.kv_get(NAMESPACE, self.source) or {}
        for path, cursor in self._cursors.items():
            theirs = current.get(path)
            if not theirs or theirs.get("inode") != cursor.inode or theirs.get("offset", 0) <= cursor.offset:
                current[path] = cursor.model_dump()
        self.store.kv_set(NAMESPACE, self.source, current)
        self._dirty = False


def unchanged(path: Path, cursor: Cursor | None) -> bool:
    """True when the file has not grown or shrunk since ``cursor`` (cheap: one stat). A file
    ending in an unfinished line counts as unchanged until more bytes arrive."""
    if cursor is None:
        return False
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_ino == cursor.inode and stat.st_size == cursor.size


def read_new(path: Path, cursor: Cursor | None) -> tuple[list[RawLine], Cursor, bool]:
    """The lines of ``path`` after ``cursor``, the cursor after them, and whether the file was
    read from the start because it was rewritten or truncated since."""
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        restarted = False
        start, line_no = 0, 0
        if cursor is not None and cursor.offset:
            same = (
                stat.st_ino == cursor.inode
                and stat.st_size >= cursor.offset
                and _tail_hash(handle, cursor.offset) == cursor.tail_hash
            )
            if same:
                start, line_no = cursor.offset, cursor.line_no
            else:
                restarted = True
        handle.seek(start)
        data = handle.read()
        lines: list[RawLine] = []
        parts = data.split(b"\n")
        unfinished = parts.pop()  # the bytes after the last newline (b"" if none)
        position = start
        for part in parts:
            line_no += 1
            lines.append(RawLine(line_no, position, part, True))
            position += len(part) + 1
        end_of_complete = position
        if unfinished:  # returned, but not passed by the cursor
            lines.append(RawLine(line_no + 1, position, unfinished, False))
        tail = _tail_hash(handle, end_of_complete) if end_of_complete else ""
    new_cursor = Cursor(size=stat.st_size, inode=stat.st_ino, offset=end_of_complete, line_no=line_no, tail_hash=tail)
    return lines, new_cursor, restarted


def iter_jsonl_files(roots: list[Path]) -> Iterator[Path]:
    """Every ``*.jsonl`` file under ``roots`` (a root may itself be a file), sorted by path."""
    found: set[Path] = set()
    for root in roots:
        if root.is_file():
            found.add(root)
        elif root.is_dir():
            found.update(p for p in root.rglob("*.jsonl") if p.is_file())
    yield from sorted(found, key=str)


@dataclass
class ChangedFile:
    index: int
    path: Path
    lines: list[RawLine]
    cursor: Cursor | None  # where the previous import stopped
    restarted: bool


class IncrementalRead:
    """The files under an import's paths that changed since their cursors, with their new lines.

    Iterating reads each changed file (an unreadable one is skipped and logged), moves its
    cursor in ``book`` and reports progress; ``unchanged`` and ``reread`` say what was skipped
    or read again from the start.
    """

    def __init__(
        self, book: CursorBook | LocalBook, files: list[Path], skips: Any, *, label: str, progress: Any = None, first_index: int = 0
    ) -> None:
        self.book, self.files, self.skips, self.label, self.progress = book, files, skips, label, progress
        self.first_index = first_index  # of ``files[0]`` among all the import's files (a worker reads a slice)
        self.unchanged = 0
        self.reread: list[str] = []

    def __iter__(self) -> Iterator[ChangedFile]:
        for index, path in enumerate(self.files, start=self.first_index):
            cursor = self.book.get(path)
            if unchanged(path, cursor):
                self.unchanged += 1
            else:
                try:
                    lines, new_cursor, restarted = read_new(path, cursor)
                except OSError as exc:
                    self.skips.add(str(path), 0, f"cannot read: {exc.strerror or exc}")
                    continue
                if restarted:
                    self.reread.append(str(path))
                yield ChangedFile(index, path, lines, cursor, restarted)
                self.book.put(path, new_cursor)
            if self.progress is not None:
                self.progress(self.label, index + 1 - self.first_index, len(self.files))


class LocalBook:
    """Cursors handed to a worker process: read there, moved there, sent back to the CursorBook."""

    def __init__(self, cursors: dict[str, Cursor | None]) -> None:
        self.cursors = cursors
        self.moved: dict[str, Cursor] = {}

    def get(self, path: Path) -> Cursor | None:
        return self.cursors.get(str(path))

    def put(self, path: Path, cursor: Cursor) -> None:
        self.moved[str(path)] = cursor


def slices_to_read(book: CursorBook, files: list[Path], *, workers: int, min_bytes: int) -> list[tuple[int, int]] | None:
    """Contiguous slices ``(start, stop)`` of ``files`` with about equal new bytes each, one per
    worker process; None when the new bytes are too few to pay for starting the workers."""
    pending = []
    for path in files:
        cursor = book.get(path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        if cursor is None:
            pending.append(size)
        elif unchanged(path, cursor):
            pending.append(0)
        else:
            pending.append(max(0, size - cursor.offset))
    total = sum(pending)
    if workers < 2 or total < min_bytes:
        return None
    slices, start, done = [], 0, 0
    for index, size in enumerate(pending):
        # Cut before this file when most of it lies past the current slice's share.
        if index > start and len(slices) < workers - 1 and done + size / 2 > total * (len(slices) + 1) / workers:
            slices.append((start, index))
            start = index
        done += size
    slices.append((start, len(files)))
    return [s for s in slices if s[0] < s[1]]
