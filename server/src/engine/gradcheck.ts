// The gradient check of the CS231n notes, done carefully: centered
// differences in float64, the relative error |a − n| / max(|a|, |n|), sampled
// coordinates (all of them for small tensors) plus random-direction
// projections that see an error anywhere in a tensor, kinks told apart from
// mismatches, and a search for a pattern when the gradient is wrong.
import type { Graph } from "./ir";
import { IncrementalEvaluator } from "./incremental";
import type { Bindings } from "./reference";
import { tensor, type Tensor } from "./tensor";

export interface RandomSource {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

export interface GradCheckOptions {
  h: number;
  /** Coordinates sampled per parameter. */
  samples: number;
  /** Random directions compared per parameter. */
  projections: number;
  /** Tensors with at most this many entries are checked whole. */
  checkAllBelow: number;
  /** Check every coordinate, however large the tensor. */
  all?: boolean;
  random: RandomSource;
  /** Polled between evaluations; a true answer stops the check. */
  cancelled?: () => boolean;
  /** Called now and then with the evaluations done and planned. */
  progress?: (done: number, total: number) => void;
}

export const defaultGradCheckOptions = { h: 1e-5, samples: 20, projections: 4, checkAllBelow: 200 };

export type Verdict = "good" | "acceptable" | "warning" | "error";

export interface EntryCheck {
  /** Row and column (or just the index) of the entry. */
  index: number[];
  analytic: number;
  numerical: number;
  relativeError: number;
  /** Set when the ±h evaluations straddle a kink: the one-sided derivatives. */
  kink?: { left: number; right: number };
}

export interface ProjectionCheck {
  analytic: number;
  numerical: number;
  relativeError: number;
  kink: boolean;
}

export interface ParamCheck {
  param: string;
  shape: number[];
  /** Entries compared (kinks included). */
  checked: number;
  /** The entries with the largest relative errors, kinks left out, worst first. */
  worst: EntryCheck[];
  kinks: EntryCheck[];
  projections: ProjectionCheck[];
  maxRelativeError: number;
  verdict: Verdict;
  /** Counts of relative errors per decade: [<1e-10, 1e-10..1e-9, …, ≥1]. */
  histogram: number[];
  /** What the mismatch looks like, when it has a shape: "off by a factor of N". */
  pattern?: string;
  cancelled?: boolean;
}

export function relativeError(analytic: number, numerical: number): number {
  const scale = Math.max(Math.abs(analytic), Math.abs(numerical));
  if (scale === 0) return 0;
  if (!Number.isFinite(scale)) return Number.isNaN(analytic) || Number.isNaN(numerical) ? Infinity : analytic === numerical ? 0 : Infinity;
  return Math.abs(analytic - numerical) / scale;
}

/**
 * The relative error, measured no finer than the centered difference can
 * resolve. Rounding in L(w ± h) leaves the difference quotient uncertain by
 * about ε·|L|·√terms / h, where a loss summed over `terms` examples gathers
 * rounding like a random walk; a gradient entry much smaller than that has no
 * meaningful relative error (the notes' warning about tiny numbers). So the
 * scale is at least 1e7 times that noise: a difference at the noise level
 * reads as 1e-7.
 */
export function resolvedRelativeError(analytic: number, numerical: number, lossPlus: number, lossMinus: number, h: number, terms = 1): number {
  const noise = (Number.EPSILON * Math.max(Math.abs(lossPlus), Math.abs(lossMinus)) * Math.sqrt(Math.max(1, terms))) / h;
  const scale = Math.max(Math.abs(analytic), Math.abs(numerical), 1e7 * noise);
  if (scale === 0) return 0;
  if (!Number.isFinite(scale)) return relativeError(analytic, numerical);
  return Math.abs(analytic - numerical) / scale;
}

/** The notes' bands; a kinked objective may be off by up to 1e-4 without blame. */
export function verdictFor(error: number, kinkedObjective: boolean): Verdict {
  if (error <= 1e-7) return "good";
  if (error <= 1e-4) return kinkedObjective ? "acceptable" : "warning";
  if (error <= 1e-2) return "warning";
  return "error";
}

function histogramOf(errors: number[]): number[] {
  const bins = new Array<number>(12).fill(0);
  for (const error of errors) {
    const decade = error <= 0 ? 0 : Math.floor(Math.log10(error)) + 11;
    bins[Math.max(0, Math.min(11, decade))]++;
  }
  return bins;
}

function sampleIndices(size: number, count: number, random: RandomSource): number[] {
  if (count >= size) return Array.from({ length: size }, (_, i) => i);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random.uniform() * size));
  return [...chosen].sort((a, b) => a - b);
}

