// Checks every gradient of a document on a set of examples: each hand-written
// `grad` against centered differences, the engine's own autodiff for the
// params no grad covers, and the loss at initialisation against chance.
// Plain data in, plain data out; the LSP layer, the CLI and the Test
// Explorer all read the same report.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { dimValue } from "../analysis/dims";
import type { Finding } from "../analysis/diagnostic";
import { compileDeclaration, compileExpression } from "./compile";
import { checkParam, formatNumber, relativeError, type GradCheckOptions, type ParamCheck, type RandomSource } from "./gradcheck";
import { IncrementalEvaluator } from "./incremental";
import { initialValue } from "./init";
import type { Graph } from "./ir";
import { evaluate, gradients, type Bindings } from "./reference";
import { tensor, type Tensor } from "./tensor";

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
  param: string;
  check?: ParamCheck;
  /** Why the grad could not be checked. */
  problem?: string;
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

function constantOf(analysis: Analysis) {
  const fold = (expr: ast.Expr): number | undefined => {
    switch (expr.kind) {
      case "number":
        return expr.value;
      case "negate": {
        const inner = fold(expr.operand);
        return inner === undefined ? undefined : -inner;
      }
      case "name": {
        const symbol = analysis.model.symbols.get(expr.name);
        return symbol?.kind === "hyper" ? analysis.model.facts.get(symbol.declaration)?.value : undefined;
      }
      case "binary": {
        const a = fold(expr.left);
        const b = fold(expr.right);
        if (a === undefined || b === undefined) return undefined;
        return expr.op === "+" ? a + b : expr.op === "-" ? a - b : expr.op === "*" ? a * b : expr.op === "/" ? a / b : expr.op === "^" ? a ** b : undefined;
      }
      default:
        return undefined;
    }
  };
  return fold;
}

/** Initial values of every param with a known shape, each from its own seeded stream. */
export function initialParams(analysis: Analysis, random: (stream: string) => RandomSource): Map<string, Tensor> {
  const params = new Map<string, Tensor>();
  const constant = constantOf(analysis);
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
  return { X: tensor([examples.n, examples.d], examples.X), y: tensor([examples.n], examples.y), params };
}

/** The SVM margin Δ: the constant added inside max(0, …), 1 if none is found. */
function svmMargin(expr: ast.Expr, constant: (expr: ast.Expr) => number | undefined): number | undefined {
  const stack = [expr];
  while (stack.length > 0) {
    const node = stack.pop() as ast.Expr;
    if (node.kind === "call" && node.callee.text === "max" && node.args.length === 2 && constant(node.args[0].value) === 0) {
      let margin = 0;
      const terms = [node.args[1].value];
      while (terms.length > 0) {
        const term = terms.pop() as ast.Expr;
        if (term.kind === "binary" && term.op === "+") terms.push(term.left, term.right);
        else margin += constant(term) ?? 0;
      }
      return margin || 1;
    }
    if (node.kind === "call") stack.push(...node.args.map((argument) => argument.value));
    if (node.kind === "binary") stack.push(node.left, node.right);
    if (node.kind === "negate") stack.push(node.operand);
  }
  return undefined;
}

/**
 * The loss without its regularisation: the additive terms that depend on the
 * examples (X or y), with named losses opened up. The notes' chance check is
 * about this part alone.
 */
function dataTerm(analysis: Analysis, expr: ast.Expr): ast.Expr | undefined {
  const { model } = analysis;
  const dependsOnData = (root: ast.Expr): boolean => {
    const seen = new Set<ast.Declaration>();
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop() as ast.Expr;
      if (node.kind === "name") {
        if (node.name === "X" || node.name === "y") return true;
        const declaration = model.symbols.get(node.name)?.declaration;
        if (declaration && (declaration.kind === "score" || declaration.kind === "loss") && !seen.has(declaration)) {
          seen.add(declaration);
          stack.push(declaration.value);
        }
      }
      if (node.kind === "call") stack.push(...node.args.map((argument) => argument.value));
      if (node.kind === "binary") stack.push(node.left, node.right);
      if (node.kind === "negate" || node.kind === "transpose") stack.push(node.operand);
      if (node.kind === "index") stack.push(node.target, ...node.indices);
    }
    return false;
  };
  const terms: ast.Expr[] = [];
  const open = (node: ast.Expr, negative: boolean) => {
    const declaration = node.kind === "name" ? model.symbols.get(node.name)?.declaration : undefined;
    if (declaration?.kind === "loss") return open(declaration.value, negative);
    if (node.kind === "binary" && (node.op === "+" || node.op === "-")) {
      open(node.left, negative);
      open(node.right, node.op === "-" ? !negative : negative);
      return;
    }
    if (dependsOnData(node)) terms.push(negative ? { kind: "negate", operand: node, span: node.span } : node);
  };
  open(expr, false);
  if (terms.length === 0) return undefined;
  return terms.reduce((sum, term) => ({ kind: "binary", op: "+", left: sum, right: term, opSpan: term.span, span: term.span }));
}

