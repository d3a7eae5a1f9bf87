// Dropout: its masks are seeded, drawn afresh at each training step, the same
// on the reference and both float32 executors (the same integer arithmetic),
// off at evaluation; and a run with dropout repeats its curve by its seed.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { blobs } from "../../server/src/data/generators";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { fillDropoutMask, type DropoutDraw } from "../../server/src/engine/dropout";
import type { Graph } from "../../server/src/engine/ir";
import { Kernels, kernelMatrix, lossAndGradients as kernelLossAndGradients, outputValue as kernelOutput } from "../../server/src/engine/kernel-executor";
import { evaluate, gradients, type Bindings } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor, type Tensor } from "../../server/src/engine/tensor";
import { buildOutput, loadTfjs, lossAndGradients as tfjsLossAndGradients } from "../../server/src/engine/tfjs-executor";
import { loadKernels } from "../../server/src/train/executors";
import { planRun, type RunDeclaration } from "../../server/src/train/plan-run";
import { train, type CurvePoint } from "../../server/src/train/trainer";

const kernels = Kernels.create(2);
after(() => kernels.dispose());

const header = "data d = blobs(classes=4, points=10, dims=5) { bias_trick }\nhyper reg = 0.05\n";
const model = (keep: string) => `param W1: [12, D] = randn * 0.5
param W2: [C, 12] = randn * 0.5
score h = relu(X @ W1^T)
score m = dropout_mask(h, keep=${keep})
score hd = h * m
score s = hd @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * (sum(W1^2) + sum(W2^2))
`;

function compiled(body: string, name: string) {
  const analysis = analyze(header + body);
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get(name);
  assert.ok(symbol);
  const result = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return { graph: result.graph, params: initialParams(analysis, seededStreams(2)) };
}

function examples(n: number): { X: Tensor; y: Tensor } {
  const random = randomSource(4);
  const X = tensor([n, 6]);
  for (let i = 0; i < X.data.length; i++) X.data[i] = i % 6 === 5 ? 1 : random.normal();
  return { X, y: tensor([n], Array.from({ length: n }, (_, i) => (i * 7) % 4)) };
}

function maskOf(graph: Graph, bindings: Bindings): number[] {
  const node = graph.nodes.find((candidate) => candidate.op === "dropoutmask");
  assert.ok(node, "the graph has a dropout mask");
  return Array.from(evaluate(graph, bindings)[node.id].data);
}

test("a mask is the same for the same seed and step, and differs with the seed and from step to step", () => {
  const { graph, params } = compiled(model("0.5"), "m");
  const bindings = (dropout?: DropoutDraw): Bindings => ({ ...examples(40), params, dropout });
  const first = maskOf(graph, bindings({ seed: 1, step: 0 }));
  assert.deepEqual(maskOf(graph, bindings({ seed: 1, step: 0 })), first);
  assert.notDeepEqual(maskOf(graph, bindings({ seed: 2, step: 0 })), first);
  assert.notDeepEqual(maskOf(graph, bindings({ seed: 1, step: 1 })), first);
  assert.ok(first.every((entry) => entry === 0 || entry === 2), "kept entries are scaled by 1/keep");
  const kept = first.filter((entry) => entry !== 0).length / first.length;
  assert.ok(Math.abs(kept - 0.5) < 0.05, `${kept} of the entries kept`);
  assert.ok(maskOf(graph, bindings(undefined)).every((entry) => entry === 1), "every entry is 1 at evaluation");
});

test("keep decides the share of entries kept, each call draws its own mask", () => {
  const values = new Float64Array(20000);
  fillDropoutMask(values, 0.8, 7, { seed: 3, step: 5 });
  const kept = values.filter((entry) => entry !== 0).length / values.length;
  assert.ok(Math.abs(kept - 0.8) < 0.02, `${kept} kept`);
  const other = new Float64Array(20000);
  fillDropoutMask(other, 0.8, 8, { seed: 3, step: 5 });
  assert.notDeepEqual(other, values);
});

test("at evaluation the loss with dropout equals the loss with keep=1", () => {
  const dropped = compiled(model("0.5"), "L");
  const whole = compiled(model("1"), "L");
  const { X, y } = examples(9);
  const at = (entry: typeof dropped, dropout?: DropoutDraw) => evaluate(entry.graph, { X, y, params: entry.params, dropout })[entry.graph.output].data[0];
  assert.equal(at(dropped), at(whole));
  assert.notEqual(at(dropped, { seed: 1, step: 0 }), at(whole), "in training the masks change the loss");
  assert.equal(at(whole, { seed: 1, step: 0 }), at(whole), "keep=1 keeps everything in training too");
});

const f32 = (t: Tensor) => ({ shape: t.shape, data: Float32Array.from(t.data) });