/**
 * A second, closer numerical derivative where the centered difference leaves
 * doubt (a relative error between 1e-7 and 1e-4 on a smooth objective). On a
 * loss summed over many examples that doubt is mostly rounding: L(w ± h)
 * carries an error that grows with the number of terms, and dividing by 2h
 * magnifies it. A step 100 times larger divides that error by 100; its own
 * error, c·H², is cancelled by Richardson's (4·D(H) − D(2H)) / 3, which is
 * exact to O(H⁴). A kink within 2H keeps the first estimate, and so does a
 * second estimate that agrees less.
 */
function refine(perturb: (step: number) => { value: number; kinked: boolean }, h: number, terms: number, analytic: number, first: { numerical: number; relativeError: number }): { numerical: number; relativeError: number } {
  const step = 100 * h;
  const plus = perturb(step);
  const minus = perturb(-step);
  const plus2 = perturb(2 * step);
  const minus2 = perturb(-2 * step);
  if (plus.kinked || minus.kinked || plus2.kinked || minus2.kinked) return first;
  const atH = (plus.value - minus.value) / (2 * step);
  const at2H = (plus2.value - minus2.value) / (4 * step);
  const numerical = (4 * atH - at2H) / 3;
  const relativeError = resolvedRelativeError(analytic, numerical, plus.value, minus.value, step, terms);
  return relativeError < first.relativeError ? { numerical, relativeError } : first;
}

function entryIndex(shape: number[], flat: number): number[] {
  return shape.length === 2 ? [Math.floor(flat / shape[1]), flat % shape[1]] : [flat];
}

/** Checks `analytic` (a gradient of the graph's output with respect to `param`) against centered differences. */
export function checkParam(graph: Graph, bindings: Bindings, param: string, analytic: Tensor, options: GradCheckOptions, evaluator = new IncrementalEvaluator(graph, bindings)): ParamCheck {
  const value = bindings.params.get(param) as Tensor;
  const size = value.data.length;
  const { h } = options;
  const indices = options.all ? Array.from({ length: size }, (_, i) => i) : sampleIndices(size, size <= options.checkAllBelow ? size : options.samples, options.random);
  const total = indices.length + options.projections;
  const terms = bindings.X.shape[0] ?? 1;
  const entries: EntryCheck[] = [];
  let cancelled = false;
  for (let t = 0; t < indices.length; t++) {
    if (t % 256 === 0) {
      if (options.cancelled?.()) {
        cancelled = true;
        break;
      }
      options.progress?.(t, total);
    }
    const flat = indices[t];
    const plus = evaluator.perturbEntry(param, flat, h);
    const minus = evaluator.perturbEntry(param, flat, -h);
    let numerical = (plus.value - minus.value) / (2 * h);
    let relativeError = resolvedRelativeError(analytic.data[flat], numerical, plus.value, minus.value, h, terms);
    const kinked = plus.kinked || minus.kinked;
    if (!kinked && relativeError > 1e-7 && relativeError <= 1e-4) {
      ({ numerical, relativeError } = refine((step) => evaluator.perturbEntry(param, flat, step), h, terms, analytic.data[flat], { numerical, relativeError }));
    }
    const entry: EntryCheck = { index: entryIndex(value.shape, flat), analytic: analytic.data[flat], numerical, relativeError };
    if (kinked) entry.kink = { left: (evaluator.centerValue - minus.value) / h, right: (plus.value - evaluator.centerValue) / h };
    entries.push(entry);
  }
  const projections: ProjectionCheck[] = [];
  for (let p = 0; p < options.projections && !cancelled; p++) {
    if (options.cancelled?.()) {
      cancelled = true;
      break;
    }
    const direction = tensor(value.shape);
    let norm = 0;
    for (let i = 0; i < size; i++) {
      direction.data[i] = options.random.normal();
      norm += direction.data[i] ** 2;
    }
    norm = Math.sqrt(norm) || 1;
    let analyticAlong = 0;
    for (let i = 0; i < size; i++) {
      direction.data[i] /= norm;
      analyticAlong += analytic.data[i] * direction.data[i];
    }
    const step = new Map([[param, direction]]);
    const plus = evaluator.perturbAlong(step, h);
    const minus = evaluator.perturbAlong(step, -h);
    let numerical = (plus.value - minus.value) / (2 * h);
    let relativeError = resolvedRelativeError(analyticAlong, numerical, plus.value, minus.value, h, terms);
    const kink = plus.kinked || minus.kinked;
    if (!kink && relativeError > 1e-7 && relativeError <= 1e-4) {
      ({ numerical, relativeError } = refine((along) => evaluator.perturbAlong(step, along), h, terms, analyticAlong, { numerical, relativeError }));
    }
    projections.push({ analytic: analyticAlong, numerical, relativeError, kink });
  }
  options.progress?.(total, total);
  const smooth = entries.filter((entry) => !entry.kink);
  const errors = [...smooth.map((entry) => entry.relativeError), ...projections.filter((projection) => !projection.kink).map((projection) => projection.relativeError)];
  // A loop, not Math.max(...errors): a check of every entry of a large param has millions of them.
  const maxRelativeError = errors.reduce((largest, error) => Math.max(largest, error), 0);
  const check: ParamCheck = {
    param,
    shape: value.shape,
    checked: entries.length,
    worst: [...smooth].sort((a, b) => b.relativeError - a.relativeError).slice(0, 5),
    kinks: entries.filter((entry) => entry.kink).slice(0, 5),
    projections,
    maxRelativeError,
    verdict: verdictFor(maxRelativeError, evaluator.hasKinks),
    histogram: histogramOf(errors),
    ...(cancelled ? { cancelled } : {}),
  };
  if (check.verdict === "error" || check.verdict === "warning") {
    const pattern = describePattern(smooth, param, value, bindings);
    if (pattern) check.pattern = pattern;
  }
  return check;
}

