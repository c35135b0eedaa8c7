/** Background and overview-ruler marks on pending agent-written regions. */

import * as vscode from "vscode";

import { CONFIG_SECTION } from "./constants";
import { lineSpan, type PendingRegion } from "./protocol";

export class PendingDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("opledger.pendingBackground"),
    overviewRulerColor: new vscode.ThemeColor("opledger.pendingRuler"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly listener: vscode.Disposable;

  constructor(private readonly pending: Map<string, PendingRegion[]>) {
    this.listener = vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll());
  }

  refresh(uri: string): void {
    const enabled = vscode.workspace.getConfiguration(CONFIG_SECTION).get<boolean>("decorations", true);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri) continue;
      const regions = enabled ? (this.pending.get(uri) ?? []) : [];
      editor.setDecorations(
        this.type,
        regions.map((r) => ({
          // Whole-line decoration: a range ending at column 0 must not tint the line after it.
          range: new vscode.Range(lineSpan(r.range).first, 0, lineSpan(r.range).last, 0),
          hoverMessage: `agent-written region ${r.region} · ${r.workflow ?? "no workflow"} · pending review`,
        })),
      );
    }
  }

  refreshAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.refresh(editor.document.uri.toString());
  }

  dispose(): void {
    this.listener.dispose();
    this.type.dispose();
  }
}
