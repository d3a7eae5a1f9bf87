// Stale results and cancellation through the real server. After the server
// has seen version k of a document (it has answered a request sent after
// that edit), nothing it publishes may be for a version before k; a check
// computed for an older version never reaches the diagnostics; and a Check
// Gradients request cancelled while it runs answers at once as cancelled.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CancellationTokenSource, ProgressType } from "vscode-jsonrpc/node";
import type { CheckResults } from "../../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";

let client: LspTestClient;

before(async () => {
  client = new LspTestClient();
  await client.initialize();
});

after(async () => {
  await client.shutdown();
});

/** A check that takes seconds: 3,010 entries of W on 2,000 examples. `right` chooses the grad with its 1/N. */
function slowModel(right: boolean, edit: number): string {
  return `# edit ${edit}
data d = blobs(classes=10, points=200, dims=300) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X${right ? " / N" : ""}
gradcheck g { of L; on d.train; first 2000; samples 3010 }
`;
}

const published = ["textDocument/publishDiagnostics", "optim/checkResults", "optim/analysisSummary"];

/** Sends a request after the edits and waits for its answer: from then on the server has seen them. */
async function synced(uri: string): Promise<void> {
  await client.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
}

function gradcheckErrors(params: PublishedDiagnostics) {
  return params.diagnostics.filter((diagnostic) => diagnostic.code === "gradcheck" && diagnostic.severity === 1);
}

test("edits during running checks: nothing is published for a version older than one the server has seen", async () => {
  const uri = "file:///work/stale.optim";
  await client.open(uri, slowModel(false, 1), 1);
  await synced(uri);
  /** For each published method, how many had arrived when the server had seen each version. */
  const seenAt = new Map<number, Map<string, number>>();
  const mark = (version: number) => seenAt.set(version, new Map(published.map((method) => [method, client.received<{ uri: string }>(method).length])));
  mark(1);
  let version = 1;
  for (let edit = 0; edit < 5; edit++) {
    // Long enough for the debounced check of the last version to start, too short for it to end.
    await new Promise((resolve) => setTimeout(resolve, 300));
    version++;
    await client.change(uri, version, slowModel(version % 2 === 0, version));
    await synced(uri);
    mark(version);
  }
  const final = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === version, 60_000);
  // The final version's grad is right (even versions have the 1/N): its check finds no error.
  assert.notEqual(final.grads[0].verdict, "error", final.grads[0].message);

  for (const method of published) {
    const all = client.received<{ uri: string; version: number }>(method);
    for (const [seen, counts] of seenAt) {
      const after = all.slice(counts.get(method)).filter((params) => params.uri === uri);
      const stale = after.filter((params) => params.version < seen);
      assert.deepEqual(stale.map((params) => params.version), [], `${method} published for an older version after the server had seen version ${seen}`);
    }
    const versions = all.filter((params) => params.uri === uri).map((params) => params.version);
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b), `${method} went back to an older version`);
  }
  // Each check was superseded by the next edit before it ended: only the last version was checked.
  const checked = client.received<CheckResults>("optim/checkResults").filter((params) => params.uri === uri);
  assert.deepEqual(checked.map((params) => params.version), [version]);
});

test("a Check Gradients request on a version that was edited meanwhile answers for its version and leaves the diagnostics alone", async () => {
  const uri = "file:///work/stale-request.optim";
  await client.open(uri, slowModel(false, 1), 1);
  await client.diagnosticsFor(uri, 1);
  // The whole check of version 1 (wrong grad), then version 2 (right grad) arrives while it runs.
  const pending = client.connection.sendRequest("optim/checkGradients", { uri, all: true }) as Promise<CheckResults>;
  await new Promise((resolve) => setTimeout(resolve, 200));
  await client.change(uri, 2, slowModel(true, 2));
  const answer = await pending;
  assert.equal(answer.version, 1);
  if (!answer.cancelled) assert.equal(answer.grads[0].passed, false);
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 2, 60_000);
  const diagnostics = client.received<PublishedDiagnostics>("textDocument/publishDiagnostics").filter((params) => params.uri === uri && params.version === 2);
  assert.ok(diagnostics.length > 0);
  for (const params of diagnostics) assert.deepEqual(gradcheckErrors(params), [], "version 1's failed check is never shown on version 2");
});

test("cancelling a Check Gradients request stops the check in the worker and answers as cancelled", async () => {
  const uri = "file:///work/cancel-check.optim";
  await client.open(uri, slowModel(false, 1), 1);
  await client.diagnosticsFor(uri, 1);
  const workDoneToken = "cancel-check-progress";
  const cancel = new CancellationTokenSource();
  const pending = client.connection.sendRequest("optim/checkGradients", { uri, all: true, workDoneToken }, cancel.token) as Promise<CheckResults>;
  // Cancel once the worker reports progress: the check is under way.
  await new Promise<void>((resolve) => {
    const listener = client.connection.onProgress(new ProgressType<{ kind: string }>(), workDoneToken, (value) => {
      if (value.kind !== "report") return;
      listener.dispose();
      resolve();
    });
  });
  cancel.cancel();
  const answer = await pending;
  assert.equal(answer.cancelled, true);
  assert.deepEqual(answer.grads, []);
  // The worker is free again: the next check runs to its end.
  const next = (await client.connection.sendRequest("optim/checkGradients", { uri, grad: "dL/dW" })) as CheckResults;
  assert.equal(next.cancelled, false);
  assert.equal(next.grads[0].passed, false);
});
