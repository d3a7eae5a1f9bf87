// The incremental evaluator against full evaluation: a perturbed value and
// its kink flag must be exactly what evaluating the whole graph gives.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { IncrementalEvaluator } from "../../server/src/engine/incremental";
import { branchSignature, evaluate, sameBranches, type Bindings } from "../../server/src/engine/reference";
import { randomSource, seededStreams } from "../../server/src/engine/random";
import { tensor } from "../../server/src/engine/tensor";

const header = "data d = blobs(classes=4, points=10, dims=3) { bias_trick }\nhyper reg = 0.3\n";
const losses: Record<string, string> = {
  svm: "param W: [C, D] = randn\nscore s = X @ W^T\nloss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)\n",
  softmax: "param W: [C, D] = randn\nparam b: [C] = randn\nscore s = X @ W^T + b\nloss L = -mean(log(softmax(s, axis=1))[y]) + reg * sum(abs(W))\n",
  "two-layer": "param W1: [5, D] = randn\nparam b1: [5] = randn\nparam W2: [C, 5] = randn\nscore s = relu(X @ W1^T + b1) @ W2^T\nloss L = mean(logsumexp(s, axis=1) - s[y]) + sum(W2^2) / N\n",
  "broadcast rows and columns": "param W: [C, D] = randn\nparam v: [C] = randn\nscore s = X @ W^T\nloss L = sum(min(s, sum(s, axis=0) / N) * v) + mean(tanh(s - mean(s, axis=1)))\n",
};

for (const [name, body] of Object.entries(losses)) {
  test(`incremental evaluation equals full evaluation: ${name}`, () => {
    const analysis = analyze(header + body);
    const symbol = analysis.model.symbols.get("L");
    assert.ok(symbol);
    const compiled = compileDeclaration(analysis.model, symbol.declaration);
    assert.ok(compiled.ok);
    const random = randomSource(11);
    const n = 7;
    const X = tensor([n, 4]);
    for (let i = 0; i < X.data.length; i++) X.data[i] = i % 4 === 3 ? 1 : random.normal();
    const y = tensor([n], Array.from({ length: n }, (_, i) => i % 4));
    const params = initialParams(analysis, seededStreams(5));
    const bindings: Bindings = { X, y, params };
    const evaluator = new IncrementalEvaluator(compiled.graph, bindings);
    const centre = branchSignature(compiled.graph, evaluate(compiled.graph, bindings));
    for (const param of compiled.graph.params) {
      const value = params.get(param);
      assert.ok(value);
      for (let index = 0; index < value.data.length; index++) {
        for (const delta of [1e-5, -0.7, 2.3]) {
          const moved = new Map(params);
          const data = value.data.slice();
          data[index] += delta;
          moved.set(param, { shape: value.shape, data });
          const full = evaluate(compiled.graph, { ...bindings, params: moved });
          const fast = evaluator.perturbEntry(param, index, delta);
          const expected = full[compiled.graph.output].data[0];
          assert.ok(Math.abs(fast.value - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${param}[${index}] + ${delta}: ${fast.value} vs ${expected}`);
          assert.equal(fast.kinked, !sameBranches(centre, branchSignature(compiled.graph, full)), `kink flag for ${param}[${index}] + ${delta}`);
        }
      }
    }
  });
}
