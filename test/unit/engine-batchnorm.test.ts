// Batch normalization's statistics: batch_mean and batch_var are the batch's
// in training (and left for the run's running averages), the running averages
// at evaluation; both float32 executors agree with the reference in both
// modes; and a run evaluates with the averages it kept, which differ from the
// batch's own statistics.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { blobs } from "../../server/src/data/generators";
import type { BatchStatistics } from "../../server/src/engine/batch-statistics";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { Kernels, kernelMatrix, lossAndGradients as kernelLossAndGradients } from "../../server/src/engine/kernel-executor";
import { evaluate, gradients } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor, type Tensor } from "../../server/src/engine/tensor";
import { loadTfjs, lossAndGradients as tfjsLossAndGradients } from "../../server/src/engine/tfjs-executor";
import { loadKernels } from "../../server/src/train/executors";
import { planRun, type RunDeclaration } from "../../server/src/train/plan-run";
import { evaluateOn, train } from "../../server/src/train/trainer";

const kernels = Kernels.create(2);
after(() => kernels.dispose());

const header = "data d = blobs(classes=4, points=10, dims=5) { bias_trick }\nhyper reg = 0.05\n";
const body = `param W1: [8, D] = randn * 0.5
param gamma: [8] = randn * 0.5
param beta: [8] = randn * 0.1
param W2: [C, 8] = randn * 0.5
score z = X @ W1^T
score zhat = (z - batch_mean(z)) / sqrt(batch_var(z) + 1e-5)
score h = relu(gamma * zhat + beta)
score s = h @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * (sum(W1^2) + sum(W2^2))
`;

function compiled() {
  const analysis = analyze(header + body);
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get("L");
  assert.ok(symbol);
  const result = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return { graph: result.graph, params: initialParams(analysis, seededStreams(2)) };
}

function examples(n: number): { X: Tensor; y: Tensor } {
  const random = randomSource(4);
  const X = tensor([n, 6]);
  for (let i = 0; i < X.data.length; i++) X.data[i] = i % 6 === 5 ? 1 : 2 * random.normal() + 1;
  return { X, y: tensor([n], Array.from({ length: n }, (_, i) => (i * 7) % 4)) };
}

test("batch_mean and batch_var are each column's mean and biased variance over the batch", () => {
  const analysis = analyze(`${header}score m = batch_mean(X)\nscore v = batch_var(X)\n`);
  const X = tensor([3, 6], [1, 2, 3, 4, 5, 1, 3, 2, 3, 4, 5, 1, 5, 2, 6, 4, 5, 1]);
  const at = (name: string, statistics?: BatchStatistics) => {
    const result = compileDeclaration(analysis.model, analysis.model.symbols.get(name)?.declaration as never);
    assert.ok(result.ok);
    return Array.from(evaluate(result.graph, { X, y: tensor([3]), params: new Map(), statistics })[result.graph.output].data);
  };
  assert.deepEqual(at("m"), [3, 2, 4, 4, 5, 1]);
  assert.deepEqual(at("v").map((value) => Math.round(value * 1e9) / 1e9), [8 / 3, 0, 2, 0, 0, 0].map((value) => Math.round(value * 1e9) / 1e9));
  const observed = new Map<string, Float32Array>();
  at("m", { observed });
  assert.deepEqual([...observed.keys()], ["m#0"], "the batch's value is left under the statistic's name");
  assert.deepEqual(at("m", { running: new Map([["m#0", Float32Array.of(1, 2, 3, 4, 5, 6)]]) }), [1, 2, 3, 4, 5, 6], "the running average at evaluation");
  assert.deepEqual(at("v", { running: new Map() }), [1, 1, 1, 1, 1, 1], "a variance without an average yet is 1");
});

const f32 = (t: Tensor) => ({ shape: t.shape, data: Float32Array.from(t.data) });
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 2e-4 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

for (const mode of ["training", "evaluation"] as const) {
  const running = new Map([["zhat#0", Float32Array.from({ length: 8 }, (_, j) => 0.3 * j - 1)], ["zhat#1", Float32Array.from({ length: 8 }, (_, j) => 0.5 + 0.2 * j)]]);
  const statisticsFor = (): BatchStatistics => (mode === "training" ? { observed: new Map() } : { running });

  test(`both float32 executors agree with the reference with batch statistics in ${mode}`, async () => {
    const { graph, params } = compiled();
    const { X, y } = examples(12);
    const expectedStatistics = statisticsFor();
    const reference = evaluate(graph, { X, y, params, statistics: expectedStatistics });
    const referenceGradients = gradients(graph, reference);
    const expected = reference[graph.output].data[0];
    const compare = (loss: number, gradients: Map<string, Float32Array>, statistics: BatchStatistics, executor: string) => {
      close(loss, expected, `${executor} loss`);
      if (mode === "training") {
        for (const [param, gradient] of referenceGradients) gradient.data.forEach((value, i) => close((gradients.get(param) as Float32Array)[i], value, `${executor} d${param}[${i}]`));
        assert.deepEqual([...(statistics.observed?.keys() ?? [])].sort(), ["zhat#0", "zhat#1"]);
        for (const [name, value] of expectedStatistics.observed ?? []) value.forEach((entry, j) => close((statistics.observed?.get(name) as Float32Array)[j], entry, `${executor} ${name}[${j}]`));
      }
    };
    const mark = kernels.mark();
    try {
      const statistics = statisticsFor();
      const result = kernelLossAndGradients(kernels, graph, { X: kernelMatrix(kernels, 12, 6, Float32Array.from(X.data)), y: f32(y), params: new Map([...params].map(([name, value]) => [name, f32(value)])), statistics });
      compare(result.loss, result.gradients, statistics, "kernels");
    } finally {
      kernels.release(mark);
    }
    const { tf } = await loadTfjs("cpu");
    const before = tf.memory().numTensors;
    const Xt = tf.tensor2d(Float32Array.from(X.data), [12, 6]);
    const yt = tf.tensor1d(Int32Array.from(y.data), "int32");
    const paramTensors = new Map([...params].map(([name, value]) => [name, tf.tensor(Float32Array.from(value.data), value.shape)]));
    const statistics = statisticsFor();
    const result = tfjsLossAndGradients(tf, graph, { X: Xt, y: yt, params: paramTensors, statistics });
    compare(result.loss, result.gradients, statistics, "TensorFlow.js");
    tf.dispose([Xt, yt, ...paramTensors.values()]);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });
}

