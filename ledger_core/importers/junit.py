"""JUnit XML (pytest ``--junitxml``, Maven Surefire, Jest, Go's gotestsum...) → ``evaluation`` entries.

One entry per test suite: test counts, failures, errors, skips and duration; the CI time is
priced at ``settings.ci_usd_per_minute`` (a runner rate, not a person's). The file's SHA-256
plus the suite's position is the idempotency key, so importing the same report twice records
it once while a re-run of the tests (a new report) is a new fact. Failure messages and output
are never stored; the names of failing tests are (they are evidence, not code).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field

from .. import ledger
from ..config import Settings
from ..errors import InvalidInput
from ..metrics import parse_moment
from ..models import Line
from ..store import Store
from .delivery import ImportReport

SOURCE = "junit"
MAX_FAILED_NAMES = 20


class Suite(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    tests: int = Field(ge=0)
    failures: int = Field(ge=0)
    errors: int = Field(ge=0)
    skipped: int = Field(ge=0)
    seconds: Decimal = Field(ge=0)
    timestamp: datetime | None = None
    failed: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return max(self.tests - self.failures - self.errors - self.skipped, 0)


def load_xml(data: bytes, where: str) -> Element:
    try:
        return fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        raise InvalidInput(f"{where}: not well-formed XML ({exc})") from exc


def _number(element: Element, name: str, where: str, kind: type = int) -> int | Decimal | None:
    text = element.get(name)
    if text is None or not text.strip():
        return None
    try:
        value = kind(text.strip().replace(",", ""))
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput(f"{where}: <{element.tag}> attribute {name}={text!r} is not a number") from exc
    if value < 0 or (kind is Decimal and not value.is_finite()):
        raise InvalidInput(f"{where}: <{element.tag}> attribute {name}={text!r} must be a non-negative number")
    return value


def _suite(element: Element, where: str, index: int) -> Suite:
    cases = element.findall("testcase")
    failed = [
        f"{c.get('classname') + '.' if c.get('classname') else ''}{c.get('name', '?')}"
        for c in cases if c.find("failure") is not None or c.find("error") is not None
    ]
    counted = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    values = {name: _number(element, name, where) for name in counted}
    if values["skipped"] is None:
        values["skipped"] = _number(element, "disabled", where)
    seconds = _number(element, "time", where, Decimal)
    if seconds is None:
        seconds = sum((_number(c, "time", where, Decimal) or Decimal(0) for c in cases), Decimal(0))
    stamp = element.get("timestamp")
    try:
        return Suite(
            name=element.get("name") or f"suite-{index + 1}",
            seconds=seconds,
            timestamp=parse_moment(stamp, what="timestamp") if stamp else None,
            failed=tuple(failed[:MAX_FAILED_NAMES]),
            **{name: counted[name] if values[name] is None else values[name] for name in counted},
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: <testsuite> {exc}") from exc


def parse_junit(data: bytes, where: str = "<junit>") -> list[Suite]:
    """The test suites of a JUnit XML report (``<testsuites>`` or a single ``<testsuite>``)."""
    root = load_xml(data, where)
    if root.tag == "testsuite":
        elements = [root]
    elif root.tag == "testsuites":
        elements = list(root.iter("testsuite"))
    else:
        raise InvalidInput(f"{where}: not a JUnit report (root element <{root.tag}>, expected <testsuites> or <testsuite>)")
    # A suite that only groups other suites would count their tests twice.
    return [_suite(e, where, i) for i, e in enumerate(elements) if e.find("testsuite") is None]


def import_files(store: Store, settings: Settings, paths: Sequence[Path], workflow: str, *, commit: str | None = None, at: datetime | None = None) -> ImportReport:
    """Import JUnit reports onto ``workflow``; every file is parsed before anything is stored."""
    store.get_workflow(workflow)
    report = ImportReport(source=SOURCE)
    parsed = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc
        suites = parse_junit(data, str(path))
        if not suites:
            report.skip(str(path), "no test suites in the report")
        parsed.append((path, hashlib.sha256(data).hexdigest(), suites))
    for path, digest, suites in parsed:
        for index, suite in enumerate(suites):
            minutes = suite.seconds / 60
            attrs = {
                "suite": suite.name, "tests": suite.tests, "passed": suite.passed, "failures": suite.failures,
                "errors": suite.errors, "skipped": suite.skipped, "duration_seconds": str(suite.seconds),
                "ci_minutes": str(minutes.quantize(Decimal("0.0001"))), "failed_tests": list(suite.failed),
                "file": path.name, "sha256": digest, "commit": commit,
            }
            report.add(ledger.record(
                store, settings, Line.EVALUATION, workflow, count=suite.tests, usd=(minutes * settings.ci_usd_per_minute).quantize(Decimal("0.000001")),
                kind="test_run", actor="ci", at=at or suite.timestamp, source=SOURCE, source_ref=f"{digest}:{index}", attrs=attrs,
            ))
    return report
