// Step-size sweeps and loss landscapes on small data: the table's U shape,
// the range test's divergence and suggestion, and slices through the start.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { toy, blobs } from "../../../server/src/data/generators";
import { biasTrick } from "../../../server/src/data/prepare";
import { loadTfjs } from "../../../server/src/engine/tfjs-executor";
import { loadKernels } from "../../../server/src/train/executors";
import { landscape } from "../../../server/src/train/landscape";
import { planSetup, planStrategy, type RunDeclaration } from "../../../server/src/train/plan-run";
import { evaluateOn } from "../../../server/src/train/trainer";
import { logSpace, rangeTest, stepSizeTable } from "../../../server/src/train/sweep";

function setupFor(text: string, examples: ReturnType<typeof toy>, name: string) {
  const analysis = analyze(text, { dataFacts: () => ({ features: examples.d - 1, classes: examples.classes }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const declaration = analysis.document.declarations.find((candidate) => candidate.name.text === name) as RunDeclaration;
  const base = planSetup(analysis, declaration, () => ({ train: examples }));
  assert.ok(base.ok, base.ok ? "" : base.message);
  return { analysis, declaration, setup: base.setup };
}

test("log-spaced step sizes", () => {
  assert.deepEqual(logSpace(1e-3, 1e1, 5).map((lr) => Number(lr.toPrecision(6))), [1e-3, 1e-2, 1e-1, 1, 10]);
});

const blobData = (() => {
  const generated = blobs({ classes: 3, points: 30, dims: 3, seed: 5 });
  assert.ok(generated.ok);
  return biasTrick(generated.value);
})();

const blobModel = `data d = blobs(classes=3, points=30, dims=3) { bias_trick }
param W: [C, D] = randn * 0.001
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.05 * sum(W^2)
optimizer opt = sgd { lr 1e-3 }
sweep table { minimize L; on d.train; by opt; lr 1e-6 .. 1e3; points 10 }
sweep test { minimize L; on d.train; by opt; lr 1e-6 .. 1e4; method range_test; steps 200 }
`;

test("the step-size table is U-shaped: too small changes nothing, too large overshoots", async () => {
  const runtime = await loadTfjs("cpu");
  const { analysis, declaration, setup } = setupFor(blobModel, blobData, "table");
  const strategy = planStrategy(analysis, declaration);
  assert.ok(strategy.ok && strategy.strategy.kind === "gradient");
  const result = stepSizeTable(runtime, setup, strategy.strategy, { from: 1e-6, to: 1e3, points: 10 }, 1, () => false);
  const losses = result.rows.map((row) => row.loss);
  const lowest = Math.min(...losses);
  assert.ok(Math.abs(losses[0] - result.start) < 1e-3 * result.start, "the smallest step leaves the loss where it was");
  assert.ok(lowest < 0.9 * result.start, "some step size lowers the loss");
  assert.ok(losses[losses.length - 1] > 2 * lowest, "the largest step overshoots");
  assert.equal(result.suggestion?.lr, result.rows[losses.indexOf(lowest)].lr);
});

test("the range test stops at divergence and suggests a smaller step size", async () => {
  const runtime = await loadTfjs("cpu");
  const { analysis, declaration, setup } = setupFor(blobModel, blobData, "test");
  const strategy = planStrategy(analysis, declaration);
  assert.ok(strategy.ok && strategy.strategy.kind === "gradient");
  const result = rangeTest(runtime, setup, strategy.strategy, { from: 1e-6, to: 1e4 }, 200, () => false);
  assert.ok(result.rows.length < 200, `stopped after ${result.rows.length} steps`);
  assert.ok(result.rows[result.rows.length - 1].diverged);
  assert.ok(result.suggestion && result.suggestion.lr < result.rows[result.rows.length - 1].lr);
  // The step sizes grow exponentially.
  assert.ok(result.rows[10].lr / result.rows[9].lr > 1.05);
});

test("a ray through the start is the notes' bowl for the toy SVM, and a plane is a grid", async () => {
  const runtime = await loadTfjs("cpu");
  const toyData = biasTrick(toy());
  const text = `data t = toy() { bias_trick }
param W: [C, D] = randn
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.05 * sum(W^2)
landscape ray { of L; on t.train; range -3 .. 3; points 61 }
`;
  const { setup } = setupFor(text, toyData, "ray");
  const ray = landscape(runtime, setup, { directions: 1, from: -3, to: 3, points: 61, normalize: false }, () => false);
  assert.equal(ray.losses.length, 61);
  assert.ok(Math.abs(ray.losses[30] - ray.center) < 1e-5);
  assert.ok(Math.abs(ray.center - evaluateOn(runtime, setup, setup.params, setup.train).loss) < 1e-5);
  // Convex: no second difference is negative (up to float32 noise).
  for (let i = 1; i < 60; i++) assert.ok(ray.losses[i - 1] - 2 * ray.losses[i] + ray.losses[i + 1] > -1e-4, `kink at ${i}`);
  const plane = landscape(runtime, setup, { directions: 2, from: -1, to: 1, points: 9, normalize: true }, () => false);
  assert.equal(plane.losses.length, 81);
  assert.ok(Math.abs(plane.losses[40] - plane.center) < 1e-5, "the middle of the grid is the start");
});

test("the kernel executor draws the same landscape and step-size table as TensorFlow.js", async () => {
  const [tfjs, kernels] = [await loadTfjs("cpu"), loadKernels()];
  const inUse = kernels.kernels.usage().allocated;
  const { analysis, declaration, setup } = setupFor(blobModel, blobData, "table");
  const strategy = planStrategy(analysis, declaration);
  assert.ok(strategy.ok && strategy.strategy.kind === "gradient");
  const gradient = strategy.strategy;
  const tables = [tfjs, kernels].map((runtime) => stepSizeTable(runtime, setup, gradient, { from: 1e-6, to: 1e3, points: 10 }, 1, () => false));
  tables[0].rows.forEach((row, i) => assert.ok(Math.abs(row.loss - tables[1].rows[i].loss) <= 1e-4 * Math.max(1, row.loss), `lr ${row.lr}: ${row.loss} vs ${tables[1].rows[i].loss}`));
  const planes = [tfjs, kernels].map((runtime) => landscape(runtime, setup, { directions: 2, from: -1, to: 1, points: 5, normalize: true }, () => false));
  planes[0].losses.forEach((loss, i) => assert.ok(Math.abs(loss - planes[1].losses[i]) <= 1e-4 * Math.max(1, loss), `point ${i}: ${loss} vs ${planes[1].losses[i]}`));
  // Each landscape released what it bound.
  assert.equal(kernels.kernels.usage().allocated, inUse);
});

test("a trajectory is projected onto the plane by least squares", async () => {
  const { project } = await import("../../../server/src/train/landscape");
  const origin = new Map([["W", Float32Array.from([1, 2, 3])]]);
  const d1 = new Map([["W", Float32Array.from([1, 0, 1])]]);
  const d2 = new Map([["W", Float32Array.from([0, 1, 1])]]);
  // origin + 2·d1 − 0.5·d2, and the origin itself.
  const moved = new Map([["W", Float32Array.from([3, 1.5, 4.5])]]);
  const [start, point] = project(origin, d1, d2, [
    { step: 0, params: origin },
    { step: 7, params: moved },
  ]);
  assert.deepEqual(start, { step: 0, a: 0, b: 0 });
  assert.equal(point.step, 7);
  assert.ok(Math.abs(point.a - 2) < 1e-6 && Math.abs(point.b + 0.5) < 1e-6, JSON.stringify(point));
});
