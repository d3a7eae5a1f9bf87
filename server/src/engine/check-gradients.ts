// Checks every gradient of a document on a set of examples: each hand-written
// `grad` against centered differences, at the start and at a characteristic
// point where the loss behaves as in training (`check-points.ts`); the
// engine's own autodiff for the params no grad covers; and the loss at
// initialisation against chance. Plain data in, plain data out; the LSP
// layer, the CLI and the Test Explorer all read the same report.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { dimValue } from "../analysis/dims";
import { dependencyOrder, namedDeclarations } from "../analysis/dependencies";
import type { CheckedModel, DeclarationFacts, SymbolInfo } from "../analysis/model";
import { kinkSides, describeSides, scaledPoint, type KinkSides } from "./check-points";
import { compileDeclaration, compileExpression } from "./compile";
import { checkEntry } from "./difference";
import { checkParam, formatNumber, type GradCheckOptions, type ParamCheck, type RandomSource, type Verdict } from "./gradcheck";
import { imageVariants } from "./image-variants";
import { hingeVariants } from "./hinge-variants";
import { IncrementalEvaluator } from "./incremental";
import { initialValue } from "./init";
import type { Graph } from "./ir";
import { constantFolder, splitTerms, svmMargin } from "./loss-terms";
import { explainMismatch } from "./mismatch-patterns";
import { checkDraw } from "./dropout";
import { evaluate, gradients, type Bindings, type Values } from "./reference";
import { tensor, type Tensor } from "./tensor";
import { TrueGradients } from "./true-gradients";


export interface CheckExamples {
  /** Row-major n × d. */
  X: ArrayLike<number>;
  y: ArrayLike<number>;
  n: number;
  d: number;
}

export interface GradResult {
  /** `dL/dW` */
  name: string;
  span: ast.Span;
  loss: string;
  /** The param or score it is the gradient with respect to: its entries are named after it. */
  param: string;
  /** The check that decides: the first point where the grad is wrong, else the start's. */
  check?: ParamCheck;
  /** The check at each point, the start first. */
  points?: PointResult[];
  /** Set when the grad is right at the start and wrong at a later point. */
  failedAt?: { label: string; sides?: string };
  /**
   * For a wrong grad that uses wrong grads: those grads, and whether it is
   * wrong only through them (right when checked again with their true
   * values in their place) or its own expression is wrong too.
   */
  wrongUses?: { grads: { name: string; span: ast.Span }[]; inherits: boolean };
  /** Why the grad could not be checked. */
  problem?: string;
  /** Milliseconds its check took, the loss's evaluation points included when it was the first to need them. */
  durationMs?: number;
}

export interface PointResult {
  label: string;
  verdict: Verdict;
  maxRelativeError: number;
  /** How the loss's hinges and ReLUs sit there compared with the start. */
  sides?: string;
}

export interface AutodiffResult {
  loss: string;
  span: ast.Span;
  check: ParamCheck;
}

export interface ChanceResult {
  loss: string;
  span: ast.Span;
  value: number;
  kind: "softmax" | "svm";
  expected: number;
  /** The expectation as written in the notes, e.g. "ln 10". */
  expectedText: string;
  far: boolean;
}

export interface CheckReport {
  grads: GradResult[];
  autodiff: AutodiffResult[];
  chance: ChanceResult[];
  /** Losses that could not be evaluated: NaN, compile problems. */
  problems: { span: ast.Span; message: string }[];
  examples: number;
  cancelled: boolean;
}

export interface CheckSettings {
  h: number;
  samples: number;
  projections: number;
  all?: boolean;
  /** Check only this grad (its `dL/dW` text) or only this param. */
  only?: { grad?: string; param?: string };
}

/** Initial values of every param with a known shape, each from its own seeded stream. */
export function initialParams(analysis: Analysis, random: (stream: string) => RandomSource): Map<string, Tensor> {
  const params = new Map<string, Tensor>();
  const constant = constantFolder(analysis);
  for (const symbol of analysis.model.symbols.values()) {
    const declaration = symbol.declaration;
    if (declaration.kind !== "param") continue;
    const shape = analysis.model.facts.get(declaration)?.shape?.map(dimValue);
    if (!shape || shape.some((dim) => dim === undefined)) continue;
    params.set(symbol.name, initialValue(shape as number[], declaration.init, constant, random(symbol.name)));
  }
  return params;
}

