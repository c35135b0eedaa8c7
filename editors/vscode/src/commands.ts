/**
 * The review commands: each reads the cursor (or an explicit region id passed by a
 * code action) and asks the server to decide. The server applies Reject itself
 * through workspace/applyEdit, so no command here edits text.
 */

import * as vscode from "vscode";
import { ExecuteCommandRequest, type LanguageClient } from "vscode-languageclient/node";

import { ClientCommand, REWORK_REASONS, ServerCommand, type ReworkReason, type ServerCommandId } from "./constants";
import { decisionArgs, isReworkReason, ledgerTitle, regionAt, type PendingRegion } from "./protocol";

type ClientRef = () => LanguageClient | undefined;

async function execute(client: LanguageClient | undefined, command: ServerCommandId, args: object): Promise<unknown> {
  if (!client || !client.isRunning()) {
    throw new Error("the opledger language server is not running (see the opledger output channel)");
  }
  return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [args] });
}

/** `{uri, region}` from a code action / code lens argument, or the active editor's cursor. */
function target(pending: Map<string, PendingRegion[]>, given: unknown): { uri: string; region?: string; position?: vscode.Position } {
  const explicit = given as { uri?: unknown; region?: unknown } | undefined;
  if (explicit && typeof explicit.uri === "string" && typeof explicit.region === "string") {
    return { uri: explicit.uri, region: explicit.region };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error("no active editor");
  const uri = editor.document.uri.toString();
  const position = editor.selection.active;
  const known = regionAt(pending.get(uri) ?? [], position);
  return known ? { uri, region: known.region } : { uri, position };
}

async function pickReason(given: unknown): Promise<ReworkReason | undefined> {
  const reason = (given as { reason?: unknown } | undefined)?.reason;
  if (typeof reason === "string" && isReworkReason(reason)) return reason;
  const picked = await vscode.window.showQuickPick(
    REWORK_REASONS.map((r) => ({ label: r.label, detail: r.detail, id: r.id })),
    { title: "Why does this region go back for rework?", ignoreFocusOut: true },
  );
  return picked?.id;
}

export function registerCommands(
  context: vscode.ExtensionContext,
  client: ClientRef,
  pending: Map<string, PendingRegion[]>,
  afterDecision: () => Promise<void>,
): void {
  const guarded = (fn: (arg: unknown) => Promise<void>) => async (arg: unknown) => {
    try {
      await fn(arg);
    } catch (err) {
      void vscode.window.showErrorMessage(`opledger: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await afterDecision();
    }
  };
  const decide = (command: ServerCommandId) =>
    guarded(async (arg) => {
      let reason: ReworkReason | undefined;
      if (command === ServerCommand.rework) {
        reason = await pickReason(arg);
        if (!reason) return; // the user dismissed the picker
      }
      await execute(client(), command, decisionArgs(target(pending, arg), reason));
    });

  context.subscriptions.push(
    vscode.commands.registerCommand(ClientCommand.accept, decide(ServerCommand.accept)),
    vscode.commands.registerCommand(ClientCommand.reject, decide(ServerCommand.reject)),
    vscode.commands.registerCommand(ClientCommand.rework, decide(ServerCommand.rework)),
    vscode.commands.registerCommand(
      ClientCommand.acceptAll,
      guarded(async () => {
        const editor = vscode.window.activeTextEditor;
        if (!editor) throw new Error("no active editor");
        await execute(client(), ServerCommand.acceptAll, { uri: editor.document.uri.toString() });
      }),
    ),
    vscode.commands.registerCommand(
      ClientCommand.showLedger,
      guarded(async (arg) => {
        const workflow = (arg as { workflow?: unknown } | undefined)?.workflow;
        const editor = vscode.window.activeTextEditor;
        const args = typeof workflow === "string" ? { workflow } : editor ? { uri: editor.document.uri.toString() } : undefined;
        if (!args) throw new Error("open a file of the workflow first");
        const summary = await execute(client(), ServerCommand.showLedger, args);
        const doc = await vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify(summary, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
        void vscode.window.setStatusBarMessage(ledgerTitle(summary), 5000);
      }),
    ),
  );
}
