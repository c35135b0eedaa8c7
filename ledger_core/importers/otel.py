"""OpenTelemetry GenAI spans (OTLP JSON, as the collector's file exporter writes) → model calls.

A span counts when it names a model (``gen_ai.request.model`` or ``gen_ai.response.model``)
and carries ``gen_ai.usage.*`` tokens. Following the GenAI semantic conventions,
``gen_ai.usage.input_tokens`` includes cached input, so cache reads
(``gen_ai.usage.cache_read.input_tokens``) and cache writes
(``gen_ai.usage.cache_creation.input_tokens``) are taken out of it. The session is
``gen_ai.conversation.id``; the workflow is ``opledger.workflow`` (span or resource), else
``--workflow``, else the branch in ``vcs.ref.head.name``, else ``unattributed``. The idempotency
key is the trace and span id. Files may hold one export object or one per line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..attribution import UNATTRIBUTED, Attributor, valid_key
from ..config import Settings
from ..ledger import ensure_workflow
from ..models import EntryDraft, Line, Tokens
from ..store import Store
from .summary import ImportSummary, SkipLog
from .token_prices import TokenPricer

SOURCE = "otel"
_CACHE_READ = ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")
_CACHE_WRITE = ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens")


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:  # OTLP JSON writes 64-bit ints as strings
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    return None


def attributes(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {a["key"]: _value(a.get("value")) for a in items if isinstance(a, dict) and isinstance(a.get("key"), str)}


def _int(attrs: dict[str, Any], *names: str) -> int:
    for name in names:
        value = attrs.get(name)
        if isinstance(value, (int, float)) and value >= 0:
            return int(value)
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return 0


def _documents(path: Path, skips: SkipLog) -> list[tuple[int, dict[str, Any]]]:
    raw = path.read_bytes()
    try:
        whole = orjson.loads(raw)
        return [(1, whole)] if isinstance(whole, dict) else []
    except orjson.JSONDecodeError:
        pass
    documents = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            skips.add(str(path), number, "malformed JSON")
            continue
        if isinstance(document, dict):
            documents.append((number, document))
        else:
            skips.add(str(path), number, "not an OTLP export object")
    return documents


def spans(document: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(resource attributes, span, span attributes) of every span in one OTLP export."""
    found = []
    for resource_spans in document.get("resourceSpans") or []:
        if not isinstance(resource_spans, dict):
            continue
        resource = attributes((resource_spans.get("resource") or {}).get("attributes"))
        for scope in resource_spans.get("scopeSpans") or []:
            for span in (scope or {}).get("spans") or [] if isinstance(scope, dict) else []:
                if isinstance(span, dict):
                    found.append((resource, span, attributes(span.get("attributes"))))
    return found


def import_paths(store: Store, settings: Settings, paths: list[Path], *, workflow: str | None = None, progress: Any = None) -> ImportSummary:
    files = sorted({p for root in paths for p in ([root] if root.is_file() else root.rglob("*.json*")) if p.is_file()})
    attributor = Attributor(store, settings, workflow=workflow)
    pricer = TokenPricer()
    skips = SkipLog()
    drafts: list[EntryDraft] = []
    created: dict[str, dict[str, Any]] = {}
    for path in files:
        for number, document in _documents(path, skips):
            for resource, span, attrs in spans(document):
                model = attrs.get("gen_ai.response.model") or attrs.get("gen_ai.request.model")
                if not isinstance(model, str) or not any(k.startswith("gen_ai.usage.") for k in attrs):
                    continue
                try:
                    ts = datetime.fromtimestamp(int(span.get("startTimeUnixNano")) / 1e9, UTC)
                except (TypeError, ValueError, OverflowError, OSError):
                    skips.add(str(path), number, f"span {span.get('spanId')}: bad startTimeUnixNano")
                    continue
                read, write = _int(attrs, *_CACHE_READ), _int(attrs, *_CACHE_WRITE)
                gross = _int(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
                tokens = Tokens(input=max(gross - read - write, 0), output=_int(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
                                cache_write_5m=write, cache_read=read)
                session = attrs.get("gen_ai.conversation.id") or resource.get("session.id")
                pinned = attrs.get("opledger.workflow") or resource.get("opledger.workflow")
                branch = attrs.get("vcs.ref.head.name") or resource.get("vcs.ref.head.name")
                key = pinned if isinstance(pinned, str) else attributor.workflow_for(session if isinstance(session, str) else None, None, branch if isinstance(branch, str) else None)
                key = key if valid_key(key) else UNATTRIBUTED
                created.setdefault(key, {"branch": branch} if isinstance(branch, str) else {})
                price = pricer.price(model, tokens, ts)
                drafts.append(EntryDraft(
                    ts=ts, workflow=key, line=Line.INFERENCE, kind="model_call", tokens=tokens, count=1,
                    cost_usd=price.cost_usd, unpriced=price.unpriced, model=model, price_version=price.price_version,
                    actor=str(attrs.get("gen_ai.agent.name") or resource.get("service.name") or "otel"), source=SOURCE,
                    source_ref=f"{span.get('traceId')}:{span.get('spanId')}", session=session if isinstance(session, str) else None,
                    attrs={"operation": attrs.get("gen_ai.operation.name")} if attrs.get("gen_ai.operation.name") else {},
                ))
    for key, fields in created.items():
        ensure_workflow(store, key, **fields)
    result = store.append(drafts)
    return ImportSummary(
        source=SOURCE, files=len(files), entries_added=len(result.stored), duplicates=len(result.duplicates),
        skipped=tuple(skips.items), skipped_count=skips.count, workflows=tuple(sorted(created)),
        sessions=len({d.session for d in drafts if d.session}),
    )
