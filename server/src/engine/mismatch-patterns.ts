// What a wrong gradient has in common with the right one. The analytic
// gradient is first explained as a combination of the numerical one's parts:
// a ≈ α·(n − k) + γ·k, where k is the gradient of the loss's terms that do
// not read the examples (the regularisation; the param itself when the loss
// has none, for a weight-decay term it lacks). α and γ name the pattern: a
// constant factor (a flipped sign, a missing 1/N, a doubled gradient) when
// they agree, a wrong regularisation gradient when only γ is off, a wrong
// data term when only α is. Then whole alternatives are tried (the gradient
// with a hinge's indicator missing or reversed, the transpose). A pattern is
// named only when it explains the error: what it leaves over is at most 2%
// of the disagreement.
import { flatIndex, formatNumber, type EntryCheck } from "./gradcheck";
import type { Tensor } from "./tensor";

export interface PatternContext {
  param: string;
  /** The param's value at the point checked. */
  value: Tensor;
  /** The gradient of the loss's terms that do not read the examples, at the point; undefined when there are none. */
  regularisation?: Tensor;
  /** The number of examples. */
  n: number;
  /** Whole alternative gradients, each with the words that name it. */
  alternatives: () => { gradient: Tensor; description: string }[];
}

const explained = 0.02;

function near(value: number, target: number): boolean {
  return Math.abs(value - target) <= 1e-3 * Math.max(1, Math.abs(target));
}

/** Least squares a ≈ Σ c_j·x_j over the entries, with what it leaves over. */
function fit(a: number[], regressors: number[][]): { coefficients: number[]; residual: number } | undefined {
  const m = regressors.length;
  const gram = regressors.map((x) => regressors.map((z) => x.reduce((sum, value, i) => sum + value * z[i], 0)));
  const right = regressors.map((x) => x.reduce((sum, value, i) => sum + value * a[i], 0));
  let coefficients: number[];
  if (m === 1) {
    if (gram[0][0] === 0) return undefined;
    coefficients = [right[0] / gram[0][0]];
  } else {
    const det = gram[0][0] * gram[1][1] - gram[0][1] * gram[1][0];
    // Nearly collinear regressors cannot be told apart.
    if (Math.abs(det) <= 1e-9 * gram[0][0] * gram[1][1]) return undefined;
    coefficients = [(right[0] * gram[1][1] - right[1] * gram[0][1]) / det, (gram[0][0] * right[1] - gram[1][0] * right[0]) / det];
  }
  let residual = 0;
  for (let i = 0; i < a.length; i++) {
    let predicted = 0;
    for (let j = 0; j < m; j++) predicted += coefficients[j] * regressors[j][i];
    residual += (a[i] - predicted) ** 2;
  }
  return { coefficients, residual: Math.sqrt(residual) };
}

function factorText(factor: number, n: number, what: string): string | undefined {
  if (near(factor, -1)) return `the sign of ${what} is flipped`;
  if (n > 1 && near(factor, n)) return `${what} is N = ${n} times too large: is the 1/N missing?`;
  if (n > 1 && near(factor * n, 1)) return `${what} is N = ${n} times too small: is it divided by N twice?`;
  if (near(factor, 2)) return `${what} is twice too large`;
  if (near(factor, 0.5)) return `${what} is half what it should be`;
  if (near(factor, 0)) return undefined;
  return `${what} is off by a constant factor: ${formatNumber(factor)} × what it should be`;
}

