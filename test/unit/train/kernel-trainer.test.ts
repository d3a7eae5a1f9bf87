// The trainer on the kernel executor: it learns, a seed repeats its curve
// exactly, and its curve follows TensorFlow.js's step for step (both float32).
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { blobs } from "../../../server/src/data/generators";
import { loadTfjs } from "../../../server/src/engine/tfjs-executor";
import { bindExamples, loadKernels, type TrainingRuntime } from "../../../server/src/train/executors";
import { planRun, type RunDeclaration } from "../../../server/src/train/plan-run";
import { train, type CurvePoint } from "../../../server/src/train/trainer";

function plan(steps: number) {
  const data = blobs({ classes: 3, points: 40, dims: 20, seed: 3 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=40, dims=20)
param W1: [16, D] = randn * 0.1
param W2: [C, 16] = randn * 0.1
param b: [C] = zeros
score s = relu(X @ W1^T) @ W2^T + b
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = momentum { lr 0.02, batch 16 }
run r { minimize L; on d.train; by opt; steps ${steps}; eval d.train; every 25 }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 20, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  return planned.spec;
}

function runOn(runtime: TrainingRuntime, steps: number) {
  const points: CurvePoint[] = [];
  const result = train(runtime, plan(steps), { onPoint: (point) => points.push(point), cancelled: () => false });
  return { result, points };
}

test("the kernel executor trains: the loss falls and the blobs are learnt", () => {
  const { result, points } = runOn(loadKernels(), 150);
  assert.equal(result.status, "finished");
  assert.ok(points[points.length - 1].loss < points[0].loss / 3, `loss ${points[0].loss} -> ${points[points.length - 1].loss}`);
  assert.ok((result.final.trainAccuracy ?? 0) > 0.9, `accuracy ${result.final.trainAccuracy}`);
});

test("the same seed gives the identical curve on the kernel executor", () => {
  const first = runOn(loadKernels(), 40);
  const second = runOn(loadKernels(), 40);
  assert.deepEqual(first.points.map((point) => point.loss), second.points.map((point) => point.loss));
});

test("with a param large enough for the kernel memory, adam's curve and sums of squares follow TensorFlow.js's", async () => {
  // W1 has 8 × 2,100 = 16,800 entries, a large tensor for the kernels: its update runs in blocks of 1,024 with a remainder.
  const data = blobs({ classes: 3, points: 30, dims: 2100, seed: 5 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=30, dims=2100)
param W1: [8, D] = randn * 0.01
param W2: [C, 8] = randn * 0.1
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = adam { lr 0.001, batch 20 }
run r { minimize L; on d.train; by opt; steps 15 }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 2100, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  const curve = (runtime: TrainingRuntime) => {
    const points: CurvePoint[] = [];
    train(runtime, planned.spec, { onPoint: (point) => points.push(point), cancelled: () => false });
    return points;
  };
  const kernels = loadKernels();
  const inUse = kernels.kernels.usage().allocated;
  const [ours, theirs] = [curve(kernels), curve(await loadTfjs("cpu"))];
  assert.equal(ours.length, 15);
  ours.forEach((point, i) => {
    for (const key of ["loss", "gradNorm", "updateRatio"] as const) {
      const [a, b] = [point[key] ?? NaN, theirs[i][key] ?? NaN];
      assert.ok(Math.abs(a - b) <= 2e-3 * Math.abs(b), `step ${i}: ${key} ${a} vs ${b}`);
    }
  });
  assert.equal(kernels.kernels.usage().allocated, inUse, "the run freed the kernel memory it took");
});

test("the kernel executor's curve follows TensorFlow.js's", async () => {
  const kernels = runOn(loadKernels(), 40);
  const tfjs = runOn(await loadTfjs("cpu"), 40);
  assert.equal(kernels.points.length, tfjs.points.length);
  kernels.points.forEach((point, i) => {
    const other = tfjs.points[i];
    assert.ok(Math.abs(point.loss - other.loss) <= 1e-3 * Math.max(1, Math.abs(other.loss)), `step ${i}: loss ${point.loss} vs ${other.loss}`);
    // The update's sums (in WebAssembly on the kernels, in JavaScript on TensorFlow.js) agree too.
    for (const key of ["gradNorm", "updateRatio"] as const) {
      const [ours, theirs] = [point[key] ?? NaN, other[key] ?? NaN];
      assert.ok(Math.abs(ours - theirs) <= 1e-3 * Math.abs(theirs), `step ${i}: ${key} ${ours} vs ${theirs}`);
    }
  });
  assert.ok(Math.abs((kernels.result.final.trainAccuracy ?? 0) - (tfjs.result.final.trainAccuracy ?? 0)) <= 0.02);
});

test("a batch fetched ahead on the second thread gives the loss and gradients of one gathered on the spot", () => {
  const spec = plan(1);
  const runtime = loadKernels();
  const batches = [0, 1, 2, 3].map((batch) => Int32Array.from({ length: 16 }, (_, i) => (batch * 37 + i * 7) % spec.train.n));
  const fresh = bindExamples(runtime, spec.train, spec.shapes);
  const expected = batches.map((rows) => fresh.lossAndGradients(spec.loss, rows, spec.params));
  fresh.release();
  const ahead = bindExamples(runtime, spec.train, spec.shapes, 16);
  const fetchedBefore = runtime.kernels.prefetches;
  // However long a wake-up of the second thread takes on this machine, keep prefetching.
  runtime.kernels.pauseAfterWakeOver(Infinity);
  batches.forEach((rows, i) => {
    const result = ahead.lossAndGradients(spec.loss, rows, spec.params, undefined, batches[i + 1]);
    assert.equal(result.loss, expected[i].loss, `batch ${i}`);
    for (const [name, gradient] of expected[i].gradients) assert.deepEqual(Array.from(result.gradients.get(name) ?? []), Array.from(gradient), `batch ${i}, d${name}`);
  });
  ahead.release();
  // With a second thread, every call with a next batch fetched it ahead: the first once its products were done
  // (a call is first taken to share its products), the others from their start (these products are too small to share).
  if (runtime.kernels.threads > 1) assert.equal(runtime.kernels.prefetches - fetchedBefore, batches.length - 1);
  runtime.kernels.pauseAfterWakeOver(undefined);
});

test("after a slow wake-up of the second thread, batches are gathered on the spot for a while, with the same results", () => {
  const spec = plan(1);
  const runtime = loadKernels();
  const batches = Array.from({ length: 6 }, (_, batch) => Int32Array.from({ length: 16 }, (_, i) => (batch * 41 + i * 5) % spec.train.n));
  const fresh = bindExamples(runtime, spec.train, spec.shapes);
  const expected = batches.map((rows) => fresh.lossAndGradients(spec.loss, rows, spec.params));
  fresh.release();
  // Every wake-up counts as slow: the first fetch ahead pauses the next ones.
  runtime.kernels.pauseAfterWakeOver(0);
  const ahead = bindExamples(runtime, spec.train, spec.shapes, 16);
  const fetchedBefore = runtime.kernels.prefetches;
  try {
    batches.forEach((rows, i) => {
      const result = ahead.lossAndGradients(spec.loss, rows, spec.params, undefined, batches[i + 1]);
      assert.equal(result.loss, expected[i].loss, `batch ${i}`);
      for (const [name, gradient] of expected[i].gradients) assert.deepEqual(Array.from(result.gradients.get(name) ?? []), Array.from(gradient), `batch ${i}, d${name}`);
    });
  } finally {
    ahead.release();
    runtime.kernels.pauseAfterWakeOver(undefined);
  }
  if (runtime.kernels.threads > 1) assert.equal(runtime.kernels.prefetches - fetchedBefore, 1);
});

