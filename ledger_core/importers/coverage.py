"""Cobertura XML (coverage.py ``coverage xml``, JaCoCo converters, Istanbul) → an ``evaluation``
entry of kind ``coverage`` with line and branch coverage.

The run's CI time is priced by the JUnit import of the same run, so this entry carries no
cost: coverage is evidence, not a second bill. Idempotent by the file's SHA-256.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .. import ledger
from ..config import Settings
from ..errors import InvalidInput
from ..models import Line
from ..store import Store
from .delivery import ImportReport
from .junit import _number, load_xml

SOURCE = "cobertura"


class Coverage(BaseModel):
    model_config = ConfigDict(frozen=True)

    line_rate: Decimal = Field(ge=0, le=1)
    branch_rate: Decimal | None = Field(default=None, ge=0, le=1)
    lines_covered: int | None = None
    lines_valid: int | None = None
    branches_covered: int | None = None
    branches_valid: int | None = None
    files: int = 0
    timestamp: datetime | None = None

    @property
    def percent(self) -> Decimal:
        return (self.line_rate * 100).quantize(Decimal("0.01"))


def parse_cobertura(data: bytes, where: str = "<cobertura>") -> Coverage:
    root = load_xml(data, where)
    if root.tag != "coverage":
        raise InvalidInput(f"{where}: not a Cobertura report (root element <{root.tag}>, expected <coverage>)")
    values = {name: _number(root, name, where, Decimal) for name in ("line-rate", "branch-rate")}
    counts = {name: _number(root, name, where) for name in ("lines-covered", "lines-valid", "branches-covered", "branches-valid")}
    line_rate = values["line-rate"]
    if line_rate is None:
        if not counts["lines-valid"]:
            raise InvalidInput(f"{where}: <coverage> has neither line-rate nor lines-valid")
        line_rate = Decimal(counts["lines-covered"] or 0) / Decimal(counts["lines-valid"])
    for name, rate in (("line-rate", line_rate), ("branch-rate", values["branch-rate"])):
        if rate is not None and rate > 1:
            raise InvalidInput(f"{where}: <coverage> {name}={rate} is above 1")
    if counts["lines-valid"] is not None and (counts["lines-covered"] or 0) > counts["lines-valid"]:
        raise InvalidInput(f"{where}: <coverage> lines-covered is above lines-valid")
    stamp = _number(root, "timestamp", where)
    return Coverage(
        line_rate=line_rate,
        branch_rate=values["branch-rate"],
        lines_covered=counts["lines-covered"],
        lines_valid=counts["lines-valid"],
        branches_covered=counts["branches-covered"],
        branches_valid=counts["branches-valid"],
        files=len(root.findall(".//class")),
        # Cobertura timestamps are epoch milliseconds (coverage.py) or seconds (older tools).
        timestamp=datetime.fromtimestamp(stamp / 1000 if stamp > 10**11 else stamp, UTC) if stamp else None,
    )


def import_file(store: Store, settings: Settings, path: Path, workflow: str, *, commit: str | None = None, at: datetime | None = None) -> ImportReport:
    store.get_workflow(workflow)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
    result = parse_cobertura(data, str(path))
    digest = hashlib.sha256(data).hexdigest()
    report = ImportReport(source=SOURCE)
    attrs = {
        "line_rate": str(result.line_rate), "branch_rate": str(result.branch_rate) if result.branch_rate is not None else None,
        "line_coverage_pct": str(result.percent), "lines_covered": result.lines_covered, "lines_valid": result.lines_valid,
        "branches_covered": result.branches_covered, "branches_valid": result.branches_valid, "files": result.files,
        "file": path.name, "sha256": digest, "commit": commit,
    }
    report.add(ledger.record(
        store, settings, Line.EVALUATION, workflow, usd=Decimal(0), kind="coverage", actor="ci", at=at or result.timestamp,
        source=SOURCE, source_ref=digest, attrs=attrs,
    ))
    return report
