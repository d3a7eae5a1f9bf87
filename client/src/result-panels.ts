// What the chart panels show, kept in the extension so a panel can be closed,
// reopened or reloaded without losing it: the runs' curves as they grow, the
// latest sweep and landscape, and each document's latest gradient check.
import * as path from "node:path";
import * as vscode from "vscode";
import { parseSavedRuns, type RunSeries, type ToGradcheckPanel, type ToLandscapePanel, type ToRunsPanel, type ToSweepPanel } from "../../media/src/messages";
import type { CheckResults, RunExperimentRequest, RunPoint } from "../../server/src/protocol";
import { PanelHost } from "./panel-host";

export const panelKinds = {
  runs: { viewType: "optim.runs", title: "Loss Curves", script: "runs-panel.js", style: "dist/runs-panel.css" },
  sweep: { viewType: "optim.sweep", title: "Step-Size Sweep", script: "sweep-panel.js", style: "dist/sweep-panel.css" },
  landscape: { viewType: "optim.landscape", title: "Loss Landscape", script: "landscape-panel.js", style: "dist/landscape-panel.css" },
  gradcheck: { viewType: "optim.gradcheck", title: "Gradient Check", script: "gradcheck-panel.js", style: "dist/gradcheck-panel.css" },
} as const;

function fileName(uri: string): string {
  return path.basename(vscode.Uri.parse(uri).fsPath);
}

/** The loss-curve panel's runs: points arrive one notification at a time and reach the panel in batches. */
export class RunCurves {
  readonly host: PanelHost<ToRunsPanel>;
  private readonly runs: RunSeries[] = [];
  /** The series a run's progress goes to, by `uri#run`. */
  private readonly running = new Map<string, RunSeries>();
  private readonly pending = new Map<string, RunPoint[]>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private started = 0;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    this.host = new PanelHost(panelKinds.runs, extensionUri, log, () => ({ type: "runs", runs: this.runs }), undefined, () => this.clear());
  }

  /** A run starts: a new series (a run started twice is drawn twice). */
  begin(uri: string, run: string): RunSeries {
    const series: RunSeries = { id: `${Date.now()}-${++this.started}`, run, file: fileName(uri), status: "running", points: [] };
    this.runs.push(series);
    this.running.set(`${uri}#${run}`, series);
    this.host.show();
    this.host.post({ type: "run", series });
    return series;
  }

  add(uri: string, run: string, points: RunPoint[]): void {
    const series = this.running.get(`${uri}#${run}`) ?? this.begin(uri, run);
    series.points.push(...points);
    const batch = this.pending.get(series.id) ?? [];
    batch.push(...points);
    this.pending.set(series.id, batch);
    this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  end(series: RunSeries, result: RunExperimentRequest.Result | undefined): void {
    this.flush();
    series.status = result?.status ?? "cancelled";
    if (result?.divergence) series.divergence = { step: result.divergence.step, loss: result.divergence.loss };
    if (result?.reported) series.reported = { weights: result.reported.weights, step: result.reported.step };
    for (const [key, candidate] of this.running) if (candidate === series) this.running.delete(key);
    this.host.post({ type: "run", series: { ...series, points: [] } });
  }

  /** Saved runs, read from their folders, join the panel. */
  addSaved(loaded: RunSeries[]): void {
    for (const series of loaded) {
      const known = this.runs.findIndex((candidate) => candidate.id === series.id);
      if (known >= 0) this.runs[known] = series;
      else this.runs.push(series);
    }
    this.host.show(undefined, false);
    this.host.refresh();
  }

  /** Forgets every run that has ended; running ones stay. */
  clear(): void {
    const running = new Set(this.running.values());
    this.runs.splice(0, this.runs.length, ...this.runs.filter((series) => running.has(series)));
    this.host.refresh();
  }

  /** After a reload: the runs the panel had saved. */
  restore(state: unknown): void {
    if (this.runs.length === 0) this.runs.push(...parseSavedRuns(state).map((series) => (series.status === "running" ? { ...series, status: "cancelled" as const } : series)));
  }

  private flush(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [id, points] of this.pending) this.host.post({ type: "points", id, points });
    this.pending.clear();
  }
}

/** The latest sweep and landscape results, one panel each. */
export class ExperimentPanels {
  readonly sweep: PanelHost<ToSweepPanel>;
  readonly landscape: PanelHost<ToLandscapePanel>;
  private lastSweep: ToSweepPanel | undefined;
  private lastLandscape: ToLandscapePanel | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    this.sweep = new PanelHost(panelKinds.sweep, extensionUri, log, () => this.lastSweep);
    this.landscape = new PanelHost(panelKinds.landscape, extensionUri, log, () => this.lastLandscape);
  }

  show(uri: string, result: RunExperimentRequest.Result): void {
    const file = fileName(uri);
    if (result.sweep) {
      this.lastSweep = { type: "sweep", run: result.run, file, sweep: result.sweep };
      this.sweep.show(`Sweep: ${result.run}`);
    }
    if (result.landscape) {
      this.lastLandscape = { type: "landscape", run: result.run, file, landscape: result.landscape };
      this.landscape.show(`Landscape: ${result.run}`);
    }
  }
}

/** Each document's latest gradient check; the report follows the active editor. */
export class GradientReports {
  readonly host: PanelHost<ToGradcheckPanel>;
  private readonly byUri = new Map<string, CheckResults>();
  private shownUri: string | undefined;

  constructor(extensionUri: vscode.Uri, log: vscode.LogOutputChannel) {
    this.host = new PanelHost(panelKinds.gradcheck, extensionUri, log, () => this.message(), (line) => void this.reveal(line));
  }

  update(results: CheckResults): void {
    if (results.cancelled) return;
    const known = this.byUri.get(results.uri);
    if (known && known.version > results.version) return;
    this.byUri.set(results.uri, results);
    if (this.host.isOpen && (this.shownUri === undefined || this.shownUri === results.uri)) this.host.refresh();
  }

  show(uri?: string): void {
    this.shownUri = uri ?? activeOptimUri() ?? this.shownUri;
    this.host.show(undefined, false);
  }

  followActiveEditor(): void {
    const uri = activeOptimUri();
    if (!uri || uri === this.shownUri || !this.host.isOpen) return;
    this.shownUri = uri;
    this.host.refresh();
  }

  private message(): ToGradcheckPanel {
    const uri = this.shownUri ?? activeOptimUri();
    const results = uri ? this.byUri.get(uri) : undefined;
    if (!uri || !results) return { type: "empty", reason: "No gradient check yet: open a .optim file with a grad declaration, or run Optim: Check Gradients." };
    return { type: "checks", file: fileName(uri), results };
  }

  private async reveal(line: number): Promise<void> {
    if (!this.shownUri) return;
    const editor = await vscode.window.showTextDocument(vscode.Uri.parse(this.shownUri), { viewColumn: vscode.ViewColumn.One });
    const position = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position));
  }
}

function activeOptimUri(): string | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document?.languageId === "optim" ? document.uri.toString() : undefined;
}
