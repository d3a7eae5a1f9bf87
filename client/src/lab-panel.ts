// The lab panel: shows the server's latest analysis of the active .optim file.
import * as path from "node:path";
import * as vscode from "vscode";
import { parseFromWebview, type ToWebview } from "../../media/src/messages";
import type { AnalysisSummaryNotification } from "../../server/src/protocol";
import { panelHtml, panelOptions } from "./webview-html";

export const labPanelViewType = "optim.lab";

export class LabPanel {
  private static current: LabPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, summaries: SummaryStore, log: vscode.LogOutputChannel): LabPanel {
    if (LabPanel.current) {
      LabPanel.current.panel.reveal(vscode.ViewColumn.Beside);
      LabPanel.current.refresh();
      return LabPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(labPanelViewType, "Optim Lab", vscode.ViewColumn.Beside, panelOptions(extensionUri));
    return LabPanel.adopt(panel, extensionUri, summaries, log);
  }

  /** Takes over a panel, new or restored after a reload. */
  static adopt(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, summaries: SummaryStore, log: vscode.LogOutputChannel): LabPanel {
    LabPanel.current?.panel.dispose();
    LabPanel.current = new LabPanel(panel, extensionUri, summaries, log);
    return LabPanel.current;
  }

  static refreshIfOpen(): void {
    LabPanel.current?.refresh();
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly summaries: SummaryStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = panelOptions(extensionUri);
    panel.webview.html = panelHtml(panel.webview, extensionUri, "Optim Lab", "lab-panel.js", "lab-panel.css");
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw), undefined, this.disposables);
  }

  private receive(raw: unknown): void {
    const message = parseFromWebview(raw);
    if (!message) {
      this.log.warn(`lab panel: ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === "ready") this.refresh();
    if (message.type === "reveal") void this.reveal(message.line);
  }

  private async reveal(line: number): Promise<void> {
    const uri = this.summaries.latestUri();
    if (!uri) return;
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(uri), { viewColumn: vscode.ViewColumn.One });
    const position = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position));
  }

  refresh(): void {
    void this.panel.webview.postMessage(this.summaries.messageForActiveEditor());
  }

  private dispose(): void {
    if (LabPanel.current === this) LabPanel.current = undefined;
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/** The newest analysis summary of each document, as the server sent them. */
export class SummaryStore {
  private readonly byUri = new Map<string, AnalysisSummaryNotification.Params>();
  private lastUri: string | undefined;

  update(summary: AnalysisSummaryNotification.Params): void {
    const known = this.byUri.get(summary.uri);
    if (known && known.version > summary.version) return;
    this.byUri.set(summary.uri, summary);
    this.lastUri = summary.uri;
  }

  latestUri(): string | undefined {
    const active = vscode.window.activeTextEditor?.document;
    return active?.languageId === "optim" ? active.uri.toString() : this.lastUri;
  }

  messageForActiveEditor(): ToWebview {
    const uri = this.latestUri();
    const summary = uri ? this.byUri.get(uri) : undefined;
    if (!summary) return { type: "empty", reason: "Open a .optim file to see its declarations here." };
    return {
      type: "summary",
      file: path.basename(vscode.Uri.parse(summary.uri).fsPath),
      version: summary.version,
      declarations: summary.declarations,
      errors: summary.errors,
      warnings: summary.warnings,
    };
  }
}
