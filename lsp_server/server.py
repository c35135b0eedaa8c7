"""The server object: settings, the store, open documents and their regions, publishing.

Features (``lsp_server.features.*``) register their handlers on it and stay thin; everything
they share lives here. Any failure of the store or of one document is logged to the client
(``window/logMessage``) and the server keeps serving.

Store calls never run on the event loop: a locked embedded store or a slow team service must
not stall the editor. They run, in order, on one worker thread (``in_store``); the loop keeps
the documents and answers from the last region snapshot meanwhile. Because the worker is
first-in first-out, a request that goes through it answers after every store call queued
before it.
"""

from __future__ import annotations

import asyncio
import getpass
import importlib
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ledger_core.config import Settings, load_settings
from ledger_core.errors import LedgerError
from ledger_core.models import Region, RegionState
from ledger_core.store import Store, open_store

from .options import ClientOptions, parse_options
from .presentation import diagnostic_message
from .protocol import OpledgerProtocol
from .tracking import DocumentState, Tracked
from .uris import canonical, path_of

T = TypeVar("T")
Snapshot = tuple[str, dict[str, list[Region]]]

FEATURES = ("documents", "diagnostics", "hover", "code_actions", "code_lens", "commands", "status", "live", "configuration")
SOURCE = "opledger"
CODE = "agent-edit"
PUBLISH_DELAY = 0.05  # seconds: typing bursts are published once


