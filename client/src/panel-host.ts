// One webview panel of a kind: created or revealed on demand, restored after
// a reload by its serializer, fed its current content when its script is
// ready. Messages from the panel are validated; exports are saved where the
// user says.
import * as vscode from "vscode";
import { parseFromWebview, type FromWebview } from "../../media/src/messages";
import { panelHtml, panelOptions } from "./webview-html";

export interface PanelKind {
  viewType: string;
  title: string;
  /** The bundled script and stylesheet under media/dist. */
  script: string;
  style: string;
}

export class PanelHost<Message> {
  private panel: vscode.WebviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly kind: PanelKind,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    /** What the panel shows now, sent whenever its script (re)starts. */
    private readonly content: () => Message | undefined,
    private readonly onReveal?: (line: number) => void,
    private readonly onClear?: () => void,
    private readonly onUseValues?: (values: Record<string, number>) => void,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Open and on screen (not a hidden tab). */
  get isVisible(): boolean {
    return this.panel?.visible === true;
  }

  /** Opens the panel beside the editor, or brings it forward, and sends its content. */
  show(title = this.kind.title, preserveFocus = true): void {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(undefined, preserveFocus);
      this.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel(this.kind.viewType, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelOptions(this.extensionUri));
    this.adopt(panel);
  }

  /** Takes over a panel, new or restored after a reload. */
  adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    panel.webview.options = panelOptions(this.extensionUri);
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, panel.title, this.kind.script, this.kind.style);
    this.disposables.push(
      panel.onDidDispose(() => this.forget(panel)),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
    );
  }

  post(message: Message): void {
    void this.panel?.webview.postMessage(message);
  }

  refresh(): void {
    const message = this.content();
    if (message !== undefined) this.post(message);
  }

  /** The serializer VS Code calls to restore the panel after a reload. */
  serializer(restore?: (state: unknown) => void): vscode.WebviewPanelSerializer {
    return {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        restore?.(state);
        this.adopt(panel);
      },
    };
  }

  private forget(panel: vscode.WebviewPanel): void {
    if (this.panel !== panel) return;
    this.panel = undefined;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseFromWebview(raw);
    if (!message) {
      this.log.warn(`${this.kind.title} panel: ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === "ready") this.refresh();
    else if (message.type === "reveal") this.onReveal?.(message.line);
    else if (message.type === "clear") this.onClear?.();
    else if (message.type === "export") await saveExport(message, this.log);
    else if (message.type === "useValues") this.onUseValues?.(message.values);
  }
}

async function saveExport(message: Extract<FromWebview, { type: "export" }>, log: vscode.LogOutputChannel): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const suggested = folder ? vscode.Uri.joinPath(folder, message.name) : undefined;
  const target = await vscode.window.showSaveDialog({
    defaultUri: suggested,
    filters: message.format === "csv" ? { CSV: ["csv"] } : { PNG: ["png"] },
    saveLabel: `Export ${message.format.toUpperCase()}`,
  });
  if (!target) return;
  const bytes = message.format === "csv" ? Buffer.from(message.content, "utf8") : Buffer.from(message.content.slice("data:image/png;base64,".length), "base64");
  try {
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Saved ${vscode.workspace.asRelativePath(target)}.`);
  } catch (failure) {
    log.error(`export to ${target.toString()} failed: ${String(failure)}`);
    void vscode.window.showErrorMessage(`Could not save ${target.fsPath}: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
}
