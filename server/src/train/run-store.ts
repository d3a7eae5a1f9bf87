// A run's folder under runs/: what was run (meta.json), its curve as it grows
// (curve.csv, appended point by point, so a cancelled or crashed run keeps
// what it had; curve.json rewritten at each evaluation), its weights as .npy
// files (weights/best, weights/final, the latter also the checkpoint a
// resumed run goes on from) and how it ended (final.json). The layout is
// docs/results.md's.
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { OptimizerArrays } from "./param-store";
import type { BestEvaluation, Checkpoint, CurvePoint, ResumeState, TrainResult } from "./trainer";
import type { FilterLayout } from "./filters";
import type { TemplateLayout } from "./templates";
import { arrayFile, checkpointFolder, readFloat32Npy, writeCheckpointFolder, writeFileAtomically, type NamedArray } from "./weights";

const columns: (keyof CurvePoint)[] = ["step", "epoch", "seconds", "loss", "lr", "gradNorm", "updateRatio", "evalLoss", "evalAccuracy"];

export interface SavedParam {
  name: string;
  shape: number[];
  /** The .npy file in weights/best and weights/final. */
  file: string;
}

export interface RunMeta {
  run: string;
  file: string;
  description: string;
  seed: number;
  backend: string;
  /** sha256 of the document the run was started from. */
  specHash: string;
  started: string;
  /** Which file holds which param, and its shape. */
  params?: SavedParam[];
  /** The saved weights: the best evaluation's (its step of the curve and figures) and the latest. */
  weights?: { best?: BestEvaluation & { steps: number }; final?: { steps: number } };
  /** `--set` overrides the run was started with. */
  overrides?: Record<string, number>;
  /** Each time the run was resumed: from how many steps, and when. */
  resumed?: { steps: number; started: string }[];
  /** The data set's class names (else `class k`), for what the model learned. */
  classes?: string[];
  /** Where a linear classifier's templates are in its weights, or why the run has none (templates.ts). */
  templates?: TemplateLayout | { reason: string };
  /** Where the first convolution's filters are in its weights, or why the run has none (filters.ts). */
  filters?: FilterLayout | { reason: string };
}

