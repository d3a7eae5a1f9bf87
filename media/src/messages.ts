// Messages between the extension and its webview panels, declared once and
// imported by both sides. Everything arriving from a webview (messages, and
// the state a panel saved before a reload) is validated here; anything
// malformed is dropped by the caller with a log line.
import type { CheckResults, DeclarationSummary, PreviewDataRequest, RunExperimentRequest, RunPoint, SearchResult } from "../../server/src/protocol";

/** Extension -> lab panel. */
export type ToWebview =
  | {
      type: "summary";
      file: string;
      version: number;
      declarations: DeclarationSummary[];
      errors: number;
      warnings: number;
    }
  | { type: "empty"; reason: string };

/** Extension -> data preview panel. */
export type ToDataPanel = { type: "preview"; preview: PreviewDataRequest.Result } | { type: "loading"; name: string };

export type RunStatus = "running" | "finished" | "cancelled" | "diverged" | "failed";

/** One run's curve as the loss-curve panel draws it. */
export interface RunSeries {
  /** Unique per start of a run (a run started twice is two series). */
  id: string;
  /** The run's name, shown as plain text. */
  run: string;
  /** The document's file name. */
  file: string;
  status: RunStatus;
  points: RunPoint[];
  /** Where the loss blew up, for the marker. */
  divergence?: { step: number; loss: number };
  /** Which weights the run's final figures come from (the best evaluation's or the last step's), and that step; set when the run ends. */
  reported?: { weights: "best" | "final"; step: number };
}

/** Extension -> loss-curve panel. */
export type ToRunsPanel =
  /** Every run the panel should show, replacing what it has. */
  | { type: "runs"; runs: RunSeries[] }
  /** A run started (or its status changed); its points, if any, replace the known ones. */
  | { type: "run"; series: RunSeries }
  /** New points of a running series, in order. */
  | { type: "points"; id: string; points: RunPoint[] };

export type SweepResult = NonNullable<RunExperimentRequest.Result["sweep"]>;
export type LandscapeResult = NonNullable<RunExperimentRequest.Result["landscape"]>;

/** Extension -> step-size sweep panel. */
export type ToSweepPanel = { type: "sweep"; run: string; file: string; sweep: SweepResult };

/** Extension -> search panel: the trials so far (best first) while it runs, then all of them. */
export type ToSearchPanel = { type: "search"; file: string; status: RunStatus; search: SearchResult } | { type: "empty"; reason: string };

/** Extension -> landscape panel. */
export type ToLandscapePanel = { type: "landscape"; run: string; file: string; landscape: LandscapeResult };

/** Extension -> gradient-check report panel. */
export type ToGradcheckPanel = { type: "checks"; file: string; results: CheckResults } | { type: "empty"; reason: string };

export type ExportFormat = "csv" | "png";

/** Webview -> extension. */
export type FromWebview =
  | { type: "ready" }
  | { type: "reveal"; line: number }
  /** The loss-curve panel's Clear: forget the runs that are not running. */
  | { type: "clear" }
  /** Save a file the panel made: CSV text, or a PNG as a data URL. */
  | { type: "export"; format: ExportFormat; name: string; content: string }
  /** The search panel's button: write these values (by their `--set` names) into the file. */
  | { type: "useValues"; values: Record<string, number> };

/** The largest export a panel may hand over (a PNG data URL or a CSV), in characters. */
export const maxExportLength = 64 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Accepts only well-formed messages; anything else is dropped by the caller. */
export function parseFromWebview(message: unknown): FromWebview | undefined {
  if (!isRecord(message)) return undefined;
  if (message.type === "ready") return { type: "ready" };
  if (message.type === "clear") return { type: "clear" };
  if (message.type === "reveal" && Number.isInteger(message.line) && (message.line as number) >= 0) {
    return { type: "reveal", line: message.line as number };
  }
  if (message.type === "export") {
    const { format, name, content } = message;
    if (format !== "csv" && format !== "png") return undefined;
    if (typeof name !== "string" || !/^[\w.-]{1,120}$/.test(name)) return undefined;
    if (typeof content !== "string" || content.length > maxExportLength) return undefined;
    if (format === "png" && !content.startsWith("data:image/png;base64,")) return undefined;
    return { type: "export", format, name, content };
  }
  if (message.type === "useValues" && isRecord(message.values)) {
    const entries = Object.entries(message.values);
    if (entries.length === 0 || entries.length > 64) return undefined;
    if (!entries.every(([name, value]) => /^[A-Za-z_]\w{0,99}(\.[A-Za-z_]\w{0,99})?$/.test(name) && typeof value === "number" && Number.isFinite(value))) return undefined;
    return { type: "useValues", values: Object.fromEntries(entries) as Record<string, number> };
  }
  return undefined;
}

const statuses: RunStatus[] = ["running", "finished", "cancelled", "diverged", "failed"];
const pointFields = ["epoch", "seconds", "loss", "lr", "gradNorm", "updateRatio", "evalLoss", "evalAccuracy", "trainAccuracy"] as const;

/** A curve point, or undefined when any field is not a number (NaN and infinities are kept: a diverged loss is one). */
export function parsePoint(value: unknown): RunPoint | undefined {
  if (!isRecord(value) || !Number.isInteger(value.step)) return undefined;
  const point: RunPoint = { step: value.step as number, epoch: 0, seconds: 0, loss: NaN };
  for (const field of pointFields) {
    const given = value[field];
    if (given === undefined || given === null) {
      if (field === "epoch" || field === "seconds") return undefined;
      continue;
    }
    if (typeof given !== "number") return undefined;
    point[field] = given;
  }
  return point;
}

/** A run series as saved by the loss-curve panel, or undefined when malformed. */
export function parseSeries(value: unknown): RunSeries | undefined {
  if (!isRecord(value)) return undefined;
  const { id, run, file, status, points, divergence } = value;
  if (typeof id !== "string" || typeof run !== "string" || typeof file !== "string") return undefined;
  if (!statuses.includes(status as RunStatus) || !Array.isArray(points)) return undefined;
  const parsed: RunPoint[] = [];
  for (const point of points) {
    const checked = parsePoint(point);
    if (!checked) return undefined;
    parsed.push(checked);
  }
  const series: RunSeries = { id, run, file, status: status as RunStatus, points: parsed };
  if (divergence !== undefined) {
    if (!isRecord(divergence) || typeof divergence.step !== "number" || typeof divergence.loss !== "number") return undefined;
    series.divergence = { step: divergence.step, loss: divergence.loss };
  }
  return series;
}

/** The runs a loss-curve panel saved before a reload; malformed entries are left out. */
export function parseSavedRuns(state: unknown): RunSeries[] {
  if (!isRecord(state) || !Array.isArray(state.runs)) return [];
  return state.runs.map(parseSeries).filter((series): series is RunSeries => series !== undefined);
}
