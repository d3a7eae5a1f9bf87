// Each schedule's step size at chosen steps against values worked out by
// hand, the defaults against the schedules table, and the shapes: cosine
// ends at its floor, one_cycle peaks at lr at pct·T.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schedules, schedulesByName } from "../../../server/src/language/settings";
import { scheduleFrom, stepSize, type ScheduleSpec } from "../../../server/src/train/schedules";
import { assertClose } from "./approx";

const tolerance = 1e-12;
const lr = 0.8;

function sizes(schedule: ScheduleSpec, steps: number[], totalSteps: number): number[] {
  return steps.map((step) => stepSize(schedule, lr, step, totalSteps));
}

function assertSizes(schedule: ScheduleSpec, totalSteps: number, expected: Record<number, number>): void {
  for (const [step, value] of Object.entries(expected)) {
    assertClose(stepSize(schedule, lr, Number(step), totalSteps), value, tolerance, `${schedule.name} at step ${step}`);
  }
}

/** The table's default for one named argument of a schedule, parsed from its defaultText. */
function tableDefault(schedule: string, argument: string): number {
  const text = schedulesByName.get(schedule)?.named.find((spec) => spec.name === argument)?.defaultText;
  assert.ok(text !== undefined, `${schedule}.${argument} has a default in the table`);
  return Number(text);
}

test("constant: lr at every step", () => {
  assertSizes(scheduleFrom("constant", {}), 100, { 0: 0.8, 57: 0.8, 99: 0.8 });
});

test("step: lr·gamma^⌊t/every⌋", () => {
  // every = 10, gamma = 0.5: ⌊0/10⌋ = ⌊9/10⌋ = 0 → 0.8;  ⌊10/10⌋ = 1 → 0.4;  ⌊25/10⌋ = 2 → 0.8·0.25 = 0.2
  assertSizes(scheduleFrom("step", { every: 10, gamma: 0.5 }), 100, { 0: 0.8, 9: 0.8, 10: 0.4, 25: 0.2 });
});

test("exponential: lr·gammaᵗ", () => {
  // gamma = 0.5: t = 1 → 0.4;  t = 3 → 0.8·0.125 = 0.1
  assertSizes(scheduleFrom("exponential", { gamma: 0.5 }), 100, { 0: 0.8, 1: 0.4, 3: 0.1 });
});

test("inverse_time: lr/(1 + k·t)", () => {
  // k = 0.5: t = 2 → 0.8/(1 + 1) = 0.4;  t = 6 → 0.8/(1 + 3) = 0.2
  assertSizes(scheduleFrom("inverse_time", { k: 0.5 }), 100, { 0: 0.8, 2: 0.4, 6: 0.2 });
});

test("cosine: floor + (lr − floor)·(1 + cos(π·t/T))/2", () => {
  // floor = 0.2, T = 100, lr − floor = 0.6
  // t = 0: 0.2 + 0.6·(1 + 1)/2 = 0.8;  t = 50: 0.2 + 0.6·(1 + 0)/2 = 0.5
  // t = 25: 0.2 + 0.6·(1 + √2/2)/2 = 0.2 + 0.3·1.7071067… = 0.7121320…;  t = 100: 0.2 + 0.6·(1 − 1)/2 = 0.2
  assertSizes(scheduleFrom("cosine", { floor: 0.2 }), 100, { 0: 0.8, 25: 0.2 + 0.3 * (1 + Math.SQRT1_2), 50: 0.5, 100: 0.2 });
});

test("cosine falls steadily and ends at its floor", () => {
  const cosine = scheduleFrom("cosine", { floor: 0.05 });
  const values = sizes(cosine, Array.from({ length: 201 }, (_, step) => step), 200);
  for (let step = 1; step < values.length; step++) assert.ok(values[step] <= values[step - 1], `falls at step ${step}`);
  assert.equal(values[200], 0.05, "at t = T");
  assert.ok(values[199] - 0.05 < 1e-4, "the last step of the run is just above the floor");
  assert.equal(stepSize(cosine, lr, 250, 200), 0.05, "past the end");
});