/** weights/<kind>/weights.json: the arrays of one checkpoint, and for `final` of a gradient run what going on needs. */
interface WeightsFile {
  kind: "best" | "final";
  steps: number;
  params: SavedParam[];
  best?: BestEvaluation;
  optimizer?: { param: string; slot: "first" | "second"; file: string }[];
  /** The running averages of batch_mean and batch_var that go with these params (statistics/NAME.npy). */
  statistics?: { name: string; shape: number[]; file: string }[];
  resume?: Omit<ResumeState, "optimizer" | "bestParams" | "statistics" | "bestStatistics">;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export function specHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** How params are listed in meta.json and weights.json. */
export function savedParams(shapes: ReadonlyMap<string, number[]>): SavedParam[] {
  return [...shapes].map(([name, shape]) => ({ name, shape, file: arrayFile(name) }));
}

/**
 * A folder of its own for a run: `name`, or `name-2`, `name-3`, ... when a
 * run of the same name started in the same second already has one (its
 * files are never written over).
 */
function newFolder(runsFolder: string, name: string): string {
  mkdirSync(runsFolder, { recursive: true });
  for (let count = 1; ; count++) {
    const folder = join(runsFolder, count === 1 ? name : `${name}-${count}`);
    try {
      mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

function curveLine(point: CurvePoint): string {
  return columns.map((column) => (point[column] === undefined ? "" : String(point[column]))).join(",") + "\n";
}

/** curve.csv's points; numbers were written by String(), which reads back exactly. */
function readCurve(folder: string): CurvePoint[] {
  const [header, ...lines] = readFileSync(join(folder, "curve.csv"), "utf8").split("\n");
  const names = header.split(",") as (keyof CurvePoint)[];
  return lines
    .filter((line) => line !== "")
    .map((line) => {
      const point: Record<string, number> = {};
      line.split(",").forEach((cell, i) => {
        if (cell !== "" && names[i]) point[names[i]] = Number(cell);
      });
      return point as unknown as CurvePoint;
    });
}

export class RunStore {
  readonly folder: string;
  private readonly points: CurvePoint[] = [];
  private meta: RunMeta;

  /**
   * A new folder under `runsFolder`; or, with `resume`, the run's own folder
   * again, its curve cut back to the points before the step it goes on from.
   */
  constructor(runsFolder: string, meta: RunMeta, resume?: { folder: string; steps: number }) {
    this.meta = meta;
    if (resume) {
      this.folder = resume.folder;
      this.points = readCurve(resume.folder).filter((point) => point.step < resume.steps);
      this.meta = { ...meta, resumed: [...(meta.resumed ?? []), { steps: resume.steps, started: new Date().toISOString() }] };
      writeFileAtomically(join(this.folder, "curve.csv"), columns.join(",") + "\n" + this.points.map(curveLine).join(""));
      this.writeCurve();
    } else {
      this.folder = newFolder(runsFolder, `${meta.run}-${stamp(new Date(meta.started))}`);
      writeFileSync(join(this.folder, "curve.csv"), columns.join(",") + "\n");
    }
    this.writeMeta();
  }

  add(point: CurvePoint): void {
    this.points.push(point);
    appendFileSync(join(this.folder, "curve.csv"), curveLine(point));
    if (point.evalLoss !== undefined) this.writeCurve();
  }

  /** Writes a checkpoint's weights (and a final one's optimizer state) in place of the previous of its kind. */
  saveCheckpoint(checkpoint: Checkpoint): void {
    const params = this.meta.params ?? [];
    const arrays = new Map<string, NamedArray>();
    for (const param of params) arrays.set(param.file, { shape: param.shape, values: checkpoint.params.get(param.name) as Float32Array });
    const contents: WeightsFile = { kind: checkpoint.kind, steps: checkpoint.steps, params, ...(checkpoint.best ? { best: checkpoint.best } : {}) };
    if (checkpoint.statistics && checkpoint.statistics.size > 0) {
      contents.statistics = [];
      for (const [name, values] of checkpoint.statistics) {
        const file = `statistics/${arrayFile(name)}`;
        arrays.set(file, { shape: [values.length], values });
        contents.statistics.push({ name, shape: [values.length], file });
      }
    }
    const resume = checkpoint.resume;
    if (resume) {
      contents.optimizer = [];
      for (const param of params) {
        const state = resume.optimizer.get(param.name);
        for (const slot of ["first", "second"] as const) {
          const values = state?.[slot];
          if (!values) continue;
          const file = `optimizer/${param.file.replace(/\.npy$/, "")}.${slot}.npy`;
          arrays.set(file, { shape: param.shape, values });
          contents.optimizer.push({ param: param.name, slot, file });
        }
      }
      const { optimizer: _optimizer, bestParams: _bestParams, statistics: _statistics, bestStatistics: _bestStatistics, ...rest } = resume;
      contents.resume = rest;
    }
    writeCheckpointFolder(join(this.folder, "weights", checkpoint.kind), arrays, "weights.json", contents);
    const weights = { ...this.meta.weights };
    if (checkpoint.kind === "best" && checkpoint.best) weights.best = { ...checkpoint.best, steps: checkpoint.steps };
    else weights.final = { steps: checkpoint.steps };
    this.meta = { ...this.meta, weights };
    this.writeMeta();
  }

  private writeMeta(): void {
    writeFileAtomically(join(this.folder, "meta.json"), JSON.stringify(this.meta, null, 2) + "\n");
  }

  private writeCurve(): void {
    writeFileAtomically(join(this.folder, "curve.json"), JSON.stringify(this.points) + "\n");
  }

  finish(result: Omit<TrainResult, "params">): void {
    this.writeCurve();
    writeFileAtomically(join(this.folder, "final.json"), JSON.stringify({ ...result, reportedWeights: result.reported.weights, reportedStep: result.reported.step }, null, 2) + "\n");
  }
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; message: string };

/** A checkpoint's params by name, each checked against the shape its weights.json gives. */
function readParams(folder: string, listed: SavedParam[]): Loaded<Map<string, NamedArray>> {
  const params = new Map<string, NamedArray>();
  for (const param of listed) {
    const read = readFloat32Npy(join(folder, param.file));
    if (!read.ok) return read;
    if (read.value.shape.join(",") !== param.shape.join(",")) return { ok: false, message: `${join(folder, param.file)} has shape [${read.value.shape.join(", ")}] but weights.json says [${param.shape.join(", ")}]` };
    params.set(param.name, read.value);
  }
  return { ok: true, value: params };
}

/** A checkpoint's running averages of batch statistics by name, or undefined when it lists none. */
function readStatistics(folder: string, listed: WeightsFile): Loaded<Map<string, Float32Array> | undefined> {
  if (!listed.statistics) return { ok: true, value: undefined };
  const statistics = new Map<string, Float32Array>();
  for (const entry of listed.statistics) {
    const read = readFloat32Npy(join(folder, entry.file));
    if (!read.ok) return read;
    statistics.set(entry.name, read.value.values);
  }
  return { ok: true, value: statistics };
}

function readWeightsFile(folder: string): Loaded<WeightsFile> {
  try {
    return { ok: true, value: JSON.parse(readFileSync(join(folder, "weights.json"), "utf8")) as WeightsFile };
  } catch (error) {
    return { ok: false, message: `${join(folder, "weights.json")} could not be read: ${(error as Error).message}` };
  }
}

/**
 * Saved weights to start a run from: `folder` is a run's folder (its best
 * weights, else its final ones), or a weights folder itself (weights/best,
 * weights/final).
 */
export function readSavedWeights(folder: string): Loaded<{ folder: string; params: Map<string, NamedArray> }> {
  const candidates = existsSync(join(folder, "weights")) ? [join(folder, "weights", "best"), join(folder, "weights", "final")] : [folder];
  const found = candidates.map(checkpointFolder).find((candidate) => candidate !== undefined && existsSync(join(candidate, "weights.json")));
  if (!found) return { ok: false, message: `${folder} holds no saved weights (no weights/best or weights/final with a weights.json)` };
  const listed = readWeightsFile(found);
  if (!listed.ok) return listed;
  const params = readParams(found, listed.value.params);
  return params.ok ? { ok: true, value: { folder: found, params: params.value } } : params;
}

/** A run folder's meta.json and its final checkpoint: the params and the state a resumed run goes on from. */
export function readResumeCheckpoint(folder: string): Loaded<{ meta: RunMeta; params: Map<string, NamedArray>; state: ResumeState }> {
  let meta: RunMeta;
  try {
    meta = JSON.parse(readFileSync(join(folder, "meta.json"), "utf8")) as RunMeta;
  } catch (error) {
    return { ok: false, message: `${folder} is not a run's folder: its meta.json could not be read (${(error as Error).message})` };
  }
  const finalFolder = checkpointFolder(join(folder, "weights", "final"));
  if (!finalFolder) return { ok: false, message: `${folder} has no checkpoint to resume from (no weights/final): the run stopped before its first evaluation, or was saved before runs kept weights` };
  const listed = readWeightsFile(finalFolder);
  if (!listed.ok) return listed;
  const saved = listed.value;
  if (!saved.resume || !saved.optimizer) return { ok: false, message: `${finalFolder} holds no optimizer state: only a run that follows the gradient can be resumed` };
  const params = readParams(finalFolder, saved.params);
  if (!params.ok) return params;
  const optimizer = new Map<string, OptimizerArrays>();
  for (const entry of saved.optimizer) {
    const read = readFloat32Npy(join(finalFolder, entry.file));
    if (!read.ok) return read;
    optimizer.set(entry.param, { ...optimizer.get(entry.param), [entry.slot]: read.value.values });
  }
  const statistics = readStatistics(finalFolder, saved);
  if (!statistics.ok) return statistics;
  let bestParams: Map<string, Float32Array> | undefined;
  let bestStatistics: Map<string, Float32Array> | undefined;
  const best = saved.resume.best;
  if (best) {
    // The best weights are written just before the checkpoint that names them; a run stopped between the two is caught here.
    const bestFolder = checkpointFolder(join(folder, "weights", "best"));
    const bestFile = bestFolder ? readWeightsFile(bestFolder) : undefined;
    if (!bestFolder || !bestFile?.ok || bestFile.value.best?.step !== best.step) return { ok: false, message: `${folder}: weights/best is not the best weights of step ${best.step} that the checkpoint names` };
    const read = readParams(bestFolder, bestFile.value.params);
    if (!read.ok) return read;
    bestParams = new Map([...read.value].map(([name, array]) => [name, array.values]));
    const readBest = readStatistics(bestFolder, bestFile.value);
    if (!readBest.ok) return readBest;
    bestStatistics = readBest.value;
  }
  const state: ResumeState = { ...saved.resume, optimizer, bestParams, ...(statistics.value ? { statistics: statistics.value } : {}), ...(bestStatistics ? { bestStatistics } : {}) };
  return { ok: true, value: { meta, params: params.value, state } };
}
