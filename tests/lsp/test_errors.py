"""Robustness: odd documents, bad settings and a broken store are logged; the server keeps serving."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .conftest import sample, start_editor, stop_editor

pytestmark = pytest.mark.asyncio


def logged(editor, text):
    return any(text in m.message for m in editor.client.log_messages + editor.client.messages)


async def test_non_file_huge_and_binary_documents_are_skipped(project):
    editor = await start_editor(project, init={"reviewer": "alice", "maxFileBytes": 1000})
    try:
        path = project.write("app.py", sample(6))
        project.region(path, 0, 1)
        editor.open(path, uri="untitled:Untitled-1")
        big = project.write("big.py", "x = 1\n" * 500)
        project.region(big, 0, 0)
        editor.open(big)
        binary = project.write("blob.bin", "a\x00b\n")
        editor.open(binary)
        await editor.round_trip()
        assert logged(editor, "only file:// documents") and logged(editor, "over the 1,000-byte limit") and logged(editor, "binary")
        found = await editor.diagnostics(editor.open(path))  # a normal file still works
        assert len(found) == 1
    finally:
        await stop_editor(editor)


async def test_bad_options_fall_back_to_defaults_with_a_message(project):
    editor = await start_editor(project, init={"reviewer": "alice", "severity": "loud", "pollInterval": -1})
    try:
        await editor.round_trip()
        assert any("severity" in m.message and "using the default" in m.message for m in editor.client.messages)
        path = project.write("app.py", sample(6))
        project.region(path, 0, 1)
        found = await editor.diagnostics(editor.open(path))
        assert found[0].severity == types.DiagnosticSeverity.Information
    finally:
        await stop_editor(editor)


async def test_unreadable_store_is_logged_and_serving_continues(project, tmp_path):
    broken = tmp_path / "not-a-store"
    broken.mkdir()
    (broken / "stray.txt").write_text("mine")
    editor = await start_editor(project, init={"reviewer": "alice", "store": str(broken)})
    try:
        path = project.write("app.py", sample(6))
        uri = editor.open(path)
        status = await editor.client.protocol.send_request_async("opledger/status", {"uri": uri})
        assert status.pending == 0
        assert logged(editor, "store unavailable") and logged(editor, "not an opledger store")
        hover = await editor.client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 0))
        )
        assert hover is None
        assert (broken / "stray.txt").read_text() == "mine"  # nothing written into it
    finally:
        await stop_editor(editor)


async def test_store_from_workspace_configuration(project, tmp_path):
    # The client names the store through workspace/configuration, not initializationOptions.
    editor = await start_editor(project, init={}, configuration={"opledger": {"store": project.env["OPLEDGER_STORE"], "reviewer": "carol"}})
    try:
        path = project.write("app.py", sample(6))
        region = project.region(path, 0, 1)
        uri = editor.open(path)
        await editor.diagnostics(uri)
        await editor.command("opledger.accept", uri=uri, region=region.id)
        assert project.store.get_region(region.id).decided_by == "carol"
    finally:
        await stop_editor(editor)
