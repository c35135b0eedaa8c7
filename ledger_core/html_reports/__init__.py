"""The Ledger Audit and the team report as one self-contained HTML file each.

Self-contained means: inline CSS, charts as inline SVG (from ``ledger_core.charts``), no
script, no font, no image or stylesheet fetched from anywhere, so the file works opened from
disk, attached to an email, and printed. Each chart carries ``<title>``/``<desc>`` and sits
beside its data as a table, so the numbers are readable without the picture.

Templates are Jinja2 with autoescaping on: every string from the ledger (titles, actors,
paths) is escaped; only the SVG this package produced is marked safe.

Depends on ledger_core's models, audit, report and charts; knows nothing of the CLI.
"""

from __future__ import annotations

from .render import audit_html, report_html

__all__ = ["audit_html", "report_html"]
