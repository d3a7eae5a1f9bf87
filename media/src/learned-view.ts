// What the "what the model learned" panel shows, made from a run folder's
// files (meta.json, final.json, templates.json, filters.json) as they were
// read, and checked field by field: a file from an older version or edited
// by hand gives a note, never a broken panel. Free of the DOM and of VS Code, so the
// extension and the tests build the same message.

export interface SplitConfusion {
  split: "eval" | "test";
  matrix: number[][];
  /** Each class's accuracy (null: no example of it). */
  perClass: (number | null)[];
  support: number[];
  accuracy: number;
  total: number;
}

export interface LearnedView {
  run: string;
  /** The run folder's name. */
  folder: string;
  templates?: {
    weights: string;
    steps?: number;
    width: number;
    height: number;
    channels: number;
    low: number;
    high: number;
    classes: { name: string; pixels: string }[];
  };
  /** Why there are no templates. */
  templatesNote?: string;
  /** The first layer's filters, each on its own scale. */
  filters?: {
    weights: string;
    steps?: number;
    param: string;
    width: number;
    height: number;
    channels: number;
    filters: { index: number; low: number; high: number; pixels: string }[];
  };
  /** Why there are no filters. */
  filtersNote?: string;
  confusion?: { weights: string; classes: string[]; splits: SplitConfusion[] };
  /** Why there is no confusion matrix. */
  confusionNote?: string;
}

/** Extension -> learned panel. */
export type ToLearnedPanel = { type: "learned"; view: LearnedView } | { type: "empty"; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

function splitConfusion(split: "eval" | "test", value: unknown, classes: number): SplitConfusion | undefined {
  if (!isRecord(value)) return undefined;
  const { matrix, perClass, support, accuracy, total } = value;
  if (!Array.isArray(matrix) || matrix.length !== classes || !matrix.every((row) => Array.isArray(row) && row.length === classes && row.every(isCount))) return undefined;
  if (!Array.isArray(perClass) || perClass.length !== classes || !perClass.every((entry) => entry === null || isNumber(entry))) return undefined;
  if (!Array.isArray(support) || support.length !== classes || !support.every(isCount) || !isNumber(accuracy) || !isCount(total)) return undefined;
  return { split, matrix: matrix as number[][], perClass: perClass as (number | null)[], support: support as number[], accuracy, total };
}

function templatesOf(value: unknown): LearnedView["templates"] | undefined {
  if (!isRecord(value)) return undefined;
  const { weights, steps, width, height, channels, low, high, classes } = value;
  if (typeof weights !== "string" || !isCount(width) || !isCount(height) || (channels !== 1 && channels !== 3) || !isNumber(low) || !isNumber(high) || !Array.isArray(classes)) return undefined;
  // Base64 of width·height·channels bytes.
  const length = 4 * Math.ceil((width * height * channels) / 3);
  const parsed = classes.map((entry) => (isRecord(entry) && typeof entry.name === "string" && typeof entry.pixels === "string" && entry.pixels.length === length ? { name: entry.name, pixels: entry.pixels } : undefined));
  if (parsed.length === 0 || parsed.some((entry) => entry === undefined)) return undefined;
  return { weights, ...(isCount(steps) ? { steps } : {}), width, height, channels, low, high, classes: parsed as { name: string; pixels: string }[] };
}

function filtersOf(value: unknown): LearnedView["filters"] | undefined {
  if (!isRecord(value)) return undefined;
  const { weights, steps, param, width, height, channels, filters } = value;
  if (typeof weights !== "string" || typeof param !== "string" || !isCount(width) || !isCount(height) || (channels !== 1 && channels !== 3) || !Array.isArray(filters)) return undefined;
  const length = 4 * Math.ceil((width * height * channels) / 3);
  const parsed = filters.map((entry) =>
    isRecord(entry) && isCount(entry.index) && isNumber(entry.low) && isNumber(entry.high) && typeof entry.pixels === "string" && entry.pixels.length === length ? { index: entry.index, low: entry.low, high: entry.high, pixels: entry.pixels } : undefined,
  );
  if (parsed.length === 0 || parsed.some((entry) => entry === undefined)) return undefined;
  return { weights, ...(isCount(steps) ? { steps } : {}), param, width, height, channels, filters: parsed as { index: number; low: number; high: number; pixels: string }[] };
}

/** Why a run has no `key` drawn: the file is malformed, or meta.json's reason, or `otherwise`. */
function noteOf(key: "templates" | "filters", meta: unknown, file: unknown, otherwise: string): string {
  if (file !== undefined) return `${key}.json is malformed: run optim learned on the folder to draw the ${key} again.`;
  const recorded = isRecord(meta) ? meta[key] : undefined;
  if (isRecord(recorded) && typeof recorded.reason === "string") return `No ${key}: ${recorded.reason}.`;
  return `No ${key}: ${otherwise}`;
}

/** The run folder's files, parsed; undefined where a file is missing. */
export interface LearnedFiles {
  meta: unknown;
  final: unknown;
  templates: unknown;
  filters: unknown;
}

/** The panel's view of a run folder, from its files. */
export function learnedView(folder: string, files: LearnedFiles): LearnedView {
  const { meta, final, templates, filters } = files;
  const run = isRecord(meta) && typeof meta.run === "string" ? meta.run : folder;
  const view: LearnedView = { run, folder };
  const drawn = templatesOf(templates);
  if (drawn) view.templates = drawn;
  else view.templatesNote = noteOf("templates", meta, templates, "the run is not a linear classifier on images, or it stopped before saving weights.");
  const drawnFilters = filtersOf(filters);
  if (drawnFilters) view.filters = drawnFilters;
  else view.filtersNote = noteOf("filters", meta, filters, "the run is not a convolutional network on images, or it stopped before saving weights.");
  const confusion = isRecord(final) ? final.confusion : undefined;
  if (isRecord(confusion) && Array.isArray(confusion.classes) && confusion.classes.every((name) => typeof name === "string") && typeof confusion.weights === "string") {
    const classes = confusion.classes as string[];
    const splits = [splitConfusion("eval", confusion.evaluation, classes.length), splitConfusion("test", confusion.test, classes.length)].filter((entry): entry is SplitConfusion => entry !== undefined);
    if (splits.length > 0) view.confusion = { weights: confusion.weights, classes, splits };
  }
  if (!view.confusion) view.confusionNote = final === undefined ? "No confusion matrix: the run did not finish (it has no final.json)." : "No confusion matrix: the run's loss has no class scores, or it has no eval or test split.";
  return view;
}

/** Base64 to bytes, in the webview (atob) as in Node. */
export function decodePixels(base64: string): Uint8Array {
  const text = atob(base64);
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}
