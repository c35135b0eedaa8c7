"""``opledger import junit`` and ``import coverage`` with reports produced here by running
pytest (``--junitxml``) under coverage.py on a tiny sample project."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

SAMPLE = {
    "calc.py": "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b')\n    return a / b\n\n\ndef unused():\n    return 1\n",
    "test_calc.py": (
        "import pytest\nfrom calc import add, div\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_div():\n    assert div(6, 3) == 2\n\n\ndef test_div_wrong():\n    assert div(1, 2) == 1\n\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_later():\n    pass\n"
    ),
    "pytest.ini": "[pytest]\n",
}


def make_reports(project: Path) -> dict[str, Path]:
    """Run the sample project's tests under coverage.py: real JUnit and Cobertura files."""
    project.mkdir(parents=True, exist_ok=True)
    for name, text in SAMPLE.items():
        (project / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))} | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    subprocess.run([sys.executable, "-m", "coverage", "run", "--branch", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "--junitxml=junit.xml", "test_calc.py"], cwd=project, env=env, capture_output=True, check=False)
    subprocess.run([sys.executable, "-m", "coverage", "xml", "-o", "coverage.xml", "--include=calc.py"], cwd=project, env=env, check=True, capture_output=True)
    return {"junit": project / "junit.xml", "coverage": project / "coverage.xml"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    return make_reports(tmp_path_factory.mktemp("sample"))


def test_junit_report_becomes_a_priced_evaluation_entry(reports, opledger, opledger_json, stored):
    opledger("workflow", "start", "ABC-9")
    report = opledger_json("import", "junit", str(reports["junit"]), "--workflow", "ABC-9", "--commit", "abc1234", "--json")
    assert report["stored"] == 1
    [entry] = stored.entries("ABC-9")
    attrs = entry["attrs"]
    assert (entry["line"], entry["kind"], entry["count"]) == ("evaluation", "test_run", 4)
    assert (attrs["tests"], attrs["passed"], attrs["failures"], attrs["errors"], attrs["skipped"]) == (4, 2, 1, 0, 1)
    assert attrs["failed_tests"] == ["test_calc.test_div_wrong"] and attrs["commit"] == "abc1234"
    seconds = Decimal(attrs["duration_seconds"])
    assert seconds > 0
    assert Decimal(entry["cost_usd"]) == (seconds / 60 * Decimal("0.008")).quantize(Decimal("0.000001"))
    again = opledger_json("import", "junit", str(reports["junit"]), "--workflow", "ABC-9", "--json")
    assert again["stored"] == 0 and again["duplicates"] == 1


def test_ci_rate_comes_from_the_config(reports, opledger, stored):
    opledger("workflow", "start", "ABC-9")
    opledger("config", "set", "ci_usd_per_minute", "0.5")
    opledger("import", "junit", str(reports["junit"]), "--workflow", "ABC-9")
    [entry] = stored.entries("ABC-9")
    assert Decimal(entry["cost_usd"]) == (Decimal(entry["attrs"]["duration_seconds"]) / 60 * Decimal("0.5")).quantize(Decimal("0.000001"))


def test_cobertura_report_becomes_a_coverage_entry(reports, opledger, opledger_json, stored):
    opledger("workflow", "start", "ABC-9")
    opledger("import", "coverage", str(reports["coverage"]), "--workflow", "ABC-9")
    [entry] = stored.entries("ABC-9")
    assert (entry["line"], entry["kind"], Decimal(entry["cost_usd"])) == ("evaluation", "coverage", 0)
    # calc.py: 8 statements, unused() body never ran (1 line) and the raise never ran (1 line).
    assert (entry["attrs"]["lines_covered"], entry["attrs"]["lines_valid"]) == (6, 8)
    assert entry["attrs"]["line_coverage_pct"] == "75.00"
    assert opledger_json("import", "coverage", str(reports["coverage"]), "--workflow", "ABC-9", "--json")["duplicates"] == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.xml", "<testsuite><testcase", "not well-formed XML"),
    ("html.xml", "<html><body/></html>", "not a JUnit report (root element <html>"),
    ("neg.xml", '<testsuite name="s" tests="-1"/>', 'attribute tests=\'-1\' must be a non-negative number'),
    ("bomb.xml", '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><testsuite name="&b;"/>', "not well-formed XML"),
])
def test_bad_junit_is_refused_and_nothing_stored(opledger, stored, tmp_path, name, content, message):
    opledger("workflow", "start", "ABC-9")
    good = tmp_path / "good.xml"
    good.write_text('<testsuite name="ok" tests="1" time="1"><testcase name="t"/></testsuite>')
    bad = tmp_path / name
    bad.write_text(content)
    result = opledger("import", "junit", str(good), str(bad), "--workflow", "ABC-9", check=False)
    assert result.returncode == 2 and message in result.stderr and name in result.stderr
    assert stored.entries("ABC-9") == []


def test_unknown_workflow_is_a_clear_error(reports, opledger):
    result = opledger("import", "coverage", str(reports["coverage"]), "--workflow", "NOPE-1", check=False)
    assert result.returncode == 2 and "unknown workflow 'NOPE-1'" in result.stderr
