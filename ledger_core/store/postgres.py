"""The PostgreSQL store: the team ledger behind ``opledger serve`` (psycopg 3 + psycopg-pool).

The database enforces what the embedded store enforces with file locks: an append batch is
written in one transaction that locks the chain head row, so the hash chain has a single
writer at a time across every service replica; idempotency keys are a unique constraint.
Batches that arrive together in one process share a transaction (group commit), each still
all or nothing. Entries are kept twice over, on purpose: narrow typed columns for report
queries and the exact hashed document (``migrations/0001_initial.sql``); the same transaction
adds each entry to its daily rollup row, which is what team reports read (``0002_rollups.sql``,
``pg_report``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import threading
from collections import deque
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from pydantic import TypeAdapter

from ..errors import InvalidInput, NotFound, StoreError, UnknownWorkflow
from ..lifecycle import apply_transition, keep_lifecycle
from ..models import Entry, EntryDraft, Evidence, Incident, Region, Workflow, WorkflowState, new_id, utcnow
from .base import AppendResult, ChainProblem, VerifyReport

_ENTRIES = TypeAdapter(list[Entry])
_DATETIME = TypeAdapter(datetime)
_LOCK_MIGRATIONS = 0x6F706C6564676572  # "opledger": one migrator at a time
_ENTRY_COLUMNS = (
    "seq", "id", "ts", "workflow", "line", "kind", "cost_usd", "minutes", "count", "tok_input", "tok_output",
    "tok_cw5m", "tok_cw1h", "tok_read", "unpriced", "reversal", "session", "source", "source_ref", "hash",
)


def redacted(url: str) -> str:
    """The URL without its password, for messages and ``location``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order."""
    found = []
    for item in resources.files("ledger_core.store.migrations").iterdir():
        if item.name.endswith(".sql"):
            number, _, rest = item.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), item.read_text("utf-8")))
    return sorted(found)


def upgrade(url: str) -> list[str]:
    """Apply the migrations this database lacks; returns the names applied (empty if current)."""
    applied_now = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_MIGRATIONS,))
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS opledger_schema"
                    " (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = {row[0] for row in conn.execute("SELECT version FROM opledger_schema")}
                for version, name, sql in migrations():
                    if version in done:
                        continue
                    conn.execute(sql)
                    conn.execute("INSERT INTO opledger_schema (version, name) VALUES (%s, %s)", (version, name))
                    applied_now.append(f"{version:04d}_{name}")
    except psycopg.Error as exc:
        raise StoreError(f"cannot upgrade database {redacted(url)}: {exc}") from exc
    return applied_now


def _columns_match(doc: dict[str, Any], columns: tuple) -> bool:
    entry_id, workflow, line, kind, cost, minutes, count, ts, digest = columns
    try:
        return (
            (entry_id, workflow, line, kind, count, digest)
            == (doc.get("id"), doc.get("workflow"), doc.get("line"), doc.get("kind"), doc.get("count"), doc.get("hash"))
            and cost == Decimal(str(doc.get("cost_usd")))
            and minutes == Decimal(str(doc.get("minutes")))
            and ts == _DATETIME.validate_python(doc.get("ts"))
        )
    except (ArithmeticError, ValueError):
        return False


def _refuse_nul(draft: EntryDraft, index: int) -> None:
    # PostgreSQL text cannot hold NUL; say so instead of failing inside the insert.
    for name in ("workflow", "kind", "session", "source", "source_ref"):
        value = getattr(draft, name)
        if value is not None and "\x00" in value:
            raise InvalidInput(f"entry {index}: {name} contains a NUL character, which the team database cannot store")


GROUP_ENTRIES = 5000  # at most this many entries per group commit, to bound the chain lock's hold
# One index probe per key: the LIMIT keeps the planner from turning the probes into a join,
# which on a new database (no statistics yet) it plans as a sequential scan of every entry
# and keeps in the statement's cached plan while the table grows.
_KEY_PROBE = "LATERAL (SELECT e.id FROM entries e WHERE e.source = x->>0 AND e.source_ref = x->>1 LIMIT 1) hit"
# Values travel as one JSON document per statement, turned into rows by the server: binding
# dozens of array parameters cost more client CPU per group commit than all its hashing.
# The keys are looked up in a statement of their own, after the head is locked: a statement
# sees what was committed when it began, and one that waited for the lock began before the
# writer it waited for committed its keys.
_LOCK_HEAD = "SELECT next_seq, hash FROM chain_head WHERE id = 1 FOR UPDATE"
_LOOKUP_KEYS = f"SELECT x->>0, x->>1, hit.id FROM json_array_elements(%s::json) x, {_KEY_PROBE}"
_ROLLUP_KEY = ("day", "workflow", "line", "kind", "session", "unpriced", "reversal")
_ROLLUP_SUMS = ("cost_usd", "minutes", "count", "occurrences", "weight", "tok_input", "tok_output", "tok_cw5m", "tok_cw1h", "tok_read")


def _inserts(where: str = "") -> str:
    """The entries, documents and rollups of a write as sibling data-modifying CTEs, each kept
    to ``where``. The documents' foreign key is checked at the statement's end, when the
    entries are there; a document travels as a JSON string, so it is stored byte for byte."""
    return (
        f"e AS (INSERT INTO entries ({', '.join(_ENTRY_COLUMNS)})"
        f" SELECT {', '.join(_ENTRY_COLUMNS)} FROM json_populate_recordset(NULL::entries, %(rows)s::json){where}),"
        " d AS (INSERT INTO entry_docs (seq, doc) SELECT (x->>'seq')::bigint, (x->>'doc')::json"
        f" FROM json_array_elements(%(rows)s::json) x{where}),"
        f" r AS (INSERT INTO entry_rollups AS r ({', '.join(_ROLLUP_KEY + _ROLLUP_SUMS)})"
        f" SELECT {', '.join(_ROLLUP_KEY + _ROLLUP_SUMS)} FROM json_populate_recordset(NULL::entry_rollups, %(sums)s::json){where}"
        f" ON CONFLICT ({', '.join(_ROLLUP_KEY)}) DO UPDATE SET "
        + ", ".join(f"{name} = r.{name} + excluded.{name}" for name in _ROLLUP_SUMS) + ")"
    )


_WRITE = "WITH " + _inserts() + " UPDATE chain_head SET next_seq = %(next_seq)s, hash = %(hash)s WHERE id = 1"
# The same write as one autocommit statement that happens only if the chain head is still
# where this process left it and none of the keys is stored: ``guard`` moves the head (a
# concurrent writer's move makes its WHERE fail once that writer commits) and the inserts
# run only if it did.
_WRITE_IF_HEAD = (
    "WITH guard AS (UPDATE chain_head SET next_seq = %(next_seq)s, hash = %(hash)s"
    " WHERE id = 1 AND next_seq = %(expected_seq)s AND hash = %(expected_hash)s"
    f" AND NOT EXISTS (SELECT FROM json_array_elements(%(keys)s::json) x, {_KEY_PROBE})"
    " RETURNING 1), "
    + _inserts(" WHERE EXISTS (SELECT FROM guard)")
    + " SELECT count(*) FROM guard"
)
_ROLLUPS_DIFFER = f"""
WITH kept AS (SELECT {', '.join(_ROLLUP_KEY + _ROLLUP_SUMS)} FROM entry_rollups),
truth AS (
    SELECT (ts AT TIME ZONE 'UTC')::date, workflow, line, kind, coalesce(session, ''), unpriced, reversal,
           sum(cost_usd), sum(minutes), sum(count),
           sum(CASE WHEN count <> 0 THEN count WHEN reversal THEN -1 ELSE 1 END), sum(CASE WHEN reversal THEN -1 ELSE 1 END),
           sum(tok_input), sum(tok_output), sum(tok_cw5m), sum(tok_cw1h), sum(tok_read)
    FROM entries GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM truth) AS extra)
     + (SELECT count(*) FROM (SELECT * FROM truth EXCEPT ALL SELECT * FROM kept) AS missing)
