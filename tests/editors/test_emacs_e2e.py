"""Emacs 28 + eglot 1.9 (Debian emacs-nox, elpa-eglot) drives the review scenario through opledger.el."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

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

DRIVER = os.path.join(os.path.dirname(__file__), "emacs_scenario.el")


def emacs_binary() -> str:
    path = editor_available(os.environ.get("OPLEDGER_TEST_EMACS") or shutil.which("emacs"), "Emacs")
    # --batch loads site-start, which puts Debian's elpa-eglot on the load path (-Q would not).
    probe = subprocess.run([path, "--batch", "--eval", "(require 'eglot)"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"eglot is not installed for {path} (Debian: apt-get install elpa-eglot): {probe.stderr.strip()[-200:]}")
    return path


def test_review_scenario_in_emacs(scenario: Scenario, opledger_json):
    scenario.env["OPLEDGER_TEST_FILE"] = str(scenario.file)
    seen = scenario.run_editor([emacs_binary(), "--batch", "-L", str(EDITORS / "emacs"), "-l", DRIVER])

    assert seen["major_mode"] == "python-mode"
    assert seen["server_command"] == ["opledger", "lsp"]
    assert_diagnostics_on_expected_lines(seen, scenario)
    assert seen["mode_line_installed"] is True
    assert seen["mode_line_before"] == f" [{WORKFLOW} 3/3 pending]"
    assert seen["mode_line_after"] == f" [{WORKFLOW} ✓]"
    assert seen["steps"] == ["accept", "reject", "rework"]
    assert seen["before_reject"].startswith("    return total(items)")
    assert seen["text"] == FINAL_AFTER_DECISIONS
    assert scenario.file.read_text("utf-8") == FINAL_AFTER_DECISIONS
    assert seen["ledger_is_object"] is True and WORKFLOW in seen["ledger_buffer"]

    assert_ledger_reflects_decisions(opledger_json, scenario, reason="missing_context")


def test_opledger_el_byte_compiles_without_warnings(tmp_path):
    source = tmp_path / "opledger.el"
    shutil.copy(EDITORS / "emacs" / "opledger.el", source)
    proc = subprocess.run(
        [emacs_binary(), "--batch", "--eval", "(setq byte-compile-error-on-warn t)", "-f", "batch-byte-compile", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "opledger.elc").exists()


def test_package_installs_from_the_file(tmp_path):
    """`package-install-file` is how Emacs users install a single-file package."""
    elpa = tmp_path / "elpa"
    proc = subprocess.run(
        [
            emacs_binary(),
            "--batch",
            "--eval",
            f"(progn (setq package-user-dir {json.dumps(str(elpa))}) (package-initialize)"
            f" (package-install-file {json.dumps(str(EDITORS / 'emacs' / 'opledger.el'))})"
            " (require 'opledger) (princ (format \"%s %s\" (featurep 'opledger) (commandp 'opledger-accept))))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("t t")
    assert list(elpa.glob("opledger-0.1.0/opledger.el"))
