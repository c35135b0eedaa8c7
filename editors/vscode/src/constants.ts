/**
 * Names shared by the extension and the opledger language server: the server's
 * executeCommand ids, its custom request, the diagnostic marks of pending regions,
 * and this extension's own command and setting ids. No `vscode` import here, so the
 * pure modules and their tests can use it outside a VS Code host.
 */

/** Commands the server advertises in `executeCommandProvider` (the fixed contract). */
export const ServerCommand = {
  accept: "opledger.accept",
  reject: "opledger.reject",
  rework: "opledger.rework",
  acceptAll: "opledger.acceptAll",
  showLedger: "opledger.showLedger",
} as const;
export type ServerCommandId = (typeof ServerCommand)[keyof typeof ServerCommand];

/**
 * The extension's own commands. They differ from the server's ids because
 * vscode-languageclient registers the server's ids itself; ours read the cursor first.
 */
export const ClientCommand = {
  accept: "opledger.review.accept",
  reject: "opledger.review.reject",
  rework: "opledger.review.rework",
  acceptAll: "opledger.review.acceptAll",
  showLedger: "opledger.review.showLedger",
  restart: "opledger.restartServer",
} as const;

export const STATUS_REQUEST = "opledger/status";
export const DIAGNOSTIC_SOURCE = "opledger";
export const DIAGNOSTIC_CODE = "agent-edit";

export const CONFIG_SECTION = "opledger";

/** Why a region goes back for rework; the server rejects anything else. */
export const REWORK_REASONS = [
  { id: "wrong_problem", label: "Wrong problem", detail: "Solves something other than what was asked" },
  { id: "violates_invariant", label: "Violates an invariant", detail: "Breaks a rule the code must keep" },
  { id: "missing_context", label: "Missing context", detail: "The agent lacked information it needed" },
  { id: "style", label: "Style", detail: "Works, but does not fit the codebase" },
  { id: "tests_insufficient", label: "Tests insufficient", detail: "Not tested well enough to trust" },
  { id: "other", label: "Other", detail: "Something else" },
] as const;
export type ReworkReason = (typeof REWORK_REASONS)[number]["id"];
