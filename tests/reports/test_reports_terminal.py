"""Terminal polish: bars and sparklines in `report` and `show`; `--json` stays clean for scripts."""

from __future__ import annotations

import json

from reports_ledger import AUDITED, usd

SPARKS = set("▁▂▃▄▅▆▇█")


def test_report_table_has_weekly_trend_with_bars_and_sparklines(team_ledger):
    data = team_ledger.json("report", "--json")
    out = team_ledger.run("report").stdout
    title = next(line for line in out.splitlines() if line.startswith("Weekly trend"))
    assert SPARKS & set(title), title
    for point in data["trend"]:
        row = next(line for line in out.splitlines() if line.strip().startswith(point["period"]))
        assert usd(point["total_cost_usd"]) in row and "█" in row
    assert "acceptance rate" in out and "█" in next(line for line in out.splitlines() if "rework rate" in line)


def test_show_table_has_invoice_and_full_cost_bars_and_daily_sparkline(team_ledger):
    shown = team_ledger.json("show", AUDITED, "--json")
    out = team_ledger.run("show", AUDITED).stdout
    full = next(line for line in out.splitlines() if line.startswith("full cost"))
    assert full.rstrip().endswith(usd(shown["total_cost_usd"])) and "█" * 20 in full
    daily = next(line for line in out.splitlines() if line.startswith("cost per day"))
    assert "2026-03-02…2026-03-06" in daily and SPARKS & set(daily)


def test_json_output_stays_clean_for_scripts(team_ledger):
    report = team_ledger.run("report", "--json").stdout
    assert "\x1b[" not in report and not SPARKS & set(report)
    # other features may add keys; these are the ones scripts rely on (DESIGN.md)
    assert {"period", "metrics", "generation", "lines", "clarity", "trend", "workflows"} <= set(json.loads(report))
    show = team_ledger.run("show", AUDITED, "--json").stdout
    assert "\x1b[" not in show
    assert {"workflow", "lines", "total_cost_usd", "metrics", "generation", "regions", "incidents"} <= set(json.loads(show))
    audit = json.loads(team_ledger.run("audit", AUDITED, "--format", "json").stdout)
    assert audit["total_cost_usd"] == json.loads(show)["total_cost_usd"]
