// From a `run` declaration to a training spec: the loss and score graphs, the
// initial params (the declarations' initialisers, saved weights that
// `start_from` names, or a checkpoint a resumed run goes on from, with its
// state), the examples of each split, the strategy with its optimizer and
// schedule, the number of steps and the patience.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { dimValue } from "../analysis/dims";
import type { SymbolInfo } from "../analysis/model";
import { leadingRows } from "../data/stored-bytes";
import type { Examples, Splits } from "../data/types";
import { initialParams } from "../engine/check-gradients";
import { compileDeclaration } from "../engine/compile";
import { seededStreams } from "../engine/random";
import { strategiesByName } from "../language/settings";
import { createOptimizer } from "./optimizers";
import { numericDefaults, scheduleFrom } from "./schedules";
import type { ResumeState, RunSetup, Strategy, TrainExamples, TrainSpec } from "./trainer";
import type { NamedArray } from "./weights";
import { planFilters } from "./filters";
import { planTemplates } from "./templates";

export type RunDeclaration = Extract<ast.Declaration, { kind: ast.ExperimentKind }>;

export type Planned = { ok: true; spec: TrainSpec; data: string; description: string; seed: number } | { ok: false; message: string; span: ast.Span };

/** Weights from earlier runs that a plan may start from, read by the caller. */
export interface SavedInputs {
  /** The checkpoint a resumed run goes on from: its params and state. */
  resume?: { params: Map<string, NamedArray>; state: ResumeState };
  /** The weights `start_from` names, as written in the run (a path relative to the document). */
  weights?: (reference: string) => { ok: true; value: { folder: string; params: Map<string, NamedArray> } } | { ok: false; message: string };
}

