"""The embedded store: a directory of TinyDB files, safe for many processes at once.

Facts that shaped it (measured on this project's machine): TinyDB's own JSON storage loses
documents and corrupts the file when several processes write; its integer document ids
collide across processes; rewriting one 100k-document file costs ~0.8 s. So:

* every write holds one store-wide file lock (filelock) and re-reads what it changes;
* every file is replaced atomically (temp file, fsync, ``os.replace``, fsync of the dir);
* entries live in fixed-size segments, so an append rewrites at most one small file;
* idempotency keys live in 256 hash shards, indexed up to a high-water mark that is
  repaired after a crash (entries are the truth, the key index is derived from them).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from ..errors import CorruptStore, InvalidInput, NotFound, StoreError, StoreLocked, UnknownWorkflow
from ..lifecycle import apply_transition, keep_lifecycle
from ..models import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    Entry,
    EntryDraft,
    Evidence,
    Incident,
    Region,
    Workflow,
    WorkflowState,
    new_id,
    utcnow,
)
from .. import rollup
from ..rollup import Rollup
from .base import AppendResult, ChainProblem, VerifyReport

FORMAT = "opledger-embedded"
SEGMENT_SIZE = 1000
_SEGMENT_RE = re.compile(r"^seg-(\d{8})\.json$")
class _SegmentFile(BaseModel):
    """The part of a segment file that holds entries; any other table is skipped."""

    model_config = ConfigDict(extra="ignore")

    entries: dict[str, Entry] = {}


_SEGMENT_FILE = TypeAdapter(_SegmentFile)
_ENTRY_LIST = TypeAdapter(list[Entry])
_DATETIME = TypeAdapter(datetime)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, payload: bytes, *, sync_dir: bool = True) -> None:
    """Replace ``path`` with ``payload`` so that readers see the old or the new file, never half."""
    tmp = path.with_name(f".tmp-{path.name}-{os.getpid()}-{new_id()}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if sync_dir:
        _fsync_dir(path.parent)


def read_json(path: Path) -> Any | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise CorruptStore(f"store file {path} is empty (truncated?)")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CorruptStore(f"store file {path} is not valid JSON: {exc}") from exc


class AtomicJSONStorage(Storage):
    """TinyDB storage that reads with orjson and writes by atomic replace."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        data = read_json(self.path)
        if data is not None and not isinstance(data, dict):
            raise CorruptStore(f"store file {self.path} does not hold TinyDB tables")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomic(self.path, orjson.dumps(data))


class _KeyedTable(Table):
    """A TinyDB table keyed by our own string ids (TinyDB's int ids collide across processes)."""

    document_id_class = str

    def _get_next_id(self) -> str:  # pragma: no cover - every insert passes its own id
        return new_id()


class _DB(TinyDB):
    table_class = _KeyedTable


