// Curvature analysis in the spirit of disciplined convex programming: each
// expression is classified as constant, affine, convex, concave or unknown in
// a chosen set of parameters, by composition rules, with a sign range for
// every expression so that products by constants and powers can be judged.
import type * as ast from "../syntax/ast";
import type { SymbolInfo } from "./model";
import { withArticle } from "./suggest";


export type Curvature = "constant" | "affine" | "convex" | "concave" | "unknown";

interface Interval {
  low: number;
  high: number;
}

interface Judgement {
  curvature: Curvature;
  /** Bounds on the value; [-∞, ∞] when nothing is known. */
  range: Interval;
  /** A short phrase saying why, for hover: "a hinge of affine functions". */
  reason: string;
}

const anything: Interval = { low: -Infinity, high: Infinity };
const nonNegative: Interval = { low: 0, high: Infinity };

function point(value: number): Interval {
  return { low: value, high: value };
}

function addIntervals(a: Interval, b: Interval): Interval {
  return { low: a.low + b.low, high: a.high + b.high };
}

function multiplyIntervals(a: Interval, b: Interval): Interval {
  const products = [a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high].map((value) => (Number.isNaN(value) ? 0 : value));
  return { low: Math.min(...products), high: Math.max(...products) };
}

function negateInterval(a: Interval): Interval {
  return { low: -a.high, high: -a.low };
}

export function isConvexLike(curvature: Curvature): boolean {
  return curvature === "constant" || curvature === "affine" || curvature === "convex";
}

function isConcaveLike(curvature: Curvature): boolean {
  return curvature === "constant" || curvature === "affine" || curvature === "concave";
}

function flip(curvature: Curvature): Curvature {
  return curvature === "convex" ? "concave" : curvature === "concave" ? "convex" : curvature;
}

/** Curvature of a sum. */
function addCurvatures(a: Curvature, b: Curvature): Curvature {
  if (a === "unknown" || b === "unknown") return "unknown";
  if (a === "constant") return b;
  if (b === "constant") return a;
  if (a === "affine") return b;
  if (b === "affine") return a;
  return a === b ? a : "unknown";
}

/** Curvature of c·f for a constant c in `range`. */
function scaleCurvature(curvature: Curvature, range: Interval): Curvature {
  if (curvature === "constant" || curvature === "affine") return curvature;
  if (range.low >= 0) return curvature;
  if (range.high <= 0) return flip(curvature);
  return "unknown";
}

export interface CurvatureContext {
  lookup(name: string): SymbolInfo | undefined;
  /** Value of a hyper, when it folds to a number. */
  hyperValue(declaration: ast.Declaration): number | undefined;
  /** The parameters whose curvature is asked for. */
  variables: Set<string>;
}

type Composition = { convex: boolean; nondecreasing: boolean; nonincreasing: boolean; range: (input: Interval) => Interval; atom: string };

// f(g): convex if f is convex and g affine, or f convex nondecreasing and g convex,
// or f convex nonincreasing and g concave; concave by the mirrored rules.
const elementwiseAtoms: Record<string, Composition> = {
  relu: { convex: true, nondecreasing: true, nonincreasing: false, range: () => nonNegative, atom: "a hinge" },
  abs: { convex: true, nondecreasing: false, nonincreasing: false, range: () => nonNegative, atom: "an absolute value" },
  exp: { convex: true, nondecreasing: true, nonincreasing: false, range: () => ({ low: 0, high: Infinity }), atom: "an exponential" },
  log: { convex: false, nondecreasing: true, nonincreasing: false, range: () => anything, atom: "a logarithm" },
  sqrt: { convex: false, nondecreasing: true, nonincreasing: false, range: () => nonNegative, atom: "a square root" },
};

function compose(outer: Composition, inner: Judgement): Judgement {
  const range = outer.range(inner.range);
  if (inner.curvature === "constant") return { curvature: "constant", range, reason: "constant" };
  if (inner.curvature === "unknown") return { curvature: "unknown", range, reason: inner.reason };
  const direct = outer.convex ? "convex" : "concave";
  const matches = outer.convex ? isConvexLike : isConcaveLike;
  const mirrored = outer.convex ? isConcaveLike : isConvexLike;
  const ok =
    inner.curvature === "affine" ||
    (outer.nondecreasing && matches(inner.curvature)) ||
    (outer.nonincreasing && mirrored(inner.curvature));
  if (!ok) return { curvature: "unknown", range, reason: `${outer.atom} of ${withArticle(inner.curvature)} function` };
  const what = inner.curvature === "affine" ? "affine functions" : `${inner.curvature} functions`;
  return { curvature: direct, range, reason: `${outer.atom} of ${what}` };
}

