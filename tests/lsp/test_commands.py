"""workspace/executeCommand: accept, reject, rework, acceptAll, showLedger — checked on the ledger
afterwards with ``opledger show WF --json``."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from .conftest import WORKFLOW, sample, start_editor, stop_editor

pytestmark = pytest.mark.asyncio

COMMANDS = ["opledger.accept", "opledger.reject", "opledger.rework", "opledger.acceptAll", "opledger.showLedger"]


def entries_of(project, region_id):
    return sorted(((e.line.value, e.kind) for e in project.store.entries(workflow=WORKFLOW) if e.region == region_id))


async def test_every_command_is_announced(editor):
    # Neovim 0.11 sends a code action's command only when the server lists it here.
    assert sorted(editor.capabilities.execute_command_provider.commands) == sorted(COMMANDS)


async def test_accept_records_review_time_and_stops_showing(project, editor, ledger_of):
    path = project.write("app.py", sample(10))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    result = await editor.command("opledger.accept", uri=uri, region=region.id)
    assert result["ok"] and result["state"] == "accepted" and result["modifiedLines"] == 0
    await editor.diagnostics(uri, lambda d: d == [])
    ledger = ledger_of()
    [shown] = [r for r in ledger["regions"] if r["id"] == region.id]
    assert shown["state"] == "accepted" and shown["decided_by"] == "alice"
    assert ledger["lines"]["review"]["count"] == 1
    assert entries_of(project, region.id) == [("review", "region_accept")]
    review = next(e for e in project.store.entries(workflow=WORKFLOW) if e.region == region.id)
    assert review.actor == "alice" and review.role == "senior" and review.minutes >= 0


async def test_accept_by_position_counts_the_humans_changes_as_rework(project, editor, ledger_of):
    path = project.write("app.py", sample(10))
    region = project.region(path, 4, 7)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    editor.change(uri, (5, 4), (5, 10), "yield")  # the reviewer fixes one line of the agent's code
    result = await editor.command("opledger.accept", uri=uri, position={"line": 6, "character": 2})
    assert result["region"] == region.id and result["modifiedLines"] == 1
    assert entries_of(project, region.id) == [("review", "region_accept"), ("rework", "human_modification")]
    assert ledger_of()["regions"][0]["attrs"]["modified_lines"] == 1


async def test_reject_restores_the_original_text(project, editor, ledger_of):
    original = "def f2(x):\n    return 'old'\n"
    path = project.write("app.py", sample(10))
    region = project.region(path, 4, 5, original=original)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    result = await editor.command("opledger.reject", uri=uri, region=region.id)
    assert result["ok"] and result["restored"] is True
    lines = editor.text(uri).splitlines(keepends=True)
    assert "".join(lines[4:6]) == original and len(lines) == 10
    edit = editor.edits_applied[0].edit
    assert edit.document_changes[0].text_document.version == 1  # versioned: VS Code supports documentChanges
    assert entries_of(project, region.id) == [("review", "region_reject"), ("rework", "rejected_diff")]
    assert [r["state"] for r in ledger_of()["regions"]] == ["rejected"]
    await editor.diagnostics(uri, lambda d: d == [])


async def test_reject_declined_by_the_editor_records_nothing(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 0, 1, original="x = 1\n")
    uri = editor.open(path)
    await editor.diagnostics(uri)
    editor.refuse_edits = True
    result = await editor.command("opledger.reject", uri=uri, region=region.id)
    assert result["ok"] is False and "declined" in result["error"]
    assert project.store.get_region(region.id).state.value == "pending"
    assert entries_of(project, region.id) == []


async def test_reject_without_cached_original_still_records(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 0, 1)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    result = await editor.command("opledger.reject", uri=uri, region=region.id)
    assert result["ok"] and result["restored"] is False
    assert editor.edits_applied == []
    assert editor.text(uri) == sample(6)


async def test_rework_with_reason_is_a_bounce(project, editor, ledger_of):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    result = await editor.command("opledger.rework", uri=uri, region=region.id, reason="violates_invariant")
    assert result["state"] == "rework" and result["reason"] == "violates_invariant"
    bounce = next(e for e in project.store.entries(workflow=WORKFLOW) if e.line.value == "rework")
    assert bounce.kind == "bounce" and bounce.attrs["reason"] == "violates_invariant" and bounce.attrs["tokens_wasted"] == 1400
    ledger = ledger_of()
    assert ledger["metrics"]["bounces_per_workflow"] is not None or ledger["lines"]["rework"]["count"] == 1
    assert ledger["regions"][0]["reason"] == "violates_invariant"


async def test_rework_default_reason_is_other(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    assert (await editor.command("opledger.rework", uri=uri, region=region.id))["reason"] == "other"


async def test_accept_all_in_file(project, editor, ledger_of):
    path = project.write("app.py", sample(20))
    ids = {project.region(path, n, n + 1).id for n in (0, 6, 12)}
    uri = editor.open(path)
    await editor.diagnostics(uri, lambda d: len(d) == 3)
    result = await editor.command("opledger.acceptAll", uri=uri)
    assert result["ok"] and set(result["accepted"]) == ids and result["count"] == 3
    assert {r["state"] for r in ledger_of()["regions"]} == {"accepted"}
    await editor.diagnostics(uri, lambda d: d == [])


async def test_deciding_twice_is_refused_not_recorded(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    await editor.command("opledger.accept", uri=uri, region=region.id)
    again = await editor.command("opledger.reject", uri=uri, region=region.id)
    assert again["ok"] is False and "already accepted" in again["error"]
    assert len([e for e in project.store.entries(workflow=WORKFLOW) if e.region == region.id]) == 1
    assert any("already accepted" in m.message for m in editor.client.messages)


async def test_show_ledger_by_uri_and_by_workflow(project, editor, ledger_of):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    await editor.command("opledger.accept", uri=uri, region=region.id)
    by_uri = await editor.command("opledger.showLedger", uri=uri)
    by_key = await editor.command("opledger.showLedger", workflow=WORKFLOW)
    assert by_uri == by_key
    assert by_uri["workflow"] == WORKFLOW and by_uri["regions"] == {"accepted": 1}
    assert by_uri["total_cost_usd"] == str(ledger_of()["total_cost_usd"]) or float(by_uri["total_cost_usd"]) == float(ledger_of()["total_cost_usd"])
    assert by_uri["metrics"]["acceptance_rate"] in (1, 1.0, "1")
    assert any(m.message.startswith(f"opledger: {WORKFLOW}") for m in editor.client.messages)


@pytest.mark.parametrize(
    "arguments",
    [[], [{"uri": "file:///x.py"}], ["not an object"], [{"uri": "file:///x.py", "position": {"line": -1, "character": 0}}],
     [{"region": "R", "reason": "because"}], [{"a": 1}, {"b": 2}]],
)
async def test_malformed_arguments_are_invalid_params(project, editor, arguments):
    with pytest.raises(JsonRpcInvalidParams):
        await editor.client.workspace_execute_command_async(types.ExecuteCommandParams(command="opledger.rework", arguments=arguments))
    status = await editor.client.protocol.send_request_async("opledger/status", {"uri": "file:///x.py"})
    assert status.pending == 0  # still serving


async def test_neovim_profile_gets_unversioned_or_versioned_edit_it_can_apply(project):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3, original="restored = True\n")
    editor = await start_editor(project, "neovim")
    try:
        uri = editor.open(path)
        await editor.diagnostics(uri)
        assert (await editor.command("opledger.reject", uri=uri, region=region.id))["restored"] is True
        assert editor.text(uri).splitlines()[2] == "restored = True"
    finally:
        await stop_editor(editor)