"""


class _Pending:
    """One caller's batch waiting for a group commit."""

    __slots__ = ("done", "drafts", "error", "result")

    def __init__(self, drafts: Sequence[EntryDraft]) -> None:
        self.drafts = drafts
        self.done = False
        self.error: BaseException | None = None
        self.result = AppendResult()


def _entry_middle(draft: EntryDraft) -> tuple:
    """The ``entries`` columns of a draft between (seq, id) and hash."""
    tokens = draft.tokens
    return (
        draft.ts, draft.workflow, draft.line.value, draft.kind, draft.cost_usd, draft.minutes,
        draft.count, tokens.input if tokens else 0, tokens.output if tokens else 0,
        tokens.cache_write_5m if tokens else 0, tokens.cache_write_1h if tokens else 0,
        tokens.cache_read if tokens else 0, draft.unpriced, draft.reverses is not None, draft.session,
        draft.source, draft.source_ref,
    )


def _entry_row(draft: EntryDraft, seq: int, entry_id: str, digest: str) -> tuple:
    return (seq, entry_id, *_entry_middle(draft), digest)


def _fold(rollups: dict[tuple, list], draft: EntryDraft, middle: tuple) -> None:
    """Add one entry to the batch's rollup deltas (same rule as ``ledger_core.rollup.add``)."""
    reversal = middle[13]
    key = (draft.ts.astimezone(UTC).date(), draft.workflow, middle[2], draft.kind, draft.session or "", draft.unpriced, reversal)
    weight = -1 if reversal else 1
    sums = rollups.get(key)
    if sums is None:
        sums = rollups[key] = [Decimal(0), Decimal(0), 0, 0, 0, 0, 0, 0, 0, 0]
    sums[0] += draft.cost_usd
    sums[1] += draft.minutes
    sums[2] += draft.count
    sums[3] += draft.count or weight
    sums[4] += weight
    for i in range(5):
        sums[5 + i] += middle[7 + i]


