// Runs saved under runs/, read back for the loss-curve panel: meta.json names
// the run, curve.csv holds every point (appended as the run went, so a
// cancelled or crashed run has its curve so far), final.json how it ended.
import * as path from "node:path";
import * as vscode from "vscode";
import { parseCurveCsv } from "../../media/src/curves";
import { parseSeries, type RunSeries } from "../../media/src/messages";

const decoder = new TextDecoder();

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return decoder.decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/** One run folder as a series, or a reason it cannot be read. */
export async function readSavedRun(folder: vscode.Uri): Promise<RunSeries | string> {
  const metaText = await readText(vscode.Uri.joinPath(folder, "meta.json"));
  const csv = await readText(vscode.Uri.joinPath(folder, "curve.csv"));
  if (metaText === undefined || csv === undefined) return `${folder.fsPath} is not a run folder: it has no meta.json or curve.csv`;
  let meta: { run?: unknown; file?: unknown };
  let final: { status?: unknown; divergence?: unknown } = {};
  try {
    meta = JSON.parse(metaText);
    const finalText = await readText(vscode.Uri.joinPath(folder, "final.json"));
    if (finalText !== undefined) final = JSON.parse(finalText);
  } catch (failure) {
    return `${folder.fsPath}: ${failure instanceof Error ? failure.message : String(failure)}`;
  }
  // A run without final.json stopped without finishing: cancelled or crashed.
  const series = parseSeries({
    id: folder.toString(),
    run: typeof meta.run === "string" ? meta.run : path.basename(folder.fsPath),
    file: typeof meta.file === "string" ? path.basename(vscode.Uri.parse(meta.file).fsPath) : "",
    status: final.status ?? "cancelled",
    points: parseCurveCsv(csv),
    ...(final.divergence ? { divergence: final.divergence } : {}),
  });
  return series ?? `${folder.fsPath}: its meta.json or final.json is malformed`;
}

/** The newest saved run of `run` that a resumed run can go on from: its meta.json names it and it has a checkpoint. */
export async function latestResumable(runsFolders: vscode.Uri[], run: string): Promise<vscode.Uri | undefined> {
  for (const folder of await findRunFolders(runsFolders)) {
    const meta = await readText(vscode.Uri.joinPath(folder, "meta.json"));
    const checkpoint = await readText(vscode.Uri.joinPath(folder, "weights", "final", "weights.json"));
    try {
      if (meta !== undefined && checkpoint !== undefined && (JSON.parse(meta) as { run?: unknown }).run === run) return folder;
    } catch {
      // a malformed meta.json: not a run to go on with
    }
  }
  return undefined;
}

/** The runs/ folders a document's runs may be saved in: each workspace folder's, and the one beside the document (a file on disk). */
export function runsFoldersNear(document: vscode.Uri | undefined): vscode.Uri[] {
  return [...(vscode.workspace.workspaceFolders ?? []).map((folder) => vscode.Uri.joinPath(folder.uri, "runs")), ...(document?.scheme === "file" ? [vscode.Uri.joinPath(document, "..", "runs")] : [])];
}

/** Run folders (those with a curve.csv) under the runs/ folders near these documents, newest first. */
export async function findRunFolders(runsFolders: vscode.Uri[]): Promise<vscode.Uri[]> {
  const found: { uri: vscode.Uri; mtime: number }[] = [];
  for (const runs of runsFolders) {
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(runs);
    } catch {
      continue;
    }
    for (const [name, type] of entries) {
      if (type !== vscode.FileType.Directory) continue;
      const uri = vscode.Uri.joinPath(runs, name);
      try {
        const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(uri, "curve.csv"));
        found.push({ uri, mtime: stat.mtime });
      } catch {
        // a sweep's or landscape's folder: no curve
      }
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).map((entry) => entry.uri);
}