function bindingsFor(examples: CheckExamples, params: Map<string, Tensor>): Bindings {
  // One training step's dropout masks for the whole check: f(x+h), f(x−h) and the grads all see them.
  return { X: tensor([examples.n, examples.d], examples.X), y: tensor([examples.n], examples.y), params, dropout: checkDraw };
}

function lossKind(graph: Graph): "softmax" | "svm" | undefined {
  const ops = new Set(graph.nodes.map((node) => node.op));
  if (ops.has("logsumexp") || ops.has("logsoftmax")) return "softmax";
  if (ops.has("max") && ops.has("pick")) return "svm";
  return undefined;
}

/** A loss at one point: its evaluator there and how its hinges sit. */
interface LossAtPoint {
  label: string;
  bindings: Bindings;
  evaluator: IncrementalEvaluator;
  sides: KinkSides[];
}

interface LossEntry {
  graph: Graph;
  points: LossAtPoint[];
  /** The engine's gradients at the start, made when first asked for. */
  autodiff: () => Map<string, Tensor>;
  /** The loss's terms that do not read the examples, compiled. */
  regularisation?: Graph;
}

function atPoint(graph: Graph, label: string, bindings: Bindings, values?: Values): LossAtPoint {
  const evaluator = new IncrementalEvaluator(graph, bindings, values);
  return { label, bindings, evaluator, sides: kinkSides(graph, evaluator.center) };
}

