// The "what the model learned" panel: a saved run's templates, first-layer
// filters and confusion matrices, read from its folder (meta.json,
// final.json, templates.json, filters.json, all written when the run ended,
// so nothing is computed here) and shown beside the editor. Opened by Optim: Show What a Run Learned, or from a run that
// just finished.
import * as path from "node:path";
import * as vscode from "vscode";
import { learnedView, type ToLearnedPanel } from "../../media/src/learned-view";
import { PanelHost } from "./panel-host";
import { findRunFolders, runsFoldersNear } from "./saved-runs";

export const learnedPanelKind = { viewType: "optim.learned", title: "What the Model Learned", script: "learned-panel.js", style: "learned-panel.css" } as const;

const decoder = new TextDecoder();

/** A file of the folder as JSON; undefined when it is missing, a string saying why when it is not JSON. */
async function readJson(folder: vscode.Uri, name: string): Promise<unknown> {
  let text: string;
  try {
    text = decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name)));
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return `${name} is not JSON`;
  }
}

export class LearnedPanel {
  readonly host: PanelHost<ToLearnedPanel>;
  private shown: ToLearnedPanel | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    // Nothing to send until a run is chosen: a restored panel draws the view it saved.
    this.host = new PanelHost(learnedPanelKind, extensionUri, log, () => this.shown);
  }

  /** Shows a run folder's templates, filters and confusion matrices. */
  async show(folder: vscode.Uri): Promise<void> {
    const meta = await readJson(folder, "meta.json");
    if (meta === undefined) {
      void vscode.window.showWarningMessage(`${folder.fsPath} is not a run folder: it has no meta.json.`);
      return;
    }
    const [final, templates, filters] = await Promise.all(["final.json", "templates.json", "filters.json"].map((name) => readJson(folder, name)));
    const view = learnedView(path.basename(folder.fsPath), { meta, final, templates, filters });
    this.shown = { type: "learned", view };
    this.host.show(`Learned: ${view.run}`, false);
  }

  /** Picks a saved run (from the runs/ folders of the workspace and of the active document), newest first, and shows it. */
  async pickAndShow(folder?: string): Promise<void> {
    if (folder) return this.show(vscode.Uri.file(folder));
    const active = vscode.window.activeTextEditor?.document.uri;
    const runsFolders = runsFoldersNear(active);
    const found = await findRunFolders(runsFolders);
    if (found.length === 0) {
      void vscode.window.showInformationMessage("No saved runs: a run's folder appears under runs/ when it starts.");
      return;
    }
    const picked = await vscode.window.showQuickPick(
      found.map((uri) => ({ label: uri.path.split("/").pop() ?? uri.fsPath, description: vscode.workspace.asRelativePath(uri), uri })),
      { placeHolder: "Which run's templates and confusion matrices?" },
    );
    if (picked) await this.show(picked.uri);
  }
}
