// The gradient check of the CS231n notes, done carefully: centered
// differences in float64, sampled coordinates (all of them for small tensors)
// plus random-direction projections that see an error anywhere in a tensor,
// each measured with its noise (`difference.ts`) so that an entry is wrong
// exactly when its disagreement is far beyond what the measurement can
// resolve; kinks told apart from mismatches; what a projection catches traced
// to its entries (`locate.ts`); and a search for a pattern when the gradient
// is wrong.
import { checkEntry, measure } from "./difference";
import type { Graph } from "./ir";
import { IncrementalEvaluator } from "./incremental";
import { locateMismatch, type Location } from "./locate";
import type { Bindings } from "./reference";
import { tensor, type Tensor } from "./tensor";

export { entryIndex, flatIndex, relativeError, resolvedRelativeError } from "./difference";

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
  /** Names what a wrong gradient's compared entries have in common, if anything. */
  explain?: (entries: EntryCheck[]) => string | undefined;
}

export const defaultGradCheckOptions = { h: 1e-5, samples: 20, projections: 4, checkAllBelow: 200 };

/** "warning" is kept for reports read by older clients; checks no longer give it. */
export type Verdict = "good" | "acceptable" | "warning" | "error";

export interface EntryCheck {
  /** Row and column (or just the index) of the entry. */
  index: number[];
  analytic: number;
  numerical: number;
  relativeError: number;
  /** How far the numerical value may be from the truth. */
  noise: number;
  /** Far beyond the noise with no kink crossed. */
  wrong: boolean;
  /** Set when the ±h evaluations straddle a kink: the one-sided derivatives. */
  kink?: { left: number; right: number };
}

export interface ProjectionCheck {
  analytic: number;
  numerical: number;
  relativeError: number;
  noise: number;
  wrong: boolean;
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
  /** "error" when an entry or a projection is far beyond its measured noise; otherwise "good" or "acceptable". */
  verdict: Verdict;
  /** The notes' reading of the largest relative error (1e-7, 1e-4, 1e-2), for reports. */
  band: Verdict;
  /** Compared entries found wrong. */
  wrongEntries: number;
  /** Where a projection's disagreement comes from, when no sampled entry showed it. */
  located?: Location;
  /** Counts of relative errors per decade: [<1e-10, 1e-10..1e-9, …, ≥1]. */
  histogram: number[];
  /** What the mismatch looks like, when it has a shape: "off by a factor of N". */
  pattern?: string;
  cancelled?: boolean;
}

/** The notes' bands; a kinked objective may be off by up to 1e-4 without blame. */
export function bandFor(error: number, kinkedObjective: boolean): Verdict {
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

function randomDirection(shape: number[], random: RandomSource): Tensor {
  const direction = tensor(shape);
  let norm = 0;
  for (let i = 0; i < direction.data.length; i++) {
    direction.data[i] = random.normal();
    norm += direction.data[i] ** 2;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < direction.data.length; i++) direction.data[i] /= norm;
  return direction;
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
    entries.push(checkEntry(evaluator, param, value.shape, indices[t], analytic.data[indices[t]], h, terms));
  }
  const projections: ProjectionCheck[] = [];
  const directions: Tensor[] = [];
  for (let p = 0; p < options.projections && !cancelled; p++) {
    if (options.cancelled?.()) {
      cancelled = true;
      break;
    }
    const direction = randomDirection(value.shape, options.random);
    let analyticAlong = 0;
    for (let i = 0; i < size; i++) analyticAlong += analytic.data[i] * direction.data[i];
    const step = new Map([[param, direction]]);
    const measured = measure((along) => evaluator.perturbAlong(step, along), h, terms, analyticAlong, evaluator.centerValue);
    projections.push({ analytic: analyticAlong, numerical: measured.numerical, relativeError: measured.relativeError, noise: measured.noise, wrong: measured.wrong, kink: measured.kink !== undefined });
    directions.push(direction);
  }
  options.progress?.(total, total);
  const smooth = entries.filter((entry) => !entry.kink);
  // A projection caught what no sampled entry showed: find the entries responsible.
  let located: Location | undefined;
  const caught = projections.findIndex((projection) => projection.wrong);
  if (!cancelled && caught >= 0 && !smooth.some((entry) => entry.wrong)) {
    located = locateMismatch(evaluator, param, value.shape, analytic, directions[caught], projections[caught], { h, terms, cancelled: options.cancelled });
    if (located) smooth.push(located.entry);
  }
  const errors = [...smooth.map((entry) => entry.relativeError), ...projections.filter((projection) => !projection.kink).map((projection) => projection.relativeError)];
  // A loop, not Math.max(...errors): a check of every entry of a large param has millions of them.
  const maxRelativeError = errors.reduce((largest, error) => Math.max(largest, error), 0);
  const wrongEntries = smooth.filter((entry) => entry.wrong).length;
  const wrong = wrongEntries > 0 || projections.some((projection) => projection.wrong);
  const check: ParamCheck = {
    param,
    shape: value.shape,
    checked: entries.length,
    worst: [...smooth].sort((a, b) => Number(b.wrong) - Number(a.wrong) || b.relativeError - a.relativeError).slice(0, 5),
    kinks: entries.filter((entry) => entry.kink).slice(0, 5),
    projections,
    maxRelativeError,
    verdict: wrong ? "error" : maxRelativeError <= 1e-7 ? "good" : "acceptable",
    band: bandFor(maxRelativeError, evaluator.hasKinks),
    wrongEntries,
    histogram: histogramOf(errors),
    ...(located ? { located } : {}),
    ...(cancelled ? { cancelled } : {}),
  };
  if (wrong && options.explain) {
    const pattern = options.explain(smooth);
    if (pattern) check.pattern = pattern;
  }
  return check;
}

export function formatNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e5) return Number(value.toPrecision(3)).toString();
  return value.toExponential(2);
}

/** Two numbers with as many digits as it takes to tell them apart (up to 10): "analytic -1910.4, numerical -1910". */
export function formatPair(analytic: number, numerical: number): string {
  let digits = 3;
  const at = (value: number) => (value === 0 ? "0" : Math.abs(value) >= 1e-3 && Math.abs(value) < 1e5 ? Number(value.toPrecision(digits)).toString() : value.toExponential(digits - 1));
  while (digits < 10 && analytic !== numerical && at(analytic) === at(numerical)) digits++;
  return `analytic ${at(analytic)}, numerical ${at(numerical)}`;
}
