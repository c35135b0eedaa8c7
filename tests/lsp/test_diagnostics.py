"""Diagnostics: every pending region is pushed as an Information diagnostic with its provenance."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .conftest import WORKFLOW, by_region, sample, start_editor, stop_editor

pytestmark = pytest.mark.asyncio


async def test_pending_regions_are_pushed_with_cost_and_data(project, editor):
    path = project.write("app.py", sample(20))
    first = project.region(path, 2, 3)
    second = project.region(path, 10, 13, model="gpt-5", tokens=250_000, cost="1.5")
    uri = editor.open(path)
    found = by_region(await editor.diagnostics(uri, lambda d: len(d) == 2))
    d1, d2 = found[first.id], found[second.id]
    assert (d1.range.start.line, d1.range.end.line) == (2, 3)
    assert d1.range.end.character == len("    return x + 1")
    assert d1.message == "agent edit · claude-sonnet-4-5 · 1.4k tokens · $0.03 · pending review"
    assert d1.severity == types.DiagnosticSeverity.Information
    assert (d1.source, d1.code) == ("opledger", "agent-edit")
    assert d1.data == {"region": first.id, "workflow": WORKFLOW, "state": "pending"}
    assert (d2.range.start.line, d2.range.end.line) == (10, 13)
    assert d2.message == "agent edit · gpt-5 · 250k tokens · $1.50 · pending review"


async def test_showing_a_region_starts_its_review_clock(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 0, 1)
    assert "first_shown_at" not in project.store.get_region(region.id).attrs
    await editor.diagnostics(editor.open(path))
    await editor.round_trip()
    assert "first_shown_at" in project.store.get_region(region.id).attrs


async def test_decided_and_other_files_regions_are_not_shown(project, editor):
    path = project.write("app.py", sample(10))
    other = project.write("other.py", sample(10))
    shown = project.region(path, 0, 1)
    project.region(path, 4, 5, state="accepted")
    project.region(other, 0, 1)
    found = await editor.diagnostics(editor.open(path))
    assert [d.data["region"] for d in found] == [shown.id]


async def test_hint_severity_when_the_client_asks(project):
    path = project.write("app.py", sample(6))
    project.region(path, 0, 1)
    editor = await start_editor(project, "neovim", init={"reviewer": "bob", "severity": "hint"})
    try:
        found = await editor.diagnostics(editor.open(path))
        assert found[0].severity == types.DiagnosticSeverity.Hint
    finally:
        await stop_editor(editor)


async def test_pull_diagnostics_only_when_configured(project):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    push = await start_editor(project, "vscode")
    try:
        assert push.capabilities.diagnostic_provider is None
    finally:
        await stop_editor(push)
    editor = await start_editor(project, "vscode", init={"diagnosticMode": "pull"})
    try:
        assert editor.capabilities.diagnostic_provider is not None
        uri = editor.open(path)
        report = await editor.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert [d.data["region"] for d in report.items] == [region.id]
        assert uri not in editor.client.diagnostics  # nothing pushed: no duplicates in VS Code
    finally:
        await stop_editor(editor)
