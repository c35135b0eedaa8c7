"""`opledger report --format html -o FILE`, opened in headless Chromium from disk."""

from __future__ import annotations

import re

import pytest
from reports_ledger import pct, usd

pytestmark = pytest.mark.browser

REQUIRED = (
    "Cost and value per verified outcome, by week",
    "Model invoice vs. full cost, by week",
    "Acceptance, rework and defect-escape rates",
    "Cycle time distribution",
    "costliest workflows",
    "Context-prep cost vs. rework cost per workflow",
    "Cost per verified outcome and rework rate by spec clarity",
    "Generation: activity, not value",
)


@pytest.fixture(scope="module")
def team_page(team_ledger, tmp_path_factory):
    out = tmp_path_factory.mktemp("team") / "report.html"
    team_ledger.run("report", "--format", "html", "-o", str(out))
    return out


def test_team_report_loads_from_disk_without_errors_or_network(browser, team_page, shots):
    page = browser.load(team_page, screenshot=shots / "scripted-team-report.png")
    assert page.console_errors == []
    assert page.requests == [page.url]
    assert (shots / "scripted-team-report.png").stat().st_size > 50_000
    for heading in REQUIRED:
        assert heading in page.text, heading


def test_team_report_totals_reconcile_with_report_json(browser, team_ledger, team_page):
    data = team_ledger.json("report", "--json")
    m = data["metrics"]
    text = browser.load(team_page).text
    assert re.search(rf"cost per verified outcome\s+{re.escape(usd(m['cost_per_verified_outcome']))}\s+{m['verified_outcomes']} verified outcomes", text)
    assert re.search(rf"value per verified outcome\s+{re.escape(usd(m['value_per_verified_outcome']))}", text)
    assert re.search(rf"total cost\s+{re.escape(usd(m['total_cost_usd']))}", text)
    assert re.search(rf"model invoice\s+{re.escape(usd(data['lines']['inference']))}\s+{re.escape(pct(m['invoice_share']))} of the full cost", text)
    for name in ("acceptance_rate", "rework_rate", "defect_escape_rate", "context_prep_share"):
        assert re.search(rf"{name.replace('_', ' ').replace('context prep', 'context-prep')}\s+{re.escape(pct(m[name]))}", text), name
    # the clarity breakdown and the weekly trend, row by row
    for bucket in data["clarity"]:
        label = "unset" if bucket["clarity"] is None else f"{bucket['clarity']}/5"
        assert re.search(rf"{label}\s+{bucket['workflows']}\s+{bucket['verified_outcomes']}\s+{re.escape(usd(bucket['cost_per_verified_outcome']) if bucket['cost_per_verified_outcome'] is not None else '—')}", text), label
    for point in data["trend"]:
        assert re.search(rf"{point['period']}\s+{re.escape(usd(point['total_cost_usd']))}", text), point["period"]
    # each workflow of the costliest table, with its full cost
    for row in data["workflows"]:
        assert re.search(rf"{row['key']}\s.*{re.escape(usd(row['total_cost_usd']))}", text), row["key"]


def test_generation_metrics_sit_apart_from_outcomes(browser, team_ledger, team_page):
    generation = team_ledger.json("report", "--json")["generation"]
    session = browser.new_page()
    browser.send("Page.navigate", {"url": team_page.resolve().as_uri()}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    apart = browser.evaluate(session, "document.querySelector('section.generation').innerText")
    outcomes = browser.evaluate(session, "document.querySelector('section[aria-labelledby=h-outcomes]').innerText")
    assert f"{generation['tokens']:,}" in apart and "model calls" in apart
    assert "token" not in outcomes.lower()
    charts = browser.evaluate(session, "document.querySelectorAll('svg[role=img]').length")
    assert charts == 9


def test_team_filter_and_period_reach_the_html(browser, team_ledger, tmp_path):
    out = tmp_path / "payments.html"
    team_ledger.run("report", "--team", "payments", "--since", "2026-03-02", "--until", "2026-03-09", "--format", "html", "-o", str(out))
    page = browser.load(out)
    assert page.console_errors == [] and page.requests == [page.url]
    assert "Team report · payments" in page.text and "2026-03-02..2026-03-09" in page.text
    assert "SRCH-7" not in page.text and "PAY-101" in page.text
    data = team_ledger.json("report", "--team", "payments", "--since", "2026-03-02", "--until", "2026-03-09", "--json")
    assert re.search(rf"total cost\s+{re.escape(usd(data['metrics']['total_cost_usd']))}", page.text)


def test_empty_ledger_renders_a_readable_page(browser, empty_ledger, tmp_path):
    out = tmp_path / "empty.html"
    empty_ledger.run("report", "--format", "html", "-o", str(out))
    page = browser.load(out)
    assert page.console_errors == [] and page.requests == [page.url]
    assert "No data to chart for this period." in page.text
    assert re.search(r"cost per verified outcome\s+—", page.text)


def test_html_to_stdout_and_bad_format(team_ledger):
    html = team_ledger.run("report", "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    bad = team_ledger.run("report", "--format", "pdf", check=False)
    assert bad.returncode == 2 and "pdf" in bad.stderr