/**
 * What a wrong gradient looks like, from the compared entries: a constant
 * factor (a flipped sign, a missing 1/N), a difference proportional to the
 * weights (a regularisation term), or errors only in the rows of the
 * examples' correct classes.
 */
export function describePattern(entries: EntryCheck[], param: string, value: Tensor, bindings: Bindings): string | undefined {
  const usable = entries.filter((entry) => Math.abs(entry.numerical) > 1e-12 && Number.isFinite(entry.analytic));
  const bad = entries.filter((entry) => entry.relativeError > 1e-4);
  if (usable.length >= 2 && bad.length > 0) {
    // A constant factor, give or take a few percent (a regularisation term may blur it).
    const ratios = usable.map((entry) => entry.analytic / entry.numerical).sort((a, b) => a - b);
    const ratio = ratios[Math.floor(ratios.length / 2)];
    const near = (value: number, target: number) => Math.abs(value - target) <= 0.02 * Math.max(1, Math.abs(target));
    const consistent = ratios.every((r) => near(r, ratio));
    if (consistent && !near(ratio, 1)) {
      const n = bindings.X.shape[0];
      if (near(ratio, -1)) return "the sign is flipped: analytic = −numerical everywhere";
      if (n > 1 && near(ratio, n)) return `the analytic gradient is N = ${n} times too large: is the 1/N missing?`;
      if (n > 1 && near(ratio * n, 1)) return `the analytic gradient is N = ${n} times too small: is it divided by N twice?`;
      return `off by a constant factor: analytic ≈ ${formatNumber(ratio)} × numerical`;
    }
  }
  // A difference proportional to the weights: c·W, as a regularisation gradient would be.
  const indexOf = (entry: EntryCheck) => (entry.index.length === 2 ? entry.index[0] * value.shape[1] + entry.index[1] : entry.index[0]);
  let dot = 0;
  let weights = 0;
  for (const entry of entries) {
    const w = value.data[indexOf(entry)];
    dot += (entry.analytic - entry.numerical) * w;
    weights += w * w;
  }
  // Only a real mismatch has a pattern: differences at the level of rounding fit any small c.
  if (weights > 0 && entries.length >= 3 && bad.length > 0) {
    const c = dot / weights;
    const fits = entries.every((entry) => {
      const predicted = entry.numerical + c * value.data[indexOf(entry)];
      return relativeError(entry.analytic, predicted) < 1e-5;
    });
    if (fits && Math.abs(c) > 0) return `analytic − numerical = ${formatNumber(c)}·${param} at every checked entry: the gradient of the regularisation term looks wrong (${c < 0 ? "missing or too small" : "too large"})`;
  }
  // Errors only in the rows of the examples' correct classes.
  if (value.shape.length === 2 && bad.length > 0) {
    const labels = new Set(Array.from(bindings.y.data));
    const badRows = new Set(bad.map((entry) => entry.index[0]));
    const goodOtherRows = entries.some((entry) => entry.relativeError <= 1e-4 && !labels.has(entry.index[0]));
    if ([...badRows].every((row) => labels.has(row)) && goodOtherRows) {
      return `only the rows of the correct classes (${[...badRows].sort((a, b) => a - b).join(", ")}) are wrong: check the term for j = yᵢ`;
    }
  }
  return undefined;
}

export function formatNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2);
}
