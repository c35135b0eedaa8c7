"""Hover, code actions, code lenses and the ``opledger/status`` request."""

from __future__ import annotations

import ast

import pytest
from lsprotocol import types

from .conftest import WORKFLOW, sample

pytestmark = pytest.mark.asyncio


def doc(uri):
    return types.TextDocumentIdentifier(uri=uri)


async def test_hover_shows_provenance_without_text(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3, original="old\n", attrs={"prompt_summary": "SECRET PROMPT"})
    uri = editor.open(path)
    await editor.diagnostics(uri)
    hover = await editor.client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=types.Position(3, 4)))
    text = hover.contents.value
    for expected in ("claude-code", "claude-sonnet-4-5", "sess-1", "1.4k tokens", "$0.03", WORKFLOW, "pending review", "the original text"):
        assert expected in text
    assert "SECRET PROMPT" not in text  # the team does not store text
    assert (hover.range.start.line, hover.range.end.line) == (2, 3)
    outside = await editor.client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=types.Position(0, 0)))
    assert outside is None
    del region


async def test_code_actions_offer_every_decision_and_run_through_commands(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    diagnostics = await editor.diagnostics(uri)
    actions = await editor.client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc(uri), range=types.Range(start=types.Position(3, 0), end=types.Position(3, 0)),
                               context=types.CodeActionContext(diagnostics=diagnostics))
    )
    titles = [a.title for a in actions]
    assert titles[:2] == ["Accept agent edit", "Reject agent edit (original not cached)"]
    assert "Send back for rework… violates invariant" in titles and "Send back for rework… tests insufficient" in titles
    assert titles[-1] == "Accept all agent edits in file (1)"
    # pytest-lsp's client reads the CodeAction | Command union as a Command whose `command` is the
    # CodeAction's Command object printed as a string; read it back.
    calls = [ast.literal_eval(a.command) for a in actions]
    assert calls[0]["command"] == "opledger.accept" and calls[0]["arguments"] == [{"uri": uri, "region": region.id}]
    rework = next(c for c in calls if c["title"].endswith("missing context"))
    result = await editor.command(rework["command"], **rework["arguments"][0])
    assert result["state"] == "rework" and result["reason"] == "missing_context"
    none = await editor.client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc(uri), range=types.Range(start=types.Position(3, 0), end=types.Position(3, 0)),
                               context=types.CodeActionContext(diagnostics=[]))
    )
    assert not none


async def test_code_lens_and_status(project, editor):
    path = project.write("app.py", sample(10))
    other = project.write("other.py", sample(4))
    first = project.region(path, 0, 1)
    project.region(path, 4, 5)
    project.region(other, 0, 1)
    uri = editor.open(path)
    await editor.diagnostics(uri, lambda d: len(d) == 2)
    lenses = await editor.client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    assert [(lens.range.start.line, lens.command.command) for lens in lenses[:3]] == [
        (0, "opledger.accept"), (0, "opledger.reject"), (0, "opledger.rework")]
    assert list(lenses[0].command.arguments) == [{"uri": uri, "region": first.id}]
    status = await editor.client.protocol.send_request_async("opledger/status", {"uri": uri})
    assert (status.pending, status.pendingInFile, status.workflow) == (3, 2, WORKFLOW)
    await editor.command("opledger.accept", uri=uri, region=first.id)
    status = await editor.client.protocol.send_request_async("opledger/status", {"uri": uri})
    assert (status.pending, status.pendingInFile) == (2, 1)
