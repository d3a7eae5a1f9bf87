// From a planned run (train/plan-run.ts) to what the JAX script needs, as
// plain data: the graphs as Python functions, the params' shapes and starting
// values, the optimizer with its settings resolved, the schedule, the sampler's
// seed, and where the examples come from. The plan is the only source of what
// is trained; the data declaration is read only for what the script does
// itself (which IDX files, which preparation). What the export cannot
// reproduce exactly is an error on the construct, never a different script.
import type * as ast from "../syntax/ast";
import { forEachExpression } from "../syntax/walk";
import type { Graph, OpName } from "../engine/ir";
import type { Analysis } from "../analysis/analyze";
import { leadingRows } from "../data/stored-bytes";
import type { Examples, SplitName, Splits } from "../data/types";
import { planRun, readSettings, type RunDeclaration } from "../train/plan-run";
import { createOptimizer } from "../train/optimizers";
import type { ScheduleSpec } from "../train/schedules";
import { batchSamplerSeed } from "../train/trainer";
import { settingsOf } from "../worker/load-examples";
import type { DataDeclaration } from "../worker/run-check";
import { pythonFunction } from "./jax-graph";

/** Examples the script reads from the .optim file's IDX or CIFAR-10 folder, or its .npy files, and prepares as our data layer does. */
export interface FileSource {
  kind: "idx" | "cifar10" | "npy";
  /** The folder (idx, cifar10), absolute, as the data declaration resolves it. */
  folder?: string;
  /** The inputs and labels files (npy), absolute. */
  inputs?: string;
  labels?: string;
  counts: { train?: number; val?: number; test?: number };
  first?: number;
  factor?: number;
  center: boolean;
  bias: boolean;
}

/** Examples written beside the script as .npy, already prepared: generated and inline data. */
export interface ArraySource {
  kind: "arrays";
  splits: SplitName[];
}

export interface JaxExportPlan {
  run: string;
  file: string;
  description: string;
  seed: number;
  specHash: string;
  steps: number;
  evalEvery: number;
  source: FileSource | ArraySource;
  /** The split the run trains on and how many of its first rows. */
  train: { split: SplitName; rows: number };
  evaluation?: SplitName;
  test?: SplitName;
  optimizer: { rule: string; settings: Record<string, number>; lr: number; batch: number; schedule: ScheduleSpec };
  /** The minibatch sampler's seed; null when every step takes every row. */
  batchSeed: number | null;
  params: { name: string; shape: number[] }[];
  lossFunction: string;
  scoreFunction?: string;
}