export function checkGradients(analysis: Analysis, examples: CheckExamples, settings: CheckSettings, random: (stream: string) => RandomSource, control: Pick<GradCheckOptions, "cancelled" | "progress"> = {}): CheckReport {
  const { model } = analysis;
  const report: CheckReport = { grads: [], autodiff: [], chance: [], problems: [], examples: examples.n, cancelled: false };
  const params = initialParams(analysis, random);
  const bindings = bindingsFor(examples, params);
  const options = (stream: string): GradCheckOptions => ({ ...settings, checkAllBelow: 200, random: random(`check:${stream}`), ...control });
  const constant = constantFolder(analysis);
  const classes = dimValue(model.dims.C);
  const lossGraphs = new Map<string, LossEntry | undefined>();

  const lossGraph = (name: string): LossEntry | undefined => {
    if (lossGraphs.has(name)) return lossGraphs.get(name);
    const symbol = model.symbols.get(name);
    let entry: LossEntry | undefined;
    if (symbol && symbol.kind === "loss" && symbol.declaration.kind === "loss") {
      const compiled = compileDeclaration(model, symbol.declaration);
      if (!compiled.ok) report.problems.push({ span: compiled.span, message: compiled.message });
      else if (compiled.graph.params.every((param) => params.has(param))) {
        const start = atPoint(compiled.graph, "the start", bindings);
        if (!Number.isFinite(start.evaluator.centerValue)) {
          report.problems.push({ span: symbol.declaration.name.span, message: `${name} is ${start.evaluator.centerValue} at the initial weights on these ${examples.n} examples, so its gradient cannot be checked` });
        } else {
          let autodiff: Map<string, Tensor> | undefined;
          entry = { graph: compiled.graph, points: [start], autodiff: () => (autodiff ??= gradients(compiled.graph, start.evaluator.center)) };
          const scaled = scaledPoint(compiled.graph, bindings, start.evaluator.center);
          if (scaled) {
            const there = atPoint(compiled.graph, scaled.label, { ...bindings, params: scaled.params }, scaled.values);
            if (Number.isFinite(there.evaluator.centerValue)) entry.points.push(there);
          }
          const rest = splitTerms(analysis, symbol.declaration.value).rest;
          const restGraph = rest ? compileExpression(model, rest) : undefined;
          if (restGraph?.ok) entry.regularisation = restGraph.graph;
        }
      }
    }
    lossGraphs.set(name, entry);
    return entry;
  };

  const scoreGraphs = new Map<string, LossEntry | undefined>();

  /**
   * The loss as a function of a score: the score an input like a param,
   * bound at each of the loss's points to its value there, so what is
   * upstream of it is held and what is downstream recomputed. The param
   * checks' machinery (differences, kinks, locating, patterns) then applies
   * as it is.
   */
  const lossOfScore = (name: string, score: ast.Declaration): LossEntry | undefined => {
    const key = `${name}/${score.name.text}`;
    if (scoreGraphs.has(key)) return scoreGraphs.get(key);
    const loss = lossGraph(name);
    const declaration = model.symbols.get(name)?.declaration;
    let entry: LossEntry | undefined;
    if (loss && declaration) {
      const held = compileDeclaration(model, declaration, new Set([score]));
      const value = compileDeclaration(model, score);
      if (held.ok && value.ok) {
        const points = loss.points.map((point) => {
          const at = evaluate(value.graph, point.bindings)[value.graph.output];
          return atPoint(held.graph, point.label, { ...point.bindings, params: new Map([...point.bindings.params, [score.name.text, at]]) });
        });
        let autodiff: Map<string, Tensor> | undefined;
        entry = { graph: held.graph, points, autodiff: () => (autodiff ??= gradients(held.graph, points[0].evaluator.center)) };
      }
    }
    scoreGraphs.set(key, entry);
    return entry;
  };

  const lossFor = (name: string, wrt: SymbolInfo) => (wrt.kind === "score" ? lossOfScore(name, wrt.declaration) : lossGraph(name));

  /** One grad's check at the start and, while it holds, at the other points. */
  const checkGrad = (result: GradResult, declaration: ast.Declaration, wrt: SymbolInfo): "cancelled" | undefined => {
    const param = result.param;
    const loss = lossFor(result.loss, wrt);
    const compiled = compileDeclaration(model, declaration);
    if (!loss) {
      result.problem = `${result.loss} could not be evaluated`;
      return;
    }
    if (!compiled.ok) {
      result.problem = compiled.message;
      return;
    }
    const expected = loss.points[0].bindings.params.get(param) as Tensor;
    result.points = [];
    // The start first; a grad already wrong there needs no other point.
    for (const [k, point] of loss.points.entries()) {
      const value = evaluate(compiled.graph, point.bindings)[compiled.graph.output];
      if (value.data.length !== expected.data.length) {
        result.problem = `the gradient has shape [${value.shape.join(", ")}] but ${param} has shape [${expected.shape.join(", ")}]`;
        break;
      }
      const explain = (entries: Parameters<typeof explainMismatch>[0]) =>
        explainMismatch(entries, {
          param,
          value: point.bindings.params.get(param) as Tensor,
          n: examples.n,
          regularisation: regularisationGradient(loss, point.bindings, param),
          alternatives: () => [...hingeVariants(loss.graph).map((variant) => ({ description: variant.description, gradient: gradients(variant.graph, evaluate(variant.graph, point.bindings)).get(param) as Tensor })), ...imageVariants(loss.graph, point.bindings, param)],
        }) ?? (wrt.kind === "param" ? correctClassPattern(loss.graph, compiled.graph, point.bindings, param, classes, options(`${result.name}:one`)) : undefined);
      // Past the start a hinge's mistakes are spread over the entries the samples see; half the
      // projections there (each costs a product with the examples) keep the check near one point's cost.
      const projections = k === 0 ? settings.projections : Math.ceil(settings.projections / 2);
      const check = checkParam(loss.graph, point.bindings, param, { shape: expected.shape, data: value.data }, { ...options(k === 0 ? result.name : `${result.name}@${k}`), projections, explain }, point.evaluator);
      const sides = k > 0 ? describeSides(loss.points[0].sides, point.sides) : undefined;
      result.points.push({ label: point.label, verdict: check.verdict, maxRelativeError: check.maxRelativeError, ...(sides ? { sides } : {}) });
      if (check.cancelled) {
        result.check = check;
        report.cancelled = true;
        return "cancelled";
      }
      if (k === 0 || check.verdict === "error") result.check = check;
      if (check.verdict === "error") {
        if (k > 0) result.failedAt = { label: point.label, ...(sides ? { sides } : {}) };
        break;
      }
    }
    if (result.problem) delete result.check;
    return undefined;
  };

  const checked = new Map<ast.Declaration, { result: GradResult; gradOf: GradOf }>();
  const truth = new TrueGradients(model);

  /**
   * A wrong grad that uses wrong grads, checked again with the true
   * gradients in their place: right then, it is wrong only through them
   * (`inherits`); still wrong, its own expression is.
   */
  const diagnoseChain = (result: GradResult, declaration: ast.Declaration, gradOf: GradOf): "cancelled" | undefined => {
    const wrongUses = namedDeclarations(model, declaration).flatMap((used) => {
      const use = checked.get(used);
      return use && use.result.check?.verdict === "error" ? [{ declaration: used, ...use }] : [];
    });
    const loss = lossFor(result.loss, gradOf.wrt);
    if (wrongUses.length === 0 || !loss) return undefined;
    const compiled = compileDeclaration(model, declaration, new Set(wrongUses.map((use) => use.declaration)));
    if (!compiled.ok) return undefined;
    const expected = loss.points[0].bindings.params.get(result.param) as Tensor;
    const grads = wrongUses.map((use) => ({ name: use.result.name, span: use.result.span }));
    for (const [k, point] of loss.points.entries()) {
      const params = new Map(point.bindings.params);
      for (const use of wrongUses) {
        const value = truth.at(use.gradOf.loss, use.gradOf.wrt, point.bindings);
        if (!value) return undefined;
        params.set(use.result.name, value);
      }
      const analytic = evaluate(compiled.graph, { ...point.bindings, params })[compiled.graph.output];
      const projections = k === 0 ? settings.projections : Math.ceil(settings.projections / 2);
      const check = checkParam(loss.graph, point.bindings, result.param, { shape: expected.shape, data: analytic.data }, { ...options(`${result.name}:uses@${k}`), projections }, point.evaluator);
      if (check.cancelled) {
        report.cancelled = true;
        return "cancelled";
      }
      if (check.verdict === "error") {
        result.wrongUses = { grads, inherits: false };
        return undefined;
      }
    }
    result.wrongUses = { grads, inherits: true };
    return undefined;
  };

  /** The grads in document order, whatever order they were checked in. */
  const finish = () => {
    report.grads.sort((a, b) => a.span.start - b.span.start);
    return report;
  };

  // A grad checked alone brings the grads it uses, so that its check can tell whether it is wrong only through them.
  const only = settings.only?.grad ? model.grads.get(settings.only.grad) : undefined;
  const wanted = only ? new Set(dependencyOrder(model, only.declaration).filter((declaration) => declaration.kind === "grad")) : undefined;
  const covered = new Set<string>();
  for (const symbol of gradsInDependencyOrder(model)) {
    const declaration = symbol.declaration;
    const gradOf = model.facts.get(declaration)?.gradOf;
    if (declaration.kind !== "grad" || !gradOf) continue;
    if (settings.only?.grad && !wanted?.has(declaration)) continue;
    if (settings.only?.param && settings.only.param !== gradOf.wrt.name) continue;
    const param = gradOf.wrt.name;
    covered.add(`${gradOf.loss.name}/${param}`);
    const result: GradResult = { name: symbol.name, span: declaration.name.span, loss: gradOf.loss.name, param };
    report.grads.push(result);
    checked.set(declaration, { result, gradOf });
    const startedAt = performance.now();
    try {
      if (checkGrad(result, declaration, gradOf.wrt) === "cancelled") return finish();
      if (result.check?.verdict === "error" && diagnoseChain(result, declaration, gradOf) === "cancelled") return finish();
    } finally {
      result.durationMs = performance.now() - startedAt;
    }
  }

  // The engine's own gradients, for the params of each objective that no grad covers.
  const objectives = [...model.symbols.values()].filter((symbol) => symbol.kind === "loss" && model.facts.get(symbol.declaration)?.curvature?.length);
  for (const symbol of objectives) {
    const loss = lossGraph(symbol.name);
    if (!loss) continue;
    const start = loss.points[0];
    for (const param of loss.graph.params) {
      if (covered.has(`${symbol.name}/${param}`) || (settings.only && settings.only.param !== param)) continue;
      if (settings.only?.grad) continue;
      const check = checkParam(loss.graph, bindings, param, loss.autodiff().get(param) as Tensor, options(`${symbol.name}/${param}`), start.evaluator);
      report.autodiff.push({ loss: symbol.name, span: symbol.declaration.name.span, check });
      if (check.cancelled) {
        report.cancelled = true;
        return finish();
      }
    }
    const kind = lossKind(loss.graph);
    if (kind && classes !== undefined && classes > 1 && symbol.declaration.kind === "loss") {
      const margin = kind === "svm" ? svmMargin(symbol.declaration.value, constant) ?? 1 : 0;
      const expected = kind === "softmax" ? Math.log(classes) : (classes - 1) * margin;
      const data = splitTerms(analysis, symbol.declaration.value).data;
      const compiledData = data ? compileExpression(model, data) : undefined;
      if (!compiledData?.ok) continue;
      const value = evaluate(compiledData.graph, bindings)[compiledData.graph.output].data[0];
      report.chance.push({
        loss: symbol.name,
        span: symbol.declaration.name.span,
        value,
        kind,
        expected,
        expectedText: kind === "softmax" ? `ln ${classes} ≈ ${formatNumber(expected)}` : `(C − 1)·Δ = ${classes - 1} × ${formatNumber(margin)} = ${formatNumber(expected)}`,
        far: Math.abs(value - expected) > 0.1 * Math.max(expected, 0.5),
      });
    }
  }
  return finish();
}