class EmbeddedStore:
    """The default store: zero set-up, one directory (see the module doc)."""

    def __init__(self, root: str | Path, *, lock_timeout: float = 30.0, create: bool = True) -> None:
        self.root = Path(root).expanduser()
        self.location = str(self.root)
        self.lock_timeout = lock_timeout
        self._segment_cache: dict[str, tuple[tuple[int, int], list[Entry]]] = {}
        self._shard_paths = [self.root / "keys" / f"{n:02x}.json" for n in range(64)]
        # One lock object per store: filelock is re-entrant per object, so ``seal`` can append
        # inside its own critical section.
        self._lock = FileLock(self.root / ".lock", timeout=lock_timeout)
        self._open(create)

    # ------------------------------------------------------------------ layout
    def _open(self, create: bool) -> None:
        root = self.root
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root} is a file, not an opledger store directory")
        meta_path = root / "meta.json"
        if meta_path.exists():
            self._check_meta(meta_path)
            return
        if not create:
            raise StoreError(f"no opledger store at {root}")
        if root.is_dir() and self._foreign_files():
            raise StoreError(f"{root} exists and is not an opledger store (no meta.json); nothing was changed")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store at {root}: {exc.strerror or exc}") from exc
        # Several processes may create the same store at once (hooks starting in parallel):
        # decide under the lock, where another creator's half-made layout cannot be seen.
        with self._locked():
            if meta_path.exists():
                self._check_meta(meta_path)
                return
            if self._foreign_files():
                raise StoreError(f"{root} exists and is not an opledger store (no meta.json); nothing was changed")
            try:
                (root / "entries").mkdir(exist_ok=True)
                (root / "keys").mkdir(exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create store at {root}: {exc.strerror or exc}") from exc
            write_atomic(meta_path, orjson.dumps({"format": FORMAT, "schema": SCHEMA_VERSION}))

    def _foreign_files(self) -> list[Path]:
        return [p for p in self.root.iterdir() if p.name not in (".lock", "entries", "keys") and not p.name.startswith(".tmp-")]

    def _check_meta(self, meta_path: Path) -> None:
        meta = read_json(meta_path)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise StoreError(f"{meta_path} is not an opledger store (foreign file); nothing was changed")
        if int(meta.get("schema", 0)) > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.root} was written by a newer opledger (schema {meta['schema']}, "
                f"this one reads {SCHEMA_VERSION}); upgrade opledger; nothing was changed"
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self._lock
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreLocked(
                f"store {self.root} is locked by another process for over {self.lock_timeout:g}s"
            ) from exc
        except OSError as exc:
            raise StoreError(f"cannot lock store {self.root}: {exc.strerror or exc} (read-only?)") from exc
        try:
            self._sweep_temp_files()
            yield
        finally:
            lock.release()

    def _sweep_temp_files(self) -> None:
        # A writer killed between writing its temp file and renaming it leaves the temp behind;
        # we hold the lock, so no temp file can belong to a live writer.
        for folder in (self.root, self.root / "entries", self.root / "keys"):
            try:
                for tmp in folder.glob(".tmp-*"):
                    tmp.unlink(missing_ok=True)
            except OSError:
                pass

    def _db(self, name: str) -> _DB:
        return _DB(storage=AtomicJSONStorage, path=self.root / name)

    def _segments(self) -> list[Path]:
        folder = self.root / "entries"
        try:
            names = sorted(p.name for p in folder.iterdir() if _SEGMENT_RE.match(p.name))
        except FileNotFoundError:
            return []
        return [folder / n for n in names]

    def _segment_path(self, index: int) -> Path:
        return self.root / "entries" / f"seg-{index:08d}.json"

    # ------------------------------------------------------------------ entries
    def _read_segment_docs(self, path: Path) -> dict[str, Any]:
        data = read_json(path)
        if data is None:
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("entries", {}), dict):
            raise CorruptStore(f"segment {path} does not hold an entries table")
        return data.get("entries", {})

    def _load_segment(self, path: Path) -> list[Entry]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return []
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._segment_cache.get(path.name)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return []
        try:
            entries = list(_SEGMENT_FILE.validate_json(raw).entries.values())
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CorruptStore(
                f"segment {path} is corrupt at {'.'.join(map(str, first['loc']))}: {first['msg']}"
            ) from exc
        entries.sort(key=lambda e: e.seq)
        self._segment_cache[path.name] = (stamp, entries)
        return entries

    def _head(self) -> tuple[int, str]:
        """Next seq and the last hash, read under the lock."""
        segments = self._segments()
        for path in reversed(segments):
            docs = self._read_segment_docs(path)
            if docs:
                last = max(docs.values(), key=lambda d: d["seq"])
                return last["seq"] + 1, last["hash"]
        return 0, GENESIS_HASH

    def _shard_path(self, key: str) -> Path:
        # 64 shards: a single append rewrites one small file, a large batch at most 64.
        return self._shard_paths[hashlib.sha1(key.encode()).digest()[0] & 0x3F]

    def _repair_key_index(self, next_seq: int) -> None:
        """Index keys of entries written after the last indexed seq (after a crash)."""
        mark_path = self.root / "keys" / "_indexed.json"
        mark = read_json(mark_path) or {"next": 0}
        start = int(mark.get("next", 0))
        if start >= next_seq:
            return
        pending: dict[Path, dict[str, str]] = {}
        for path in self._segments():
            index = int(_SEGMENT_RE.match(path.name).group(1))  # type: ignore[union-attr]
            if (index + 1) * SEGMENT_SIZE <= start:
                continue
            for doc in self._read_segment_docs(path).values():
                if doc["seq"] >= start and doc.get("source_ref"):
                    key = f"{doc['source']}\x1f{doc['source_ref']}"
                    pending.setdefault(self._shard_path(key), {})[key] = doc["id"]
        self._write_keys(pending)
        write_atomic(mark_path, orjson.dumps({"next": next_seq}))

    def _write_keys(self, pending: dict[Path, dict[str, str]], loaded: dict[Path, dict[str, str]] | None = None) -> None:
        for shard, keys in pending.items():
            current = (loaded or {}).get(shard)
            if current is None:
                current = read_json(shard) or {}
            current.update(keys)
            write_atomic(shard, orjson.dumps(current), sync_dir=False)
        if pending:
            _fsync_dir(self.root / "keys")  # once for every rename above

    def append(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        if not drafts:
            return AppendResult()
        with self._locked():
            next_seq, prev_hash = self._head()
            self._repair_key_index(next_seq)
            shards: dict[Path, dict[str, str]] = {}
            fresh: dict[Path, dict[str, str]] = {}
            duplicates: list[str] = []
            stored: list[Entry] = []
            docs: list[dict[str, Any]] = []
            now_dt = utcnow()
            now = _DATETIME.dump_python(now_dt, mode="json")
            for draft in drafts:
                key = draft.idempotency_key
                if key is not None:
                    shard = self._shard_path(key)
                    if shard not in shards:
                        shards[shard] = read_json(shard) or {}
                    existing = shards[shard].get(key) or fresh.get(shard, {}).get(key)
                    if existing:
                        duplicates.append(existing)
                        continue
                entry_id = new_id()
                body = draft.model_dump(mode="json") | {
                    "id": entry_id,
                    "seq": next_seq,
                    "recorded_at": now,
                }
                # The stored document is exactly what was hashed, so verify can recompute it.
                doc = body | {"prev_hash": prev_hash, "hash": Entry.compute_hash(prev_hash, body)}
                entry = Entry.from_draft(draft, id=entry_id, seq=doc["seq"], recorded_at=now_dt, prev_hash=prev_hash, hash=doc["hash"])
                docs.append(doc)
                stored.append(entry)
                if key is not None:
                    fresh.setdefault(shard, {})[key] = entry_id
                prev_hash = doc["hash"]
                next_seq += 1
            self._write_entries(docs)
            # Entries are the commit point; the key index follows and is repaired if we die here.
            self._write_keys(fresh, loaded=shards)
            if stored:
                write_atomic(self.root / "keys" / "_indexed.json", orjson.dumps({"next": next_seq}))
        return AppendResult(stored=tuple(stored), duplicates=tuple(duplicates))

    def _write_entries(self, docs: list[dict[str, Any]]) -> None:
        by_segment: dict[int, list[dict[str, Any]]] = {}
        for doc in docs:
            by_segment.setdefault(doc["seq"] // SEGMENT_SIZE, []).append(doc)
        for index, batch in sorted(by_segment.items()):
            storage = AtomicJSONStorage(self._segment_path(index))
            data = storage.read() or {}
            entries = data.setdefault("entries", {})
            before = len(entries)
            for doc in batch:
                entries[str(doc["seq"])] = doc
            storage.write(data)  # the commit point: the rollup file below is derived from it
            sidecar = self._read_rollup_file(index)
            if sidecar is not None and sidecar["count"] == before:
                rows = sidecar["rows"]
                for doc in batch:
                    rollup.add(rows, doc)
            else:  # missing or stale (a writer died between the two writes): rebuild
                rows = rollup.build(entries.values())
            write_atomic(self._rollup_path(index), orjson.dumps({"count": len(entries), "rows": rows}))

    def _rollup_path(self, index: int) -> Path:
        return self.root / "entries" / f"rollup-{index:08d}.json"

    def _read_rollup_file(self, index: int) -> dict[str, Any] | None:
        try:
            data = read_json(self._rollup_path(index))
        except CorruptStore:
            return None  # derived data: rebuilt from the segment
        if not isinstance(data, dict) or not isinstance(data.get("rows"), dict) or not isinstance(data.get("count"), int):
            return None
        return data

    def entries(
        self,
        *,
        workflow: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Entry]:
        result: list[Entry] = []
        for path in self._segments():
            if workflow is not None:
                # Filter the raw documents first: validating only one workflow's entries keeps
                # ``show WF`` fast in a large store.
                docs = [d for d in self._read_segment_docs(path).values() if d.get("workflow") == workflow]
                candidates = self._validate_docs(path, docs) if docs else []
            else:
                candidates = self._load_segment(path)
            for entry in candidates:
                if since is not None and entry.ts < since:
                    continue
                if until is not None and entry.ts >= until:
                    continue
                result.append(entry)
        result.sort(key=lambda e: e.seq)
        return result

    def _validate_docs(self, path: Path, docs: list[dict[str, Any]]) -> list[Entry]:
        try:
            return _ENTRY_LIST.validate_python(docs)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CorruptStore(f"segment {path} is corrupt at {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc

    def rollups(self) -> list[Rollup]:
        """Daily rollups of every entry (see ``ledger_core/rollup.py``).

        Each segment's rollups live in a small file beside it, so a report reads a few kB per
        segment instead of parsing every entry. A full segment never changes its numbers, so its
        rollup file is trusted when it counts all its entries; the last segment, and any whose
        rollup file is missing or stale, are summed from the entries themselves.
        """
        rows: list[Rollup] = []
        segments = self._segments()
        for position, path in enumerate(segments):
            index = int(_SEGMENT_RE.match(path.name).group(1))  # type: ignore[union-attr]
            sidecar = self._read_rollup_file(index) if position < len(segments) - 1 else None
            if sidecar is not None and sidecar["count"] == SEGMENT_SIZE:
                table = sidecar["rows"]
            else:
                table = rollup.build(self._read_segment_docs(path).values())
            try:
                rows.extend(Rollup.from_doc(row) for row in table.values())
            except (KeyError, TypeError, ValueError) as exc:
                raise CorruptStore(f"rollups of segment {path} are corrupt: {exc}") from exc
        return rows

    def _rollup_problems(self) -> list[ChainProblem]:
        """Rollup files that disagree with the entries they summarise (reports would be wrong)."""
        problems = []
        for path in self._segments():
            index = int(_SEGMENT_RE.match(path.name).group(1))  # type: ignore[union-attr]
            sidecar = self._read_rollup_file(index)
            try:
                docs = self._read_segment_docs(path)
            except StoreError:
                continue  # reported by the chain check
            if sidecar is not None and sidecar["count"] == len(docs) and sidecar["rows"] != rollup.build(docs.values()):
                problems.append(ChainProblem(
                    seq=None, entry_id=None, kind="edit", where=str(self._rollup_path(index)),
                    detail="daily rollups differ from the entries they summarise (a file was edited); reports would be wrong",
                ))
        return problems

    def get_entry(self, entry_id: str) -> Entry:
        for path in reversed(self._segments()):
            for entry in self._load_segment(path):
                if entry.id == entry_id:
                    return entry
        raise NotFound(f"no entry {entry_id!r} in store {self.root}")

    def verify(self) -> VerifyReport:
        from ..integrity import verify_chain

        report = verify_chain(self._segment_docs_for_verify(), location=self.location)
        if not report.ok:
            return report  # a broken chain already explains any rollup that disagrees
        extra = self._rollup_problems()
        return report.model_copy(update={"problems": tuple(extra)}) if extra else report

    def _segment_docs_for_verify(self) -> Iterator[tuple[str, list[dict[str, Any]] | Exception]]:
        for path in self._segments():
            try:
                docs = list(self._read_segment_docs(path).values())
            except StoreError as exc:
                yield str(path), exc
                continue
            yield str(path), docs

    def seal(self, record: EntryDraft, changes: dict[str, dict[str, Any]]) -> Entry:
        """Drop private fields of stored entries (retention, forget) and record that on the chain.

        ``changes`` maps entry id → {field: value left in its place}; ``integrity.seal_doc`` keeps
        each hash valid. The purge record is appended first, under the same lock, so a sealed
        entry always names a purge that exists; a crash half-way leaves the rest for the next run.
        """
        from ..integrity import seal_doc

        with self._locked():
            # Every change is checked before anything is written (segments are read again
            # below: the purge record's append may change the last one).
            found: set[str] = set()
            try:
                for path in self._segments():
                    for doc in self._read_segment_docs(path).values():
                        if doc.get("id") in changes:
                            seal_doc(doc, changes[doc["id"]], by="check")
                            found.add(doc["id"])
            except ValueError as exc:
                raise InvalidInput(f"cannot seal entry {doc.get('id')}: {exc}") from exc
            missing = sorted(set(changes) - found)
            if missing:
                raise NotFound(f"no entry {missing[0]!r} in store {self.location}")
            purge = self.append([record]).stored[0]
            for path in self._segments():
                docs = self._read_segment_docs(path)
                hits = {k: d for k, d in docs.items() if d.get("id") in changes}
                if hits:
                    docs.update({k: seal_doc(d, changes[d["id"]], by=purge.id) for k, d in hits.items()})
                    data = read_json(path) or {}
                    data["entries"] = docs  # other tables stay as they are
                    write_atomic(path, orjson.dumps(data))
        return purge

    # ------------------------------------------------------------------ workflows
    def _table(self, name: str) -> Table:
        return self._db(f"{name}.json").table(name)

    def put_workflow(self, workflow: Workflow, *, create_only: bool = False) -> Workflow:
        with self._locked():
            table = self._table("workflows")
            existing = table.get(doc_id=workflow.key)
            if existing is not None and create_only:
                return Workflow.model_validate(dict(existing))
            if existing is not None:
                workflow = keep_lifecycle(Workflow.model_validate(dict(existing)), workflow)
            table.upsert(Document(workflow.model_dump(mode="json"), doc_id=workflow.key))
        return workflow

    def find_workflow(self, key: str) -> Workflow | None:
        doc = self._table("workflows").get(doc_id=key)
        return Workflow.model_validate(dict(doc)) if doc is not None else None

    def get_workflow(self, key: str) -> Workflow:
        found = self.find_workflow(key)
        if found is None:
            raise UnknownWorkflow(key)
        return found

    def workflows(self, *, team: str | None = None) -> list[Workflow]:
        found = [Workflow.model_validate(dict(d)) for d in self._table("workflows").all()]
        if team is not None:
            found = [w for w in found if w.team == team]
        return sorted(found, key=lambda w: (w.created_at, w.key))

    def transition_workflow(
        self,
        key: str,
        to: WorkflowState,
        at: datetime,
        *,
        actor: str | None = None,
        evidence: Evidence | None = None,
    ) -> Workflow:
        with self._locked():
            table = self._table("workflows")
            doc = table.get(doc_id=key)
            if doc is None:
                raise UnknownWorkflow(key)
            workflow = Workflow.model_validate(dict(doc))
            updated = apply_transition(workflow, to, at, actor=actor, evidence=evidence)
            if updated is not workflow:
                table.upsert(Document(updated.model_dump(mode="json"), doc_id=key))
        return updated

    # ------------------------------------------------------------------ regions
    def put_regions(self, regions: Sequence[Region]) -> None:
        if not regions:
            return
        with self._locked():
            data = {r.id: r.model_dump(mode="json") for r in regions}
            storage = AtomicJSONStorage(self.root / "regions.json")
            current = storage.read() or {}
            current.setdefault("regions", {}).update(data)
            storage.write(current)

    def regions(self, *, path: str | None = None, workflow: str | None = None) -> list[Region]:
        docs = (AtomicJSONStorage(self.root / "regions.json").read() or {}).get("regions", {})
        found = [
            Region.model_validate(d)
            for d in docs.values()
            if (path is None or d["path"] == path) and (workflow is None or d["workflow"] == workflow)
        ]
        return sorted(found, key=lambda r: (r.path, r.start_line, r.created_at))

    def get_region(self, region_id: str) -> Region:
        docs = (AtomicJSONStorage(self.root / "regions.json").read() or {}).get("regions", {})
        if region_id not in docs:
            raise NotFound(f"no region {region_id!r}")
        return Region.model_validate(docs[region_id])

    # ------------------------------------------------------------------ incidents
    def put_incident(self, incident: Incident) -> Incident:
        with self._locked():
            table = self._table("incidents")
            if incident.source_ref:
                for doc in table.all():
                    # The same incident (same id) is an update, e.g. by `forget`; another id is a duplicate.
                    if doc.get("source") == incident.source and doc.get("source_ref") == incident.source_ref and doc.get("id") != incident.id:
                        return Incident.model_validate(dict(doc))
            table.upsert(Document(incident.model_dump(mode="json"), doc_id=incident.id))
        return incident

    def incidents(self, *, workflow: str | None = None) -> list[Incident]:
        found = [Incident.model_validate(dict(d)) for d in self._table("incidents").all()]
        if workflow is not None:
            found = [i for i in found if workflow in i.workflows]
        return sorted(found, key=lambda i: i.opened_at)

    # ------------------------------------------------------------------ key-value
    def kv_get(self, namespace: str, key: str) -> Any | None:
        doc = self._table("kv").get(doc_id=f"{namespace}\x1f{key}")
        return doc["value"] if doc is not None else None

    def kv_set(self, namespace: str, key: str, value: Any) -> None:
        with self._locked():
            self._table("kv").upsert(Document({"value": value}, doc_id=f"{namespace}\x1f{key}"))

    def kv_claim(self, namespace: str, key: str, value: Any = True) -> bool:
        with self._locked():
            table = self._table("kv")
            doc_id = f"{namespace}\x1f{key}"
            if table.get(doc_id=doc_id) is not None:
                return False
            table.upsert(Document({"value": value}, doc_id=doc_id))
            return True

    # ------------------------------------------------------------------ misc
    def version(self) -> str:
        parts = []
        segments = self._segments()
        for path in [*segments[-1:], self.root / "workflows.json", self.root / "regions.json",
                     self.root / "incidents.json"]:
            try:
                stat = path.stat()
                parts.append(f"{stat.st_mtime_ns}.{stat.st_size}")
            except FileNotFoundError:
                parts.append("-")
        return f"{len(segments)}:" + ":".join(parts)

    def close(self) -> None:
        self._segment_cache.clear()
