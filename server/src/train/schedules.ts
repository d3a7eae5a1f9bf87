// Step-size schedules: the step size at each step of a run, as a pure
// function of the schedule, the optimizer's base lr, the step and the run's
// length. The schedules, their arguments and their defaults are those of
// `schedules` in language/settings.ts; defaults are read from there, never
// repeated here.
//
// Conventions: steps count from 0 and a run of T steps takes steps
// 0 … T−1. Schedules that end somewhere (cosine, one_cycle) reach their end
// value at t = T, the formula's own end point, so step T−1 is one small
// step above it; steps past T stay at the end value.
import { schedulesByName, type SettingSpec } from "../language/settings";

export interface ScheduleSpec {
  name: string;
  args: Record<string, number>;
}

/**
 * The numeric defaults of a list of settings: every `defaultText` that reads
 * as a number (`"0.9"`, `"1e-8"`). Texts that are not numbers, such as
 * `"constant()"` or `"all examples (full batch)"`, are left out.
 * Optimizers use it too (optimizers.ts).
 */
export function numericDefaults(specs: readonly SettingSpec[]): Record<string, number> {
  const defaults: Record<string, number> = {};
  for (const spec of specs) {
    if (spec.defaultText === undefined || spec.defaultText.trim() === "") continue;
    const value = Number(spec.defaultText);
    if (Number.isFinite(value)) defaults[spec.name] = value;
  }
  return defaults;
}

/**
 * A schedule with every named argument filled in: the given ones, then the
 * table's defaults. Throws on an unknown schedule or a missing required
 * argument; the checker reports both as findings before anything runs.
 */
export function scheduleFrom(name: string, args: Record<string, number> = {}): ScheduleSpec {
  const entry = schedulesByName.get(name);
  if (!entry) throw new Error(`unknown schedule '${name}'`);
  const filled = { ...numericDefaults(entry.named), ...args };
  for (const spec of entry.named) {
    if (spec.required && filled[spec.name] === undefined) throw new Error(`schedule '${name}' needs '${spec.name}'`);
  }
  return { name, args: filled };
}

/**
 * The step size at step `step` (from 0) of a run of `totalSteps` steps.
 * `schedule` is expected to come from `scheduleFrom`, so its arguments are
 * all present.
 */
export function stepSize(schedule: ScheduleSpec, baseLr: number, step: number, totalSteps: number): number {
  const t = step;
  const args = schedule.args;
  switch (schedule.name) {
    case "constant":
      return baseLr;
    case "step":
      // lr · gamma^⌊t / every⌋
      return baseLr * Math.pow(args.gamma, Math.floor(t / args.every));
    case "exponential":
      // lr · gammaᵗ
      return baseLr * Math.pow(args.gamma, t);
    case "inverse_time":
      // lr / (1 + k·t)
      return baseLr / (1 + args.k * t);
    case "cosine":
      return cosineBetween(baseLr, args.floor, t, totalSteps);
    case "warmup":
      // lr · (t + 1) / steps: lr/steps at t = 0, lr at t = steps − 1, then constant.
      // (Not 0 at t = 0, which would waste the first step.)
      return baseLr * Math.min(1, (t + 1) / args.steps);
    case "one_cycle":
      return oneCycle(baseLr, args.pct, args.div, t, totalSteps);
    default:
      throw new Error(`unknown schedule '${schedule.name}'`);
  }
}

/** Cosine annealing from `start` at t = 0 to `end` at t = length (and after). */
function cosineBetween(start: number, end: number, t: number, length: number): number {
  if (length <= 0 || t >= length) return end;
  return end + ((start - end) * (1 + Math.cos((Math.PI * t) / length))) / 2;
}

/**
 * One-cycle: linear from lr/div at t = 0 up to lr at t = pct·T (not
 * necessarily a whole step), then cosine from lr down to lr/(div·1e4) at
 * t = T.
 */
function oneCycle(baseLr: number, pct: number, div: number, t: number, totalSteps: number): number {
  const peakStep = pct * totalSteps;
  const initial = baseLr / div;
  const final = baseLr / (div * 1e4);
  if (t < peakStep) return initial + ((baseLr - initial) * t) / peakStep;
  return cosineBetween(baseLr, final, t - peakStep, totalSteps - peakStep);
}