type GradOf = NonNullable<DeclarationFacts["gradOf"]>;

/** The grads, each after the grads its expression uses, so a grad's uses are checked before it. */
function gradsInDependencyOrder(model: CheckedModel): SymbolInfo[] {
  const order: SymbolInfo[] = [];
  const seen = new Set<ast.Declaration>();
  for (const grad of model.grads.values()) {
    for (const declaration of dependencyOrder(model, grad.declaration)) {
      const symbol = declaration.kind === "grad" ? model.grads.get(declaration.name.text) : undefined;
      if (!symbol || symbol.declaration !== declaration || seen.has(declaration)) continue;
      seen.add(declaration);
      order.push(symbol);
    }
  }
  return order;
}

/** The gradient of the loss's regularisation terms with respect to `param` at a point, when they read it. */
function regularisationGradient(loss: LossEntry, bindings: Bindings, param: string): Tensor | undefined {
  if (!loss.regularisation || !loss.regularisation.params.includes(param)) return undefined;
  return gradients(loss.regularisation, evaluate(loss.regularisation, bindings)).get(param);
}

/**
 * With every class some example's correct class, a wrong correct-class term
 * touches every row (or, for a param laid out [D, C], every column). On one
 * example it touches one: re-check there.
 */
function correctClassPattern(lossGraph: Graph, gradGraph: Graph, bindings: Bindings, param: string, classes: number | undefined, options: GradCheckOptions): string | undefined {
  const value = bindings.params.get(param) as Tensor;
  if (value.shape.length !== 2 || bindings.X.shape[0] < 2 || classes === undefined) return undefined;
  const d = bindings.X.shape[1];
  const one: Bindings = { X: { shape: [1, d], data: bindings.X.data.slice(0, d) }, y: { shape: [1], data: bindings.y.data.slice(0, 1) }, params: bindings.params };
  const label = one.y.data[0];
  const analytic = evaluate(gradGraph, one)[gradGraph.output];
  const evaluator = new IncrementalEvaluator(lossGraph, one);
  const [rows, columns] = value.shape;
  for (const axis of [0, 1]) {
    if (value.shape[axis] !== classes || label >= classes) continue;
    const across = axis === 0 ? columns : rows;
    const wrongLines = new Set<number>();
    for (let line = 0; line < classes; line++) {
      for (let t = 0; t < Math.min(across, 8); t++) {
        const other = Math.floor(options.random.uniform() * across);
        const flat = axis === 0 ? line * columns + other : other * columns + line;
        const entry = checkEntry(evaluator, param, value.shape, flat, analytic.data[flat], options.h, 1);
        if (entry.wrong) wrongLines.add(line);
      }
    }
    const lines = axis === 0 ? "row" : "column";
    if (wrongLines.size === 1 && wrongLines.has(label)) return `on a single example only ${lines} ${label}, its correct class, is wrong: check the term for j = yᵢ`;
  }
  return undefined;
}