test("warmup: lr·(t + 1)/steps until lr, then constant", () => {
  // steps = 4: t = 0 → 0.8·1/4 = 0.2;  t = 1 → 0.4;  t = 2 → 0.6;  t = 3 → 0.8;  t = 10 → 0.8
  assertSizes(scheduleFrom("warmup", { steps: 4 }), 100, { 0: 0.2, 1: 0.4, 2: 0.6, 3: 0.8, 4: 0.8, 10: 0.8 });
});

test("one_cycle: linear up from lr/div to lr over pct·T, then cosine down to lr/(div·1e4)", () => {
  // pct = 0.3, div = 4, T = 100: lr/div = 0.2 at t = 0, lr = 0.8 at t = 30, final = 0.8/(4·1e4) = 2e-5 at t = 100
  // t = 15: 0.2 + (0.8 − 0.2)·15/30 = 0.5
  // t = 65, halfway down (35 of 70): 2e-5 + (0.8 − 2e-5)·(1 + cos(π/2))/2 = 2e-5 + 0.39999 = 0.40001
  assertSizes(scheduleFrom("one_cycle", { pct: 0.3, div: 4 }), 100, { 0: 0.2, 15: 0.5, 30: 0.8, 65: 0.40001, 100: 2e-5 });
});

test("one_cycle peaks at lr at step pct·T", () => {
  const oneCycle = scheduleFrom("one_cycle", { pct: 0.25, div: 10 });
  const values = sizes(oneCycle, Array.from({ length: 400 }, (_, step) => step), 400);
  const peak = values.indexOf(Math.max(...values));
  assert.equal(peak, 100);
  assertClose(values[peak], lr, tolerance, "peak");
  for (let step = 1; step <= 100; step++) assert.ok(values[step] > values[step - 1], `rises at step ${step}`);
  for (let step = 101; step < 400; step++) assert.ok(values[step] < values[step - 1], `falls at step ${step}`);
});

test("one_cycle takes pct and div from the table", () => {
  const pct = tableDefault("one_cycle", "pct");
  const div = tableDefault("one_cycle", "div");
  const filled = scheduleFrom("one_cycle", {});
  assert.deepEqual(filled.args, { pct, div });
  // Starts at lr/div, peaks at lr at pct·T, ends at lr/(div·1e4).
  const totalSteps = 1000;
  assertClose(stepSize(filled, lr, 0, totalSteps), lr / div, tolerance, "start");
  assertClose(stepSize(filled, lr, pct * totalSteps, totalSteps), lr, tolerance, "peak");
  assertClose(stepSize(filled, lr, totalSteps, totalSteps), lr / (div * 1e4), tolerance, "end");
});

test("scheduleFrom fills every table default and keeps the given arguments", () => {
  for (const entry of schedules) {
    const given: Record<string, number> = {};
    for (const spec of entry.named) if (spec.required) given[spec.name] = 3;
    const filled = scheduleFrom(entry.name, given);
    for (const spec of entry.named) {
      const expected = spec.required ? 3 : Number(spec.defaultText);
      assert.equal(filled.args[spec.name], expected, `${entry.name}.${spec.name}`);
    }
    // Every schedule of the table has a step size.
    assert.ok(Number.isFinite(stepSize(filled, lr, 1, 10)), entry.name);
  }
  assert.equal(scheduleFrom("step", { every: 5, gamma: 0.1 }).args.gamma, 0.1, "a given argument wins");
  assert.equal(scheduleFrom("step", { every: 5 }).args.gamma, tableDefault("step", "gamma"));
  assert.equal(scheduleFrom("cosine").args.floor, tableDefault("cosine", "floor"));
});

test("unknown schedules and missing required arguments are refused", () => {
  assert.throws(() => scheduleFrom("triangular", {}), /unknown schedule 'triangular'/);
  assert.throws(() => scheduleFrom("step", { gamma: 0.5 }), /schedule 'step' needs 'every'/);
  assert.throws(() => stepSize({ name: "triangular", args: {} }, lr, 0, 10), /unknown schedule/);
});
