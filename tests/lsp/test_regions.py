"""Regions & anchoring: placed by content hash, not by recorded line; superseded when gone;
followed through edits; found through symlinks."""

from __future__ import annotations

import os

import pytest

from .conftest import by_region, sample

pytestmark = pytest.mark.asyncio


async def test_anchoring_survives_lines_inserted_before_open_and_marks_gone_text_superseded(project, editor, ledger_of):
    path = project.write("app.py", sample(10))
    moved = project.region(path, 2, 3)
    gone = project.region(path, 6, 7)
    # After the agent's edit, someone inserts a header and rewrites f3 before the editor opens the file.
    lines = path.read_text().splitlines(keepends=True)
    lines[6:8] = ["def g3(y):\n", "    return 'rewritten'\n"]
    path.write_text("# header\n# more\n" + "".join(lines))
    uri = editor.open(path)
    found = by_region(await editor.diagnostics(uri))
    assert list(found) == [moved.id]
    assert (found[moved.id].range.start.line, found[moved.id].range.end.line) == (4, 5)
    await editor.round_trip()
    states = {r["id"]: r["state"] for r in ledger_of()["regions"]}
    assert states == {moved.id: "pending", gone.id: "superseded"}


async def test_regions_follow_incremental_edits(project, editor):
    path = project.write("app.py", sample(10))
    region = project.region(path, 4, 5)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    editor.change(uri, (0, 0), (0, 0), "import os\nimport sys\n\n")  # 3 lines above
    editor.change(uri, (9, 0), (11, 0), "")  # 2 lines below removed
    found = await editor.diagnostics(uri, lambda d: d and d[0].range.start.line == 7)
    assert (found[0].range.start.line, found[0].range.end.line) == (7, 8)
    editor.change(uri, (7, 0), (8, 0), "")  # the human deletes half the region
    found = await editor.diagnostics(uri, lambda d: d and "changed by you" in d[0].message)
    assert (found[0].range.start.line, found[0].range.end.line) == (7, 7)


async def test_reload_of_the_whole_buffer_re_anchors(project, editor):
    path = project.write("app.py", sample(10))
    region = project.region(path, 4, 5)
    uri = editor.open(path)
    await editor.diagnostics(uri)
    editor.replace_all(uri, "# reloaded from disk\n" * 5 + sample(10))
    found = await editor.diagnostics(uri, lambda d: d and d[0].range.start.line == 9)
    assert found[0].data["region"] == region.id and "changed by you" not in found[0].message


async def test_region_recorded_through_a_symlink_is_found(project, editor):
    real = project.write("src/app.py", sample(6))
    link = project.root / "link"
    os.symlink(project.root / "src", link)
    region = project.region(link / "app.py", 2, 3)  # the agent used the symlinked path
    found = await editor.diagnostics(editor.open(real))
    assert [d.data["region"] for d in found] == [region.id]


async def test_crlf_file_matches_hashes_of_lf_text(project, editor):
    path = project.write("app.py", sample(6))
    region = project.region(path, 2, 3)
    crlf = sample(6).replace("\n", "\r\n")
    found = await editor.diagnostics(editor.open(path, text=crlf))
    assert [d.data["region"] for d in found] == [region.id]
