"""``python -m benchmarks [AREA ...]``: run benchmarks, then merge every area's figures into
docs/benchmarks.md. With no AREA, runs the store benchmark only (the others take minutes and
need their own services); ``all`` runs every area; ``--merge-only`` just rebuilds the page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = ["store", "importers", "lsp", "editors", "slack", "team", "delivery", "reports", "governance"]
ORDER = {name: n for n, name in enumerate(AREAS)}

HEADER = """# Benchmarks

Each area's figures, written by its benchmark (`python -m benchmarks AREA`, or `python -m
benchmarks all`). Targets come from the issues; every figure stands beside a baseline measured in
the same run, because the absolute numbers depend on the machine (and on what else it runs: most
of these were taken on a shared 2-core machine while other jobs ran, as each section notes).
Tests check correctness, not wall-clock time.

"""


def merge() -> Path:
    parts = sorted((ROOT / "docs" / "benchmarks").glob("*.md"), key=lambda p: ORDER.get(p.stem, 99))
    body = []
    for part in parts:
        text = part.read_text("utf-8").strip()
        # Each area's page starts with its own heading; nest it one level below the page title.
        lines = text.splitlines()
        if lines and lines[0].startswith("# "):
            lines[0] = "#" + lines[0]
        body.append("\n".join(lines))
    out = ROOT / "docs" / "benchmarks.md"
    out.write_text(HEADER + "\n\n".join(body) + "\n", "utf-8")
    return out


def main(argv: list[str]) -> int:
    wanted = [a for a in argv if not a.startswith("--")]
    if "--merge-only" not in argv:
        for area in AREAS if wanted == ["all"] else (wanted or ["store"]):
            if area not in ORDER:
                print(f"unknown benchmark area {area!r}; choose from {', '.join(AREAS)} or all", file=sys.stderr)
                return 2
            print(f"== benchmark: {area}", flush=True)
            status = subprocess.call([sys.executable, "-m", f"benchmarks.{area}"], cwd=ROOT)
            if status:
                return status
    print(f"wrote {merge()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