function describeFactors(alpha: number, gamma: number, n: number, hasRegularisation: boolean): string | undefined {
  if (!hasRegularisation || near(alpha, gamma)) {
    if (near(alpha, -1)) return "the sign is flipped: analytic = −numerical everywhere";
    if (n > 1 && near(alpha, n)) return `the analytic gradient is N = ${n} times too large: is the 1/N missing?`;
    if (n > 1 && near(alpha * n, 1)) return `the analytic gradient is N = ${n} times too small: is it divided by N twice?`;
    if (near(alpha, 2)) return "the analytic gradient is twice the numerical one everywhere";
    if (near(alpha, 1)) return undefined;
    return `off by a constant factor: analytic ≈ ${formatNumber(alpha)} × numerical everywhere`;
  }
  if (near(alpha, 1)) {
    if (near(gamma, 0)) return "the regularisation term's gradient is missing";
    if (near(gamma, 2)) return "the regularisation term's gradient is twice too large (is the ½ of ½·reg·ΣW² counted twice?)";
    if (near(gamma, 0.5)) return "the regularisation term's gradient is half what it should be";
    if (near(gamma, -1)) return "the regularisation term's gradient has the wrong sign";
    return `the regularisation term's gradient is ${formatNumber(gamma)} × what it should be`;
  }
  const data = factorText(alpha, n, "the data term's gradient");
  if (near(gamma, 1)) return data ?? "the data term's gradient is missing";
  return `the data term's gradient is ${formatNumber(alpha)} × and the regularisation's ${formatNumber(gamma)} × what they should be`;
}

/** Names the pattern that explains the compared entries' disagreement, if one does. */
export function explainMismatch(entries: EntryCheck[], context: PatternContext): string | undefined {
  const usable = entries.filter((entry) => Number.isFinite(entry.analytic) && Number.isFinite(entry.numerical));
  if (usable.length < 2) return undefined;
  const flat = usable.map((entry) => flatIndex(context.value.shape, entry.index));
  const a = usable.map((entry) => entry.analytic);
  const numerical = usable.map((entry) => entry.numerical);
  const disagreement = Math.sqrt(usable.reduce((sum, entry) => sum + (entry.analytic - entry.numerical) ** 2, 0));
  if (disagreement === 0) return undefined;
  const accepts = (result: { residual: number } | undefined) => result !== undefined && result.residual <= explained * disagreement;

  const known = context.regularisation ? flat.map((i) => (context.regularisation as Tensor).data[i]) : undefined;
  const hasRegularisation = known !== undefined && known.some((value) => value !== 0);
  if (hasRegularisation && known) {
    const data = numerical.map((value, i) => value - known[i]);
    const both = usable.length >= 3 ? fit(a, [data, known]) : undefined;
    if (both && accepts(both)) {
      const text = describeFactors(both.coefficients[0], both.coefficients[1], context.n, true);
      if (text) return text;
    }
  } else {
    const one = fit(a, [numerical]);
    if (one && accepts(one)) {
      const text = describeFactors(one.coefficients[0], one.coefficients[0], context.n, false);
      if (text) return text;
    }
    // A weight-decay term the loss does not have: a ≈ n + c·W.
    const weights = flat.map((i) => context.value.data[i]);
    const decay = usable.length >= 3 ? fit(a.map((value, i) => value - numerical[i]), [weights]) : undefined;
    if (decay && accepts(decay) && !near(decay.coefficients[0], 0)) {
      const c = decay.coefficients[0];
      return `analytic − numerical = ${formatNumber(c)}·${context.param} at every checked entry: the gradient of the regularisation term looks wrong (${c < 0 ? "missing or too small" : "too large, or not in the loss"})`;
    }
  }

  for (const alternative of context.alternatives()) {
    let residual = 0;
    for (let i = 0; i < usable.length; i++) residual += (a[i] - alternative.gradient.data[flat[i]]) ** 2;
    if (Math.sqrt(residual) <= explained * disagreement) return alternative.description;
  }
  return transposePattern(usable, context.value.shape, disagreement);
}

/** On a square param, the analytic gradient equal to the numerical one transposed. */
function transposePattern(entries: EntryCheck[], shape: number[], disagreement: number): string | undefined {
  if (shape.length !== 2 || shape[0] !== shape[1]) return undefined;
  const numerical = new Map(entries.map((entry) => [flatIndex(shape, entry.index), entry.numerical]));
  let residual = 0;
  let pairs = 0;
  for (const entry of entries) {
    const mirrored = numerical.get(flatIndex(shape, [entry.index[1], entry.index[0]]));
    if (mirrored === undefined) continue;
    residual += (entry.analytic - mirrored) ** 2;
    pairs++;
  }
  if (pairs >= 3 && Math.sqrt(residual) <= explained * disagreement) return "the analytic gradient is the numerical one transposed: swap the operands' roles";
  return undefined;
}
