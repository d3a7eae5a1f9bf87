// Custom messages between the language server and the extension, declared
// once and imported by both sides. Plain data only: no editor or LSP types.
import type { CurvePoint } from "./train/trainer";
import type { SearchedAxis, SearchResult, TrialResult } from "./train/search";

/** One declaration of a document, as listed in the lab panel. */
export interface DeclarationSummary {
  kind: string;
  name: string;
  /** Zero-based line of the declaration keyword. */
  line: number;
}

/** Sent by the server after it analysed a document version. */
export namespace AnalysisSummaryNotification {
  export const method = "optim/analysisSummary";
  export interface Params {
    uri: string;
    version: number;
    declarations: DeclarationSummary[];
    errors: number;
    warnings: number;
  }
}

export type ServerState = "starting" | "ready" | "busy";

/** Sent by the server when its state changes; the status bar shows it. */
export namespace ServerStatusNotification {
  export const method = "optim/serverStatus";
  export interface Params {
    state: ServerState;
    /** One line for the status bar tooltip. */
    detail: string;
    /** The TensorFlow.js backend training uses: "tensorflow", "wasm" or "cpu", once known. */
    backend?: string;
  }
}

/** One grad declaration's check, as the Test Explorer and the panels show it. */
export interface GradCheckSummary {
  /** `dL/dW` */
  name: string;
  /** Zero-based line of the grad declaration. */
  line: number;
  /** "good" | "acceptable" | "warning" | "error", or "unchecked" with `message` saying why. */
  verdict: string;
  passed: boolean;
  message: string;
  maxRelativeError?: number;
  /** The worst entries: index text, analytic, numerical, relative error. */
  worst: { entry: string; analytic: number; numerical: number; relativeError: number }[];
  kinks: number;
  checked: number;
  /** Relative errors per decade, from < 1e-10 up to ≥ 1. */
  histogram: number[];
  /** Milliseconds the grad's check took in the compute worker. */
  durationMs?: number;
}

export interface CheckResults {
  uri: string;
  version: number;
  grads: GradCheckSummary[];
  /** The engine's own gradients, per loss and param. */
  autodiff: { loss: string; param: string; verdict: string; maxRelativeError: number }[];
  examples: number;
  /** Set when nothing could be checked, e.g. no data, or an untrusted workspace. */
  note?: string;
  cancelled: boolean;
  /** Milliseconds the whole check took in the compute worker, reading the data included. */
  durationMs?: number;
}

/** Sent by the server after each automatic gradient check of a document. */
export namespace CheckResultsNotification {
  export const method = "optim/checkResults";
  export type Params = CheckResults;
}

/** Sent by the client to check a document's gradients now (all entries with `all`). */
export namespace CheckGradientsRequest {
  export const method = "optim/checkGradients";
  export interface Params {
    uri: string;
    /** Only this grad (`dL/dW`). */
    grad?: string;
    /** Every entry instead of a sample. */
    all?: boolean;
    /** A work-done progress token the server reports on. */
    workDoneToken?: string;
  }
  export type Result = CheckResults;
}

export type { SearchedAxis, SearchResult, TrialResult };

/** One point of a run's curve, as panels draw it: the trainer's own record. */
export type RunPoint = CurvePoint;

/** Sent by the client to start a run declaration of a document; answers when it ends. */
export namespace RunExperimentRequest {
  export const method = "optim/runExperiment";
  export interface Params {
    uri: string;
    /** The `run` declaration's name. */
    name: string;
    seed?: number;
    /** A saved run's folder (under runs/) to go on with from its last checkpoint. */
    resume?: string;
    workDoneToken?: string;
  }
  export interface Result {
    run: string;
    status: "finished" | "cancelled" | "diverged" | "failed";
    message: string;
    /** The run's folder under runs/. */
    folder?: string;
    backend?: string;
    /** A sweep's rows and suggestion. */
    sweep?: { method: string; start: number; rows: { lr: number; loss: number; diverged: boolean }[]; suggestion?: { lr: number; reason: string } };
    /** A landscape's grid: losses[j * axis.length + i] at (a = axis[i], b = axis[j]). */
    landscape?: { directions: number; axis: number[]; losses: number[]; center: number; min: number; max: number; trajectory?: { step: number; a: number; b: number }[] };
    /** Where a diverged run blew up. */
    divergence?: { step: number; loss: number; best: number };
    /** A run's: which weights its final figures (and its message) come from, the best evaluation's or the last step's, and that step of the curve. */
    reported?: { weights: "best" | "final"; step: number };
    /** A run's, when patience stopped it: the evaluation's step and the patience. */
    earlyStop?: { step: number; patience: number };
    /** A search's trials, best first, and what it searched. */
    search?: SearchResult;
  }
}

/** Sent by the server as each trial of a search finishes. */
export namespace SearchProgressNotification {
  export const method = "optim/searchProgress";
  export interface Params {
    uri: string;
    search: string;
    trial: TrialResult;
    /** What the search varies, for the plots. */
    axes: SearchedAxis[];
    /** Trials finished so far, of `total`. */
    done: number;
    total: number;
  }
}

/** Sent by the client to write values (a search's best trial's) into a document's hypers and optimizer settings. */
export namespace SearchValuesEditRequest {
  export const method = "optim/searchValuesEdit";
  export interface Params {
    uri: string;
    /** By their `--set` names: `reg`, `opt.lr`. */
    values: Record<string, number>;
  }
  export interface Result {
    /** Zero-based lines and characters, as LSP counts them. */
    edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[];
    /** Why nothing can be written. */
    problem?: string;
  }
}

/** Sent by the server while a run goes on, for the panels. */
export namespace RunProgressNotification {
  export const method = "optim/runProgress";
  export interface Params {
    uri: string;
    run: string;
    /** The newest point. */
    point: RunPoint;
    /** Every point since the previous notification, in order, the newest last. */
    points: RunPoint[];
  }
}

/** Sent by the client to look at a data set: its summary and a few examples. */
export namespace PreviewDataRequest {
  export const method = "optim/previewData";
  export interface Params {
    uri: string;
    /** The data declaration's name. */
    name: string;
  }
  export interface Result {
    name: string;
    /** Why there is nothing to show. */
    problem?: string;
    splits: { split: string; n: number; d: number; classes: number; min: number; max: number; mean: number; classCounts: number[] }[];
    classNames?: string[];
    /** For image data: the first examples of the training split as the files hold them (before scaling and centring), 0–255, channel-planar. */
    images?: { height: number; width: number; channels: number; samples: { label: number; pixels: number[] }[] };
    /** For other data: the first rows of the training split. */
    rows?: { label: number; values: number[] }[];
  }
}
