// Messages between the language server and its compute worker. Plain data:
// they cross a thread boundary by structured clone.
import type { Finding } from "../analysis/diagnostic";
import type { DataFacts } from "../analysis/model";
import type { CheckReport } from "../engine/check-gradients";
import type { BackendName, BackendPreference } from "../train/executors";
import type { LandscapeResult } from "../train/landscape";
import type { SearchResult, TrialProgress } from "../train/search";
import type { SweepResult } from "../train/sweep";
import type { CurvePoint } from "../train/trainer";
import type { PreviewDataRequest } from "../protocol";
import type { CheckRequestSettings, DataSummary } from "./run-check";

export interface CheckJob {
  type: "check";
  id: number;
  /** Slot in the shared cancellation array. */
  slot: number;
  uri: string;
  version: number;
  text: string;
  /** Folder that relative data paths start from. */
  baseDirectory: string;
  workspaceRoot?: string;
  /** Largest data set read, in bytes. */
  maxDataBytes: number;
  settings: CheckRequestSettings;
  /** Report progress (for on-demand checks). */
  withProgress: boolean;
}

/** Loads TensorFlow.js with the preferred backend and says which one started. */
export interface BackendJob {
  type: "backend";
  id: number;
  preference: BackendPreference;
}

/** Runs one `run` declaration of a document, streaming its curve. */
export interface TrainJob {
  type: "train";
  id: number;
  slot: number;
  uri: string;
  text: string;
  baseDirectory: string;
  maxDataBytes: number;
  run: string;
  seed?: number;
  backend: BackendPreference;
  /** Where the run's folder is made. */
  runsFolder: string;
  /** The most entries a param or a value computed from it may have. */
  maxTensorEntries?: number;
  /** Milliseconds the run may take; then it stops as if cancelled, its curve so far saved. */
  timeBudgetMs?: number;
  /** A saved run's folder to go on with from its last checkpoint. */
  resume?: string;
  /** Each of a search's trial threads' heap cap, in megabytes (the worker's own). */
  trialHeapMegabytes?: number;
}

/** How a run ended, as plain data. */
export interface TrainOutcome {
  run: string;
  status: "finished" | "cancelled" | "diverged" | "failed";
  message: string;
  folder?: string;
  backend?: string;
  description?: string;
  steps?: number;
  final?: Record<string, number | undefined>;
  divergence?: { step: number; loss: number; best: number };
  /** Which weights `final`'s figures come from, and the step of the curve they are from. */
  reported?: { weights: "best" | "final"; step: number };
  /** Set when patience stopped the run. */
  earlyStop?: { step: number; patience: number };
  sweep?: SweepResult;
  /** A search's trials, best first. */
  search?: SearchResult;
  landscape?: LandscapeResult;
}

/** Reads a data set for the preview panel. */
export interface PreviewJob {
  type: "preview";
  id: number;
  text: string;
  baseDirectory: string;
  maxDataBytes: number;
  name: string;
}

export type ToWorker = CheckJob | BackendJob | TrainJob | PreviewJob;

export type FromWorker =
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "result"; id: number; findings: Finding[]; report?: CheckReport; note?: string; data?: Record<string, DataSummary>; facts?: Record<string, DataFacts>; /** How long the job took in the worker, data reading included. */ durationMs?: number }
  | { type: "failed"; id: number; message: string }
  | { type: "backend"; id: number; backend: BackendName; notes: string[] }
  /** The points since the previous message, in order. */
  | { type: "trainProgress"; id: number; points: CurvePoint[] }
  | { type: "trained"; id: number; outcome: TrainOutcome }
  /** A search's trial that finished: `done` of `total`. */
  | { type: "trialProgress"; id: number; progress: TrialProgress }
  | { type: "preview"; id: number; result: PreviewDataRequest.Result };
