/** Unit tests of the host-free parts: command arguments, diagnostics, status text, manifest. */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import { ClientCommand, REWORK_REASONS, ServerCommand } from "../src/constants";
import { decisionArgs, formatStatus, ledgerTitle, lineSpan, parseStatus, pendingRegions, regionAt, serverEnv } from "../src/protocol";

const uri = "file:///tmp/project/app.py";
const range = (a: number, b: number) => ({ start: { line: a, character: 0 }, end: { line: b, character: 0 } });

describe("decisionArgs", () => {
  it("prefers an explicit region id over the cursor", () => {
    assert.deepEqual(decisionArgs({ uri, region: "R1", position: { line: 3, character: 1 } }), { uri, region: "R1" });
  });
  it("falls back to the cursor position", () => {
    assert.deepEqual(decisionArgs({ uri, position: { line: 3, character: 1 } }), { uri, position: { line: 3, character: 1 } });
  });
  it("adds the rework reason", () => {
    assert.deepEqual(decisionArgs({ uri, region: "R1" }, "style"), { uri, region: "R1", reason: "style" });
  });
  it("refuses a target without a document or a position", () => {
    assert.throws(() => decisionArgs({ uri: "", region: "R1" }), /no document/);
    assert.throws(() => decisionArgs({ uri }), /no cursor position/);
    assert.throws(() => decisionArgs({ uri, position: { line: -1, character: 0 } }), /no cursor position/);
  });
});

describe("pendingRegions", () => {
  const ours = { source: "opledger", code: "agent-edit", range: range(2, 5), data: { region: "R1", workflow: "WF-1", state: "pending" } };
  it("keeps only opledger agent-edit diagnostics with a region id", () => {
    const found = pendingRegions([
      ours,
      { source: "pyright", code: "agent-edit", range: range(0, 1), data: { region: "X" } },
      { source: "opledger", code: "other", range: range(0, 1), data: { region: "Y" } },
      { source: "opledger", code: "agent-edit", range: range(0, 1) },
      { source: "opledger", code: { value: "agent-edit" }, range: range(7, 8), data: { region: "R2", workflow: "WF-1", state: "pending" } },
      { source: "opledger", code: "agent-edit", range: range(9, 9), data: { region: "R3", state: "accepted" } },
    ]);
    assert.deepEqual(found.map((r) => r.region), ["R1", "R2"]);
    assert.equal(found[0].workflow, "WF-1");
  });
  it("finds the region at the cursor; an end at column 0 excludes that line", () => {
    const regions = pendingRegions([ours]);
    assert.equal(regionAt(regions, { line: 2, character: 0 })?.region, "R1");
    assert.equal(regionAt(regions, { line: 4, character: 12 })?.region, "R1");
    assert.equal(regionAt(regions, { line: 5, character: 0 }), undefined);
    assert.equal(regionAt(regions, { line: 1, character: 9 }), undefined);
  });
  it("spans whole lines for decorations", () => {
    assert.deepEqual(lineSpan(range(2, 5)), { first: 2, last: 4 });
    assert.deepEqual(lineSpan(range(2, 2)), { first: 2, last: 2 });
    assert.deepEqual(lineSpan({ start: { line: 2, character: 0 }, end: { line: 3, character: 7 } }), { first: 2, last: 3 });
  });
  it("treats a region ending mid-line as covering that line", () => {
    const regions = pendingRegions([{ ...ours, range: { start: { line: 2, character: 4 }, end: { line: 3, character: 10 } } }]);
    assert.equal(regionAt(regions, { line: 3, character: 20 })?.region, "R1");
    assert.equal(regionAt(regions, { line: 2, character: 2 }), undefined);
  });
});

describe("status", () => {
  it("validates the server's answer", () => {
    assert.deepEqual(parseStatus({ pending: 3, pendingInFile: 1, workflow: "WF-1" }), { pending: 3, pendingInFile: 1, workflow: "WF-1" });
    assert.deepEqual(parseStatus({ pending: 0, pendingInFile: 0 }), { pending: 0, pendingInFile: 0, workflow: null });
    assert.throws(() => parseStatus(null), /expected an object/);
    assert.throws(() => parseStatus({ pending: -1, pendingInFile: 0 }), /pending must be/);
    assert.throws(() => parseStatus({ pending: 1, pendingInFile: "2" }), /pendingInFile must be/);
    assert.throws(() => parseStatus({ pending: 1, pendingInFile: 1, workflow: 4 }), /workflow must be/);
  });
  it("formats file and workflow counts", () => {
    assert.equal(formatStatus({ pending: 3, pendingInFile: 1, workflow: "WF-1" }).text, "$(git-pull-request-draft) 1/3 pending");
    assert.match(formatStatus({ pending: 3, pendingInFile: 1, workflow: "WF-1" }).tooltip, /1 pending region in this file, 3 in the workflow/);
    assert.equal(formatStatus({ pending: 0, pendingInFile: 0, workflow: "WF-1" }).text, "$(check) WF-1");
    assert.match(formatStatus(null).tooltip, /not running/);
  });
});

describe("serverEnv", () => {
  it("lets settings override the inherited store and config; empty settings inherit", () => {
    const base = { PATH: "/bin", OPLEDGER_STORE: "/old", UNSET: undefined };
    assert.deepEqual(serverEnv(base, " /new ", ""), { PATH: "/bin", OPLEDGER_STORE: "/new" });
    assert.deepEqual(serverEnv(base, "", "/c.toml"), { PATH: "/bin", OPLEDGER_STORE: "/old", OPLEDGER_CONFIG: "/c.toml" });
  });
});

describe("ledgerTitle", () => {
  it("names the workflow when the summary has one", () => {
    assert.equal(ledgerTitle({ workflow: { key: "WF-9" } }), "opledger ledger — WF-9");
    assert.equal(ledgerTitle({ workflow: "WF-8" }), "opledger ledger — WF-8");
    assert.equal(ledgerTitle(null), "opledger ledger");
  });
});

describe("package.json", () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
  const contributed: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
  it("contributes every client command, none clashing with the server's ids", () => {
    for (const id of Object.values(ClientCommand)) assert.ok(contributed.includes(id), `${id} not contributed`);
    for (const id of Object.values(ServerCommand)) assert.ok(!contributed.includes(id), `${id} clashes with the server`);
  });
  it("binds a key to each decision and pins the engine the client library needs", () => {
    const bound = new Set(manifest.contributes.keybindings.map((k: { command: string }) => k.command));
    for (const id of [ClientCommand.accept, ClientCommand.reject, ClientCommand.rework, ClientCommand.acceptAll, ClientCommand.showLedger]) {
      assert.ok(bound.has(id), `${id} has no keybinding`);
    }
    assert.equal(manifest.engines.vscode, "^1.91.0");
    assert.equal(manifest.devDependencies["@types/vscode"], "1.91.0");
    assert.ok(manifest.contributes.configuration.properties["opledger.path"]);
    assert.ok(manifest.contributes.configuration.properties["opledger.store"]);
  });
  it("lists the six rework reasons the server accepts", () => {
    assert.deepEqual(
      REWORK_REASONS.map((r) => r.id),
      ["wrong_problem", "violates_invariant", "missing_context", "style", "tests_insufficient", "other"],
    );
  });
});