function plan(momentum?: number) {
  const data = blobs({ classes: 3, points: 60, dims: 10, seed: 3 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=60, dims=10)
param W1: [16, D] = randn * 0.3
param gamma: [16] = ones
param beta: [16] = zeros
param W2: [C, 16] = randn * 0.1
score z = X @ W1^T
score mu = batch_mean(z)
score var = batch_var(z)
score h = relu(gamma * (z - mu) / sqrt(var + 1e-5) + beta)
score s = h @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = momentum { lr 0.05, batch 16 }
run r { minimize L; on d.train; by opt; steps 60; eval d.train; every 20${momentum === undefined ? "" : `; bn_momentum ${momentum}`} }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 10, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  return planned.spec;
}

test("a run keeps running averages of its batch statistics and evaluates with them, not with the batch's", () => {
  const spec = plan();
  assert.equal(spec.bnMomentum, undefined, "0.9 unless the run says");
  const runtime = loadKernels();
  const result = train(runtime, spec, { onPoint: () => {}, cancelled: () => false });
  assert.equal(result.status, "finished");
  assert.deepEqual([...(result.statistics?.keys() ?? [])].sort(), ["mu#0", "var#0"]);
  const withAverages = evaluateOn(runtime, spec, result.params, spec.train, undefined, result.statistics);
  const withBatch = evaluateOn(runtime, spec, result.params, spec.train);
  assert.equal(withAverages.loss, result.final.trainLoss, "the run's own evaluation used the averages");
  assert.notEqual(withAverages.loss, withBatch.loss, "the same weights with the batch's statistics give another number");
  assert.ok((result.final.trainAccuracy ?? 0) > 0.8, `accuracy ${result.final.trainAccuracy}`);

  const slower = plan(0.99);
  assert.equal(slower.bnMomentum, 0.99);
  const other = train(runtime, slower, { onPoint: () => {}, cancelled: () => false });
  assert.notDeepEqual(other.statistics?.get("mu#0"), result.statistics?.get("mu#0"), "the momentum decides the averages");
});

test("with dropout and batch normalization, the kernel executor's run follows TensorFlow.js's step for step, evaluations included", async () => {
  const data = blobs({ classes: 3, points: 40, dims: 12, seed: 5 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=40, dims=12)
param W1: [16, D] = randn * 0.3
param gamma: [16] = ones
param beta: [16] = zeros
param W2: [C, 16] = randn * 0.1
score z = X @ W1^T
score h = relu(gamma * (z - batch_mean(z)) / sqrt(batch_var(z) + 1e-5) + beta)
score m = dropout_mask(h, keep=0.7)
score s = (h * m) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = momentum { lr 0.05, batch 16 }
run r { minimize L; on d.train; by opt; steps 30; eval d.train; every 10; bn_momentum 0.8 }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 12, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  const runOn = (runtime: Parameters<typeof train>[0]) => {
    const points: { loss: number; evalLoss?: number }[] = [];
    const result = train(runtime, planned.spec, { onPoint: (point) => points.push(point), cancelled: () => false });
    return { points, result };
  };
  const ours = runOn(loadKernels());
  const theirs = runOn(await loadTfjs("cpu"));
  assert.equal(ours.points.length, 30);
  ours.points.forEach((point, i) => {
    const other = theirs.points[i];
    // The same masks and statistics on both: the curves differ by float32 rounding only.
    assert.ok(Math.abs(point.loss - other.loss) <= 2e-3 * Math.max(1, Math.abs(other.loss)), `step ${i}: loss ${point.loss} vs ${other.loss}`);
    if (other.evalLoss !== undefined) assert.ok(Math.abs((point.evalLoss ?? NaN) - other.evalLoss) <= 2e-3 * Math.max(1, other.evalLoss), `step ${i}: eval loss ${point.evalLoss} vs ${other.evalLoss}`);
  });
  for (const [name, average] of theirs.result.statistics ?? []) average.forEach((value, j) => close((ours.result.statistics?.get(name) as Float32Array)[j], value, `${name}[${j}]`));
});
