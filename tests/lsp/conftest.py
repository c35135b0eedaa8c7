"""Fixtures for the language server's end-to-end tests: a project file with agent regions in a
real store, and ``opledger lsp`` started as a subprocess driven by a pytest-lsp client that
behaves like an editor buffer (applies server edits and sends didChange back)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client
from pytest_lsp.client import LanguageClient

from ledger_core.ledger import ensure_workflow
from ledger_core.models import Region
from ledger_core.regions import content_hash, line_hashes, split_lines
from ledger_core.store import EmbeddedStore
from ledger_core.undo_cache import save_original
from lsp_server.uris import uri_of

OPLEDGER = str(Path(sys.executable).with_name("opledger"))
WORKFLOW = "WF-LSP"
PROFILES = {"vscode": "visual-studio-code", "neovim": "neovim@v0.11.0", "emacs": "emacs"}


@dataclass
class Project:
    root: Path
    env: dict[str, str]
    store: EmbeddedStore

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return path

    def region(
        self,
        path: Path,
        start: int,
        end: int,
        *,
        original: str | None = None,
        workflow: str = WORKFLOW,
        model: str = "claude-sonnet-4-5",
        tokens: int = 1400,
        cost: str = "0.03",
        at_line: int | None = None,
        **extra: Any,
    ) -> Region:
        """Record lines ``start..end`` (0-based, inclusive) of ``path`` as an agent edit, the
        way the PostToolUse hook does: hashes only, the replaced text in the local undo cache."""
        lines = path.read_text("utf-8").splitlines(keepends=True)
        text = "".join(lines[start : end + 1])
        region = Region(
            workflow=workflow,
            path=str(path),
            start_line=start if at_line is None else at_line,
            end_line=end if at_line is None else at_line + end - start,
            content_hash=content_hash(text),
            line_hashes=line_hashes(text),
            agent="claude-code",
            model=model,
            session="sess-1",
            tokens=tokens,
            cost_usd=Decimal(cost),
            **extra,
        )
        assert len(split_lines(text)) == end - start + 1
        self.store.put_regions([region])
        if original is not None:
            save_original(region.id, original)
        return region


@pytest.fixture
def project(tmp_path: Path, ledger_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Project:
    cache = tmp_path / "cache"
    ledger_env["OPLEDGER_CACHE_DIR"] = str(cache)
    monkeypatch.setenv("OPLEDGER_CACHE_DIR", str(cache))
    store = EmbeddedStore(ledger_env["OPLEDGER_STORE"])
    ensure_workflow(store, WORKFLOW, title="language server test")
    root = tmp_path / "repo"
    root.mkdir()
    return Project(root, ledger_env, store)


@dataclass
class Editor:
    """A pytest-lsp client with open buffers, as an editor would keep them."""

    client: LanguageClient
    buffers: dict[str, list[Any]] = field(default_factory=dict)  # uri -> [text, version]
    edits_applied: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    refuse_edits: bool = False
    capabilities: types.ServerCapabilities | None = None

    def open(self, path: Path | str, text: str | None = None, uri: str | None = None) -> str:
        uri = uri or uri_of(str(path))
        text = Path(path).read_text("utf-8") if text is None else text
        self.buffers[uri] = [text, 1]
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )
        return uri

    def text(self, uri: str) -> str:
        return self.buffers[uri][0]

    def change(self, uri: str, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        """An incremental edit, applied to our buffer and sent to the server."""
        buffer = self.buffers[uri]
        buffer[0] = apply_text_edit(buffer[0], start, end, new_text)
        buffer[1] += 1
        rng = types.Range(start=types.Position(*start), end=types.Position(*end))
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=buffer[1]),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)],
            )
        )

    def replace_all(self, uri: str, text: str) -> None:
        buffer = self.buffers[uri]
        buffer[0], buffer[1] = text, buffer[1] + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=buffer[1]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    async def diagnostics(self, uri: str, check: Callable[[list[types.Diagnostic]], bool] = bool, timeout: float = 5) -> list[types.Diagnostic]:
        """Wait until the diagnostics pushed for ``uri`` satisfy ``check``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = list(self.client.diagnostics.get(uri, []))
            if uri in self.client.diagnostics and check(found):
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"diagnostics for {uri} never satisfied the check; last: {found}")
            await asyncio.sleep(0.02)

    async def command(self, name: str, **arguments: Any) -> Any:
        return await self.client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=[arguments]))

    async def round_trip(self) -> None:
        """Every notification sent before this has been handled by the server."""
        await self.client.protocol.send_request_async("opledger/status", {"uri": "file:///"})


def apply_text_edit(text: str, start: tuple[int, int], end: tuple[int, int], new_text: str) -> str:
    return text[: offset(text, *start)] + new_text + text[offset(text, *end) :]


def offset(text: str, line: int, character: int) -> int:
    lines = text.splitlines(keepends=True)
    if line >= len(lines):
        return len(text)
    head = sum(len(x) for x in lines[:line])
    content = lines[line].rstrip("\r\n")
    # UTF-16 columns: the tests' texts keep to the BMP unless they say otherwise
    index, units = 0, 0
    while index < len(content) and units < character:
        units += 2 if ord(content[index]) > 0xFFFF else 1
        index += 1
    return head + index


def _apply_workspace_edit(editor: Editor, edit: types.WorkspaceEdit) -> None:
    changes: list[tuple[str, list[types.TextEdit]]] = []
    for doc_edit in edit.document_changes or []:
        uri = doc_edit.text_document.uri
        version = doc_edit.text_document.version
        if version is not None and version < editor.buffers[uri][1]:
            raise ValueError(f"stale edit for version {version}")
        changes.append((uri, list(doc_edit.edits)))
    changes += [(uri, list(edits)) for uri, edits in (edit.changes or {}).items()]
    for uri, edits in changes:
        for text_edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            r = text_edit.range
            editor.change(uri, (r.start.line, r.start.character), (r.end.line, r.end.character), text_edit.new_text)


def options(**extra: Any) -> dict[str, Any]:
    return {"reviewer": "alice", "role": "senior"} | extra


async def start_editor(project: Project, profile: str = "vscode", init: dict[str, Any] | None = None, configuration: dict | None = None) -> Editor:
    client = make_test_lsp_client()
    editor = Editor(client)
    if configuration is not None:
        client.set_configuration(configuration)

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        editor.edits_applied.append(params)
        if editor.refuse_edits:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="user declined")
        try:
            _apply_workspace_edit(editor, params.edit)
        except ValueError as exc:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.start_io(OPLEDGER, "lsp", env=project.env)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(PROFILES[profile]),
            root_uri=uri_of(str(project.root)),
            initialization_options=options() if init is None else init,
        )
    )
    editor.capabilities = result.capabilities
    return editor


async def stop_editor(editor: Editor) -> None:
    try:
        await asyncio.wait_for(editor.client.shutdown_session(), 10)
    finally:
        await editor.client.stop()


@pytest_asyncio.fixture
async def editor(project: Project) -> AsyncIterator[Editor]:
    editor = await start_editor(project)
    yield editor
    await stop_editor(editor)


@pytest.fixture
def ledger_of(opledger_json) -> Callable[[str], dict[str, Any]]:
    """The workflow's ledger as the CLI reports it (``opledger show WF --json``)."""
    return lambda workflow=WORKFLOW: opledger_json("show", workflow, "--json")


def sample(lines: int = 30) -> str:
    return "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(lines // 2))


def by_region(diagnostics: list[types.Diagnostic]) -> dict[str, types.Diagnostic]:
    return {d.data["region"]: d for d in diagnostics}

