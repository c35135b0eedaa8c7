"""Data boundaries: an agent edit outside policy is flagged on the governance line and counted in reports."""

from __future__ import annotations

import json
from pathlib import Path

from ledger_core.config import Settings
from ledger_core.policy import check_edit

POLICY = Settings(
    sensitive_paths=["**/auth/**", "**/.env*", "infra/**"],
    allowed_models={"infra/**": ["claude-opus-*"], "**/payments/**": ["claude-opus-4-5", "gpt-5"]},
)


def test_sensitive_paths_and_allowed_models():
    assert check_edit(POLICY, "src/app/views.py", "claude-sonnet-4") is None
    auth = check_edit(POLICY, "/repo/src/auth/login.py", "claude-sonnet-4", root="/repo")
    assert auth is not None and auth.path == "src/auth/login.py" and auth.rule == "sensitive_paths['**/auth/**']"
    assert check_edit(POLICY, "infra/main.tf", "claude-opus-4-5") is None  # an allowed_models rule covers it
    denied = check_edit(POLICY, "infra/main.tf", "claude-sonnet-4")
    assert denied is not None and "may only be edited by claude-opus-*" in denied.message
    assert check_edit(POLICY, "svc/payments/charge.py", None) is not None  # unknown model on a restricted path
    assert check_edit(POLICY, "C:\\repo\\.env.local", "gpt-5", root="C:\\repo") is not None


def test_hook_edit_of_a_sensitive_file_becomes_a_policy_exception(opledger, opledger_json, ledger_env, tmp_path):
    repo = tmp_path / "repo"
    (repo / "src" / "auth").mkdir(parents=True)
    target = repo / "src" / "auth" / "tokens.py"
    target.write_text("def issue():\n    return 'x'\n")
    Path(ledger_env["OPLEDGER_CONFIG"]).write_text('workflow_map = {"*" = "W-AUTH"}\n')
    opledger("workflow", "start", "W-AUTH")
    payload = {
        "hook_event_name": "PostToolUse", "tool_name": "Write", "session_id": "s1", "tool_use_id": "toolu_1",
        "cwd": str(repo), "tool_input": {"file_path": str(target), "content": target.read_text()},
    }
    env = ledger_env | {"OPLEDGER_HOOK_SYNC": "1", "OPLEDGER_HOOK_LOG": str(tmp_path / "hook.log")}
    assert opledger("hook", "claude-code", input=json.dumps(payload), env=env).returncode == 0
    opledger("hook", "claude-code", input=json.dumps(payload), env=env)  # the same tool use again: counted once
    show = opledger_json("show", "W-AUTH", "--json")
    assert show["lines"]["governance"]["count"] == 1
    assert show["regions"] and "sensitive path" in show["regions"][0]["attrs"]["policy_exception"]
    report = opledger_json("report", "--json")
    assert report["policy_exceptions"] == 1
    assert "policy exception: src/auth/tokens.py is a sensitive path" in (tmp_path / "hook.log").read_text()
