// Resource limits in the analysis and in the worker's jobs: a shape over the
// entry cap is an error and nothing is allocated for it; a gradient check and
// a run stop at their time budgets, keep what they had, and say so.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { dataLoader } from "../../server/src/worker/load-examples";
import { defaultCheckSettings, runCheck } from "../../server/src/worker/run-check";
import { runTraining } from "../../server/src/worker/run-training";
import { repoRoot } from "../support/fixtures";

const folder = mkdtempSync(join(tmpdir(), "optim-limits-"));
test.after(() => rmSync(folder, { recursive: true, force: true }));

function tooLarge(text: string, maxTensorEntries?: number) {
  return analyze(text, { maxTensorEntries }).findings.filter((finding) => finding.code === "too-large").map((finding) => ({ text: text.slice(finding.span.start, finding.span.end), message: finding.message }));
}

test("param W: [100000, 100000] is an error under the default cap, and the cap is a setting", () => {
  assert.deepEqual(tooLarge("param W: [100000, 100000] = randn\nloss L = sum(W^2)\n"), [{ text: "[100000, 100000]", message: "W would have 10,000,000,000 entries, more than the limit of 100,000,000" }]);
  assert.deepEqual(tooLarge("param W: [100, 100] = randn\nloss L = sum(W^2)\n"), []);
  assert.deepEqual(tooLarge("param W: [100, 100] = randn\nloss L = sum(W^2)\n", 1000), [{ text: "[100, 100]", message: "W would have 10,000 entries, more than the limit of 1,000" }]);
});

test("a computed value over the cap is an error where it is written, per example when it has the batch dimension", () => {
  const product = "data d = blobs(classes=3, points=10, dims=200)\nparam W: [C, D] = randn\nscore s = X @ W^T\nloss L = sum((X^T @ X) * 0) + mean(s[y])\n";
  assert.deepEqual(tooLarge(product, 10_000), [{ text: "(X^T @ X)", message: "this value would have 40,000 entries ([200, 200]), more than the limit of 10,000" }]);
  const perExample = "data d = blobs(classes=3, points=10, dims=200)\nscore t = X * 2\nloss L = mean(t)\n";
  assert.deepEqual(tooLarge(perExample, 150), [{ text: "X * 2", message: "this value would have 200 entries per example ([N, 200]), more than the limit of 150" }]);
});

test("a check of a document over the cap allocates nothing for its params", async () => {
  const text = (size: string) => `data d = blobs(classes=3, points=10, dims=4)
param W: [${size}] = randn * 0.01
loss L = sum(W^2)
grad dL/dW = 2 * W
`;
  for (const [size, cap] of [["100000, 100000", undefined], ["3000, 3000", 1_000_000]] as const) {
    const before = process.memoryUsage().arrayBuffers;
    const outcome = await runCheck(text(size), { ...defaultCheckSettings, all: true, maxTensorEntries: cap }, dataLoader({ baseDirectory: folder }));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.equal(outcome.note, "fix the errors first");
    assert.equal(outcome.report, undefined);
    // The param alone would take 72 MB in float64 (3000 × 3000) or 80 GB (100000 × 100000).
    assert.ok(grown < 8_000_000, `${(grown / 1e6).toFixed(1)} MB were allocated`);
  }
});

/** A check of 3,010 entries on 2,000 examples: seconds of work. */
const slowCheck = `data d = blobs(classes=10, points=200, dims=300) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X
gradcheck g { of L; on d.train; first 2000; samples 3010 }
`;

test("a gradient check stops at its time budget: the grad it was on is not checked, and the note says why", async () => {
  const outcome = await runCheck(slowCheck, { ...defaultCheckSettings, timeBudgetMs: 300 }, dataLoader({ baseDirectory: folder }));
  assert.ok(outcome.report);
  assert.equal(outcome.report.cancelled, false, "a budget stop is not a cancellation: its results are published");
  const [grad] = outcome.report.grads;
  assert.equal(grad.check, undefined);
  assert.match(grad.problem ?? "", /^the check reached its time budget of 300 ms after [\d,]+ entries; raise the limit, or check fewer entries/);
  assert.match(outcome.note ?? "", /^the gradient check stopped at its time budget of 300 ms, while checking dL\/dW; the grads after it were not checked/);
  const finding = outcome.findings.find((candidate) => candidate.code === "gradcheck");
  assert.equal(finding?.severity, "warning");
  assert.match(finding?.message ?? "", /^dL\/dW was not checked: the check reached its time budget of 300 ms/);
});

test("a cancelled check is still a cancellation, whatever its budget", async () => {
  const outcome = await runCheck(slowCheck, { ...defaultCheckSettings, timeBudgetMs: 60_000 }, dataLoader({ baseDirectory: folder }), { cancelled: () => true });
  assert.equal(outcome.report?.cancelled, true);
  assert.equal(outcome.note, undefined);
});

test("a run stops at its time budget as if cancelled, says so, and keeps its curve so far", async () => {
  const text = `data d = spiral(classes=3, points=100, seed=1)
param W1: [100, D] = he
param W2: [C, 100] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.1, batch 30 }
run long { minimize L; on d.train; by opt; steps 1000000 }
`;
  const outcome = await runTraining({ type: "train", id: 1, slot: 0, uri: "file:///long.optim", text, baseDirectory: folder, maxDataBytes: 1 << 30, run: "long", backend: "auto", runsFolder: join(folder, "runs"), timeBudgetMs: 500 }, join(repoRoot, "dist"), () => undefined, () => false);
  assert.equal(outcome.status, "cancelled");
  assert.match(outcome.message, /^long stopped at its time budget of 500 ms after \d+ steps: train loss .* \((best|final) weights, step \d+\); raise the limit to let it go on longer$/);
  assert.ok(outcome.folder);
  const curve = readFileSync(join(outcome.folder, "curve.csv"), "utf8").trim().split("\n");
  assert.equal(curve.length - 1, outcome.steps, "every step so far is in the saved curve");
  assert.equal(JSON.parse(readFileSync(join(outcome.folder, "final.json"), "utf8")).status, "cancelled");
});
