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

test("a batch read where its rows lie gives the loss and gradients of the same rows bound as examples of their own", () => {
  const spec = plan(1);
  const runtime = loadKernels();
  const all = bindExamples(runtime, spec.train, spec.shapes);
  try {
    for (const [batch, rows] of [[0, Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 3) % spec.train.n)], [1, Int32Array.from([5, 5, 0, spec.train.n - 1, 9])]] as const) {
      const { d } = spec.train;
      const own = { n: rows.length, d, X: new Float32Array(rows.length * d), y: Int32Array.from(rows, (row) => spec.train.y[row]) };
      rows.forEach((row, i) => own.X.set(spec.train.X.subarray(row * d, (row + 1) * d), i * d));
      const alone = bindExamples(runtime, own, spec.shapes);
      const expected = alone.lossAndGradients(spec.loss, undefined, spec.params);
      alone.release();
      const result = all.lossAndGradients(spec.loss, rows, spec.params);
      assert.equal(result.loss, expected.loss, `batch ${batch}`);
      for (const [name, gradient] of expected.gradients) assert.deepEqual(result.gradients.get(name), gradient, `batch ${batch}, d${name}`);
    }
    assert.throws(() => all.lossAndGradients(spec.loss, Int32Array.from([0, spec.train.n]), spec.params), /row \d+ of a batch is not one of the \d+ examples/);
  } finally {
    all.release();
  }
});
