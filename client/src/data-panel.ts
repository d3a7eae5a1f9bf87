// The data preview panel: one per data set, filled by the server's preview.
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import type { ToDataPanel } from "../../media/src/messages";
import { PreviewDataRequest } from "../../server/src/protocol";
import { panelHtml, panelOptions } from "./webview-html";

export const dataPanelViewType = "optim.data";

export async function showDataPreview(context: vscode.ExtensionContext, client: LanguageClient, uri: string, name: string): Promise<void> {
  const panel = vscode.window.createWebviewPanel(dataPanelViewType, `Data: ${name}`, vscode.ViewColumn.Beside, panelOptions(context.extensionUri));
  panel.webview.html = panelHtml(panel.webview, context.extensionUri, `Data: ${name}`, "data-panel.js", "data-panel.css");
  const post = (message: ToDataPanel) => panel.webview.postMessage(message);
  await post({ type: "loading", name });
  const params: PreviewDataRequest.Params = { uri, name };
  const preview = await client.sendRequest<PreviewDataRequest.Result>(PreviewDataRequest.method, params);
  await post({ type: "preview", preview });
}

/** After a reload: the panel's script draws the preview it saved. */
export function restoreDataPanel(context: vscode.ExtensionContext, panel: vscode.WebviewPanel): void {
  panel.webview.options = panelOptions(context.extensionUri);
  panel.webview.html = panelHtml(panel.webview, context.extensionUri, panel.title, "data-panel.js", "data-panel.css");
}
