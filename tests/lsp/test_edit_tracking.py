"""Property: through random edit sequences that leave a region's text alone, the diagnostics
(pulled after the edits) still point exactly at the region's text."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from .conftest import sample, start_editor, stop_editor

REGION = "def agent_wrote(x):\n    return x * 2\n"
counter = itertools.count()

edit = st.tuples(
    st.booleans(),  # above (True) or below the region
    st.floats(0, 1), st.floats(0, 1),
    st.sampled_from(["", "\n", "z", "a\nb\n", "\n\n\n", "é", "𝄞x", "\r\n"]),
)


@pytest.fixture
def session(project):
    loop = asyncio.new_event_loop()
    editor = loop.run_until_complete(start_editor(project, init={"reviewer": "alice", "diagnosticMode": "pull"}))
    yield project, editor, loop
    loop.run_until_complete(stop_editor(editor))
    loop.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(edit, min_size=1, max_size=12))
def test_regions_point_at_their_text_after_random_edits(session, edits):
    project, editor, loop = session
    body = sample(8)
    cut = body.index("def f2")
    path = project.write(f"f{next(counter)}.py", body[:cut] + REGION + body[cut:])
    start = body[:cut].count("\n")
    region = project.region(path, start, start + 1)
    uri = editor.open(path)
    for above, a, b, text in edits:
        current = editor.text(uri)
        begin = current.index(REGION)
        lo, hi = (0, max(begin - 1, 0)) if above and begin > 0 else (begin + len(REGION), len(current))
        x, y = sorted((lo + int(a * (hi - lo)), lo + int(b * (hi - lo))))
        editor.change(uri, position(current, x), position(current, y), text)
    report = loop.run_until_complete(
        editor.client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    )
    [found] = [d for d in report.items if d.data["region"] == region.id]
    lines = editor.text(uri).splitlines(keepends=True)
    assert "".join(lines[found.range.start.line : found.range.end.line + 1]) == REGION
    assert "changed by you" not in found.message


def position(text: str, offset: int) -> tuple[int, int]:
    head = text[:offset]
    line = head.count("\n")
    column = head[head.rfind("\n") + 1 :]
    return line, sum(2 if ord(c) > 0xFFFF else 1 for c in column)