export class CurvatureAnalysis {
  private readonly memo = new Map<ast.Declaration, Judgement>();
  private readonly visiting = new Set<ast.Declaration>();

  constructor(private readonly context: CurvatureContext) {}

  /**
   * `order` is the declarations it is computed from, each after those it
   * names (dependencies.ts): judged first in that order, so following a name
   * finds its judgement and never recurses along a chain of declarations.
   */
  judgeDeclaration(declaration: ast.Declaration, order: ast.Declaration[] = []): Judgement {
    for (const each of order) if (each !== declaration) this.judgeDeclaration(each);
    const known = this.memo.get(declaration);
    if (known) return known;
    if (this.visiting.has(declaration)) return { curvature: "unknown", range: anything, reason: "defined in terms of itself" };
    this.visiting.add(declaration);
    let judgement: Judgement;
    if (declaration.kind === "hyper") {
      const value = this.context.hyperValue(declaration);
      judgement = { curvature: "constant", range: value === undefined ? anything : point(value), reason: "constant" };
    } else if (declaration.kind === "param") {
      judgement = this.context.variables.has(declaration.name.text)
        ? { curvature: "affine", range: anything, reason: `affine in ${declaration.name.text}` }
        : { curvature: "constant", range: anything, reason: "constant" };
    } else if (declaration.kind === "score" || declaration.kind === "loss") {
      judgement = this.judge(declaration.value);
    } else {
      judgement = { curvature: "unknown", range: anything, reason: "not an expression" };
    }
    this.visiting.delete(declaration);
    this.memo.set(declaration, judgement);
    return judgement;
  }

  judge(expr: ast.Expr): Judgement {
    switch (expr.kind) {
      case "number":
        return { curvature: "constant", range: point(expr.value), reason: "constant" };
      case "name":
        return this.judgeName(expr.name);
      case "negate": {
        const inner = this.judge(expr.operand);
        return { curvature: flip(inner.curvature), range: negateInterval(inner.range), reason: inner.curvature === "concave" || inner.curvature === "convex" ? `the negative of ${inner.reason}` : inner.reason };
      }
      case "transpose":
        return this.judge(expr.operand);
      case "index": {
        // s[y] picks one entry per row: a linear map.
        const inner = this.judge(expr.target);
        return { ...inner };
      }
      case "binary":
        return this.judgeBinary(expr);
      case "call":
        return this.judgeCall(expr);
      default:
        return { curvature: "unknown", range: anything, reason: "not an expression" };
    }
  }

  private judgeName(name: string): Judgement {
    if (name === "X") return { curvature: "constant", range: anything, reason: "constant" };
    if (name === "y" || name === "C" || name === "D") return { curvature: "constant", range: nonNegative, reason: "constant" };
    if (name === "N") return { curvature: "constant", range: { low: 1, high: Infinity }, reason: "constant" };
    const symbol = this.context.lookup(name);
    if (!symbol) return { curvature: "unknown", range: anything, reason: `unknown name ${name}` };
    return this.judgeDeclaration(symbol.declaration);
  }

  private judgeBinary(expr: Extract<ast.Expr, { kind: "binary" }>): Judgement {
    const left = this.judge(expr.left);
    const right = this.judge(expr.right);
    switch (expr.op) {
      case "+":
      case "-": {
        const rightSigned = expr.op === "-" ? { ...right, curvature: flip(right.curvature), range: negateInterval(right.range) } : right;
        const curvature = addCurvatures(left.curvature, rightSigned.curvature);
        const range = addIntervals(left.range, rightSigned.range);
        return { curvature, range, reason: this.sumReason(curvature, left, rightSigned) };
      }
      case "*":
      case "@":
        return this.judgeProduct(left, right, expr.op === "@");
      case "/": {
        if (right.curvature !== "constant") return { curvature: left.curvature === "constant" ? "unknown" : "unknown", range: anything, reason: "a division by a term that depends on the parameters" };
        const reciprocal: Interval = right.range.low > 0 || right.range.high < 0 ? { low: 1 / right.range.high, high: 1 / right.range.low } : anything;
        return this.judgeProduct(left, { curvature: "constant", range: reciprocal, reason: "constant" }, false);
      }
      case "^":
        return this.judgePower(left, expr.right);
      default:
        // Comparisons are step functions of their operands.
        if (left.curvature === "constant" && right.curvature === "constant") return { curvature: "constant", range: { low: 0, high: 1 }, reason: "constant" };
        return { curvature: "unknown", range: { low: 0, high: 1 }, reason: "a comparison, which is a step function" };
    }
  }