class OpledgerServer(LanguageServer):
    def __init__(self, *, store: str | None = None, config: str | None = None) -> None:
        from . import __version__

        super().__init__("opledger", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.cli_store, self.cli_config = store, config
        self.options = ClientOptions()
        self.docs: dict[str, DocumentState] = {}
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._snapshot: tuple[str, dict[str, list[Region]]] | None = None
        self._published: dict[str, tuple] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._store_error: str | None = None
        self.features: list[str] = []
        self.on_initialized: list = []
        self.init_options: object = None

    # ------------------------------------------------------------------ messages
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"opledger: {message}"))
        except Exception:  # no client attached (yet): nothing to tell
            pass

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"opledger: {message}"))
        except Exception:
            pass

    # ------------------------------------------------------------------ settings and store
    def configure(self, raw: object) -> None:
        options, problems = parse_options(raw)
        for problem in problems:
            self.tell(problem, types.MessageType.Warning)
        if options != self.options:
            self.options = options
            self._settings = None
            self._reset_store()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            config = self.options.config or self.cli_config
            store = self.options.store or self.cli_store
            try:
                settings = load_settings(Path(config).expanduser() if config else None, store=store)
            except LedgerError as exc:
                self.tell(f"{exc}; using default settings", types.MessageType.Warning)
                settings = Settings(**({"store": store} if store else {}))
            if self.options.review_minutes_cap is not None:
                settings = settings.model_copy(update={"review_minutes_cap": self.options.review_minutes_cap})
            self._settings = settings
        return self._settings

    @property
    def store(self) -> Store:
        """The store, opened on first use; raises ``LedgerError`` while it cannot be opened."""
        if self._store is None:
            location = self.settings.store
            options = {"lock_timeout": min(self.settings.lock_timeout, 5.0)} if "://" not in location else {}
            self._store = open_store(location, **options)
            self.log(f"store {location}")
        return self._store

    def _reset_store(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                pass
        self._store, self._snapshot = None, None

    @property
    def reviewer(self) -> str:
        if self.options.reviewer:
            return self.options.reviewer
        try:
            return getpass.getuser()
        except Exception:
            return "unknown"

    def store_failed(self, exc: Exception) -> None:
        """Log a store problem once per distinct message (a locked store would flood the log)."""
        message = str(exc)
        if message != self._store_error:
            self._store_error = message
            self.log(f"store unavailable: {message}; will retry", types.MessageType.Error)

    def regions_by_path(self) -> dict[str, list[Region]]:
        """Every region, keyed by canonical path; re-read only when the store's version changes."""
        try:
            store = self.store
            version = store.version()
            if self._snapshot is not None and self._snapshot[0] == version:
                return self._snapshot[1]
            grouped: dict[str, list[Region]] = {}
            for region in store.regions():
                grouped.setdefault(canonical(region.path), []).append(region)
        except (LedgerError, OSError) as exc:
            self.store_failed(exc)
            return self._snapshot[1] if self._snapshot else {}
        self._store_error = None
        self._snapshot = (version, grouped)
        return grouped

    # ------------------------------------------------------------------ documents
    def open_document(self, uri: str, text: str, version: int | None) -> DocumentState | None:
        path = path_of(uri)
        if path is None:
            self.log(f"not tracking {uri}: only file:// documents have agent regions", types.MessageType.Log)
            return None
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.options.max_file_bytes:
            self.log(f"skipping {path}: {size:,} bytes is over the {self.options.max_file_bytes:,}-byte limit (maxFileBytes)", types.MessageType.Warning)
            return None
        if "\x00" in text:
            self.log(f"skipping {path}: binary content", types.MessageType.Warning)
            return None
        doc = DocumentState.from_text(uri, path, text, version)
        self.docs[uri] = doc
        self.sync(doc, settle=True)
        self.publish(doc)
        return doc

    def close_document(self, uri: str) -> None:
        self.docs.pop(uri, None)
        self._published.pop(uri, None)
        timer = self._timers.pop(uri, None)
        if timer:
            timer.cancel()

    def sync(self, doc: DocumentState, *, settle: bool) -> None:
        """Place the store's regions for this file. With ``settle`` (the buffer was just read from
        disk), pending regions whose text is nowhere in the file are marked superseded."""
        regions = self.regions_by_path().get(doc.path, [])
        current = {r.id for r in regions}
        for gone in [rid for rid in doc.tracked if rid not in current]:
            del doc.tracked[gone]
        lost = doc.place(regions) + doc.retry_unanchored()
        if settle and lost and self._matches_disk(doc):
            gone = [r.model_copy(update={"state": RegionState.SUPERSEDED}) for r in lost if r.state == RegionState.PENDING]
            try:
                self.store.put_regions(gone)
            except (LedgerError, OSError) as exc:
                self.store_failed(exc)
                return
            for region in gone:
                doc.unanchored.pop(region.id, None)
            if gone:
                self.log(f"{len(gone)} agent region(s) in {doc.path} no longer in the file: marked superseded")

    def _matches_disk(self, doc: DocumentState) -> bool:
        try:
            if os.path.getsize(doc.path) > self.options.max_file_bytes:
                return False
            with open(doc.path, encoding="utf-8", newline="") as handle:
                return handle.read() == doc.text
        except (OSError, UnicodeDecodeError):
            return False

    def find(self, region_id: str) -> tuple[DocumentState, Tracked] | None:
        for doc in self.docs.values():
            if region_id in doc.tracked:
                return doc, doc.tracked[region_id]
        return None

    def workflow_of(self, uri: str | None) -> str | None:
        """The workflow a file's agent edits belong to: its newest pending region's, else its newest."""
        path = path_of(uri) if uri else None
        if path is None:
            return None
        regions = self.regions_by_path().get(path, [])
        if not regions:
            return None
        pending = [r for r in regions if r.state == RegionState.PENDING]
        return max(pending or regions, key=lambda r: r.created_at).workflow

    # ------------------------------------------------------------------ diagnostics
    def diagnostics(self, doc: DocumentState) -> list[types.Diagnostic]:
        severity = types.DiagnosticSeverity.Hint if self.options.severity == "hint" else types.DiagnosticSeverity.Information
        result = []
        for tracked in doc.pending():
            region = tracked.region
            result.append(
                types.Diagnostic(
                    range=types.Range(
                        start=types.Position(line=tracked.start, character=0),
                        end=types.Position(line=tracked.end, character=doc.line_length(tracked.end)),
                    ),
                    message=diagnostic_message(region, doc.current_modified(tracked)),
                    severity=types.DiagnosticSeverity.Warning if region.attrs.get("policy_exception") else severity,
                    source=SOURCE,
                    code=CODE,
                    data={"region": region.id, "workflow": region.workflow, "state": region.state.value},
                )
            )
        return result

    def publish(self, doc: DocumentState, *, force: bool = False) -> None:
        signature = tuple((t.region.id, t.start, t.end, t.region.state, doc.current_modified(t)) for t in doc.pending())
        if not force and self._published.get(doc.uri) == signature:
            return
        self._published[doc.uri] = signature
        if self.options.diagnostic_mode == "push":
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=doc.uri, version=doc.version, diagnostics=self.diagnostics(doc))
            )
        elif self._client_can_refresh("diagnostics"):
            self.workspace_diagnostic_refresh(None)
        if self.options.code_lens and self._client_can_refresh("code_lens"):
            self.workspace_code_lens_refresh(None)
        self._mark_shown(doc)

    def _client_can_refresh(self, what: str) -> bool:
        workspace = self.client_capabilities.workspace if self.client_capabilities else None
        section = getattr(workspace, what, None) if workspace else None
        return bool(section and section.refresh_support)

    def _mark_shown(self, doc: DocumentState) -> None:
        # The review clock starts when a person can first see the region.
        unseen = [t.region for t in doc.pending() if "first_shown_at" not in t.region.attrs]
        if not unseen:
            return
        try:
            for region in mark_shown(self.store, unseen):
                doc.tracked[region.id].region = region
        except (LedgerError, OSError) as exc:
            self.store_failed(exc)

    def schedule_publish(self, doc: DocumentState) -> None:
        timer = self._timers.pop(doc.uri, None)
        if timer:
            timer.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.publish(doc)
            return
        self._timers[doc.uri] = loop.call_later(PUBLISH_DELAY, self._publish_later, doc.uri)

    def _publish_later(self, uri: str) -> None:
        self._timers.pop(uri, None)
        doc = self.docs.get(uri)
        if doc is None:
            return
        try:
            if doc.unanchored:
                doc.retry_unanchored()
            self.publish(doc)
        except Exception as exc:  # a timer callback has no one else to report to
            self.log(f"publishing {uri} failed: {exc!r}", types.MessageType.Error)

    def refresh_all(self) -> None:
        """The store changed: place new regions and new states in every open document."""
        for doc in list(self.docs.values()):
            self.sync(doc, settle=False)
            self.publish(doc)

    # ------------------------------------------------------------------ assembly
    def load_features(self) -> None:
        for name in FEATURES:
            try:
                importlib.import_module(f"{__package__}.features.{name}").register(self)
                self.features.append(name)
            except Exception as exc:  # one broken feature must not take the others down
                self.log(f"feature {name} disabled: {exc!r}", types.MessageType.Error)


def build_server(*, store: str | None = None, config: str | None = None) -> OpledgerServer:
    server = OpledgerServer(store=store, config=config)
    server.load_features()
    return server
