// The search panel's content, kept in the extension: a search's trials as
// they finish (best first), then its result; and the panel's "use these
// values" button, which asks the server for the edits that write them into
// the file (the same edits as the search's quick fix) and applies them.
import * as path from "node:path";
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import type { ToSearchPanel } from "../../media/src/messages";
import { SearchValuesEditRequest, type RunExperimentRequest, type SearchProgressNotification, type SearchResult } from "../../server/src/protocol";
import { rankTrials } from "../../server/src/train/rank-trials";
import { PanelHost, type PanelKind } from "./panel-host";

export const searchPanelKind: PanelKind = { viewType: "optim.search", title: "Hyperparameter Search", script: "search-panel.js", style: "dist/search-panel.css" };


export class SearchResults {
  readonly host: PanelHost<ToSearchPanel>;
  private last: ToSearchPanel | undefined;
  /** The document the shown search belongs to, where its values are written. */
  private uri: string | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel, private readonly client: LanguageClient) {
    this.host = new PanelHost(searchPanelKind, extensionUri, log, () => this.last ?? { type: "empty", reason: "No search yet: run a search declaration (▶ Search above it)." }, undefined, undefined, (values) => void this.useValues(values));
  }

  begin(uri: string, search: string): void {
    this.uri = uri;
    const empty: SearchResult = { search, method: "random", axes: [], trials: [], planned: 0, parallel: 1, seconds: 0, cancelled: false, description: "" };
    this.last = { type: "search", file: path.basename(vscode.Uri.parse(uri).fsPath), status: "running", search: empty };
    this.host.show(`Search: ${search}`);
  }

  progress(params: SearchProgressNotification.Params): void {
    if (this.last?.type !== "search" || this.uri !== params.uri || this.last.search.search !== params.search) return;
    const search = this.last.search;
    this.last = { ...this.last, search: { ...search, axes: params.axes, planned: params.total, trials: rankTrials([...search.trials, params.trial]) } };
    this.host.refresh();
  }

  end(uri: string, search: string, result: RunExperimentRequest.Result | undefined): void {
    if (this.last?.type !== "search" || this.uri !== uri || this.last.search.search !== search) return;
    this.last = { ...this.last, status: result?.status ?? "cancelled", search: result?.search ?? this.last.search };
    this.host.refresh();
  }

  /** Writes `values` into the shown search's document, as its quick fix does. */
  async useValues(values: Record<string, number>): Promise<void> {
    const uri = this.uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    if (!uri) return;
    const answer = await this.client.sendRequest<SearchValuesEditRequest.Result>(SearchValuesEditRequest.method, { uri, values } satisfies SearchValuesEditRequest.Params);
    if (answer.problem) {
      void vscode.window.showWarningMessage(`Could not write the values: ${answer.problem}`);
      return;
    }
    if (answer.edits.length === 0) {
      void vscode.window.showInformationMessage("The file already has these values.");
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    const target = vscode.Uri.parse(uri);
    for (const change of answer.edits) edit.replace(target, new vscode.Range(change.range.start.line, change.range.start.character, change.range.end.line, change.range.end.character), change.newText);
    await vscode.workspace.applyEdit(edit);
  }
}