  private sumReason(curvature: Curvature, left: Judgement, right: Judgement): string {
    if (curvature === "affine" || curvature === "constant") return curvature === "affine" ? "affine" : "constant";
    if (curvature === "unknown") {
      const culprit = left.curvature === "unknown" ? left : right.curvature === "unknown" ? right : undefined;
      return culprit ? culprit.reason : "a sum of a convex and a concave term";
    }
    const terms = [left, right].filter((term) => term.curvature === curvature).map((term) => term.reason);
    if (terms.length === 1) return terms[0];
    return `a sum of ${curvature} terms (${terms.join("; ")})`;
  }

  private judgeProduct(left: Judgement, right: Judgement, matrix: boolean): Judgement {
    const range = matrix ? anything : multiplyIntervals(left.range, right.range);
    if (left.curvature === "constant" && right.curvature === "constant") return { curvature: "constant", range, reason: "constant" };
    if (left.curvature !== "constant" && right.curvature !== "constant") {
      return { curvature: "unknown", range, reason: "a product of two terms that both depend on the parameters" };
    }
    const [constant, varying] = left.curvature === "constant" ? [left, right] : [right, left];
    // A matrix product mixes entries of unknown sign unless the varying side is affine.
    const curvature = matrix && varying.curvature !== "affine" ? (constant.range.low >= 0 ? varying.curvature : "unknown") : scaleCurvature(varying.curvature, constant.range);
    if (curvature === "unknown") return { curvature, range, reason: varying.curvature === "unknown" ? varying.reason : `${varying.reason}, multiplied by values of unknown sign` };
    if (curvature !== varying.curvature) return { curvature, range, reason: `${varying.reason}, times a negative number` };
    return { curvature, range, reason: varying.reason };
  }

  private judgePower(base: Judgement, exponentExpr: ast.Expr): Judgement {
    const exponent = this.judge(exponentExpr);
    const p = exponent.range.low === exponent.range.high ? exponent.range.low : undefined;
    if (exponent.curvature !== "constant" || p === undefined) return { curvature: base.curvature === "constant" && exponent.curvature === "constant" ? "constant" : "unknown", range: anything, reason: "a power with a varying exponent" };
    if (base.curvature === "constant") return { curvature: "constant", range: anything, reason: "constant" };
    if (p === 1) return base;
    const even = Number.isInteger(p) && p % 2 === 0;
    const range = even ? nonNegative : anything;
    if (base.curvature === "affine" && (even || (p >= 1 && base.range.low >= 0))) return { curvature: "convex", range, reason: p === 2 ? "a convex quadratic" : `an affine function to the power ${p}` };
    if (base.curvature === "convex" && p >= 1 && base.range.low >= 0) return { curvature: "convex", range, reason: `the power ${p} of a nonnegative convex function (${base.reason})` };
    return { curvature: "unknown", range, reason: base.curvature === "unknown" ? base.reason : `the power ${p} of ${withArticle(base.curvature)} function` };
  }

