"""`opledger audit WF --format html -o FILE`, opened in headless Chromium from disk."""

from __future__ import annotations

import re

import pytest
from reports_ledger import AUDITED, TRICKY_TITLE, pct, usd

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def audit_page(team_ledger, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "audit.html"
    team_ledger.run("audit", AUDITED, "--format", "html", "-o", str(out))
    return out


def test_audit_page_loads_from_disk_without_errors_or_network(browser, audit_page, shots):
    page = browser.load(audit_page, screenshot=shots / "scripted-audit.png")
    assert page.console_errors == []
    assert page.requests == [page.url], "the page fetched something besides itself"
    assert (shots / "scripted-audit.png").read_bytes().startswith(b"\x89PNG")
    assert page.paint.get("first-contentful-paint") is not None


def test_audit_totals_reconcile_with_show_json(browser, team_ledger, audit_page):
    shown = team_ledger.json("show", AUDITED, "--json")
    text = browser.load(audit_page).text
    assert f"Total from prompt to verified outcome: {usd(shown['total_cost_usd'])}" in text
    invoice = shown["lines"]["inference"]["cost_usd"]
    share = invoice / shown["total_cost_usd"]
    assert re.search(rf"model invoice\s+{re.escape(usd(invoice))}\s+{re.escape(pct(share))} of the full cost", text)
    # every line with a cost appears in the waterfall's data table with that cost
    for line, totals in shown["lines"].items():
        if totals["cost_usd"]:
            assert re.search(rf"{line}\s+{re.escape(usd(totals['cost_usd']))}", text), line


def test_audit_walks_backward_with_evidence_regions_and_incident(browser, audit_page):
    text = browser.load(audit_page).text
    order = [text.index(s) for s in ("Verification", "Merge", "Review rounds and bounces", "Agent sessions", "Context preparation", "Incidents after merge")]
    assert order == sorted(order)
    for expected in ("ci-run-981", "test_retry_backoff", "test_idempotency_key",
                     "Double charge on retried payment", "sev2", "12 customers charged twice"):
        assert expected in text
    # the regions table: each region with its decision and the review minutes that decide() recorded
    assert re.search(r"src/payments/retry\.py\s+10–48.*accepted\s+dan.*18 min", text)
    assert re.search(r"src/payments/idempotency\.py\s+1–30.*rework\s+dan.*12 min.*missing context", text)
    assert re.search(r"src/payments/log\.py\s+5–12.*rejected\s+dan.*4 min", text)


def test_audit_escapes_ledger_text(browser, audit_page):
    session = browser.new_page()
    browser.send("Page.navigate", {"url": audit_page.resolve().as_uri()}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    assert TRICKY_TITLE in browser.evaluate(session, "document.querySelector('h1').innerText")
    assert browser.evaluate(session, "document.querySelectorAll('h1 b, script, link, iframe, img').length") == 0


def test_audit_is_self_contained_and_accessible(browser, audit_page):
    html = audit_page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", html), "a resource reference"
    assert "@import" not in html and not re.search(r"url\((?!#)", html)
    session = browser.new_page()
    browser.send("Page.navigate", {"url": audit_page.resolve().as_uri()}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    charts = browser.evaluate(session, """[...document.querySelectorAll('svg')].map(s => ({
        role: s.getAttribute('role'),
        labels: (s.getAttribute('aria-labelledby') || '').split(' ').map(id => (document.getElementById(id) || {}).textContent || null),
        table: !!s.closest('figure').querySelector('table')}))""")
    assert len(charts) == 3
    for chart in charts:
        assert chart["role"] == "img" and all(chart["labels"]) and len(chart["labels"]) == 2 and chart["table"]
    duplicate_ids = browser.evaluate(session, """(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
        return ids.filter((id, i) => ids.indexOf(id) !== i); })()""")
    assert duplicate_ids == []


def test_audit_prints_with_every_table_open(browser, audit_page, tmp_path):
    session = browser.new_page()
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
    browser.send("Page.navigate", {"url": audit_page.resolve().as_uri()}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    hidden = browser.evaluate(session, "[...document.querySelectorAll('details table')].filter(t => t.getBoundingClientRect().height === 0).length")
    assert browser.evaluate(session, "document.querySelectorAll('details table').length") > 0
    assert hidden == 0
    pdf = browser.send("Page.printToPDF", {"printBackground": True}, session=session)["data"]
    assert len(pdf) > 10_000


def test_audit_html_of_unknown_workflow_is_a_clean_error(team_ledger, tmp_path):
    out = tmp_path / "nope.html"
    result = team_ledger.run("audit", "NOPE-1", "--format", "html", "-o", str(out), check=False)
    assert result.returncode == 2 and "error:" in result.stderr and "NOPE-1" in result.stderr
    assert not out.exists()


def test_audit_html_to_an_unwritable_path_is_a_clean_error(team_ledger, tmp_path):
    result = team_ledger.run("audit", AUDITED, "--format", "html", "-o", str(tmp_path / "missing" / "a.html"), check=False)
    assert result.returncode == 2 and "error: cannot write -o" in result.stderr and "Traceback" not in result.stderr
