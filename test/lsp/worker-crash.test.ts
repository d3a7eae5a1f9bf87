// Crash isolation through the real server: a job that needs more memory than
// the compute worker's heap cap kills the worker, not the server. The server
// answers the job with what happened, reports it to the user and in its log,
// and the next checks run on a fresh worker.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CheckResults } from "../../server/src/protocol";
import { recordFigures } from "../support/figures";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";

let client: LspTestClient;

before(async () => {
  client = new LspTestClient();
  // A small heap for each worker: enough for checks and TensorFlow.js, not for a million entries' results.
  await client.initialize({ workerHeapMegabytes: 96 });
});

after(async () => {
  assert.equal(await client.shutdown(), 0, "the server is still running and shuts down cleanly");
});

/** Checking every entry of a 1000 × 1000 param keeps a million results: hundreds of megabytes. */
const huge = `data d = toy()
param W: [1000, 1000] = randn
loss L = sum(W^2)
grad dL/dW = 2 * W
`;

const model = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X
`;

test("a check that exhausts the worker's heap kills the worker; the server says so and goes on", async () => {
  const uri = "file:///work/huge.optim";
  await client.open(uri, huge, 1);
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 30_000);
  const started = Date.now();
  const answer = (await client.connection.sendRequest("optim/checkGradients", { uri, all: true })) as CheckResults;
  const answeredMs = Date.now() - started;
  assert.equal(answer.note, "the compute worker ran out of memory (its heap is limited to 96 MB) while checking; it restarts with the next check");
  assert.deepEqual(answer.grads, []);

  // The user is told, once, and the log says it too.
  const shown = await client.waitFor<{ type: number; message: string }>("window/showMessage", (params) => /compute worker/.test(params.message));
  assert.equal(shown.type, 2, "a warning");
  assert.equal(shown.message, "Optim: The compute worker ran out of memory (its heap is limited to 96 MB) during a job; it restarts with the next job.");
  await client.waitFor<{ message: string }>("window/logMessage", (params) => /compute worker ran out of memory/.test(params.message));

  // Editing goes on: analysis at once, and gradient checks on a new worker.
  const other = "file:///work/after-crash.optim";
  await client.open(other, model, 1);
  const reopened = Date.now();
  const results = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === other && params.version === 1, 30_000);
  const nextCheckMs = Date.now() - reopened;
  assert.equal(results.grads[0].passed, false, "the wrong grad (no 1/N) is found by the new worker");
  const diagnostics = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === other && params.diagnostics.some((diagnostic) => diagnostic.code === "gradcheck"));
  assert.match(diagnostics.diagnostics.find((diagnostic) => diagnostic.code === "gradcheck")?.message ?? "", /N = 20 times too large/);
  // The sampled check of the huge param still runs too.
  await client.change(uri, 2, `${huge}# edited\n`);
  const again = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 2, 30_000);
  assert.equal(again.grads[0].checked, 20);
  assert.ok(client.alive);
  recordFigures("worker-crash", { heapMegabytes: 96, cause: "ERR_WORKER_OUT_OF_MEMORY", answeredAfterMs: answeredMs, nextCheckAfterMs: nextCheckMs });
});