  private judgeCall(expr: Extract<ast.Expr, { kind: "call" }>): Judgement {
    const name = expr.callee.text;
    const positional = expr.args.filter((argument) => !argument.name).map((argument) => argument.value);
    const atom = elementwiseAtoms[name];
    if (atom && positional.length === 1) {
      // log(softmax(z)) is z − logsumexp(z): concave in z.
      const inner = positional[0];
      if (name === "log" && inner.kind === "call" && inner.callee.text === "softmax") {
        const z = this.judge(inner.args[0]?.value ?? inner);
        if (z.curvature === "constant") return { curvature: "constant", range: { low: -Infinity, high: 0 }, reason: "constant" };
        if (z.curvature === "affine") return { curvature: "concave", range: { low: -Infinity, high: 0 }, reason: "a log-softmax of affine functions" };
        return { curvature: "unknown", range: { low: -Infinity, high: 0 }, reason: z.curvature === "unknown" ? z.reason : `a log-softmax of ${withArticle(z.curvature)} function` };
      }
      return compose(atom, this.judge(inner));
    }
    switch (name) {
      case "max":
      case "min": {
        if (name === "max" && positional.length === 1) {
          // The largest entry, of all or along an axis: convex and nondecreasing.
          return compose({ convex: true, nondecreasing: true, nonincreasing: false, range: (input) => input, atom: "a max" }, this.judge(positional[0]));
        }
        const [a, b] = positional.map((argument) => this.judge(argument));
        if (!a || !b) return { curvature: "unknown", range: anything, reason: "an incomplete call" };
        const range = name === "max" ? { low: Math.max(a.range.low, b.range.low), high: Math.max(a.range.high, b.range.high) } : { low: Math.min(a.range.low, b.range.low), high: Math.min(a.range.high, b.range.high) };
        if (a.curvature === "constant" && b.curvature === "constant") return { curvature: "constant", range, reason: "constant" };
        const wanted = name === "max" ? isConvexLike : isConcaveLike;
        if (wanted(a.curvature) && wanted(b.curvature)) {
          const affine = [a, b].every((part) => part.curvature !== "convex" && part.curvature !== "concave");
          return { curvature: name === "max" ? "convex" : "concave", range, reason: affine ? `a hinge (${name}) of affine functions` : `a ${name} of ${name === "max" ? "convex" : "concave"} functions` };
        }
        const culprit = [a, b].find((part) => !wanted(part.curvature)) as Judgement;
        return { curvature: "unknown", range, reason: culprit.curvature === "unknown" ? culprit.reason : `a ${name} of ${withArticle(culprit.curvature)} function` };
      }
      case "sum":
      case "mean": {
        const inner = this.judge(positional[0] ?? expr);
        const range = name === "mean" ? inner.range : { low: inner.range.low >= 0 ? 0 : -Infinity, high: inner.range.high <= 0 ? 0 : Infinity };
        if (inner.curvature === "constant" || inner.curvature === "affine") return { ...inner, range };
        // Summing or averaging keeps the kind of the terms; the reason stays theirs.
        return { curvature: inner.curvature, range, reason: inner.reason };
      }
      case "conv2d": {
        // Linear in each argument, as a matrix product is.
        const [a, b] = positional.map((argument) => this.judge(argument));
        if (!a || !b) return { curvature: "unknown", range: anything, reason: "an incomplete call" };
        const judged = this.judgeProduct(a, b, true);
        return judged.curvature === "affine" ? { ...judged, reason: "a convolution of affine functions" } : judged;
      }
      case "maxpool": {
        // A max over each window: convex and nondecreasing, as max is.
        const inner = this.judge(positional[0] ?? expr);
        return compose({ convex: true, nondecreasing: true, nonincreasing: false, range: (input) => input, atom: "a max pooling" }, inner);
      }
      case "avgpool":
      case "upsample":
      case "reshape":
      case "flatten":
      case "transpose":
      case "flip": {
        // Linear maps that only average, copy or move entries: the kind and the range of the entries stay.
        const inner = this.judge(positional[0] ?? expr);
        return { ...inner };
      }
      case "logsumexp": {
        const inner = this.judge(positional[0] ?? expr);
        return compose({ convex: true, nondecreasing: true, nonincreasing: false, range: () => anything, atom: "a log-sum-exp" }, inner);
      }
      case "onehot":
        return { curvature: "constant", range: { low: 0, high: 1 }, reason: "constant" };
      case "batch_mean": {
        // A mean over the batch's rows: linear in its argument, as mean is.
        const inner = this.judge(positional[0] ?? expr);
        return inner.curvature === "constant" || inner.curvature === "affine" ? inner : { curvature: inner.curvature, range: inner.range, reason: inner.reason };
      }
      case "batch_var": {
        // A mean of squared deviations: convex in an affine argument.
        const inner = this.judge(positional[0] ?? expr);
        if (inner.curvature === "constant") return { curvature: "constant", range: { low: 0, high: Infinity }, reason: "constant" };
        if (inner.curvature === "affine") return { curvature: "convex", range: { low: 0, high: Infinity }, reason: "a batch variance of affine functions" };
        return { curvature: "unknown", range: { low: 0, high: Infinity }, reason: inner.curvature === "unknown" ? inner.reason : `a batch variance of ${withArticle(inner.curvature)} function` };
      }
      case "dropout_mask":
        // mask/keep or 1: a nonnegative constant of the params.
        return { curvature: "constant", range: { low: 0, high: Infinity }, reason: "constant" };
      case "softmax": {
        const inner = this.judge(positional[0] ?? expr);
        return { curvature: inner.curvature === "constant" ? "constant" : "unknown", range: { low: 0, high: 1 }, reason: "a softmax, which is neither convex nor concave" };
      }
      default: {
        const inner = positional.map((argument) => this.judge(argument));
        const constant = inner.every((part) => part.curvature === "constant");
        return { curvature: constant ? "constant" : "unknown", range: name === "sigmoid" ? { low: 0, high: 1 } : name === "tanh" ? { low: -1, high: 1 } : anything, reason: constant ? "constant" : `${name}, which is neither convex nor concave` };
      }
    }
  }
}