/** An array the export writes beside the script, as .npy. */
export interface ExportArray {
  path: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

export type JaxExport = { ok: true; plan: JaxExportPlan; arrays: ExportArray[] } | { ok: false; message: string; span: ast.Span };

/** Generators and inline rows: their prepared examples travel as arrays. */
const arraySources = new Set(["toy", "spiral", "blobs", "inline"]);
/** Sources the script reads itself. */
const fileSources = new Set(["idx", "cifar10", "npy"]);
/** Data settings the script reproduces (flatten changes nothing; seed only matters to sample). */
const supportedDataSettings = new Set(["train", "val", "test", "scale", "center", "bias_trick", "flatten", "first", "seed"]);

function unsupported(what: string, span: ast.Span): JaxExport {
  return { ok: false, message: `the JAX export does not support ${what}`, span };
}

/** The builtins whose values depend on the training step or the run's state, with what the script lacks for each. */
const statefulBuiltins: Record<string, { op: OpName; why: string }> = {
  dropout_mask: { op: "dropoutmask", why: "dropout_mask(...) (its masks come from the lab's own generator, step by step)" },
  batch_mean: { op: "batchmean", why: "batch_mean(...) (batch normalization's running averages)" },
  batch_var: { op: "batchvar", why: "batch_var(...) (batch normalization's running averages)" },
};

/** A refusal on the first call of a builtin the graphs use that the script cannot reproduce, or undefined. */
function statefulOpUse(analysis: Analysis, graphs: Graph[]): JaxExport | undefined {
  const used = new Set(graphs.flatMap((graph) => graph.nodes.map((node) => node.op)));
  let refusal: JaxExport | undefined;
  forEachExpression(analysis.document, (expr) => {
    if (refusal || expr.kind !== "call") return;
    const builtin = statefulBuiltins[expr.callee.text];
    if (builtin && used.has(builtin.op)) refusal = unsupported(builtin.why, expr.span);
  });
  return refusal;
}

function settingOf(block: ast.Block | undefined, key: string): ast.Setting | undefined {
  return block?.settings.find((setting) => setting.key.text === key);
}

function sourceOf(declaration: DataDeclaration, resolvePath: (relative: string) => string): FileSource | ArraySource | JaxExport {
  const source = declaration.source;
  const name = source.kind === "call" ? source.callee.text : "";
  if (source.kind !== "call" || (!fileSources.has(name) && !arraySources.has(name))) return unsupported(`the data source ${name ? `${name}(...)` : "of data " + declaration.name.text} (only idx(...), cifar10(...), npy(...) and the generators toy, spiral, blobs and inline)`, source.span);
  for (const setting of declaration.block?.settings ?? []) {
    const key = setting.key.text;
    if (!supportedDataSettings.has(key)) return unsupported(`the data setting '${key}'`, setting.span);
    if ((key === "train" || key === "val" || key === "test") && setting.value && setting.value.kind !== "number") return unsupported(`a split read from a file of its own ('${key}')`, setting.span);
  }
  if (arraySources.has(name)) return { kind: "arrays", splits: [] };
  const paths = source.args.filter((argument) => !argument.name).map((argument) => (argument.value.kind === "string" ? argument.value.value : undefined));
  if (paths[0] === undefined || (name === "npy" && paths[1] === undefined)) return unsupported(`${name}(...) without its ${name === "npy" ? "inputs and labels files" : "folder"}`, source.span);
  const settings = settingsOf(declaration);
  const number = (key: string) => settings.get(key)?.number;
  const counts: FileSource["counts"] = {};
  for (const key of ["train", "val", "test"] as const) if (number(key) !== undefined) counts[key] = number(key);
  return {
    kind: name as FileSource["kind"],
    ...(name === "npy" ? { inputs: resolvePath(paths[0]), labels: resolvePath(paths[1] as string) } : { folder: resolvePath(paths[0]) }),
    counts,
    ...(number("first") !== undefined ? { first: number("first") } : {}),
    ...(number("scale") !== undefined ? { factor: number("scale") } : {}),
    center: settings.has("center"),
    bias: settings.has("bias_trick"),
  };
}

function splitArrays(split: SplitName, examples: Examples): ExportArray[] {
  return [
    { path: `data/${split}-X.npy`, shape: [examples.n, examples.d], values: leadingRows(examples, examples.n) },
    { path: `data/${split}-y.npy`, shape: [examples.n], values: examples.y.subarray(0, examples.n) },
  ];
}

export interface ExportInputs {
  analysis: Analysis;
  run: RunDeclaration;
  data: (name: string) => Splits | undefined;
  /** The .optim file as the user named it, and the sha256 of its text (run-store.ts's specHash). */
  file: string;
  specHash: string;
  /** Resolves a path of the document (beside the .optim file). */
  resolvePath: (relative: string) => string;
  seed?: number;
}

export function planJaxExport(inputs: ExportInputs): JaxExport {
  const { analysis, run, data } = inputs;
  const planned = planRun(analysis, run, data, inputs.seed);
  if (!planned.ok) return planned;
  const { spec } = planned;
  const stateful = statefulOpUse(analysis, [spec.loss, ...(spec.score ? [spec.score] : [])]);
  if (stateful) return stateful;
  const strategy = spec.strategy;
  const by = settingOf(run.block, "by");
  if (strategy.kind !== "gradient") return unsupported(`${strategy.kind.replace(/_/g, " ")} (only runs that follow the gradient with an optimizer)`, by?.span ?? run.name.span);
  const settings = readSettings(analysis, run);
  const on = settings.splits.on;
  const declaration = analysis.document.declarations.find((candidate): candidate is DataDeclaration => candidate.kind === "data" && candidate.name.text === on.data);
  if (!declaration) return { ok: false, message: `no data named ${on.data}`, span: run.name.span };
  const source = sourceOf(declaration, inputs.resolvePath);
  if ("ok" in source) return source;
  const splitOf = (key: "eval" | "test"): SplitName | undefined | JaxExport => {
    const named = settings.splits[key];
    if (!named) return undefined;
    if (named.data !== on.data) return unsupported(`'${key}' on another data set than the run trains on (${named.data})`, settingOf(run.block, key)?.span ?? run.name.span);
    return named.split as SplitName;
  };
  const evaluation = splitOf("eval");
  if (typeof evaluation === "object") return evaluation;
  const test = splitOf("test");
  if (typeof test === "object") return test;
  const splits = data(on.data) as Splits;
  const arrays: ExportArray[] = [];
  if (source.kind === "arrays") {
    source.splits = [...new Set([on.split as SplitName, ...(evaluation ? [evaluation] : []), ...(test ? [test] : [])])];
    for (const split of source.splits) arrays.push(...splitArrays(split, splits[split] as Examples));
  }
  const params = [...spec.shapes].map(([name, shape]) => ({ name, shape }));
  for (const { name, shape } of params) arrays.push({ path: `start/${name}.npy`, shape, values: spec.params.get(name) as Float32Array });
  const batch = Math.min(strategy.batch ?? spec.train.n, spec.train.n);
  return {
    ok: true,
    arrays,
    plan: {
      run: run.name.text,
      file: inputs.file,
      description: planned.description,
      seed: inputs.seed ?? settings.numbers.seed ?? 0,
      specHash: inputs.specHash,
      steps: spec.steps,
      evalEvery: spec.evalEvery,
      source,
      train: { split: on.split as SplitName, rows: spec.train.n },
      ...(evaluation ? { evaluation } : {}),
      ...(test ? { test } : {}),
      optimizer: { rule: strategy.rule, settings: { ...createOptimizer(strategy.rule, strategy.settings).settings }, lr: strategy.lr, batch, schedule: strategy.schedule },
      batchSeed: batch < spec.train.n ? batchSamplerSeed(spec) : null,
      params,
      lossFunction: pythonFunction("loss_graph", spec.loss, true),
      ...(spec.score ? { scoreFunction: pythonFunction("score_graph", spec.score, false) } : {}),
    },
  };
}
