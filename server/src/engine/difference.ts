// One numerical derivative and how far it can be trusted. A gradient check
// calls an entry wrong only when the analytic value is far outside that
// trust, so the verdict follows the noise actually measured rather than a
// fixed band of relative errors: in float64, away from kinks, a centered
// difference is good to about 1e-8, and a 1% disagreement there is a bug.

import type { EntryCheck } from "./gradcheck";
import type { IncrementalEvaluator } from "./incremental";

/** A loss evaluation at a moved point, and whether a kinked op changed branch on the way. */
export interface Evaluation {
  value: number;
  kinked: boolean;
}

/** Moves along one entry or direction by `step` and evaluates the loss there. */
export type Perturb = (step: number) => Evaluation;

export interface Measurement {
  numerical: number;
  /** How far `numerical` may be from the true derivative: rounding, and the disagreement between step sizes. */
  noise: number;
  /** Set when the ±h evaluations straddle a kink: the one-sided derivatives. */
  kink?: { left: number; right: number };
  /** The analytic value is far outside the noise, with no kink crossed. */
  wrong: boolean;
  relativeError: number;
}

/** How many times its noise a disagreement must be to count. */
export const significance = 20;
/** Below this relative error nothing is called wrong, however small the measured noise. */
export const relativeFloor = 1e-6;

export function relativeError(analytic: number, numerical: number): number {
  const scale = Math.max(Math.abs(analytic), Math.abs(numerical));
  if (scale === 0) return 0;
  if (!Number.isFinite(scale)) return Number.isNaN(analytic) || Number.isNaN(numerical) ? Infinity : analytic === numerical ? 0 : Infinity;
  return Math.abs(analytic - numerical) / scale;
}

/**
 * Rounding in L(w ± h) leaves a difference quotient uncertain by about
 * ε·|L|·√terms / h, where a loss summed over `terms` examples gathers
 * rounding like a random walk.
 */
export function roundingNoise(lossPlus: number, lossMinus: number, h: number, terms: number): number {
  return (Number.EPSILON * Math.max(Math.abs(lossPlus), Math.abs(lossMinus)) * Math.sqrt(Math.max(1, terms))) / h;
}

/**
 * The relative error, measured no finer than the centered difference can
 * resolve: a gradient entry much smaller than the rounding noise has no
 * meaningful relative error (the notes' warning about tiny numbers), so the
 * scale is at least 1e7 times that noise and a difference at the noise level
 * reads as 1e-7.
 */
export function resolvedRelativeError(analytic: number, numerical: number, lossPlus: number, lossMinus: number, h: number, terms = 1): number {
  const noise = roundingNoise(lossPlus, lossMinus, h, terms);
  const scale = Math.max(Math.abs(analytic), Math.abs(numerical), 1e7 * noise);
  if (scale === 0) return 0;
  if (!Number.isFinite(scale)) return relativeError(analytic, numerical);
  return Math.abs(analytic - numerical) / scale;
}

function judged(analytic: number, numerical: number, noise: number, relative: number): boolean {
  if (!Number.isFinite(analytic) || !Number.isFinite(numerical)) return analytic !== numerical;
  return Math.abs(analytic - numerical) > significance * noise && relative > relativeFloor;
}

/**
 * The centered difference at `h`; where the analytic value disagrees with it
 * beyond its rounding noise, a second measurement with steps H and 2H
 * (H = 100h, else 10h when a kink lies within 200h) combined by Richardson's
 * (4·D(H) − D(2H)) / 3, exact to O(H⁴) and far less touched by rounding. The
 * disagreement between the two measurements is then part of the noise, so
 * a loss whose evaluation is noisier than its size suggests is not blamed on
 * the gradient. When a kink lies within 2H for every H tried, the first
 * measurement stands with an allowance for its truncation error.
 */
export function measure(perturb: Perturb, h: number, terms: number, analytic: number, center: number): Measurement {
  const plus = perturb(h);
  const minus = perturb(-h);
  const first = (plus.value - minus.value) / (2 * h);
  const rounding = 4 * roundingNoise(plus.value, minus.value, h, terms);
  const firstError = resolvedRelativeError(analytic, first, plus.value, minus.value, h, terms);
  if (plus.kinked || minus.kinked) {
    return { numerical: first, noise: rounding, kink: { left: (center - minus.value) / h, right: (plus.value - center) / h }, wrong: false, relativeError: firstError };
  }
  if (!judged(analytic, first, rounding, firstError) && firstError <= 1e-7) return { numerical: first, noise: rounding, wrong: false, relativeError: firstError };
  for (const step of [100 * h, 10 * h]) {
    const p1 = perturb(step);
    const m1 = perturb(-step);
    const p2 = perturb(2 * step);
    const m2 = perturb(-2 * step);
    if (p1.kinked || m1.kinked || p2.kinked || m2.kinked) continue;
    const atH = (p1.value - m1.value) / (2 * step);
    const at2H = (p2.value - m2.value) / (4 * step);
    const numerical = (4 * atH - at2H) / 3;
    const noise = Math.max(4 * roundingNoise(p2.value, m2.value, step, terms), Math.abs(first - numerical));
    const error = resolvedRelativeError(analytic, numerical, p1.value, m1.value, step, terms);
    // The measurement that agrees better is reported; the verdict uses the closer one too.
    if (firstError <= error) return { numerical: first, noise: Math.max(rounding, noise), wrong: judged(analytic, first, Math.max(rounding, noise), firstError), relativeError: firstError };
    return { numerical, noise, wrong: judged(analytic, numerical, noise, error), relativeError: error };
  }
  // Only the first step is free of kinks: allow for its truncation error, c·h², up to 1e-5 relative.
  const noise = Math.max(rounding, 1e-5 * Math.max(Math.abs(analytic), Math.abs(first)));
  return { numerical: first, noise, wrong: judged(analytic, first, noise, firstError), relativeError: firstError };
}

export function entryIndex(shape: number[], flat: number): number[] {
  return shape.length === 2 ? [Math.floor(flat / shape[1]), flat % shape[1]] : [flat];
}

export function flatIndex(shape: number[], index: number[]): number {
  return index.length === 2 ? index[0] * shape[1] + index[1] : index[0];
}

/** Checks one entry of `param` against its centered difference. */
export function checkEntry(evaluator: IncrementalEvaluator, param: string, shape: number[], flat: number, analytic: number, h: number, terms: number): EntryCheck {
  const measured: Measurement = measure((step) => evaluator.perturbEntry(param, flat, step), h, terms, analytic, evaluator.centerValue);
  const entry: EntryCheck = { index: entryIndex(shape, flat), analytic, numerical: measured.numerical, relativeError: measured.relativeError, noise: measured.noise, wrong: measured.wrong };
  if (measured.kink) entry.kink = measured.kink;
  return entry;
}

