"""Run: ``python -m benchmarks.lsp [--rounds N]``.

A 10,000-line file with 1,000 pending agent regions in an embedded store, driven over stdio by
a pytest-lsp client with VS Code's capabilities. Prints p50/p95/max in ms, each beside a bare
pygls server's request round trip measured in the same run (the machine is shared, so ratios
are the comparable figures):

* startup: spawning the process until ``initialize`` is answered (vs. the bare server's);
* diagnostics after didOpen: sending didOpen until the client holds the 1,000 diagnostics
  (client-observed, includes pytest-lsp decoding them into lsprotocol objects); until the
  message has arrived and been parsed as JSON, before that decoding; and the server's own part
  (parsing the didOpen to writing publishDiagnostics);
* codeAction at a region: the client's request round trip;
* keystroke didChange: the server's handling time as its stopwatch reports it
  (``timed_server.py``: JSON parse to end of the synchronous handler), and, as a cross-check,
  didChange + a status round trip minus a bare status round trip on the same server;
* the debounced republish of 1,000 diagnostics after a typing pause (server-side).
"""

from __future__ import annotations

import argparse
import asyncio
import math
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
TARGETS = {"diagnostics after didOpen": 50.0, "codeAction at a region": 10.0, "keystroke didChange (server)": 5.0}


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


async def client_for(cmd: list[str], env: dict[str, str]):
    client = make_test_lsp_client()

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params: None) -> None:  # VS Code re-asks for lenses; nothing to do here
        return None

    started = time.perf_counter()
    await client.start_io(*cmd, env=env)
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    return client, time.perf_counter() - started


async def stop(client) -> None:
    await client.shutdown_session()
    await client.stop()


def make_store(tmp: Path) -> tuple[EmbeddedStore, Path]:
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
    return store, path


async def bench(rounds: int) -> dict[str, list[float]]:
    tmp = Path(tempfile.mkdtemp(prefix="opledger-bench-lsp-"))
    store, path = make_store(tmp)
    env = dict(os.environ, OPLEDGER_STORE=str(store.root), OPLEDGER_CONFIG=str(tmp / "none.toml"), OPLEDGER_CACHE_DIR=str(tmp / "cache"))
    results: dict[str, list[float]] = {}
    bare_cmd = [sys.executable, str(HERE / "bare_server.py")]

    # Startup, alternating so all see the same load. "Every CLI module" is how `opledger lsp`
    # started before entry.only_command: the whole CLI imported, then the server.
    every_module = [sys.executable, "-c", "import sys; sys.argv = ['opledger', 'lsp']; from ledger_core.cli import run; run()"]
    for _ in range(5):
        for name, cmd in (
            ("startup: bare pygls server", bare_cmd),
            ("startup: opledger lsp", [OPLEDGER, "lsp"]),
            ("startup: opledger lsp importing every CLI module", every_module),
        ):
            client, took = await client_for(cmd, env)
            results.setdefault(name, []).append(took)
            await stop(client)

    bare, _ = await client_for(bare_cmd, env)
    for _ in range(rounds * 5):
        t = time.perf_counter()
        await bare.protocol.send_request_async("bench/echo", {})
        results.setdefault("bare round trip", []).append(time.perf_counter() - t)
    await stop(bare)

    client, _ = await client_for([sys.executable, str(HERE / "timed_server.py")], env)
    received: list[float] = []
    structure = client.protocol.structure_message

    def noting_arrival(data):  # the whole message is parsed JSON here; lsprotocol decoding follows
        if isinstance(data, dict) and data.get("method") == "textDocument/publishDiagnostics" and data["params"]["diagnostics"]:
            received.append(time.perf_counter())
        return structure(data)

    client.protocol.structure_message = noting_arrival
    text = path.read_text()
    uri = path.as_uri()
    for i in range(rounds):
        client.diagnostics.pop(uri, None)
        received.clear()
        t = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        results.setdefault("client encoding + writing the didOpen (400 kB)", []).append(time.perf_counter() - t)
        while len(client.diagnostics.get(uri, ())) != 1000:
            await asyncio.sleep(0.0002)
        results.setdefault("diagnostics after didOpen", []).append(time.perf_counter() - t)
        results.setdefault("diagnostics after didOpen (received, before decoding)", []).append(received[0] - t)
        if i < rounds - 1:
            client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        await asyncio.sleep(0.02)  # let the server record "shown" before the next open
    doc = types.TextDocumentIdentifier(uri=uri)
    for i in range(rounds * 5):
        line = (i * 37 % 1000) * 10 + 1
        rng = types.Range(start=types.Position(line, 0), end=types.Position(line, 0))
        t = time.perf_counter()
        await client.text_document_code_action_async(types.CodeActionParams(text_document=doc, range=rng, context=types.CodeActionContext(diagnostics=[])))
        results.setdefault("codeAction at a region", []).append(time.perf_counter() - t)
    version = 1
    for i in range(rounds * 5):
        version += 1
        line = 5000 + i % 3  # inside a region: its "changed by you" count moves
        t = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=types.Position(line, 4), end=types.Position(line, 4)), text="x")]))
        await client.protocol.send_request_async("opledger/status", {"uri": "file:///none"})
        results.setdefault("keystroke didChange + status round trip", []).append(time.perf_counter() - t)
        t = time.perf_counter()
        await client.protocol.send_request_async("opledger/status", {"uri": "file:///none"})
        results.setdefault("status round trip alone", []).append(time.perf_counter() - t)
        if i % 10 == 9:
            await asyncio.sleep(0.1)  # a typing pause: the debounced republish runs
    server_side = await client.protocol.send_request_async("bench/timings", {})
    await stop(client)
    results["diagnostics after didOpen (server)"] = list(server_side.did_open_to_publish)
    results["keystroke didChange (server)"] = list(server_side.did_change)
    results["debounced republish (server)"] = list(server_side.republish)
    both, alone = results["keystroke didChange + status round trip"], results["status round trip alone"]
    results["keystroke didChange (round trip − status round trip)"] = [max(a - b, 0.0) for a, b in zip(both, alone)]
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    results = asyncio.run(bench(args.rounds))
    base = pct(results["bare round trip"], 0.95)
    start_base = statistics.median(results["startup: bare pygls server"]) * 1000
    print(f"{'measure':56} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/bare':>9}  target")
    for name, values in results.items():
        p50, p95, top = pct(values, 0.5), pct(values, 0.95), max(values) * 1000
        ratio = f"{p50 / start_base:8.1f}x" if name.startswith("startup") else f"{p95 / base:9.1f}"
        target = TARGETS.get(name)
        verdict = "" if target is None else f"≤ {target:g} ms p95: {'met' if p95 <= target else 'MISSED'}"
        print(f"{name:56} {len(values):4d} {p50:8.2f} {p95:8.2f} {top:8.2f} {ratio}  {verdict}")
    print("(startup ratio: p50 against the bare server's p50 startup)")


if __name__ == "__main__":
    main()
