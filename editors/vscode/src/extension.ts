/**
 * Entry point: starts `opledger lsp` through vscode-languageclient and wires the
 * review commands, the status-bar item and the pending-region decorations to it.
 */

import * as vscode from "vscode";
import { LanguageClient, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

import { registerCommands } from "./commands";
import { ClientCommand, CONFIG_SECTION } from "./constants";
import { PendingDecorations } from "./decorations";
import { pendingRegions, serverEnv, type PendingRegion } from "./protocol";
import { StatusItem } from "./status";

let client: LanguageClient | undefined;

function createClient(pending: Map<string, PendingRegion[]>, onPending: (uri: string) => void): LanguageClient {
  const config = vscode.workspace.getConfiguration(CONFIG_SECTION);
  const serverOptions: ServerOptions = {
    command: config.get<string>("path") || "opledger",
    args: ["lsp"],
    options: { env: serverEnv(process.env, config.get<string>("store") ?? "", config.get<string>("config") ?? "") },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }],
    outputChannelName: "opledger",
    middleware: {
      // Keep the pending regions per document for decorations and cursor lookups.
      handleDiagnostics(uri, diagnostics, next) {
        pending.set(uri.toString(), pendingRegions(diagnostics));
        next(uri, diagnostics);
        onPending(uri.toString());
      },
    },
  };
  return new LanguageClient("opledger", "opledger", serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const pending = new Map<string, PendingRegion[]>();
  const decorations = new PendingDecorations(pending);
  const status = new StatusItem(() => client);
  context.subscriptions.push(decorations, status);

  const start = async () => {
    client = createClient(pending, (uri) => {
      decorations.refresh(uri);
      void status.refresh();
    });
    await client.start();
    await status.refresh();
  };
  registerCommands(context, () => client, pending, () => status.refresh());
  context.subscriptions.push(
    vscode.commands.registerCommand(ClientCommand.restart, async () => {
      await client?.stop();
      pending.clear();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration(`${CONFIG_SECTION}.path`) || e.affectsConfiguration(`${CONFIG_SECTION}.store`) || e.affectsConfiguration(`${CONFIG_SECTION}.config`)) {
        await vscode.commands.executeCommand(ClientCommand.restart);
      }
      if (e.affectsConfiguration(`${CONFIG_SECTION}.decorations`)) decorations.refreshAll();
    }),
  );
  try {
    await start();
  } catch (err) {
    void vscode.window.showErrorMessage(`opledger: could not start the language server: ${String(err)}. Check the opledger.path setting.`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
