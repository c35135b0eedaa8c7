"""The ledger's facts: every record type as a small, immutable pydantic model.

Entries are append-only facts on one of the eight ledger lines. Workflows, regions and
incidents are the things those facts are about; they change state, but each state change
is validated by a pure function (see ``lifecycle.py``) and returns a new object.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from ulid_transform import ulid_now

SCHEMA_VERSION = 1


def new_id() -> str:
    """A sortable, collision-free id (a ULID): several processes write at once, so no counters.
    ulid-transform's C++ generator: ~0.1 µs where python-ulid took ~4 µs, on every entry."""
    return ulid_now()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    # Stored timestamps are already UTC ("Z"); converting them again costs ~5 µs per entry read.
    return value if value.utcoffset() == _ZERO else value.astimezone(UTC)


_ZERO = timedelta(0)


class Line(StrEnum):
    """The eight ledger lines (DESIGN.md)."""

    INFERENCE = "inference"
    CONTEXT_PREP = "context_prep"
    REVIEW = "review"
    REWORK = "rework"
    ESCAPED_DEFECTS = "escaped_defects"
    EVALUATION = "evaluation"
    GOVERNANCE = "governance"
    INSTITUTIONAL_MEMORY = "institutional_memory"


class WorkflowState(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    MERGED = "merged"
    VERIFIED = "verified"
    ABANDONED = "abandoned"


class RegionState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REWORK = "rework"
    SUPERSEDED = "superseded"


class SpecSignal(StrEnum):
    """The five signals of a well-posed request; a workflow's spec clarity is how many it had."""

    SPEC = "spec"
    CONSTRAINTS = "constraints"
    INTERFACES = "interfaces"
    CRITERIA = "criteria"
    VERIFICATION = "verification"


Money = Annotated[Decimal, Field(max_digits=None)]
NonNegInt = Annotated[int, Field(ge=0)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Tokens(Frozen):
    """Token counts of one or more model calls, by kind. ``input`` excludes cache tokens."""

    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_write + self.cache_read

    def negated(self) -> Tokens:
        return Tokens(
            input=-self.input,
            output=-self.output,
            cache_write_5m=-self.cache_write_5m,
            cache_write_1h=-self.cache_write_1h,
            cache_read=-self.cache_read,
        )

    def has_negative(self) -> bool:
        return min(self.input, self.output, self.cache_write_5m, self.cache_write_1h, self.cache_read) < 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_write_5m=self.cache_write_5m + other.cache_write_5m,
            cache_write_1h=self.cache_write_1h + other.cache_write_1h,
            cache_read=self.cache_read + other.cache_read,
        )


class EntryDraft(Frozen):
    """What a caller knows about a fact before the store accepts it.

    ``source`` + ``source_ref`` is the idempotency key: the store keeps the first entry with a
    given key and reports later ones as duplicates. Quantities may be negative only on a
    reversing entry (``reverses`` set), which is how corrections are made.
    """

    ts: datetime = Field(default_factory=utcnow)
    workflow: str = Field(min_length=1)
    line: Line
    kind: str = Field(default="manual", min_length=1)
    tokens: Tokens | None = None
    minutes: Decimal = Decimal(0)
    count: int = 0
    cost_usd: Money = Decimal(0)
    unpriced: bool = False
    model: str | None = None
    price_version: str | None = None
    actor: str | None = None
    role: str | None = None
    source: str = "manual"
    source_ref: str | None = None
    session: str | None = None
    region: str | None = None
    reverses: str | None = None
    note: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)

    @model_validator(mode="after")
    def _non_negative_unless_reversal(self) -> EntryDraft:
        # Only a reversing entry (a correction) may carry negative quantities.
        if self.reverses:
            return self
        for name in ("minutes", "count", "cost_usd"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{name} must not be negative (got {value})")
        if self.tokens is not None and self.tokens.has_negative():
            raise ValueError("token counts must not be negative")
        return self

    @property
    def idempotency_key(self) -> str | None:
        return f"{self.source}\x1f{self.source_ref}" if self.source_ref else None

    @property
    def weight(self) -> int:
        """How many entries this is in counts: −1 for a reversal, so corrections net out."""
        return -1 if self.reverses else 1

    @property
    def occurrences(self) -> int:
        """Events this entry stands for (bounces, incidents): its count, or one if none was given."""
        return self.count or self.weight


# Fields a retention policy or ``forget`` may drop. The chain hashes a digest of each instead
# of the value, so dropping one keeps every link valid (rule: ``ledger_core/integrity.py``).
PRIVATE_FIELDS = ("actor", "note", "attrs")


def field_digest(value: Any) -> str:
    # Most entries have no actor, note or attributes: their digests are constants.
    if value is None:
        return _NONE_DIGEST
    if value == {} and isinstance(value, dict):
        return _EMPTY_DIGEST
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


_NONE_DIGEST = hashlib.sha256(orjson.dumps(None)).hexdigest()
_EMPTY_DIGEST = hashlib.sha256(orjson.dumps({})).hexdigest()


class Seal(Frozen):
    """Which private fields of an entry were dropped: each field's digest, and the purges that did it."""

    fields: dict[str, str]
    by: tuple[str, ...]


class Entry(EntryDraft):
    """One immutable fact on the ledger, as stored: with its id and place in the hash chain."""

    id: str
    seq: int = Field(ge=0)
    recorded_at: datetime
    prev_hash: str
    hash: str
    sealed: Seal | None = None

    @model_validator(mode="after")
    def _non_negative_unless_reversal(self) -> Entry:
        # A stored entry was validated as a draft on the way in and is protected by the hash
        # chain; re-checking it on every read would cost a Python call per entry.
        return self

    @classmethod
    def from_draft(cls, draft: EntryDraft, *, id: str, seq: int, recorded_at: datetime, prev_hash: str, hash: str) -> Entry:
        """The stored entry of a validated draft, without validating it again: a store builds one
        per appended entry, and pydantic's ``model_construct`` loops over every field in Python
        (~10 µs, a third of an append); this sets the same instance state directly."""
        values = {**draft.__dict__, "id": id, "seq": seq, "recorded_at": recorded_at, "prev_hash": prev_hash, "hash": hash, "sealed": None}
        entry = cls.__new__(cls)
        object.__setattr__(entry, "__dict__", values)
        object.__setattr__(entry, "__pydantic_fields_set__", set(values))
        object.__setattr__(entry, "__pydantic_extra__", None)
        object.__setattr__(entry, "__pydantic_private__", None)
        return entry

    def body(self) -> dict[str, Any]:
        """The hashed content: everything but the chain fields themselves."""
        return self.model_dump(mode="json", exclude={"hash", "prev_hash"})

    @staticmethod
    def compute_hash(prev_hash: str, body: dict[str, Any]) -> str:
        sealed = (body.get("sealed") or {}).get("fields") or {}
        # Written out (not comprehensions): every append hashes every entry.
        public = body.copy()
        public.pop("sealed", None)
        digests = {}
        for name in PRIVATE_FIELDS:
            value = public.pop(name, None)
            digests[name] = sealed[name] if name in sealed else field_digest(value)
        public["private"] = digests
        payload = orjson.dumps(public, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(prev_hash.encode() + b"\n" + payload).hexdigest()


GENESIS_HASH = "0" * 64


def reversal_of(entry: Entry, *, actor: str | None = None, note: str | None = None) -> EntryDraft:
    """The entry that nets ``entry`` to zero: same line and workflow, negated quantities."""
    return EntryDraft.model_validate(
        {
            "ts": utcnow(),
            "workflow": entry.workflow,
            "line": entry.line,
            "kind": entry.kind,
            "tokens": entry.tokens.negated() if entry.tokens else None,
            "minutes": -entry.minutes,
            "count": -entry.count,
            "cost_usd": -entry.cost_usd,
            "unpriced": entry.unpriced,
            "model": entry.model,
            "price_version": entry.price_version,
            "actor": actor or entry.actor,
            "role": entry.role,
            "source": "correction",
            "source_ref": f"reverse:{entry.id}",
            "session": entry.session,
            "region": entry.region,
            "reverses": entry.id,
            "note": note,
            "attrs": {},
        }
    )


class Evidence(Frozen):
    """What a verification was checked against: something more durable than an opinion."""

    kind: Literal["ci", "reviewer", "gate", "manual"] = "manual"
    ref: str | None = None
    reviewer: str | None = None
    tests: tuple[str, ...] = ()
    note: str | None = None


class Transition(Frozen):
    state: WorkflowState
    at: datetime
    actor: str | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)


class SpecClarity(Frozen):
    signals: frozenset[SpecSignal] = frozenset()
    set_at: datetime | None = None

    @property
    def score(self) -> int:
        return len(self.signals)


class Workflow(Frozen):
    """One unit of work from approved request to verified outcome."""

    key: str = Field(min_length=1, max_length=200, pattern=r"^[^\s/\\][^\s]*$")
    title: str | None = None
    team: str | None = None
    owner: str | None = None
    value_usd: Money | None = None
    state: WorkflowState = WorkflowState.OPEN
    created_at: datetime = Field(default_factory=utcnow)
    transitions: tuple[Transition, ...] = ()
    evidence: Evidence | None = None
    spec: SpecClarity | None = None
    review_required: bool = False
    repo: str | None = None
    branch: str | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("value_usd")
    @classmethod
    def _value_non_negative(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise ValueError("value must not be negative")
        return value

    def reached(self, state: WorkflowState) -> datetime | None:
        """When the workflow (last) entered ``state``."""
        for transition in reversed(self.transitions):
            if transition.state == state:
                return transition.at
        return None

    @property
    def started_at(self) -> datetime:
        return self.reached(WorkflowState.OPEN) or self.created_at

    @property
    def merged_at(self) -> datetime | None:
        return self.reached(WorkflowState.MERGED)

    @property
    def verified_at(self) -> datetime | None:
        return self.reached(WorkflowState.VERIFIED)

    @property
    def clarity(self) -> int | None:
        return self.spec.score if self.spec is not None else None


class Region(Frozen):
    """A span of code an agent wrote. Text is never stored unless the team opted in."""

    id: str = Field(default_factory=new_id)
    workflow: str
    path: str
    start_line: NonNegInt
    end_line: NonNegInt
    content_hash: str
    line_hashes: tuple[str, ...] = ()
    original_text: str | None = None
    text: str | None = None
    agent: str = "unknown"
    model: str | None = None
    session: str | None = None
    tool_use_id: str | None = None
    tokens: NonNegInt = 0
    cost_usd: Money = Decimal(0)
    created_at: datetime = Field(default_factory=utcnow)
    state: RegionState = RegionState.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    source: str = "hook"
    attrs: dict[str, Any] = Field(default_factory=dict)

    @property
    def lines(self) -> int:
        return self.end_line - self.start_line + 1


class Incident(Frozen):
    """An escaped defect, linked to the workflows (and regions) that caused it."""

    id: str = Field(default_factory=new_id)
    workflows: tuple[str, ...] = Field(min_length=1)
    regions: tuple[str, ...] = ()
    link: str | None = None
    title: str | None = None
    severity: str | None = None
    remediation_hours: Decimal = Field(default=Decimal(0), ge=0)
    customer_impact: str | None = None
    people: tuple[str, ...] = ()
    opened_at: datetime = Field(default_factory=utcnow)
    heuristic: bool = False
    source: str = "manual"
    source_ref: str | None = None
