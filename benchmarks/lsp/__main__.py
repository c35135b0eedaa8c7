"""Run: ``python -m benchmarks.lsp [--rounds N]``. Prints p50/p95 in ms for diagnostics after
didOpen, codeAction at a region and a keystroke didChange (each followed by a round trip), beside
a bare pygls server's round trip measured in the same run."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

from ledger_core.ledger import ensure_workflow
from ledger_core.models import Region
from ledger_core.regions import content_hash, line_hashes
from ledger_core.store import EmbeddedStore

HERE = Path(__file__).parent
OPLEDGER = str(Path(sys.executable).with_name("opledger"))


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


async def client_for(cmd: list[str], env: dict[str, str]):
    client = make_test_lsp_client()
    await client.start_io(*cmd, env=env)
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    return client


async def bench(rounds: int) -> dict[str, tuple[float, float]]:
    tmp = Path(tempfile.mkdtemp(prefix="opledger-bench-lsp-"))
    store = EmbeddedStore(tmp / "store")
    ensure_workflow(store, "BENCH")
    lines = [f"    value_{i} = compute({i})  # line {i}\n" for i in range(10_000)]
    path = tmp / "big.py"
    path.write_text("".join(lines))
    regions = []
    for n in range(1000):
        start = n * 10
        text = "".join(lines[start : start + 3])
        regions.append(Region(workflow="BENCH", path=str(path), start_line=start, end_line=start + 2,
                              content_hash=content_hash(text), line_hashes=line_hashes(text), model="claude-sonnet-4-5", tokens=1400))
    store.put_regions(regions)
    env = dict(os.environ, OPLEDGER_STORE=str(store.root), OPLEDGER_CONFIG=str(tmp / "none.toml"), OPLEDGER_CACHE_DIR=str(tmp / "cache"))
    results: dict[str, list[float]] = {"bare round trip": [], "diagnostics after didOpen": [], "codeAction at a region": [], "keystroke didChange + round trip": []}

    bare = await client_for([sys.executable, str(HERE / "bare_server.py")], env)
    for _ in range(rounds * 5):
        t = time.perf_counter()
        await bare.protocol.send_request_async("bench/echo", {})
        results["bare round trip"].append(time.perf_counter() - t)
    await bare.shutdown_session()
    await bare.stop()

    client = await client_for([OPLEDGER, "lsp"], env)
    text = path.read_text()
    uri = path.as_uri()
    for i in range(rounds):
        client.diagnostics.pop(uri, None)
        t = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        while len(client.diagnostics.get(uri, ())) != 1000:
            await asyncio.sleep(0.0005)
        results["diagnostics after didOpen"].append(time.perf_counter() - t)
        if i < rounds - 1:
            client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    doc = types.TextDocumentIdentifier(uri=uri)
    for i in range(rounds * 5):
        line = (i * 37 % 1000) * 10 + 1
        rng = types.Range(start=types.Position(line, 0), end=types.Position(line, 0))
        t = time.perf_counter()
        await client.text_document_code_action_async(types.CodeActionParams(text_document=doc, range=rng, context=types.CodeActionContext(diagnostics=[])))
        results["codeAction at a region"].append(time.perf_counter() - t)
    version = 1
    for i in range(rounds * 5):
        version += 1
        line = 5000 + i % 3
        t = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=types.Position(line, 4), end=types.Position(line, 4)), text="x")]))
        await client.protocol.send_request_async("opledger/status", {"uri": "file:///none"})
        results["keystroke didChange + round trip"].append(time.perf_counter() - t)
    await client.shutdown_session()
    await client.stop()
    return {name: (p(v, 0.5), p(v, 0.95)) for name, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    figures = asyncio.run(bench(args.rounds))
    base = figures["bare round trip"][1]
    print(f"{'measure':36} {'p50 ms':>8} {'p95 ms':>8} {'p95 / bare':>10}")
    for name, (p50, p95) in figures.items():
        print(f"{name:36} {p50:8.2f} {p95:8.2f} {p95 / base:10.1f}")


if __name__ == "__main__":
    main()