function lossKind(graph: Graph): "softmax" | "svm" | undefined {
  const ops = new Set(graph.nodes.map((node) => node.op));
  if (ops.has("logsumexp") || ops.has("logsoftmax")) return "softmax";
  if (ops.has("max") && ops.has("pick")) return "svm";
  return undefined;
}

export function checkGradients(analysis: Analysis, examples: CheckExamples, settings: CheckSettings, random: (stream: string) => RandomSource, control: Pick<GradCheckOptions, "cancelled" | "progress"> = {}): CheckReport {
  const { model } = analysis;
  const report: CheckReport = { grads: [], autodiff: [], chance: [], problems: [], examples: examples.n, cancelled: false };
  const params = initialParams(analysis, random);
  const bindings = bindingsFor(examples, params);
  const options = (stream: string): GradCheckOptions => ({ ...settings, checkAllBelow: 200, random: random(`check:${stream}`), ...control });
  const constant = constantOf(analysis);
  const lossGraphs = new Map<string, { graph: Graph; evaluator: IncrementalEvaluator; autodiff: Map<string, Tensor> } | undefined>();

  const lossGraph = (name: string) => {
    if (lossGraphs.has(name)) return lossGraphs.get(name);
    const symbol = model.symbols.get(name);
    let entry: { graph: Graph; evaluator: IncrementalEvaluator; autodiff: Map<string, Tensor> } | undefined;
    if (symbol && symbol.kind === "loss") {
      const compiled = compileDeclaration(model, symbol.declaration);
      if (!compiled.ok) report.problems.push({ span: compiled.span, message: compiled.message });
      else if (compiled.graph.params.every((param) => params.has(param))) {
        const evaluator = new IncrementalEvaluator(compiled.graph, bindings);
        if (!Number.isFinite(evaluator.centerValue)) {
          report.problems.push({ span: symbol.declaration.name.span, message: `${name} is ${evaluator.centerValue} at the initial weights on these ${examples.n} examples, so its gradient cannot be checked` });
        } else {
          entry = { graph: compiled.graph, evaluator, autodiff: gradients(compiled.graph, evaluator.center) };
        }
      }
    }
    lossGraphs.set(name, entry);
    return entry;
  };

  const covered = new Set<string>();
  for (const symbol of model.grads.values()) {
    const declaration = symbol.declaration;
    const gradOf = model.facts.get(declaration)?.gradOf;
    if (declaration.kind !== "grad" || !gradOf) continue;
    if (settings.only?.grad && settings.only.grad !== symbol.name) continue;
    if (settings.only?.param && settings.only.param !== gradOf.param.name) continue;
    covered.add(`${gradOf.loss.name}/${gradOf.param.name}`);
    const result: GradResult = { name: symbol.name, span: declaration.name.span, loss: gradOf.loss.name, param: gradOf.param.name };
    report.grads.push(result);
    const loss = lossGraph(gradOf.loss.name);
    const compiled = compileDeclaration(model, declaration);
    if (!loss) {
      result.problem = `${gradOf.loss.name} could not be evaluated`;
      continue;
    }
    if (!compiled.ok) {
      result.problem = compiled.message;
      continue;
    }
    const value = evaluate(compiled.graph, bindings)[compiled.graph.output];
    const expected = params.get(gradOf.param.name) as Tensor;
    if (value.data.length !== expected.data.length) {
      result.problem = `the gradient has shape [${value.shape.join(", ")}] but ${gradOf.param.name} has shape [${expected.shape.join(", ")}]`;
      continue;
    }
    result.check = checkParam(loss.graph, bindings, gradOf.param.name, { shape: expected.shape, data: value.data }, options(symbol.name), loss.evaluator);
    if (result.check.cancelled) {
      report.cancelled = true;
      return report;
    }
    if (result.check.verdict === "error" && !result.check.pattern) {
      const pattern = correctClassPattern(loss.graph, compiled.graph, bindings, gradOf.param.name, options(`${symbol.name}:one`));
      if (pattern) result.check.pattern = pattern;
    }
  }

  // The engine's own gradients, for the params of each objective that no grad covers.
  const objectives = [...model.symbols.values()].filter((symbol) => symbol.kind === "loss" && model.facts.get(symbol.declaration)?.curvature?.length);
  for (const symbol of objectives) {
    const loss = lossGraph(symbol.name);
    if (!loss) continue;
    for (const param of loss.graph.params) {
      if (covered.has(`${symbol.name}/${param}`) || (settings.only && settings.only.param !== param)) continue;
      if (settings.only?.grad) continue;
      const check = checkParam(loss.graph, bindings, param, loss.autodiff.get(param) as Tensor, options(`${symbol.name}/${param}`), loss.evaluator);
      report.autodiff.push({ loss: symbol.name, span: symbol.declaration.name.span, check });
      if (check.cancelled) {
        report.cancelled = true;
        return report;
      }
    }
    const kind = lossKind(loss.graph);
    const classes = dimValue(model.dims.C);
    if (kind && classes !== undefined && classes > 1 && symbol.declaration.kind === "loss") {
      const margin = kind === "svm" ? svmMargin(symbol.declaration.value, constant) ?? 1 : 0;
      const expected = kind === "softmax" ? Math.log(classes) : (classes - 1) * margin;
      const data = dataTerm(analysis, symbol.declaration.value);
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
  return report;
}

/**
 * With every class some example's correct class, a wrong correct-class term
 * touches every row. On one example it touches one row: re-check there.
 */
function correctClassPattern(lossGraph: Graph, gradGraph: Graph, bindings: Bindings, param: string, options: GradCheckOptions): string | undefined {
  const value = bindings.params.get(param) as Tensor;
  if (value.shape.length !== 2 || bindings.X.shape[0] < 2) return undefined;
  const d = bindings.X.shape[1];
  const one: Bindings = { X: { shape: [1, d], data: bindings.X.data.slice(0, d) }, y: { shape: [1], data: bindings.y.data.slice(0, 1) }, params: bindings.params };
  const label = one.y.data[0];
  if (label >= value.shape[0]) return undefined;
  const analytic = evaluate(gradGraph, one)[gradGraph.output];
  const evaluator = new IncrementalEvaluator(lossGraph, one);
  const columns = value.shape[1];
  const wrongRows = new Set<number>();
  for (let row = 0; row < value.shape[0]; row++) {
    for (let t = 0; t < Math.min(columns, 8); t++) {
      const column = Math.floor(options.random.uniform() * columns);
      const flat = row * columns + column;
      const plus = evaluator.perturbEntry(param, flat, options.h);
      const minus = evaluator.perturbEntry(param, flat, -options.h);
      if (plus.kinked || minus.kinked) continue;
      if (relativeError(analytic.data[flat], (plus.value - minus.value) / (2 * options.h)) > 1e-4) wrongRows.add(row);
    }
  }
  if (wrongRows.size === 1 && wrongRows.has(label)) return `on a single example only row ${label}, its correct class, is wrong: check the term for j = yᵢ`;
  return undefined;
}

function entryText(param: string, index: number[]): string {
  return `${param}[${index.join(",")}]`;
}

/** The report as findings on the declarations it concerns. */
export function checkFindings(report: CheckReport): Finding[] {
  const findings: Finding[] = [];
  for (const grad of report.grads) {
    if (grad.problem) {
      findings.push({ span: grad.span, severity: "warning", code: "gradcheck", message: `${grad.name} was not checked: ${grad.problem}` });
      continue;
    }
    const check = grad.check;
    if (!check || (check.verdict !== "error" && check.verdict !== "warning")) continue;
    const worst = check.worst[0];
    const projection = check.projections.filter((p) => !p.kink).sort((a, b) => b.relativeError - a.relativeError)[0];
    const where =
      worst && worst.relativeError >= (projection?.relativeError ?? 0)
        ? `at ${entryText(grad.param, worst.index)} (analytic ${formatNumber(worst.analytic)}, numerical ${formatNumber(worst.numerical)})`
        : projection
          ? `along a random direction (analytic ${formatNumber(projection.analytic)}, numerical ${formatNumber(projection.numerical)})`
          : "";
    const message = `analytic ${grad.name} disagrees with the numerical gradient: max relative error ${formatNumber(check.maxRelativeError)} ${where}${check.pattern ? `; ${check.pattern}` : ""}`;
    findings.push({ span: grad.span, severity: check.verdict === "error" ? "error" : "warning", code: "gradcheck", message });
  }
  for (const autodiff of report.autodiff) {
    const check = autodiff.check;
    if (check.verdict !== "error" && check.verdict !== "warning") continue;
    findings.push({ span: autodiff.span, severity: "warning", code: "gradcheck-autodiff", message: `the gradient of ${autodiff.loss} with respect to ${check.param} does not match centered differences (max relative error ${formatNumber(check.maxRelativeError)}): the loss may be non-differentiable or unstable at the initial weights` });
  }
  for (const chance of report.chance) {
    if (!chance.far) continue;
    const what = chance.kind === "softmax" ? "softmax" : "an SVM with small weights";
    findings.push({ span: chance.span, severity: "information", code: "chance", message: `the data part of ${chance.loss} is ${formatNumber(chance.value)} at initialisation, but chance for ${what} is ${chance.expectedText}: check the loss, or start with smaller weights` });
  }
  for (const problem of report.problems) findings.push({ span: problem.span, severity: "warning", code: "gradcheck", message: problem.message });
  return findings;
}
