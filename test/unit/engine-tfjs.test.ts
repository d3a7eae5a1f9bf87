// The TensorFlow.js executor against the float64 reference: the same losses
// and gradients within float32 tolerance, on the WebAssembly and the plain
// JavaScript backends, and no tensor left behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { evaluate, gradients } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor } from "../../server/src/engine/tensor";
import { loadTfjs, lossAndGradients, type TfjsPreference } from "../../server/src/engine/tfjs-executor";

const header = "data d = blobs(classes=4, points=10, dims=5) { bias_trick }\nhyper reg = 0.05\n";
const losses: Record<string, string> = {
  svm: "param W: [C, D] = randn * 0.1\nscore s = X @ W^T\nloss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)\n",
  softmax: "param W: [C, D] = randn * 0.1\nparam b: [C] = randn\nscore s = X @ W^T + b\nloss L = -mean(log(softmax(s, axis=1))[y]) + reg * sum(abs(W))\n",
  "two-layer net": "param W1: [7, D] = he\nparam b1: [7] = randn * 0.1\nparam W2: [C, 7] = xavier\nscore s = relu(X @ W1^T + b1) @ W2^T\nloss L = mean(logsumexp(s, axis=1) - s[y]) + reg * (sum(W1^2) + sum(W2^2))\n",
  "every other op": "param W: [C, D] = randn * 0.3\nscore s = X @ W^T\nloss L = mean(sqrt(exp(tanh(s)) + sigmoid(s)) / (1 + abs(min(s, 0.5)))) + sum(softmax(s, axis=0) * (s >= 0)) / N - mean(mean(s, axis=0)) + sum(W^3) - sum(W^T @ W) / 10\n",
};

async function compare(backend: TfjsPreference, name: string, body: string): Promise<void> {
  const { tf, backend: chosen } = await loadTfjs(backend);
  assert.equal(chosen, backend, `backend ${backend} started`);
  const analysis = analyze(header + body);
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get("L");
  assert.ok(symbol);
  const compiled = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(compiled.ok, compiled.ok ? "" : compiled.message);
  const random = randomSource(4);
  const n = 9;
  const X = tensor([n, 6]);
  for (let i = 0; i < X.data.length; i++) X.data[i] = i % 6 === 5 ? 1 : random.normal();
  const y = tensor([n], Array.from({ length: n }, (_, i) => (i * 7) % 4));
  const params = initialParams(analysis, seededStreams(2));
  const reference = evaluate(compiled.graph, { X, y, params });
  const referenceGradients = gradients(compiled.graph, reference);

  const before = tf.memory().numTensors;
  const tfParams = new Map([...params].map(([key, value]) => [key, tf.tensor(Float32Array.from(value.data), value.shape)]));
  const tfX = tf.tensor2d(Float32Array.from(X.data), [n, 6]);
  const tfY = tf.tensor1d(Int32Array.from(y.data), "int32");
  const result = lossAndGradients(tf, compiled.graph, { X: tfX, y: tfY, params: tfParams });
  tf.dispose([tfX, tfY, ...tfParams.values()]);
  assert.equal(tf.memory().numTensors, before, `${name}: no tensor leaks on ${backend}`);

  const expected = reference[compiled.graph.output].data[0];
  assert.ok(Math.abs(result.loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `${name} on ${backend}: loss ${result.loss} vs ${expected}`);
  for (const [param, gradient] of referenceGradients) {
    const actual = result.gradients.get(param);
    assert.ok(actual, `${param} has a gradient`);
    const scale = Math.max(1e-3, ...Array.from(gradient.data, Math.abs));
    for (let i = 0; i < gradient.data.length; i++) {
      assert.ok(Math.abs(actual[i] - gradient.data[i]) <= 2e-4 * scale, `${name} on ${backend}: d${param}[${i}] ${actual[i]} vs ${gradient.data[i]}`);
    }
  }
}

for (const backend of ["wasm", "cpu"] as const) {
  for (const [name, body] of Object.entries(losses)) {
    test(`TensorFlow.js (${backend}) agrees with the reference: ${name}`, () => compare(backend, name, body));
  }
}
