/**
 * Pure helpers for talking to the opledger language server: building command
 * arguments, reading pending-region diagnostics, and formatting the status line.
 * Nothing here imports `vscode`, so it is unit-tested with node's test runner.
 */

import { DIAGNOSTIC_CODE, DIAGNOSTIC_SOURCE, REWORK_REASONS, type ReworkReason } from "./constants";

export interface Position {
  line: number;
  character: number;
}

export interface RegionTarget {
  uri: string;
  region?: string;
  position?: Position;
}

/** The argument object of opledger.accept / reject / rework. */
export type DecisionArgs =
  | { uri: string; region: string; reason?: ReworkReason }
  | { uri: string; position: Position; reason?: ReworkReason };

/** What `opledger/status` answers. */
export interface Status {
  pending: number;
  pendingInFile: number;
  workflow: string | null;
}

/** The subset of an LSP/VS Code diagnostic the client looks at. */
export interface DiagnosticLike {
  source?: string;
  code?: string | number | { value: string | number };
  range: { start: Position; end: Position };
  data?: unknown;
}

export interface PendingRegion {
  region: string;
  workflow: string | null;
  state: string;
  range: { start: Position; end: Position };
}

/**
 * Arguments for a decision: an explicit region id wins (a code lens or a diagnostic
 * knows it); otherwise the cursor position, and the server finds the region under it.
 */
export function decisionArgs(target: RegionTarget, reason?: ReworkReason): DecisionArgs {
  if (!target.uri) {
    throw new Error("no document: open the file with the agent's edits first");
  }
  const extra = reason ? { reason } : {};
  if (target.region) {
    return { uri: target.uri, region: target.region, ...extra };
  }
  if (!target.position || target.position.line < 0 || target.position.character < 0) {
    throw new Error("no cursor position to find the region at");
  }
  return { uri: target.uri, position: { line: target.position.line, character: target.position.character }, ...extra };
}

export function isReworkReason(value: string): value is ReworkReason {
  return REWORK_REASONS.some((r) => r.id === value);
}

function codeOf(code: DiagnosticLike["code"]): string | number | undefined {
  return typeof code === "object" && code !== null ? code.value : code;
}

/** The pending regions among a document's diagnostics (other servers' diagnostics are ignored). */
export function pendingRegions(diagnostics: readonly DiagnosticLike[]): PendingRegion[] {
  const found: PendingRegion[] = [];
  for (const d of diagnostics) {
    if (d.source !== DIAGNOSTIC_SOURCE || codeOf(d.code) !== DIAGNOSTIC_CODE) continue;
    const data = (d.data ?? {}) as { region?: unknown; workflow?: unknown; state?: unknown };
    if (typeof data.region !== "string") continue;
    const state = typeof data.state === "string" ? data.state : "pending";
    if (state !== "pending") continue;
    found.push({
      region: data.region,
      workflow: typeof data.workflow === "string" ? data.workflow : null,
      state,
      range: d.range,
    });
  }
  return found;
}

/** The first and last line a range covers: one ending at column 0 stops on the line before. */
export function lineSpan(range: PendingRegion["range"]): { first: number; last: number } {
  const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
  return { first: range.start.line, last };
}

function contains(range: PendingRegion["range"], at: Position): boolean {
  const after = at.line > range.start.line || (at.line === range.start.line && at.character >= range.start.character);
  return after && at.line <= lineSpan(range).last;
}

/** The pending region under the cursor, if the client already knows it from diagnostics. */
export function regionAt(regions: readonly PendingRegion[], at: Position): PendingRegion | undefined {
  return regions.find((r) => contains(r.range, at));
}

/** Validates the `opledger/status` answer once, at the boundary. */
export function parseStatus(value: unknown): Status {
  if (typeof value !== "object" || value === null) {
    throw new Error(`opledger/status answered ${JSON.stringify(value)}, expected an object`);
  }
  const v = value as Record<string, unknown>;
  const count = (name: string): number => {
    const n = v[name];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new Error(`opledger/status: ${name} must be a non-negative integer, got ${JSON.stringify(n)}`);
    }
    return n;
  };
  const workflow = v.workflow;
  if (workflow !== undefined && workflow !== null && typeof workflow !== "string") {
    throw new Error(`opledger/status: workflow must be a string or null, got ${JSON.stringify(workflow)}`);
  }
  return { pending: count("pending"), pendingInFile: count("pendingInFile"), workflow: (workflow as string | undefined) ?? null };
}

/** Status-bar text and tooltip; codicons are VS Code's `$(name)` syntax. */
export function formatStatus(status: Status | null): { text: string; tooltip: string } {
  if (!status) {
    return { text: "$(circle-slash) ledger", tooltip: "opledger: language server not running" };
  }
  const wf = status.workflow ?? "no workflow";
  if (status.pending === 0) {
    return { text: `$(check) ${wf}`, tooltip: `opledger: nothing pending in ${wf}` };
  }
  const plural = (n: number) => (n === 1 ? "region" : "regions");
  return {
    text: `$(git-pull-request-draft) ${status.pendingInFile}/${status.pending} pending`,
    tooltip:
      `opledger ${wf}: ${status.pendingInFile} pending ${plural(status.pendingInFile)} in this file, ` +
      `${status.pending} in the workflow. Accept ctrl+alt+o a · Reject ctrl+alt+o r · Rework ctrl+alt+o w`,
  };
}

/** The environment for `opledger lsp`: settings win over the inherited environment, empty means inherit. */
export function serverEnv(base: Record<string, string | undefined>, store: string, config: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (store.trim()) env.OPLEDGER_STORE = store.trim();
  if (config.trim()) env.OPLEDGER_CONFIG = config.trim();
  return env;
}

/** A readable title for the JSON summary opledger.showLedger returns. */
export function ledgerTitle(summary: unknown): string {
  const s = summary as { workflow?: { key?: unknown } | string } | null;
  const key = typeof s?.workflow === "string" ? s.workflow : s?.workflow?.key;
  return typeof key === "string" ? `opledger ledger — ${key}` : "opledger ledger";
}