def _json(value: Any) -> str:
    # Decimals as strings: PostgreSQL reads them into numeric exactly.
    return orjson.dumps(value, default=str).decode()


def _doc(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


class _Chain:
    """Prepared drafts chained onto a head: the rows and rollup sums to write, and each
    batch's outcome (a stored entry, or the id of the one already holding its key)."""

    def __init__(self, prepared: list[list[tuple]], next_seq: int, prev_hash: str, known: dict[tuple[str, str], str]) -> None:
        self.now = utcnow()
        now = _DATETIME.dump_python(self.now, mode="json")
        self.rows: list[dict[str, Any]] = []
        self.rollups: dict[tuple, list] = {}
        self.links: list[list[Any]] = []
        for batch in prepared:
            links: list[Any] = []
            for draft, entry_id, dumped, middle in batch:
                key = (draft.source, draft.source_ref) if draft.source_ref else None
                if key is not None and key in known:
                    links.append(known[key])
                    continue
                body = dumped | {"id": entry_id, "seq": next_seq, "recorded_at": now}
                digest = Entry.compute_hash(prev_hash, body)
                row = dict(zip(_ENTRY_COLUMNS, (next_seq, entry_id, *middle, digest), strict=True))
                row["doc"] = orjson.dumps(body | {"prev_hash": prev_hash, "hash": digest}).decode()
                self.rows.append(row)
                _fold(self.rollups, draft, middle)
                links.append((draft, entry_id, next_seq, prev_hash, digest))
                if key is not None:
                    known[key] = entry_id
                prev_hash = digest
                next_seq += 1
            self.links.append(links)
        self.next_seq, self.prev_hash = next_seq, prev_hash

    def params(self) -> dict[str, Any]:
        sums = [dict(zip(_ROLLUP_KEY + _ROLLUP_SUMS, k + tuple(v), strict=True)) for k, v in self.rollups.items()]
        return {"rows": _json(self.rows), "sums": _json(sums), "next_seq": self.next_seq, "hash": self.prev_hash}

    def results(self) -> list[AppendResult]:
        return [
            AppendResult(
                stored=tuple(Entry.from_draft(link[0], id=link[1], seq=link[2], recorded_at=self.now, prev_hash=link[3], hash=link[4])
                             for link in links if isinstance(link, tuple)),
                duplicates=tuple(link for link in links if isinstance(link, str)),
            )
            for links in self.links
        ]


class PostgresStore:
    """``Store`` over one PostgreSQL database. Thread-safe: a pool hands out connections."""

    def __init__(self, location: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 30.0, **_: Any) -> None:
        self.url = location
        self.location = redacted(location)
        self._pool = ConnectionPool(
            location, min_size=min_size, max_size=max_size, timeout=timeout, open=False,
            kwargs={"autocommit": True}, name="opledger",
        )
        self._head: tuple[int, str] | None = None  # (next seq, hash) after this process's last append
        self._queue: deque[_Pending] = deque()
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()
        try:
            self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(f"cannot connect to database {self.location}") from exc
        self._check_schema()

    def _check_schema(self) -> None:
        latest = migrations()[-1][0]
        with self._conn() as conn:
            try:
                row = conn.execute("SELECT max(version) FROM opledger_schema").fetchone()
            except psycopg.errors.UndefinedTable:
                row = (None,)
        if row[0] is None or row[0] < latest:
            self.close()
            raise StoreError(f"database {self.location} is not at schema {latest}; run `opledger db upgrade --db URL`")
        if row[0] > latest:
            self.close()
            raise StoreError(f"database {self.location} has schema {row[0]}, newer than this opledger ({latest}); upgrade opledger")

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreError(f"no database connection to {self.location} became free in time") from exc
        except psycopg.OperationalError as exc:
            raise StoreError(f"database {self.location} failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection]:
        """One write transaction; the change counter moves after it commits."""
        with self._conn() as conn:
            with conn.transaction():
                yield conn
            conn.execute("SELECT nextval('ledger_changes')")

    # ------------------------------------------------------------------ entries
    def append(self, drafts: Sequence[EntryDraft]) -> AppendResult:
        """Append one batch atomically. Batches that callers in this process send while another
        is being written wait and then go together in one transaction (group commit): the chain
        has one writer anyway, and one commit for many hooks is what keeps latency flat."""
        if not drafts:
            return AppendResult()
        for index, draft in enumerate(drafts):
            _refuse_nul(draft, index)
        pending = _Pending(drafts)
        with self._queue_lock:
            self._queue.append(pending)
        while not pending.done:
            with self._writer:
                if pending.done:
                    break
                with self._queue_lock:
                    group, size = [], 0
                    while self._queue and (not group or size + len(self._queue[0].drafts) <= GROUP_ENTRIES):
                        group.append(self._queue.popleft())
                        size += len(group[-1].drafts)
                for waiting, outcome in zip(group, self.append_many([p.drafts for p in group]), strict=True):
                    if isinstance(outcome, AppendResult):
                        waiting.result = outcome
                    else:
                        waiting.error = outcome
                    waiting.done = True
        if pending.error is not None:
            raise pending.error
        return pending.result

    def append_many(self, batches: Sequence[Sequence[EntryDraft]]) -> list[AppendResult | Exception]:
        """Several callers' batches in one transaction (a group commit), each atomic on its own:
        the outcome of each, in order, is its result or the error that refused it. One bad
        batch does not fail its neighbours: on an error each batch is retried alone."""
        outcomes: list[AppendResult | Exception | None] = [None] * len(batches)
        ready: list[int] = []
        for n, drafts in enumerate(batches):
            try:
                for index, draft in enumerate(drafts):
                    _refuse_nul(draft, index)
            except InvalidInput as exc:
                outcomes[n] = exc
                continue
            if drafts:
                ready.append(n)
            else:
                outcomes[n] = AppendResult()
        try:
            for n, result in zip(ready, self._append_batches([batches[n] for n in ready]), strict=True):
                outcomes[n] = result
        except Exception as exc:
            if len(ready) == 1:
                outcomes[ready[0]] = exc
            else:
                for n in ready:
                    outcomes[n] = self.append_many([batches[n]])[0]
        return outcomes  # type: ignore[return-value]

    def _append_batches(self, batches: list[Sequence[EntryDraft]]) -> list[AppendResult]:
        """One transaction for several batches. Statement texts never change (values travel as
        JSON documents), so each is parsed once per connection.

        First, optimistically, one statement: when this process wrote the chain head last,
        the entries are chained onto it and written only if the head is still there and none
        of their keys is stored yet. Otherwise two round trips of pipelined statements:
        (1) begin, lock the chain head, then look up the idempotency keys; (2) write, commit. The
        head row serialises writers across every service replica either way.
        """
        keyed = list({(d.source, d.source_ref) for drafts in batches for d in drafts if d.source_ref})
        # Everything that does not depend on the chain head is prepared before taking its lock.
        prepared = [[(draft, new_id(), draft.model_dump(mode="json"), _entry_middle(draft)) for draft in drafts] for drafts in batches]
        with self._conn() as conn:
            head = self._head
            if head is not None:
                chain = _Chain(prepared, *head, {})
                if chain.rows:
                    written = conn.execute(_WRITE_IF_HEAD, chain.params() | {
                        "keys": orjson.dumps(keyed).decode(), "expected_seq": head[0], "expected_hash": head[1],
                    }).fetchone()[0]
                    if written:
                        self._head = (chain.next_seq, chain.prev_hash)
                        return chain.results()
            try:
                with conn.pipeline() as pipeline, conn.cursor() as lock, conn.cursor() as lookup, conn.cursor() as cur:
                    cur.execute("BEGIN")
                    lock.execute(_LOCK_HEAD)
                    lookup.execute(_LOOKUP_KEYS, (orjson.dumps(keyed).decode(),))
                    pipeline.sync()
                    next_seq, prev_hash = lock.fetchone()
                    known: dict[tuple[str, str], str] = {(s, r): i for s, r, i in lookup.fetchall()}
                    chain = _Chain(prepared, next_seq, prev_hash, known)
                    if chain.rows:
                        cur.execute(_WRITE, chain.params())
                    cur.execute("COMMIT")
            except BaseException:
                self._head = None
                if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    with suppress(psycopg.Error):
                        conn.execute("ROLLBACK")
                raise
        self._head = (chain.next_seq, chain.prev_hash)
        return chain.results()

    def _load(self, sql: str, params: Sequence[Any] = ()) -> list[Entry]:
        with self._conn() as conn:
            texts = [row[0] for row in conn.execute(sql, params)]
        if not texts:
            return []
        return _ENTRIES.validate_json("[" + ",".join(texts) + "]")

    def entries(self, *, workflow: str | None = None, since: datetime | None = None, until: datetime | None = None) -> list[Entry]:
        where, params = [], []
        for clause, value in (("e.workflow = %s", workflow), ("e.ts >= %s", since), ("e.ts < %s", until)):
            if value is not None:
                where.append(clause)
                params.append(value)
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        return self._load(f"SELECT d.doc::text FROM entries e JOIN entry_docs d USING (seq) {condition} ORDER BY e.seq", params)

    def get_entry(self, entry_id: str) -> Entry:
        found = self._load("SELECT d.doc::text FROM entries e JOIN entry_docs d USING (seq) WHERE e.id = %s", (entry_id,))
        if not found:
            raise NotFound(f"no entry {entry_id!r} in store {self.location}")
        return found[0]

    def verify(self) -> VerifyReport:
        from ..integrity import verify_chain

        edited: list[ChainProblem] = []
        with self._conn() as conn, conn.transaction():
            # One snapshot for the head, the documents and the rollups, while appends go on.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            head_seq, head_hash = conn.execute("SELECT next_seq, hash FROM chain_head WHERE id = 1").fetchone()
            report = verify_chain(self._doc_batches(conn, edited), location=self.location)
            rollups_off = conn.execute(_ROLLUPS_DIFFER).fetchone()[0]
        problems = list(report.problems)
        if report.ok and (report.entries != head_seq or report.head != head_hash):
            problems.append(ChainProblem(
                seq=report.entries, entry_id=None, kind="deletion", where=f"{self.location} chain head",
                detail=f"the chain head records {head_seq} entries ending in {head_hash[:12]}…, but {report.entries} are stored",
            ))
        # Rollups are checked against the entries' report columns, so an edited column or a
        # deleted entry already explains any difference; report that cause alone.
        if rollups_off and not edited and not problems:
            edited.append(ChainProblem(
                seq=None, entry_id=None, kind="edit", where=f"{self.location} entry_rollups table",
                detail=f"{rollups_off} daily rollup rows differ from the sums of the entries they summarise, so reports would be wrong",
            ))
        return VerifyReport(entries=report.entries, head=report.head, problems=tuple(problems + edited))

    def _doc_batches(
        self, conn: psycopg.Connection, edited: list[ChainProblem], size: int = 5000
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """Documents in chain order; also notes the first entry whose report columns differ from
        its hashed document, since reports are summed from the columns."""
        with conn.cursor(name="opledger_verify") as cur:
            cur.itersize = size
            cur.execute(
                "SELECT d.doc::text, e.id, e.workflow, e.line, e.kind, e.cost_usd, e.minutes, e.count, e.ts, e.hash"
                " FROM entry_docs d LEFT JOIN entries e USING (seq) ORDER BY d.seq"
            )
            while batch := cur.fetchmany(size):
                docs = [orjson.loads(row[0]) for row in batch]
                if not edited:
                    for doc, row in zip(docs, batch, strict=True):
                        if not _columns_match(doc, row[1:]):
                            edited.append(ChainProblem(
                                seq=doc.get("seq"), entry_id=doc.get("id"), kind="edit", where=f"{self.location} entries table",
                                detail="the report columns of this entry differ from its hashed document (edited after it was recorded)",
                            ))
                            break
                yield f"{self.location} seq {docs[0].get('seq')}..{docs[-1].get('seq')}", docs

    def seal(self, record: EntryDraft, changes: dict[str, dict[str, Any]]) -> Entry:
        """Drop private fields of stored entries (retention, forget) and record that on the chain.

        ``changes`` maps entry id → {field: value left in its place}; ``integrity.seal_doc`` keeps
        each hash valid. Every change is checked before anything is written; the purge record
        is appended first, so a sealed entry always names a purge that exists, and the
        documents change in one transaction (a crash leaves them for the next run).
        """
        from ..integrity import seal_doc

        with self._conn() as conn:
            found = {row[0]: (row[1], orjson.loads(row[2])) for row in conn.execute(
                "SELECT e.id, e.seq, d.doc::text FROM entries e JOIN entry_docs d USING (seq) WHERE e.id = ANY(%s)",
                (list(changes),),
            )}
        missing = sorted(set(changes) - set(found))
        if missing:
            raise NotFound(f"no entry {missing[0]!r} in store {self.location}")
        try:
            for entry_id, (_, doc) in found.items():
                seal_doc(doc, changes[entry_id], by="check")
        except ValueError as exc:
            raise InvalidInput(f"cannot seal entry {entry_id}: {exc}") from exc
        purge = self.append([record]).stored[0]
        with self._write() as conn:
            for entry_id, (seq, _) in found.items():
                # Re-read under the row lock: a concurrent seal may have sealed some fields already.
                current = orjson.loads(conn.execute("SELECT doc::text FROM entry_docs WHERE seq = %s FOR UPDATE", (seq,)).fetchone()[0])
                sealed = seal_doc(current, changes[entry_id], by=purge.id)
                if sealed is not current:
                    conn.execute("UPDATE entry_docs SET doc = %s::json WHERE seq = %s", (orjson.dumps(sealed).decode(), seq))
        return purge

    # ------------------------------------------------------------------ workflows
    def put_workflow(self, workflow: Workflow, *, create_only: bool = False) -> Workflow:
        doc = workflow.model_dump_json()
        with self._write() as conn:
            if create_only:
                inserted = conn.execute(
                    "INSERT INTO workflows (key, team, created_at, doc) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (key) DO NOTHING RETURNING key",
                    (workflow.key, workflow.team, workflow.created_at, doc),
                ).fetchone()
                if inserted is None:
                    row = conn.execute("SELECT doc::text FROM workflows WHERE key = %s", (workflow.key,)).fetchone()
                    return Workflow.model_validate_json(row[0])
                return workflow
            row = conn.execute("SELECT doc::text FROM workflows WHERE key = %s FOR UPDATE", (workflow.key,)).fetchone()
            if row is not None:
                workflow = keep_lifecycle(Workflow.model_validate_json(row[0]), workflow)
                doc = workflow.model_dump_json()
            conn.execute(
                "INSERT INTO workflows (key, team, created_at, doc) VALUES (%s, %s, %s, %s) ON CONFLICT (key)"
                " DO UPDATE SET team = excluded.team, created_at = excluded.created_at, doc = excluded.doc",
                (workflow.key, workflow.team, workflow.created_at, doc),
            )
        return workflow

    def find_workflow(self, key: str) -> Workflow | None:
        with self._conn() as conn:
            row = conn.execute("SELECT doc::text FROM workflows WHERE key = %s", (key,)).fetchone()
        return Workflow.model_validate_json(row[0]) if row else None

    def get_workflow(self, key: str) -> Workflow:
        found = self.find_workflow(key)
        if found is None:
            raise UnknownWorkflow(key)
        return found

    def workflows(self, *, team: str | None = None) -> list[Workflow]:
        sql = "SELECT doc::text FROM workflows" + (" WHERE team = %s" if team is not None else "") + " ORDER BY created_at, key"
        with self._conn() as conn:
            rows = conn.execute(sql, (team,) if team is not None else ()).fetchall()
        return [Workflow.model_validate_json(r[0]) for r in rows]

    def transition_workflow(
        self, key: str, to: WorkflowState, at: datetime, *, actor: str | None = None, evidence: Evidence | None = None
    ) -> Workflow:
        with self._write() as conn:
            row = conn.execute("SELECT doc::text FROM workflows WHERE key = %s FOR UPDATE", (key,)).fetchone()
            if row is None:
                raise UnknownWorkflow(key)
            workflow = Workflow.model_validate_json(row[0])
            updated = apply_transition(workflow, to, at, actor=actor, evidence=evidence)
            if updated is not workflow:
                conn.execute("UPDATE workflows SET doc = %s WHERE key = %s", (updated.model_dump_json(), key))
        return updated

    # ------------------------------------------------------------------ regions
    def put_regions(self, regions: Sequence[Region]) -> None:
        if not regions:
            return
        with self._write() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO regions (id, workflow, path, start_line, created_at, doc) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET workflow = excluded.workflow, path = excluded.path,"
                " start_line = excluded.start_line, created_at = excluded.created_at, doc = excluded.doc",
                [(r.id, r.workflow, r.path, r.start_line, r.created_at, r.model_dump_json()) for r in regions],
            )

    def regions(self, *, path: str | None = None, workflow: str | None = None) -> list[Region]:
        where, params = [], []
        for clause, value in (("path = %s", path), ("workflow = %s", workflow)):
            if value is not None:
                where.append(clause)
                params.append(value)
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        with self._conn() as conn:
            rows = conn.execute(f"SELECT doc::text FROM regions {condition} ORDER BY path, start_line, created_at", params).fetchall()
        return [Region.model_validate_json(r[0]) for r in rows]

    def get_region(self, region_id: str) -> Region:
        with self._conn() as conn:
            row = conn.execute("SELECT doc::text FROM regions WHERE id = %s", (region_id,)).fetchone()
        if row is None:
            raise NotFound(f"no region {region_id!r}")
        return Region.model_validate_json(row[0])

    # ------------------------------------------------------------------ incidents
    def put_incident(self, incident: Incident) -> Incident:
        values = (incident.id, incident.source, incident.source_ref, incident.opened_at, list(incident.workflows), incident.model_dump_json())
        with self._write() as conn:
            inserted = conn.execute(
                "INSERT INTO incidents (id, source, source_ref, opened_at, workflows, doc) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING RETURNING id",
                values,
            ).fetchone()
            if inserted is not None:
                return incident
            if incident.source_ref:
                row = conn.execute(
                    "SELECT doc::text FROM incidents WHERE source = %s AND source_ref = %s", (incident.source, incident.source_ref)
                ).fetchone()
                if row is not None:
                    return Incident.model_validate_json(row[0])
            conn.execute(
                "UPDATE incidents SET source = %s, source_ref = %s, opened_at = %s, workflows = %s, doc = %s WHERE id = %s",
                values[1:] + values[:1],
            )
        return incident

    def incidents(self, *, workflow: str | None = None) -> list[Incident]:
        sql = "SELECT doc::text FROM incidents" + (" WHERE workflows @> ARRAY[%s]" if workflow is not None else "") + " ORDER BY opened_at"
        with self._conn() as conn:
            rows = conn.execute(sql, (workflow,) if workflow is not None else ()).fetchall()
        return [Incident.model_validate_json(r[0]) for r in rows]

    # ------------------------------------------------------------------ key-value
    def kv_get(self, namespace: str, key: str) -> Any | None:
        with self._conn() as conn:
            row = conn.execute("SELECT value::text FROM kv WHERE namespace = %s AND key = %s", (namespace, key)).fetchone()
        return _doc(row[0]) if row else None

    def kv_set(self, namespace: str, key: str, value: Any) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO kv (namespace, key, value) VALUES (%s, %s, %s)"
                " ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                (namespace, key, orjson.dumps(value).decode()),
            )

    def kv_claim(self, namespace: str, key: str, value: Any = True) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "INSERT INTO kv (namespace, key, value) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                (namespace, key, orjson.dumps(value).decode()),
            ).fetchone()
        return row is not None

    def kv_items(self, namespace: str, *, after: str | None = None, limit: int = 1000) -> list[tuple[str, Any]]:
        """Keys and values of one namespace in key order (not part of ``Store``: listings for admins)."""
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT key, value::text FROM kv WHERE namespace = %s AND key > %s ORDER BY key LIMIT %s",
                (namespace, after or "", limit),
            ).fetchall()
        return [(k, _doc(v)) for k, v in rows]

    # ------------------------------------------------------------------ reports
    def team_report(self, period, team: str | None = None):
        """The team report, summed in the database (see ``pg_report``): exact, and fast on large ledgers."""
        from .pg_report import summarised_report

        return summarised_report(self, period, team)

    # ------------------------------------------------------------------ misc
    def version(self) -> str:
        # Appends move the chain head in their own transaction, so it is their change counter
        # (a separate counter would cost each group commit another transaction); every other
        # write moves ``ledger_changes`` after it commits.
        with self._conn() as conn:
            last, called, head = conn.execute(
                "SELECT last_value, is_called, (SELECT next_seq FROM chain_head WHERE id = 1) FROM ledger_changes"
            ).fetchone()
        return f"{last if called else 0}.{head}"

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["PostgresStore", "migrations", "redacted", "upgrade"]
