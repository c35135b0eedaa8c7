/** The status-bar item: pending regions in this file and in its workflow, from `opledger/status`. */

import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

import { ClientCommand, STATUS_REQUEST } from "./constants";
import { formatStatus, parseStatus } from "./protocol";

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("opledger.status", vscode.StatusBarAlignment.Left, 50);
  private readonly listener: vscode.Disposable;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.item.name = "opledger";
    this.item.command = ClientCommand.showLedger;
    this.listener = vscode.window.onDidChangeActiveTextEditor(() => void this.refresh());
  }

  async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.client();
    if (!editor || editor.document.uri.scheme !== "file") {
      this.item.hide();
      return;
    }
    let shown = formatStatus(null);
    if (client?.isRunning()) {
      try {
        shown = formatStatus(parseStatus(await client.sendRequest(STATUS_REQUEST, { uri: editor.document.uri.toString() })));
      } catch (err) {
        shown = { text: "$(warning) ledger", tooltip: `opledger: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.show();
  }

  dispose(): void {
    this.listener.dispose();
    this.item.dispose();
  }
}
