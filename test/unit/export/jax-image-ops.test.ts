// The JAX export's image ops against the float64 reference: a loss over
// convolution, pooling, upsampling, reshape, flatten, flip, transposes and
// max along an axis, written as the exported script writes it
// (jax-graph.ts), evaluated and differentiated by JAX in float64, agrees
// with the reference's value and gradients. Needs .cache/jax-venv.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { initialParams } from "../../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../../server/src/engine/compile";
import { randomSource, seededStreams } from "../../../server/src/engine/random";
import { evaluate, gradients } from "../../../server/src/engine/reference";
import { tensor } from "../../../server/src/engine/tensor";
import { pythonFunction } from "../../../server/src/export/jax-graph";
import { repoRoot } from "../../support/fixtures";
import { scratchFolder } from "../../support/scratch";

const python = join(repoRoot, ".cache", "jax-venv", "bin", "python");
const scratch = scratchFolder("jax-image-ops");

const source = `data d = blobs(classes=4, points=10, dims=48)
param K: [5, 3, 3, 3] = randn * 0.5
param c: [5, 1, 1] = randn * 0.1
param K2: [2, 5, 2, 3] = randn * 0.5
param W: [C, 24] = randn * 0.3
score x = reshape(X, [N, 3, 4, 4])
score z = tanh(conv2d(x, K, stride=1, pad=1) + c)
score u = upsample(maxpool(z, size=2, stride=2), size=2) + avgpool(flip(z, axes=[2, 3]), size=1, stride=1)
score v = conv2d(transpose(u, [0, 1, 3, 2]), K2, stride=2, pad=2)
score s = flatten(v) @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + mean(max(v, axis=3)) + sum(max(K2, axis=1)) / 10
`;

test("the JAX export's image ops compute the reference's loss and gradients", () => {
  const analysis = analyze(source, { dataFacts: () => ({ features: 48, classes: 4 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
  const symbol = analysis.model.symbols.get("L");
  assert.ok(symbol);
  const compiled = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(compiled.ok, compiled.ok ? "" : compiled.message);
  const n = 5;
  const random = randomSource(3);
  const X = tensor([n, 48], Array.from({ length: n * 48 }, () => random.normal()));
  const y = tensor([n], Array.from({ length: n }, (_, i) => i % 4));
  const params = initialParams(analysis, seededStreams(2));
  const values = evaluate(compiled.graph, { X, y, params });
  const expected = gradients(compiled.graph, values);
  const input = { X: Array.from(X.data), shape: X.shape, y: Array.from(y.data), params: Object.fromEntries([...params].map(([name, value]) => [name, { shape: value.shape, data: Array.from(value.data) }])) };
  writeFileSync(join(scratch, "input.json"), JSON.stringify(input));
  const script = `import json, sys
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
DTYPE = jnp.float64
def as_matrix(a):
    return jnp.reshape(a, (1, -1)) if a.ndim < 2 else a
${pythonFunction("loss", compiled.graph, true)}
data = json.load(open(sys.argv[1]))
X = jnp.asarray(np.array(data["X"]).reshape(data["shape"]))
y = jnp.asarray(np.array(data["y"]).astype(np.int32))
params = {name: jnp.asarray(np.array(p["data"]).reshape(p["shape"])) for name, p in data["params"].items()}
# The graph function answers (value, observed batch statistics): the statistics ride along as aux.
(value, _), grads = jax.value_and_grad(loss, has_aux=True)(params, X, y)
print(json.dumps({"value": float(value), "grads": {name: np.asarray(g).ravel().tolist() for name, g in grads.items()}}))
`;
  writeFileSync(join(scratch, "check.py"), script);
  const ran = spawnSync(python, [join(scratch, "check.py"), join(scratch, "input.json")], { encoding: "utf8" });
  assert.equal(ran.status, 0, ran.stderr);
  const result = JSON.parse(ran.stdout) as { value: number; grads: Record<string, number[]> };
  const loss = values[compiled.graph.output].data[0];
  assert.ok(Math.abs(result.value - loss) <= 1e-12 * Math.max(1, Math.abs(loss)), `loss ${result.value} vs ${loss}`);
  for (const [name, gradient] of expected) {
    const actual = result.grads[name];
    assert.equal(actual.length, gradient.data.length, name);
    const scale = Math.max(1e-12, ...Array.from(gradient.data, Math.abs));
    for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - gradient.data[i]) <= 1e-10 * scale, `d${name}[${i}] ${actual[i]} vs ${gradient.data[i]}`);
  }
});