/** The path `start_from` gives, with where it is written. */
export function startFromOf(run: RunDeclaration): { path: string; span: ast.Span } | undefined {
  const value = settingsOf(run.block).get("start_from");
  return value?.kind === "string" ? { path: value.value, span: value.span } : undefined;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * The params `given` holds in place of `planned`'s initial ones: every param
 * must be there with the same shape. `what` names where they come from.
 */
function replaceParams(setup: RunSetup, given: ReadonlyMap<string, NamedArray>, what: string, span: ast.Span): { ok: true } | { ok: false; message: string; span: ast.Span } {
  for (const [name, shape] of setup.shapes) {
    const saved = given.get(name);
    if (!saved) return { ok: false, message: `${what} has no weights for param ${name}`, span };
    if (shapeText(saved.shape) !== shapeText(shape)) return { ok: false, message: `param ${name} is ${shapeText(shape)} here but ${shapeText(saved.shape)} in ${what}`, span };
  }
  for (const [name, saved] of given) setup.params.set(name, saved.values.slice());
  return { ok: true };
}

/** The resumed state must fit the optimizer the run names now and the steps it has left. */
function checkResume(state: ResumeState, strategy: Strategy, steps: number, setup: RunSetup, span: ast.Span): { ok: true } | { ok: false; message: string; span: ast.Span } {
  if (strategy.kind !== "gradient") return { ok: false, message: "only a run that follows the gradient can be resumed", span };
  // Going on without batch normalization's running averages would not be the same run.
  if (!state.statistics && setup.loss.nodes.some((node) => node.op === "batchmean" || node.op === "batchvar")) return { ok: false, message: "the checkpoint holds no running averages of batch_mean and batch_var (it was saved before runs kept them): the run cannot go on as it would have", span };
  if (state.step >= steps) return { ok: false, message: `the saved run already took ${state.step} of its ${steps} steps: raise steps to go on`, span };
  const slots = createOptimizer(strategy.rule, strategy.settings).newState(1);
  for (const [name, arrays] of state.optimizer) {
    for (const slot of ["first", "second"] as const) {
      if ((arrays[slot] !== undefined) !== slots[slot].length > 0) return { ok: false, message: `the checkpoint's optimizer state for ${name} is not what ${strategy.rule} keeps: was the run's optimizer changed?`, span };
    }
  }
  return { ok: true };
}


function constant(expr: ast.Expr | undefined, analysis: Analysis): number | undefined {
  if (!expr) return undefined;
  if (expr.kind === "number") return expr.value;
  if (expr.kind === "negate") {
    const inner = constant(expr.operand, analysis);
    return inner === undefined ? undefined : -inner;
  }
  if (expr.kind === "name") {
    const symbol = analysis.model.symbols.get(expr.name);
    return symbol?.kind === "hyper" ? analysis.model.facts.get(symbol.declaration)?.value : undefined;
  }
  if (expr.kind === "binary") {
    const a = constant(expr.left, analysis);
    const b = constant(expr.right, analysis);
    if (a === undefined || b === undefined) return undefined;
    return expr.op === "*" ? a * b : expr.op === "/" ? a / b : expr.op === "+" ? a + b : expr.op === "-" ? a - b : expr.op === "^" ? a ** b : undefined;
  }
  return undefined;
}

function settingsOf(block: ast.Block | undefined): Map<string, ast.Expr | undefined> {
  return new Map((block?.settings ?? []).map((setting) => [setting.key.text, setting.value]));
}

function asTrain(examples: Examples, first?: number): TrainExamples {
  const n = first === undefined ? examples.n : Math.min(first, examples.n);
  return { X: leadingRows(examples, n), y: examples.y.subarray(0, n), n, d: examples.d };
}

/** The score the loss is built on: the last [N, C] score it depends on. */
function scoreFor(analysis: Analysis, loss: SymbolInfo): SymbolInfo | undefined {
  const classes = analysis.model.dims.C;
  const scores = [...analysis.model.symbols.values()].filter((symbol) => {
    if (symbol.kind !== "score") return false;
    const shape = analysis.model.facts.get(symbol.declaration)?.shape;
    return shape?.length === 2 && dimValue(shape[1]) === dimValue(classes);
  });
  const used = new Set<string>();
  const stack: ast.Expr[] = loss.declaration.kind === "loss" ? [loss.declaration.value] : [];
  while (stack.length > 0) {
    const node = stack.pop() as ast.Expr;
    if (node.kind === "name" && !used.has(node.name)) {
      used.add(node.name);
      const declaration = analysis.model.symbols.get(node.name)?.declaration;
      if (declaration && (declaration.kind === "score" || declaration.kind === "loss")) stack.push(declaration.value);
    }
    if (node.kind === "call") stack.push(...node.args.map((argument) => argument.value));
    if (node.kind === "binary") stack.push(node.left, node.right);
    if (node.kind === "negate" || node.kind === "transpose") stack.push(node.operand);
    if (node.kind === "index") stack.push(node.target, ...node.indices);
  }
  return scores.filter((score) => used.has(score.name)).pop();
}

function strategyFor(analysis: Analysis, by: ast.Expr | undefined, span: ast.Span): { ok: true; strategy: Strategy; steps?: number } | { ok: false; message: string; span: ast.Span } {
  if (!by) return { ok: false, message: "the run needs 'by': an optimizer, random_search(...) or random_local_search(...)", span };
  const strategyName = by.kind === "call" ? by.callee.text : by.kind === "name" ? by.name : undefined;
  const search = strategyName ? strategiesByName.get(strategyName) : undefined;
  if (search) {
    const args = { ...numericDefaults(search.named) };
    if (by.kind === "call") for (const argument of by.args) if (argument.name) args[argument.name.text] = constant(argument.value, analysis) ?? args[argument.name.text];
    return search.name === "random_search"
      ? { ok: true, strategy: { kind: "random_search", tries: args.tries, scale: args.scale }, steps: args.tries }
      : { ok: true, strategy: { kind: "random_local_search", steps: args.steps, step: args.step }, steps: args.steps };
  }
  const optimizer = by.kind === "name" ? analysis.model.symbols.get(by.name) : undefined;
  if (!optimizer || optimizer.kind !== "optimizer") return { ok: false, message: "'by' names no optimizer", span: by.span };
  const declaration = optimizer.declaration as Extract<ast.Declaration, { kind: "optimizer" }>;
  const rule = declaration.rule.kind === "name" ? declaration.rule.name : "sgd";
  const settings: Record<string, number> = {};
  let schedule = scheduleFrom("constant");
  for (const setting of declaration.block?.settings ?? []) {
    if (setting.key.text === "schedule" && setting.value) {
      const call = setting.value;
      const name = call.kind === "call" ? call.callee.text : call.kind === "name" ? call.name : "constant";
      const args: Record<string, number> = {};
      if (call.kind === "call") for (const argument of call.args) if (argument.name) args[argument.name.text] = constant(argument.value, analysis) ?? NaN;
      schedule = scheduleFrom(name, args);
      continue;
    }
    const value = constant(setting.value, analysis);
    if (value !== undefined) settings[setting.key.text] = value;
  }
  const { lr, batch, ...rest } = settings;
  return { ok: true, strategy: { kind: "gradient", rule, settings: rest, lr: lr ?? 1e-3, ...(batch !== undefined ? { batch } : {}), schedule } };
}

/** The loss, examples and initial params an experiment declaration names (`minimize` or `of`, `on`, `first`, `seed`). */
export function planSetup(analysis: Analysis, declaration: RunDeclaration, data: (name: string) => Splits | undefined, seed?: number): { ok: true; setup: RunSetup; loss: string; data: string; split: string; seed: number } | { ok: false; message: string; span: ast.Span } {
  const settings = settingsOf(declaration.block);
  const what = `${declaration.kind} ${declaration.name.text}`;
  const lossExpr = settings.get("minimize") ?? settings.get("of");
  const loss = lossExpr?.kind === "name" ? analysis.model.symbols.get(lossExpr.name) : undefined;
  if (!loss || loss.kind !== "loss") return { ok: false, message: `${what} needs the loss it works on`, span: declaration.name.span };
  const on = settings.get("on");
  if (on?.kind !== "member" || on.target.kind !== "name") return { ok: false, message: `${what} needs 'on' with a data split such as images.train`, span: declaration.name.span };
  const dataName = on.target.name;
  const splits = data(dataName);
  if (!splits) return { ok: false, message: `${dataName} could not be read`, span: on.span };
  const split = on.member.text as "train" | "val" | "test";
  const trainPart = splits[split];
  if (!trainPart) return { ok: false, message: `${dataName} has no ${split} split`, span: on.span };
  const compiled = compileDeclaration(analysis.model, loss.declaration);
  if (!compiled.ok) return { ok: false, message: compiled.message, span: compiled.span };
  const score = scoreFor(analysis, loss);
  const scoreGraph = score ? compileDeclaration(analysis.model, score.declaration) : undefined;
  const runSeed = seed ?? constant(settings.get("seed"), analysis) ?? 0;
  const random = seededStreams(runSeed);
  const params = initialParams(analysis, random);
  const partOf = (expr: ast.Expr | undefined) => (expr?.kind === "member" && expr.target.kind === "name" ? data(expr.target.name)?.[expr.member.text as "train" | "val" | "test"] : undefined);
  const evaluation = partOf(settings.get("eval"));
  const test = partOf(settings.get("test"));
  const shapes = new Map([...params].map(([name, value]) => [name, value.shape]));
  const scoreOf = scoreGraph?.ok ? scoreGraph.graph : undefined;
  return {
    ok: true,
    loss: loss.name,
    data: dataName,
    split,
    seed: runSeed,
    setup: {
      loss: compiled.graph,
      score: scoreOf,
      params: new Map([...params].map(([name, value]) => [name, Float32Array.from(value.data)])),
      shapes,
      classes: { count: trainPart.classes, ...(trainPart.classNames ? { names: trainPart.classNames } : {}) },
      templates: planTemplates(scoreOf, shapes, trainPart),
      filters: planFilters(compiled.graph, shapes, trainPart),
      train: asTrain(trainPart, constant(settings.get("first"), analysis)),
      evaluation: evaluation ? asTrain(evaluation) : undefined,
      test: test ? asTrain(test) : undefined,
      evalEvery: constant(settings.get("every"), analysis) ?? 100,
      random,
      bnMomentum: constant(settings.get("bn_momentum"), analysis),
    },
  };
}

/** The strategy named by an experiment's `by`. */
export function planStrategy(analysis: Analysis, declaration: RunDeclaration): { ok: true; strategy: Strategy; steps?: number } | { ok: false; message: string; span: ast.Span } {
  return strategyFor(analysis, settingsOf(declaration.block).get("by"), declaration.name.span);
}

/**
 * `data` must hold the loaded splits of the run's data set, prepared;
 * `saved` the weights it starts from, where it does not start from its
 * declarations' initialisers.
 */
export function planRun(analysis: Analysis, run: RunDeclaration, data: (name: string) => Splits | undefined, seed?: number, saved: SavedInputs = {}): Planned {
  const base = planSetup(analysis, run, data, seed);
  if (!base.ok) return base;
  const strategy = planStrategy(analysis, run);
  if (!strategy.ok) return strategy;
  const settings = settingsOf(run.block);
  const { setup } = base;
  const epochs = constant(settings.get("epochs"), analysis);
  const batch = Math.min(strategy.strategy.kind === "gradient" ? strategy.strategy.batch ?? setup.train.n : setup.train.n, setup.train.n);
  const steps = strategy.steps ?? constant(settings.get("steps"), analysis) ?? (epochs !== undefined ? Math.ceil((epochs * setup.train.n) / batch) : 1000);
  const patience = constant(settings.get("patience"), analysis);
  let from = "";
  const startFrom = startFromOf(run);
  if (saved.resume) {
    const checked = checkResume(saved.resume.state, strategy.strategy, steps, setup, run.name.span);
    if (!checked.ok) return checked;
    const replaced = replaceParams(setup, saved.resume.params, "the checkpoint", run.name.span);
    if (!replaced.ok) return replaced;
    from = `, resumed at step ${saved.resume.state.step}`;
  } else if (startFrom) {
    if (!saved.weights) return { ok: false, message: "start_from: saved weights cannot be read here", span: startFrom.span };
    const weights = saved.weights(startFrom.path);
    if (!weights.ok) return { ok: false, message: `start_from: ${weights.message}`, span: startFrom.span };
    const replaced = replaceParams(setup, weights.value.params, weights.value.folder, startFrom.span);
    if (!replaced.ok) return replaced;
    from = `, from the weights in ${weights.value.folder}`;
  }
  const how = strategy.strategy.kind === "gradient" ? `${strategy.strategy.rule}, lr ${strategy.strategy.lr}, batch ${batch}` : strategy.strategy.kind.replace(/_/g, " ");
  return {
    ok: true,
    spec: { ...setup, strategy: strategy.strategy, steps, ...(patience !== undefined ? { patience } : {}), ...(saved.resume ? { resume: saved.resume.state } : {}) },
    data: base.data,
    seed: base.seed,
    description: `minimize ${base.loss} on ${base.data}.${base.split} (${setup.train.n} examples) by ${how} for ${steps} steps${patience !== undefined ? ` (patience ${patience})` : ""}, seed ${base.seed}${from}`,
  };
}

export interface ReadSettings {
  numbers: Record<string, number>;
  names: Record<string, string>;
  ranges: Record<string, { from: number; to: number }>;
  /** Data splits such as `on images.train`. */
  splits: Record<string, { data: string; split: string }>;
}

/** An experiment's settings as numbers, bare names and ranges (the checker has vetted their kinds). */
export function readSettings(analysis: Analysis, declaration: RunDeclaration): ReadSettings {
  const read: ReadSettings = { numbers: {}, names: {}, ranges: {}, splits: {} };
  for (const [key, value] of settingsOf(declaration.block)) {
    if (!value) continue;
    if (value.kind === "range") {
      const from = constant(value.from, analysis);
      const to = constant(value.to, analysis);
      if (from !== undefined && to !== undefined) read.ranges[key] = { from, to };
      continue;
    }
    if (value.kind === "member" && value.target.kind === "name") read.splits[key] = { data: value.target.name, split: value.member.text };
    if (value.kind === "name") read.names[key] = value.name;
    const number = constant(value, analysis);
    if (number !== undefined) read.numbers[key] = number;
  }
  return read;
}
