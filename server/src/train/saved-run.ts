// A run trained and saved: its folder under runs/ (a new one, or its own
// again when it is resumed), its curve point by point, its checkpoints as
// they come, and how it ended. Shared by the CLI and the training worker, so
// both save the same files. Also where the saved weights a plan needs are
// read: the checkpoint `--resume` names, and the weights `start_from` names.
import { isAbsolute, join } from "node:path";
import type { TrainingRuntime } from "./executors";
import type { SavedInputs } from "./plan-run";
import { readResumeCheckpoint, readSavedWeights, RunStore, savedParams, specHash, type Loaded, type RunMeta } from "./run-store";
import { train, type CurvePoint, type TrainResult, type TrainSpec } from "./trainer";
import { classNamesOf } from "./confusion";
import { writeFilters, writeTemplates } from "./learned";
import { checkpointFolder } from "./weights";

export interface SaveRequest {
  /** The folder runs are made in. */
  runsFolder: string;
  run: string;
  /** The document, as a path or URI, and its text. */
  file: string;
  text: string;
  description: string;
  seed: number;
  overrides?: Record<string, number>;
  /** The run's own folder, when it goes on from its checkpoint there. */
  resumeFolder?: string;
  previous?: RunMeta;
}

export interface SavedRun {
  result: TrainResult;
  folder: string;
  /** A linear classifier on images: the template files written (with the reported weights), or why none were. */
  templates?: Loaded<{ files: string[] }>;
  /** A convolutional network on images: the first layer's filter files written (with the reported weights), or why none were. */
  filters?: Loaded<{ files: string[] }>;
}

export function trainAndSave(runtime: TrainingRuntime, spec: TrainSpec, request: SaveRequest, io: { cancelled: () => boolean; onPoint: (point: CurvePoint) => void }): SavedRun {
  // A resumed run keeps what its folder recorded (when it started, its resumes), but not the overrides it was run with.
  const { overrides: _overrides, ...kept } = request.previous ?? ({} as Partial<RunMeta>);
  const meta: RunMeta = {
    ...kept,
    run: request.run,
    file: request.file,
    description: request.description,
    seed: request.seed,
    backend: runtime.backend,
    specHash: specHash(request.text),
    started: request.previous?.started ?? new Date().toISOString(),
    params: savedParams(spec.shapes),
    ...(spec.classes ? { classes: classNamesOf(spec.classes.count, spec.classes.names) } : {}),
    ...(spec.templates ? { templates: spec.templates.ok ? spec.templates.layout : { reason: spec.templates.reason } } : {}),
    ...(spec.filters ? { filters: spec.filters.ok ? spec.filters.layout : { reason: spec.filters.reason } } : {}),
    ...(request.overrides && Object.keys(request.overrides).length > 0 ? { overrides: request.overrides } : {}),
  };
  const store = new RunStore(request.runsFolder, meta, request.resumeFolder && spec.resume ? { folder: request.resumeFolder, steps: spec.resume.step } : undefined);
  const result = train(runtime, spec, {
    cancelled: io.cancelled,
    onPoint: (point) => {
      store.add(point);
      io.onPoint(point);
    },
    onCheckpoint: (checkpoint) => store.saveCheckpoint(checkpoint),
  });
  // Params and running averages are weights, not a summary.
  const { params: _params, statistics: _statistics, ...summary } = result;
  store.finish(summary);
  // What the model learned, drawn from the weights its figures come from (a run stopped before its first checkpoint has none).
  const saved = checkpointFolder(join(store.folder, "weights", result.reported.weights));
  const templates = spec.templates?.ok && saved ? writeTemplates(store.folder, result.reported.weights) : undefined;
  const filters = spec.filters?.ok && saved ? writeFilters(store.folder, result.reported.weights) : undefined;
  return { result, folder: store.folder, ...(templates ? { templates } : {}), ...(filters ? { filters } : {}) };
}

/**
 * The saved weights a plan reads: the checkpoint of `resumeFolder`, and a
 * reader for `start_from`'s paths, relative to `baseDirectory`.
 */
export function savedInputs(baseDirectory: string, resumeFolder?: string): Loaded<{ saved: SavedInputs; previous?: RunMeta }> {
  const weights: SavedInputs["weights"] = (reference) => readSavedWeights(isAbsolute(reference) ? reference : join(baseDirectory, reference));
  if (!resumeFolder) return { ok: true, value: { saved: { weights } } };
  const checkpoint = readResumeCheckpoint(resumeFolder);
  if (!checkpoint.ok) return checkpoint;
  const { meta, params, state } = checkpoint.value;
  return { ok: true, value: { saved: { weights, resume: { params, state } }, previous: meta } };
}
