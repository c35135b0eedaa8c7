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
import gc
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

        super().__init__(
            "opledger", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental, protocol_cls=OpledgerProtocol
        )
        self.cli_store, self.cli_config = store, config
        self.options = ClientOptions()
        self.docs: dict[str, DocumentState] = {}
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._snapshot: Snapshot | None = None
        self._published: dict[str, tuple] = {}
        self._lens_ids: dict[str, frozenset[str]] = {}
        self._diagnostic_cache: dict[str, tuple[tuple, dict[str, Any], Region]] = {}
        self._marking: set[str] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self._opening: dict[str, asyncio.Task] = {}
        self._store_error: str | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opledger-store")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.features: list[str] = []
        self.on_initialized: list = []
        self.init_options: object = None

    # ------------------------------------------------------------------ messages
    def _off_loop(self) -> bool:
        return self._loop is not None and threading.get_ident() != self._loop_thread

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        if self._off_loop():  # the writer belongs to the loop
            self._loop.call_soon_threadsafe(self.log, message, kind)  # type: ignore[union-attr]
            return
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=f"opledger: {message}"))
        except Exception:  # no client attached (yet): nothing to tell
            pass

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        if self._off_loop():
            self._loop.call_soon_threadsafe(self.tell, message, kind)  # type: ignore[union-attr]
            return
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
        """The store, opened on first use; raises ``LedgerError`` while it cannot be opened.
        Only for functions running through ``in_store``."""
        if self._store is None:
            location = self.settings.store
            options = {"lock_timeout": min(self.settings.lock_timeout, 5.0)} if "://" not in location else {}
            self._store = open_store(location, **options)
            self.log(f"store {location}")
        return self._store

    def in_store(self, work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``work`` on the store thread. Submitted at once, so calls run in the order made."""
        loop = asyncio.get_running_loop()
        self._loop, self._loop_thread = loop, threading.get_ident()
        self.settings  # read on the loop: a bad config file is reported from here
        return loop.run_in_executor(self._io, work, *args)

    def spawn(self, work: Awaitable[Any], what: str) -> asyncio.Task:
        """Run a coroutine in the background; its failure is logged, never lost."""

        async def run() -> None:
            try:
                await work
            except Exception as exc:
                self.log(f"{what} failed: {exc!r}", types.MessageType.Error)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _reset_store(self) -> None:
        store, self._store, self._snapshot = self._store, None, None
        if store is not None:
            try:
                store.close()
            except Exception:
                pass

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

    def _read_regions(self, snapshot: Snapshot | None) -> Snapshot:
        # On the store thread. The embedded store's ``regions(path=...)`` reads the whole
        # regions file anyway, and paths must be compared after resolving symlinks, so every
        # region is read at once and grouped — only when the store's version moved.
        store = self.store
        version = store.version()
        if snapshot is not None and snapshot[0] == version:
            return snapshot
        grouped: dict[str, list[Region]] = {}
        for region in store.regions():
            grouped.setdefault(canonical(region.path), []).append(region)
        return version, grouped

    async def regions_by_path(self) -> dict[str, list[Region]]:
        """Every region, keyed by canonical path; re-read only when the store's version changes."""
        try:
            self._snapshot = await self.in_store(self._read_regions, self._snapshot)
        except (LedgerError, OSError) as exc:
            self.store_failed(exc)
            return self._snapshot[1] if self._snapshot else {}
        self._store_error = None
        return self._snapshot[1]

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
        if self._snapshot is not None:
            # Show what the last snapshot knows at once; the store is asked next, off the loop.
            self.place(doc, self._snapshot[1].get(doc.path, []))
            self.publish(doc)
        self._opening[uri] = self.spawn(self.resync(doc, settle=True), f"opening {path}")
        return doc

    async def ready(self, uri: str | None) -> None:
        """Wait until an open document has had the store's regions placed (first read after open)."""
        task = self._opening.get(uri) if uri else None
        if task is not None and not task.done():
            await asyncio.shield(task)

    def close_document(self, uri: str) -> None:
        self.docs.pop(uri, None)
        self._published.pop(uri, None)
        self._lens_ids.pop(uri, None)
        self._opening.pop(uri, None)
        timer = self._timers.pop(uri, None)
        if timer:
            timer.cancel()

    async def resync(self, doc: DocumentState, *, settle: bool) -> None:
        await self.sync(doc, settle=settle)
        if self.docs.get(doc.uri) is doc:
            self.publish(doc)

    def place(self, doc: DocumentState, regions: list[Region]) -> list[Region]:
        current = {r.id for r in regions}
        for gone in [rid for rid in doc.tracked if rid not in current]:
            del doc.tracked[gone]
        return doc.place(regions) + doc.retry_unanchored()

    async def sync(self, doc: DocumentState, *, settle: bool, grouped: dict[str, list[Region]] | None = None) -> None:
        """Place the store's regions for this file. With ``settle`` (the buffer was just read from
        disk), pending regions whose text is nowhere in the file are marked superseded."""
        if grouped is None:
            grouped = await self.regions_by_path()
        lost = self.place(doc, grouped.get(doc.path, []))
        lost = [r for r in lost if r.state == RegionState.PENDING]
        if not (settle and lost):
            return
        text = doc.text

        def supersede() -> list[Region]:
            if not self._matches_disk(doc.path, text):
                return []
            gone = [r.model_copy(update={"state": RegionState.SUPERSEDED}) for r in lost]
            self.store.put_regions(gone)
            return gone

        try:
            gone = await self.in_store(supersede)
        except (LedgerError, OSError) as exc:
            self.store_failed(exc)
            return
        for region in gone:
            doc.unanchored.pop(region.id, None)
        if gone:
            self.log(f"{len(gone)} agent region(s) in {doc.path} no longer in the file: marked superseded")

    def _matches_disk(self, path: str, text: str) -> bool:
        try:
            if os.path.getsize(path) > self.options.max_file_bytes:
                return False
            with open(path, encoding="utf-8", newline="") as handle:
                return handle.read() == text
        except (OSError, UnicodeDecodeError):
            return False

    def find(self, region_id: str) -> tuple[DocumentState, Tracked] | None:
        for doc in self.docs.values():
            if region_id in doc.tracked:
                return doc, doc.tracked[region_id]
        return None

    async def workflow_of(self, uri: str | None) -> str | None:
        """The workflow a file's agent edits belong to: its newest pending region's, else its newest."""
        path = path_of(uri) if uri else None
        if path is None:
            return None
        regions = (await self.regions_by_path()).get(path, [])
        if not regions:
            return None
        pending = [r for r in regions if r.state == RegionState.PENDING]
        return max(pending or regions, key=lambda r: r.created_at).workflow

    # ------------------------------------------------------------------ diagnostics
    def diagnostic_json(self, doc: DocumentState, pending: list[Tracked] | None = None) -> list[dict[str, Any]]:
        """The diagnostics of a document's pending regions, as JSON objects (see ``protocol.py``).
        Each is rebuilt only when its region, place or modified count changed."""
        severity = int(types.DiagnosticSeverity.Hint if self.options.severity == "hint" else types.DiagnosticSeverity.Information)
        cache = self._diagnostic_cache
        if len(cache) > 50_000:  # regions of files closed long ago
            cache.clear()
        result = []
        for tracked in doc.pending() if pending is None else pending:
            region = tracked.region
            key = (doc.uri, tracked.start, tracked.end, doc.line_length(tracked.end), doc.current_modified(tracked), severity)
            cached = cache.get(region.id)
            if cached is not None and cached[0] == key and cached[2] is region:
                result.append(cached[1])
                continue
            item = {
                "range": {
                    "start": {"line": tracked.start, "character": 0},
                    "end": {"line": tracked.end, "character": key[3]},
                },
                "message": diagnostic_message(region, key[4]),
                "severity": int(types.DiagnosticSeverity.Warning) if region.attrs.get("policy_exception") else severity,
                "source": SOURCE,
                "code": CODE,
                "data": {"region": region.id, "workflow": region.workflow, "state": region.state.value},
            }
            cache[region.id] = (key, item, region)
            result.append(item)
        return result

    def diagnostics(self, doc: DocumentState) -> list[types.Diagnostic]:
        """The same, as lsprotocol objects (for pull diagnostics)."""
        from pygls.protocol import default_converter

        converter = default_converter()
        return [converter.structure(item, types.Diagnostic) for item in self.diagnostic_json(doc)]

    def publish(self, doc: DocumentState, *, force: bool = False) -> None:
        pending = doc.pending()
        signature = tuple((t.region.id, t.start, t.end, t.region.state, doc.current_modified(t)) for t in pending)
        if not force and self._published.get(doc.uri) == signature:
            return
        self._published[doc.uri] = signature
        if self.options.diagnostic_mode == "push":
            params: dict[str, Any] = {"uri": doc.uri, "diagnostics": self.diagnostic_json(doc, pending)}
            if doc.version is not None:
                params["version"] = doc.version
            self.protocol.notify_json(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params)
        elif self._client_can_refresh("diagnostics"):
            self.workspace_diagnostic_refresh(None)
        # Lenses move with the text by themselves (clients re-ask after edits); a refresh is only
        # needed when regions appear or go.
        ids = frozenset(t.region.id for t in pending)
        if ids != self._lens_ids.get(doc.uri, frozenset()):
            self._lens_ids[doc.uri] = ids
            if self.options.code_lens and self._client_can_refresh("code_lens"):
                self.workspace_code_lens_refresh(None)
        self.mark_shown(doc, pending)

    def _client_can_refresh(self, what: str) -> bool:
        workspace = self.client_capabilities.workspace if self.client_capabilities else None
        section = getattr(workspace, what, None) if workspace else None
        return bool(section and section.refresh_support)

    def mark_shown(self, doc: DocumentState, pending: list[Tracked] | None = None) -> None:
        # The review clock starts when a person can first see the region.
        unseen = [
            t.region
            for t in (doc.pending() if pending is None else pending)
            if "first_shown_at" not in t.region.attrs and t.region.id not in self._marking
        ]
        if not unseen:
            return
        ids = {r.id for r in unseen}
        self._marking |= ids

        def write() -> list[Region]:
            from ledger_core.decisions import mark_shown  # the pricing tables load off the loop

            return mark_shown(self.store, unseen)

        try:
            done = self.in_store(write)
        except RuntimeError:  # no running loop (not serving): nothing to record against
            self._marking -= ids
            return

        async def settle() -> None:
            try:
                fresh = await done
            except (LedgerError, OSError) as exc:
                self.store_failed(exc)
                return
            finally:
                self._marking -= ids
            for region in fresh:
                tracked = doc.tracked.get(region.id)
                if tracked is not None and tracked.pending:
                    tracked.region = region

        self.spawn(settle(), "recording when regions were shown")

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

    def publish_all(self) -> None:
        for doc in list(self.docs.values()):
            self.publish(doc)

    async def refresh_all(self) -> None:
        """The store changed: place new regions and new states in every open document."""
        grouped = await self.regions_by_path()
        for doc in list(self.docs.values()):
            await self.sync(doc, settle=False, grouped=grouped)
            if self.docs.get(doc.uri) is doc:
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
    # Everything imported so far (lsprotocol's hundreds of classes, pydantic schemas) lives as
    # long as the process: keep it out of the collector's full passes, which otherwise stall
    # a didOpen for tens of milliseconds now and then.
    gc.freeze()
    return server
