// Step sizes. The notes' table: from the same start, the loss after a step
// (or a few) for step sizes spaced on a log scale. And the learning-rate
// range test: one short run whose step size grows exponentially until the
// loss diverges; the weights it leaves behind are thrown away.
import type { TrainingRuntime } from "./executors";
import { evaluateOn, train, type CurvePoint, type RunSetup, type Strategy } from "./trainer";
import { scheduleFrom } from "./schedules";

export interface SweepRow {
  lr: number;
  /** The loss on the examples after the steps; the start's loss is in `start`. */
  loss: number;
  diverged: boolean;
}

export interface SweepResult {
  method: "table" | "range_test";
  start: number;
  rows: SweepRow[];
  /** A step size to use, and why. */
  suggestion?: { lr: number; reason: string };
  cancelled: boolean;
}

/** `points` values from `from` to `to`, evenly spaced on a log scale. */
export function logSpace(from: number, to: number, points: number): number[] {
  if (points === 1) return [from];
  const a = Math.log10(from);
  const b = Math.log10(to);
  return Array.from({ length: points }, (_, i) => 10 ** (a + ((b - a) * i) / (points - 1)));
}

type Gradient = Extract<Strategy, { kind: "gradient" }>;

export function stepSizeTable(runtime: TrainingRuntime, setup: RunSetup, strategy: Gradient, range: { from: number; to: number; points: number }, steps: number, cancelled: () => boolean): SweepResult {
  const start = evaluateOn(runtime, setup, setup.params, setup.train).loss;
  const rows: SweepRow[] = [];
  for (const lr of logSpace(range.from, range.to, range.points)) {
    if (cancelled()) return { method: "table", start, rows, cancelled: true };
    // The whole set of examples per step, as the notes' table does.
    const result = train(runtime, { ...setup, evaluation: undefined, test: undefined, strategy: { ...strategy, lr, batch: setup.train.n, schedule: scheduleFrom("constant") }, steps }, { onPoint: () => undefined, cancelled });
    rows.push({ lr, loss: result.final.trainLoss, diverged: result.status === "diverged" || !Number.isFinite(result.final.trainLoss) });
  }
  const best = rows.filter((row) => !row.diverged).sort((a, b) => a.loss - b.loss)[0];
  const suggestion = best && best.loss < start ? { lr: best.lr, reason: `the loss after ${steps} step${steps === 1 ? "" : "s"} was lowest there (${best.loss.toPrecision(4)}, from ${start.toPrecision(4)})` } : undefined;
  return { method: "table", start, rows, suggestion, cancelled: false };
}

export function rangeTest(runtime: TrainingRuntime, setup: RunSetup, strategy: Gradient, range: { from: number; to: number }, steps: number, cancelled: () => boolean, onPoint: (point: CurvePoint) => void = () => undefined): SweepResult {
  const gamma = (range.to / range.from) ** (1 / Math.max(1, steps - 1));
  const points: CurvePoint[] = [];
  const result = train(runtime, { ...setup, evaluation: undefined, test: undefined, strategy: { ...strategy, lr: range.from, schedule: scheduleFrom("exponential", { gamma }) }, steps }, {
    cancelled,
    onPoint: (point) => {
      points.push(point);
      onPoint(point);
    },
  });
  const rows: SweepRow[] = points.map((point) => ({ lr: point.lr ?? NaN, loss: point.loss, diverged: false }));
  if (result.status === "diverged" && rows.length > 0) rows[rows.length - 1].diverged = true;
  // Smooth the noisy minibatch losses; the lowest point is just before the
  // loss turns up, so a tenth of its step size is a safe choice.
  const smoothed: number[] = [];
  rows.forEach((row, i) => smoothed.push(i === 0 ? row.loss : 0.8 * smoothed[i - 1] + 0.2 * row.loss));
  let lowest = -1;
  for (let i = 0; i < smoothed.length; i++) {
    if (!rows[i].diverged && Number.isFinite(smoothed[i]) && (lowest < 0 || smoothed[i] < smoothed[lowest])) lowest = i;
  }
  const ending = result.status === "diverged" ? ` and diverged at ${rows[rows.length - 1].lr.toPrecision(3)}` : "";
  const suggestion = lowest > 0 ? { lr: rows[lowest].lr / 10, reason: `the loss was lowest at ${rows[lowest].lr.toPrecision(3)}${ending}; a tenth of that is a safe step size` } : undefined;
  return { method: "range_test", start: rows[0]?.loss ?? NaN, rows, suggestion, cancelled: result.status === "cancelled" };
}
