// A panel's HTML and options in VS Code: the shared document with the
// webview's resource URIs and a fresh nonce.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { panelDocument } from "./panel-document";

export { escapeHtml } from "./panel-document";

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string, script: string, style: string): string {
  const media = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", ...parts)).toString();
  return panelDocument({
    title,
    cspSource: webview.cspSource,
    nonce: randomBytes(16).toString("base64"),
    scriptUri: media("dist", script),
    styleUris: [media("panel.css"), media(...style.split("/"))],
  });
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
  };
}
