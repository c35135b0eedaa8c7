"""Property tests for the delivery parsers: whatever the input, a result or one clear
``InvalidInput`` — never another exception — and counts that survive a round trip."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import quoteattr

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_core.errors import InvalidInput
from ledger_core.importers.coverage import parse_cobertura
from ledger_core.importers.delivery import agent_of, workflow_key
from ledger_core.importers.incidents import parse_event
from ledger_core.importers.junit import parse_junit
from ledger_core.models import Workflow

names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
outcomes = st.sampled_from(["pass", "failure", "error", "skipped"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, st.lists(outcomes, max_size=8), st.decimals(0, 10_000, places=3)), min_size=1, max_size=4), st.booleans())
def test_junit_counts_round_trip(suites, with_totals):
    xml = ["<testsuites>"]
    for name, cases, seconds in suites:
        counts = {k: cases.count(k) for k in ("failure", "error", "skipped")}
        totals = f' tests="{len(cases)}" failures="{counts["failure"]}" errors="{counts["error"]}" skipped="{counts["skipped"]}" time="{seconds}"' if with_totals else ""
        xml.append(f"<testsuite name={quoteattr(name)}{totals}>")
        for i, outcome in enumerate(cases):
            inner = "" if outcome == "pass" else f"<{outcome} message='x'/>"
            xml.append(f'<testcase classname="m" name="t{i}" time="0.5">{inner}</testcase>')
        xml.append("</testsuite>")
    xml.append("</testsuites>")
    parsed = parse_junit("".join(xml).encode())
    assert len(parsed) == len(suites)
    for suite, (name, cases, seconds) in zip(parsed, suites, strict=True):
        assert suite.name == name and suite.tests == len(cases)
        assert (suite.failures, suite.errors, suite.skipped) == (cases.count("failure"), cases.count("error"), cases.count("skipped"))
        assert suite.passed == cases.count("pass")
        assert suite.seconds == (seconds if with_totals else Decimal("0.5") * len(cases))
        assert len(suite.failed) == min(cases.count("failure") + cases.count("error"), 20)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_junit_and_cobertura_never_crash_on_garbage(data):
    for parse in (parse_junit, parse_cobertura):
        try:
            parse(data, "f.xml")
        except InvalidInput as exc:
            assert str(exc).startswith("f.xml: ")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.decimals(0, 1, places=4))
def test_cobertura_rates_round_trip(covered, extra, branch):
    valid = covered + extra
    rate = Decimal(covered) / Decimal(valid) if valid else Decimal(0)
    xml = f'<coverage line-rate="{rate:.6f}" branch-rate="{branch}" lines-covered="{covered}" lines-valid="{valid}" timestamp="1772614800000"/>'
    result = parse_cobertura(xml.encode())
    assert (result.lines_covered, result.lines_valid, result.branch_rate) == (covered, valid, branch)
    assert abs(result.line_rate - rate) < Decimal("0.000001")
    assert result.timestamp is not None and result.timestamp.year == 2026


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20), lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4), max_leaves=12)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "title", "opened_at", "event", "alert", "messages", "payload", "event_action", "commit", "service", "x"]), json_values, max_size=6))
def test_incident_payloads_parse_or_fail_clearly(payload):
    try:
        events = parse_event(payload, "p.json")
    except InvalidInput as exc:
        assert str(exc).startswith("p.json")
    else:
        assert all(e.opened_at.tzinfo is not None for e in events)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60) | st.none(), st.text(max_size=60) | st.none())
def test_workflow_key_is_always_a_valid_key(branch, title, body):
    key = workflow_key(branch=branch, title=title, body=body, repo="shop")
    if key is not None:
        Workflow(key=key)  # raises if the key breaks the workflow-key rule


def test_workflow_key_rule_examples():
    assert workflow_key(branch="feature/abc-123-login") == "ABC-123"
    assert workflow_key(branch="fix-12-typo", title="Typo (PAY-7)") == "PAY-7"
    assert workflow_key(branch="try-cache", body="Closes #42", repo="shop") == "shop#42"
    assert workflow_key(branch="release-2026") == "release-2026"
    assert agent_of("Claude <noreply@anthropic.com>") == "claude-code" and agent_of("Claudia Ruiz <c@x.org>") is None
