// Resource limits through the real server, set the way the VS Code client
// sets them (initialization options from the optim.limits.*, optim.checks.*
// and optim.runs.* settings): the entry cap becomes diagnostics, and the
// worker stops checks and runs at their time budgets with a message that
// says so.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import type { CheckResults, RunExperimentRequest } from "../../server/src/protocol";
import { LspTestClient } from "../support/lsp-client";

let client: LspTestClient;
const folder = mkdtempSync(join(tmpdir(), "optim-lsp-limits-"));

before(async () => {
  client = new LspTestClient();
  await client.initialize({ maxTensorEntries: 10_000, checkBudgetSeconds: 0.3, runBudgetSeconds: 0.5 });
});

after(async () => {
  await client.shutdown();
  rmSync(folder, { recursive: true, force: true });
});

test("a param over the cap is an error on its shape, before anything is checked", async () => {
  const uri = "file:///work/too-large.optim";
  await client.open(uri, "data d = toy()\nparam W: [100000, 100000] = randn\nparam V: [200, 200] = randn\nparam U: [10, 10] = randn\nloss L = sum(W^2) + sum(V^2) + sum(U^2)\n", 1);
  const published = await client.diagnosticsFor(uri, 1);
  const tooLarge = published.diagnostics.filter((diagnostic) => diagnostic.code === "too-large").map((diagnostic) => ({ line: diagnostic.range.start.line, message: diagnostic.message }));
  assert.deepEqual(tooLarge, [
    { line: 1, message: "W would have 10,000,000,000 entries, more than the limit of 10,000" },
    { line: 2, message: "V would have 40,000 entries, more than the limit of 10,000" },
  ]);
  const results = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 30_000);
  assert.equal(results.note, "fix the errors first");
});

test("a gradient check stops at its time budget and says what it did not check", async () => {
  const uri = "file:///work/slow-check.optim";
  await client.open(uri, `data d = blobs(classes=10, points=200, dims=300) { bias_trick }
param W: [10, 301] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N
gradcheck g { of L; on d.train; first 2000; samples 3010 }
`, 1);
  const results = (await client.connection.sendRequest("optim/checkGradients", { uri, all: true })) as CheckResults;
  assert.equal(results.cancelled, false);
  assert.match(results.note ?? "", /^the gradient check stopped at its time budget of 300 ms, while checking dL\/dW/);
  assert.equal(results.grads[0].verdict, "unchecked");
  assert.match(results.grads[0].message, /^the check reached its time budget of 300 ms after [\d,]+ entries/);
});

test("a run stops at its time budget as if cancelled, and its curve so far is saved", async () => {
  const uri = pathToFileURL(join(folder, "long.optim")).toString();
  await client.open(uri, `data d = spiral(classes=3, points=100, seed=1)
param W1: [50, D] = he
param W2: [C, 50] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.1, batch 30 }
run long { minimize L; on d.train; by opt; steps 1000000 }
`, 1);
  const result = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "long" })) as RunExperimentRequest.Result;
  assert.equal(result.status, "cancelled");
  assert.match(result.message, /^long stopped at its time budget of 500 ms after \d+ steps: train loss .* \((best|final) weights, step \d+\); raise the limit to let it go on longer$/);
  assert.ok(result.folder);
  assert.equal(JSON.parse(readFileSync(join(result.folder, "final.json"), "utf8")).status, "cancelled");
});
