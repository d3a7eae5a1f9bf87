// The HTML shell shared by every panel: strict CSP with a nonce, local assets only.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string, script: string, style: string): string {
  const nonce = randomBytes(16).toString("base64");
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "dist", script));
  const baseUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", "panel.css"));
  const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "media", style));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${baseUri.toString()}">
<link rel="stylesheet" href="${styleUri.toString()}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="root"><p class="empty">Waiting for the language server…</p></div>
<script nonce="${nonce}" src="${scriptUri.toString()}"></script>
</body>
</html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function panelOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
  };
}
