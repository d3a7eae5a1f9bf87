// Both float32 executors against the float64 reference on the image ops and
// four-axis broadcasting: the same losses and gradients within float32
// tolerance. The kernel executor also takes the batch as rows read where they
// lie, which a reshape of X must gather first.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { batchRows, Kernels, kernelMatrix, lossAndGradients as kernelLoss } from "../../server/src/engine/kernel-executor";
import { evaluate, gradients } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor, type Tensor } from "../../server/src/engine/tensor";
import { loadTfjs, lossAndGradients as tfjsLoss } from "../../server/src/engine/tfjs-executor";

const kernels = Kernels.create(2);
after(() => kernels.dispose());

// 48 features read as [N, 3, 4, 4] or [N, 1, 6, 8]; 4 classes.
const header = "data d = blobs(classes=4, points=10, dims=48)\n";
const losses: Record<string, string> = {
  "a convnet (conv, bias [F, 1, 1], relu, max pooling, affine)": "param K: [5, 3, 3, 3] = he\nparam c: [5, 1, 1] = randn * 0.1\nparam W: [C, 20] = xavier\nscore z = relu(conv2d(reshape(X, [N, 3, 4, 4]), K, stride=1, pad=1) + c)\nscore s = flatten(maxpool(z, size=2, stride=2)) @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y])\n",
  "stride 2, pad 2, non-square kernel and average pooling": "param K: [2, 1, 3, 2] = randn * 0.5\nparam W: [C, 30] = randn * 0.2\nscore z = avgpool(conv2d(reshape(X, [N, 1, 6, 8]), K, stride=2, pad=2), size=2, stride=1)\nscore s = flatten(tanh(z)) @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y])\n",
};
losses["upsample, flip, transpose with axes and max along an axis"] = "param K: [3, 3, 2, 2] = randn * 0.5\nparam b: [1, 3, 1, 1] = randn\nscore x = reshape(X, [N, 3, 4, 4])\nscore u = upsample(maxpool(x, size=2, stride=2), size=2) * flip(x, axes=[2, 3]) + b\nscore v = transpose(conv2d(u, K, pad=0), [0, 2, 3, 1])\nloss L = mean(max(v, axis=3)) + mean(sum(u, axis=2) * b) + mean(max(v, axis=1) / (2 + max(b)))\n";

losses["four-axis broadcasting, each side repeated along other axes"] = "param A: [1, 3, 1, 4] = randn\nparam B: [3, 4, 1] = randn\nscore x = reshape(X, [N, 3, 4, 4])\nloss L = mean(x * A + B / (2 + abs(A)) - max(x, B) + min(A, B) * sum(x, axis=0)) + mean(sum(x * B, axis=2) - mean(A * x, axis=1))\n";

losses["softmax and log-sum-exp along the channels of images"] = "param A: [1, 3, 1, 4] = randn\nscore x = reshape(X, [N, 3, 4, 4]) * A\nloss L = mean(softmax(x, axis=1) * x) + mean(log(softmax(x, axis=2)) * A) - mean(logsumexp(x, axis=1))\n";

const n = 7;

function setup(body: string) {
  const analysis = analyze(header + body, { dataFacts: () => ({ features: 48, classes: 4 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get("L");
  assert.ok(symbol);
  const compiled = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(compiled.ok, compiled.ok ? "" : compiled.message);
  const random = randomSource(4);
  const X = tensor([n, 48]);
  for (let i = 0; i < X.data.length; i++) X.data[i] = random.normal();
  const y = tensor([n], Array.from({ length: n }, (_, i) => (i * 7) % 4));
  const params = initialParams(analysis, seededStreams(2));
  const reference = evaluate(compiled.graph, { X, y, params });
  return { graph: compiled.graph, X, y, params, loss: reference[compiled.graph.output].data[0], gradients: gradients(compiled.graph, reference) };
}

function agree(name: string, result: { loss: number; gradients: Map<string, Float32Array> }, expected: { loss: number; gradients: Map<string, Tensor> }): void {
  assert.ok(Math.abs(result.loss - expected.loss) <= 1e-4 * Math.max(1, Math.abs(expected.loss)), `${name}: loss ${result.loss} vs ${expected.loss}`);
  for (const [param, gradient] of expected.gradients) {
    const actual = result.gradients.get(param);
    assert.ok(actual, `${param} has a gradient`);
    assert.equal(actual.length, gradient.data.length);
    const scale = Math.max(1e-3, ...Array.from(gradient.data, Math.abs));
    for (let i = 0; i < gradient.data.length; i++) assert.ok(Math.abs(actual[i] - gradient.data[i]) <= 2e-4 * scale, `${name}: d${param}[${i}] ${actual[i]} vs ${gradient.data[i]}`);
  }
}

for (const [name, body] of Object.entries(losses)) {
  test(`the kernel executor agrees with the reference: ${name}`, () => {
    const { graph, X, y, params, ...expected } = setup(body);
    const bound = new Map([...params].map(([key, value]) => [key, { shape: value.shape, data: Float32Array.from(value.data) }]));
    const labels = { shape: y.shape, data: Float32Array.from(y.data) };
    for (const inPlace of [false, true]) {
      const mark = kernels.mark();
      // In place: the examples at rows 2i + 1 of a larger matrix, read through their row numbers.
      const scattered = new Float32Array(2 * n * 48).fill(1e30);
      const rows = Int32Array.from({ length: n }, (_, i) => 2 * i + 1);
      rows.forEach((row, i) => scattered.set(X.data.subarray(i * 48, (i + 1) * 48), row * 48));
      const boundX = inPlace ? batchRows(kernels, kernelMatrix(kernels, 2 * n, 48, scattered), rows) : kernelMatrix(kernels, n, 48, Float32Array.from(X.data));
      agree(`${name}${inPlace ? ", X read in place" : ""}`, kernelLoss(kernels, graph, { X: boundX, y: labels, params: bound }), expected);
      kernels.release(mark);
    }
  });
  // TensorFlow.js's WebAssembly backend has no backward kernels for convolution (the executor says so: see below).
  for (const backend of ["cpu"] as const) {
    test(`TensorFlow.js (${backend}) agrees with the reference: ${name}`, async () => {
      const { tf, backend: chosen } = await loadTfjs(backend);
      assert.equal(chosen, backend);
      const { graph, X, y, params, ...expected } = setup(body);
      const tfParams = new Map([...params].map(([key, value]) => [key, tf.tensor(Float32Array.from(value.data), value.shape)]));
      const tfX = tf.tensor2d(Float32Array.from(X.data), [n, 48]);
      const tfY = tf.tensor1d(Int32Array.from(y.data), "int32");
      const result = tfjsLoss(tf, graph, { X: tfX, y: tfY, params: tfParams });
      tf.dispose([tfX, tfY, ...tfParams.values()]);
      agree(`${name} on ${backend}`, result, expected);
    });
  }
}

test("TensorFlow.js on WebAssembly refuses a convolution's gradient with a clear error", async () => {
  const { tf } = await loadTfjs("wasm");
  const { graph, X, y, params } = setup(Object.values(losses)[0]);
  const tfParams = new Map([...params].map(([key, value]) => [key, tf.tensor(Float32Array.from(value.data), value.shape)]));
  const tfX = tf.tensor2d(Float32Array.from(X.data), [n, 48]);
  const tfY = tf.tensor1d(Int32Array.from(y.data), "int32");
  assert.throws(() => tfjsLoss(tf, graph, { X: tfX, y: tfY, params: tfParams }), /WebAssembly backend has no gradient for conv2d/);
  tf.dispose([tfX, tfY, ...tfParams.values()]);
});
