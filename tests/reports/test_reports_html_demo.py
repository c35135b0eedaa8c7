"""The scripted demo ledger (`opledger demo`, real agent transcripts) as HTML in headless Chromium."""

from __future__ import annotations

import re

import pytest
from reports_ledger import Ledger, isolated_env, pct, usd

from ledger_core.demo import DEMO_AUDIT_WORKFLOW

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Ledger:
    root = tmp_path_factory.mktemp("demo")
    ledger = Ledger(root, isolated_env(root))
    ledger.run("demo", "--into", str(root / "store"), "--quiet")
    return ledger


def test_demo_audit_renders_offline_and_reconciles_with_show_json(browser, demo, shots):
    out = demo.root / "audit.html"
    demo.run("audit", DEMO_AUDIT_WORKFLOW, "--format", "html", "-o", str(out))
    page = browser.load(out, screenshot=shots / "audit.png", shot_height=2200)
    assert page.console_errors == [] and page.requests == [page.url]
    assert (shots / "audit.png").read_bytes().startswith(b"\x89PNG")
    shown = demo.json("show", DEMO_AUDIT_WORKFLOW, "--json")
    total, invoice = shown["total_cost_usd"], shown["lines"]["inference"]["cost_usd"]
    assert f"Total from prompt to verified outcome: {usd(total)}" in page.text
    assert re.search(rf"model invoice\s+{re.escape(usd(invoice))}\s+{re.escape(pct(invoice / total))} of the full cost", page.text)
    for line, totals in shown["lines"].items():
        if totals["cost_usd"]:
            assert re.search(rf"{line}\s+{re.escape(usd(totals['cost_usd']))}", page.text), line
    for region in shown["regions"]:
        assert region["path"] in page.text


def test_demo_team_report_renders_offline_and_reconciles_with_report_json(browser, demo, shots):
    out = demo.root / "report.html"
    demo.run("report", "--format", "html", "-o", str(out))
    page = browser.load(out, screenshot=shots / "team-report.png", shot_height=2200)
    assert page.console_errors == [] and page.requests == [page.url]
    assert (shots / "team-report.png").read_bytes().startswith(b"\x89PNG")
    data = demo.json("report", "--json")
    m = data["metrics"]
    assert re.search(rf"cost per verified outcome\s+{re.escape(usd(m['cost_per_verified_outcome']))}\s+{m['verified_outcomes']} verified outcomes", page.text)
    assert re.search(rf"total cost\s+{re.escape(usd(m['total_cost_usd']))}", page.text)
    assert re.search(rf"invoice share\s+{re.escape(pct(m['invoice_share']))}", page.text)
    for row in data["workflows"][:15]:
        assert re.search(rf"{re.escape(row['key'])}\s.*{re.escape(usd(row['total_cost_usd']))}", page.text), row["key"]