for (const dropout of [{ seed: 11, step: 3 }, undefined]) {
  const mode = dropout ? "in training" : "at evaluation";
  test(`the kernel executor draws the reference's masks and agrees with its loss and gradients ${mode}`, () => {
    const { graph, params } = compiled(model("0.6"), "L");
    const { X, y } = examples(9);
    const reference = evaluate(graph, { X, y, params, dropout });
    const referenceGradients = gradients(graph, reference);
    const mark = kernels.mark();
    try {
      const bindings = { X: kernelMatrix(kernels, 9, 6, Float32Array.from(X.data)), y: f32(y), params: new Map([...params].map(([name, value]) => [name, f32(value)])), dropout };
      const result = kernelLossAndGradients(kernels, graph, bindings);
      const expected = reference[graph.output].data[0];
      assert.ok(Math.abs(result.loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `loss ${result.loss} vs ${expected}`);
      for (const [name, gradient] of referenceGradients) {
        const actual = result.gradients.get(name) as Float32Array;
        gradient.data.forEach((value, i) => assert.ok(Math.abs(actual[i] - value) <= 1e-4 * Math.max(1, Math.abs(value)), `d${name}[${i}] ${actual[i]} vs ${value}`));
      }
      const masks = compiled(model("0.6"), "m");
      const mask = kernelOutput(kernels, masks.graph, bindings);
      assert.deepEqual(Array.from(mask.data), maskOf(masks.graph, { X, y, params, dropout }).map(Math.fround), "the same mask, entry for entry");
    } finally {
      kernels.release(mark);
    }
  });

  test(`TensorFlow.js draws the reference's masks and agrees with its loss and gradients ${mode}`, async () => {
    const { tf } = await loadTfjs("cpu");
    const { graph, params } = compiled(model("0.6"), "L");
    const { X, y } = examples(9);
    const reference = evaluate(graph, { X, y, params, dropout });
    const referenceGradients = gradients(graph, reference);
    const before = tf.memory().numTensors;
    const Xt = tf.tensor2d(Float32Array.from(X.data), [9, 6]);
    const yt = tf.tensor1d(Int32Array.from(y.data), "int32");
    const paramTensors = new Map([...params].map(([name, value]) => [name, tf.tensor(Float32Array.from(value.data), value.shape)]));
    const bindings = { X: Xt, y: yt, params: paramTensors, dropout };
    const result = tfjsLossAndGradients(tf, graph, bindings);
    const expected = reference[graph.output].data[0];
    assert.ok(Math.abs(result.loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `loss ${result.loss} vs ${expected}`);
    for (const [name, gradient] of referenceGradients) {
      const actual = result.gradients.get(name) as Float32Array;
      gradient.data.forEach((value, i) => assert.ok(Math.abs(actual[i] - value) <= 1e-4 * Math.max(1, Math.abs(value)), `d${name}[${i}] ${actual[i]} vs ${value}`));
    }
    const masks = compiled(model("0.6"), "m");
    const mask = tf.tidy(() => Array.from(buildOutput(tf, masks.graph, bindings).dataSync()));
    assert.deepEqual(mask, maskOf(masks.graph, { X, y, params, dropout }).map(Math.fround), "the same mask, entry for entry");
    tf.dispose([Xt, yt, ...paramTensors.values()]);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });
}

function plan(steps: number) {
  const data = blobs({ classes: 3, points: 40, dims: 20, seed: 3 });
  assert.ok(data.ok);
  const text = `data d = blobs(classes=3, points=40, dims=20)
param W1: [16, D] = randn * 0.1
param W2: [C, 16] = randn * 0.1
score h = relu(X @ W1^T)
score hd = h * dropout_mask(h, keep=0.5)
score s = hd @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * 1e-3 * (sum(W1^2) + sum(W2^2))
optimizer opt = momentum { lr 0.02, batch 16 }
run r { minimize L; on d.train; by opt; steps ${steps}; eval d.train; every 10 }
`;
  const analysis = analyze(text, { dataFacts: () => ({ features: 20, classes: 3 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const run = analysis.document.declarations.find((declaration) => declaration.kind === "run") as RunDeclaration;
  const planned = planRun(analysis, run, () => ({ train: data.value }));
  assert.ok(planned.ok, planned.ok ? "" : planned.message);
  return planned.spec;
}

function curve(spec: ReturnType<typeof plan>): CurvePoint[] {
  const points: CurvePoint[] = [];
  train(loadKernels(), spec, { onPoint: (point) => points.push(point), cancelled: () => false });
  return points;
}

test("a run with dropout repeats its curve by its seed; another dropout seed gives another curve", () => {
  const first = curve(plan(30));
  assert.deepEqual(curve(plan(30)).map((point) => point.loss), first.map((point) => point.loss));
  const spec = plan(30);
  const streams = spec.random;
  const other = curve({ ...spec, random: (stream) => streams(stream === "dropout" ? "dropout, another seed" : stream) });
  assert.notDeepEqual(other.map((point) => point.loss), first.map((point) => point.loss));
  assert.notEqual(other[0].loss, first[0].loss, "the first step's loss, at the same weights, differs by its masks alone");
});
