// Automatic and on-demand gradient checks, as the server schedules them: a
// short debounce after each edit, the previous job of the document cancelled,
// and results kept only for the version they were computed from.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Finding } from "../analysis/diagnostic";
import type { DataFacts } from "../analysis/model";
import type { CheckReport, GradResult } from "../engine/check-gradients";
import { defaultCheckSettings, type CheckRequestSettings, type DataSummary } from "../worker/run-check";
import type { ComputePool, JobOutcome } from "../worker/pool";

export interface CheckTarget {
  uri: string;
  version: number;
  text: string;
}

export interface CheckDone {
  uri: string;
  version: number;
  findings: Finding[];
  report?: CheckReport;
  note?: string;
  /** Summaries of the data sets read, for hover. */
  data?: Record<string, DataSummary>;
  /** The sizes each data set read gives D and C, by name. */
  facts?: Record<string, DataFacts>;
  /** Milliseconds the job took in the worker. */
  durationMs?: number;
}

export interface CheckPolicy {
  /** False in an untrusted workspace: nothing is read and nothing computed. */
  trusted: boolean;
  workspaceRoot?: string;
  debounceMs: number;
  /** Largest data set read, in bytes. */
  maxDataBytes: number;
  /** The entry cap and time budget every check runs under. */
  limits: Pick<CheckRequestSettings, "maxTensorEntries" | "timeBudgetMs">;
}

/** Told when each check starts and ends, with its grads' results when it finished. */
export interface CheckWatcher {
  started(uri: string, version: number, grad?: string): void;
  finished(uri: string, version: number, grad: string | undefined, grads: GradResult[] | undefined): void;
}

function baseDirectory(uri: string): string {
  try {
    return dirname(fileURLToPath(uri));
  } catch {
    return process.cwd();
  }
}

export class GradientChecks {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, { version: number; cancel(): void }>();

  constructor(
    private readonly pool: ComputePool,
    private readonly policy: CheckPolicy,
    private readonly done: (result: CheckDone) => void,
    private readonly watcher?: CheckWatcher,
  ) {}

  /** After an edit: check this version soon, unless a newer one comes first. */
  schedule(target: CheckTarget): void {
    if (!this.policy.trusted) return;
    this.cancel(target.uri);
    this.timers.set(
      target.uri,
      setTimeout(() => {
        this.timers.delete(target.uri);
        void this.start(target, false);
      }, this.policy.debounceMs),
    );
  }

  cancel(uri: string): void {
    const timer = this.timers.get(uri);
    if (timer) clearTimeout(timer);
    this.timers.delete(uri);
    this.running.get(uri)?.cancel();
    this.running.delete(uri);
  }

  private async start(target: CheckTarget, withProgress: boolean): Promise<void> {
    const outcome = await this.runJob(target, defaultCheckSettings, withProgress);
    if (outcome) this.done(outcome);
  }

  /** Runs a check now; used by the Check Gradients command and the Test Explorer. */
  async runJob(target: CheckTarget, settings: CheckRequestSettings, withProgress: boolean, onProgress?: (done: number, total: number) => void, cancelled?: { onCancellationRequested(listener: () => void): unknown }): Promise<CheckDone | undefined> {
    if (!this.policy.trusted) return { uri: target.uri, version: target.version, findings: [], note: "the workspace is not trusted: gradients are checked only in a trusted workspace (Restricted Mode reads no data and runs no computation)" };
    const grad = settings.only?.grad;
    this.watcher?.started(target.uri, target.version, grad);
    const job = this.pool.run({ uri: target.uri, version: target.version, text: target.text, baseDirectory: baseDirectory(target.uri), workspaceRoot: this.policy.workspaceRoot, maxDataBytes: this.policy.maxDataBytes, settings: { ...settings, ...this.policy.limits }, withProgress }, onProgress);
    if (!withProgress) this.running.set(target.uri, { version: target.version, cancel: job.cancel });
    cancelled?.onCancellationRequested(() => job.cancel());
    const outcome: JobOutcome = await job.outcome;
    this.watcher?.finished(target.uri, target.version, grad, outcome.type === "result" && outcome.report && !outcome.report.cancelled ? outcome.report.grads : undefined);
    if (!withProgress && this.running.get(target.uri)?.version === target.version) this.running.delete(target.uri);
    if (outcome.type === "failed") return { uri: target.uri, version: target.version, findings: [], note: outcome.message };
    if (outcome.report?.cancelled) return undefined;
    return { uri: target.uri, version: target.version, findings: outcome.findings, report: outcome.report, note: outcome.note, data: outcome.data, facts: outcome.facts, durationMs: outcome.durationMs };
  }
}
