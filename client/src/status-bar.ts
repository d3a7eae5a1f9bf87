// The status bar item: the language server's state at a glance.
import * as vscode from "vscode";
import type { ServerState } from "../../server/src/protocol";

export type ClientState = ServerState | "stopped";

const icons: Record<ClientState, string> = {
  starting: "$(loading~spin)",
  ready: "$(beaker)",
  busy: "$(sync~spin)",
  stopped: "$(error)",
};

export class ServerStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("optim.server", vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = "Optim Language Server";
    this.item.command = "optim.showPanel";
    this.show("starting", "Starting the optim language server");
    this.item.show();
  }

  private backend: string | undefined;

  /** The state, and the training backend once the server reports it (it stays shown until a restart). */
  show(state: ClientState, detail: string, backend?: string): void {
    if (backend) this.backend = backend;
    if (state === "starting" || state === "stopped") this.backend = undefined;
    this.item.text = `${icons[state]} Optim: ${state}${this.backend ? ` · ${this.backend}` : ""}`;
    this.item.tooltip = detail;
    this.item.backgroundColor = state === "stopped" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
