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

  show(state: ClientState, detail: string): void {
    this.item.text = `${icons[state]} Optim: ${state}`;
    this.item.tooltip = detail;
    this.item.backgroundColor = state === "stopped" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
