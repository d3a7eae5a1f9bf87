// The editor's view of dropout and batch normalization: hover shows each
// builtin's formula and the run's bn_momentum setting, completion offers
// them, and their shapes are what the notes say.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { dimValue } from "../../server/src/analysis/dims";
import { completionsAt } from "../../server/src/features/completion";
import { hoverAt } from "../../server/src/features/hover";

const text = `data d = blobs(classes=3, points=10, dims=4)
param W: [5, D] = randn
score z = X @ W^T
score mu = batch_mean(z)
score var = batch_var(z)
score m = dropout_mask(z, keep=0.8)
score zn = (z - mu) / sqrt(var + 1e-5) * m
loss L = mean(zn^2)
optimizer opt = sgd { lr 0.1 }
run r { minimize L; on d.train; by opt; steps 10; bn_momentum 0.95 }
`;

test("hover shows the formulas of batch_mean, batch_var and dropout_mask, and what bn_momentum does", () => {
  const analysis = analyze(text);
  const hover = (word: string, nth = 0) => {
    let offset = -1;
    for (let i = 0; i <= nth; i++) offset = text.indexOf(word, offset + 1);
    return hoverAt(analysis, text, offset + 1)?.markdown ?? "";
  };
  assert.match(hover("batch_mean"), /μⱼ = \(1\/N\) Σᵢ zᵢⱼ in training; the running average at evaluation and test/);
  assert.match(hover("batch_var"), /\(1\/N\) Σᵢ \(zᵢⱼ − μⱼ\)²/);
  assert.match(hover("dropout_mask"), /Bernoulli\(keep\); 1 at evaluation and test/);
  assert.match(hover("bn_momentum"), /running averages of `batch_mean` and `batch_var`/);
});

test("completion offers the new builtins, and their shapes are [1, H] and h's", () => {
  const analysis = analyze(text);
  const offset = text.indexOf("(z - mu)");
  const labels = completionsAt(analysis, text, offset).map((entry) => entry.label);
  for (const name of ["batch_mean", "batch_var", "dropout_mask"]) assert.ok(labels.includes(name), `${name} is offered`);
  const shape = (name: string) => analysis.model.facts.get(analysis.model.symbols.get(name)?.declaration as never)?.shape?.map((dim) => dimValue(dim) ?? (dim.kind === "rigid" ? dim.name : "?"));
  assert.deepEqual(shape("mu"), [1, 5]);
  assert.deepEqual(shape("var"), [1, 5]);
  assert.deepEqual(shape("m"), ["N", 5]);
});
