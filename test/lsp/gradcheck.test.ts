// Gradient checks through the real server: automatic after edits (off the
// main thread), on demand with every entry, and results for the Test Explorer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
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

const model = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
`;
const right = `${model}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`;
const wrong = `${model}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X + reg * W\n`;

function gradDiagnostics(published: PublishedDiagnostics) {
  return published.diagnostics.filter((diagnostic) => diagnostic.code === "gradcheck");
}

test("a wrong grad gets an error diagnostic after the automatic check, and fixing it clears it", async () => {
  const uri = "file:///work/auto-check.optim";
  await client.open(uri, wrong, 1);
  const flagged = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.version === 1 && gradDiagnostics(params).length > 0, 20_000);
  const [diagnostic] = gradDiagnostics(flagged);
  assert.equal(diagnostic.severity, 1);
  assert.match(diagnostic.message, /^analytic dL\/dW disagrees with the numerical gradient: max relative error [\d.]+ at W\[\d,\d\] \(analytic .+, numerical .+\); 15 of 15 checked entries are wrong; the data term's gradient is N = 20 times too large: is the 1\/N missing\?$/);
  assert.deepEqual(diagnostic.range.start, { line: 5, character: 5 });
  const results = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1);
  assert.equal(results.grads[0].passed, false);
  assert.equal(results.grads[0].line, 5);

  await client.change(uri, 2, right);
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 2 && params.grads[0]?.passed === true, 20_000);
  const cleared = client.received<PublishedDiagnostics>("textDocument/publishDiagnostics").filter((params) => params.uri === uri && params.version === 2);
  assert.deepEqual(gradDiagnostics(cleared[cleared.length - 1]), []);
});

test("hover on a grad shows the last check's verdict and worst entries", async () => {
  const uri = "file:///work/hover-check.optim";
  await client.open(uri, wrong, 1);
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 20_000);
  // On the `d` of dL: the L itself is a reference to the loss.
  const hover = (await client.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 5, character: 5 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /Last check: \*\*error\*\*, max relative error [\d.]+ \(the notes. band: error\) over 15 entries and 4 random directions/);
  assert.match(hover.contents.value, /\| entry \| analytic \| numerical \| relative error \|/);
  assert.match(hover.contents.value, /\| W\[\d,\d\] \| /);
  assert.match(hover.contents.value, /It looks like the data term's gradient is N = 20 times too large/);
});

test("the Check Gradients request checks every entry", async () => {
  const uri = "file:///work/full-check.optim";
  await client.open(uri, right, 1);
  const results = (await client.connection.sendRequest("optim/checkGradients", { uri, all: true })) as CheckResults;
  assert.equal(results.cancelled, false);
  assert.equal(results.grads.length, 1);
  assert.equal(results.grads[0].checked, 15);
  assert.equal(results.grads[0].passed, true);
  assert.match(results.grads[0].message, /^dL\/dW matches the numerical gradient: max relative error/);
});

test("a grad can be checked alone, as the Test Explorer does", async () => {
  const uri = "file:///work/one-grad.optim";
  await client.open(uri, `${right}loss R = 0.5 * sum(W^2)\ngrad dR/dW = W\n`, 1);
  const results = (await client.connection.sendRequest("optim/checkGradients", { uri, grad: "dL/dW" })) as CheckResults;
  assert.deepEqual(results.grads.map((grad) => grad.name), ["dL/dW"]);
});

test("hover and completion answer while a long check runs", async () => {
  const uri = "file:///work/busy.optim";
  await client.open(uri, right, 1);
  const pending = client.connection.sendRequest("optim/checkGradients", { uri, all: true });
  const hover = (await client.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 2, character: 6 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /param \*\*W\*\*/);
  await pending;
});

// A two-layer net's backward pass written link by link: grads of scores, each using the one before by name.
const linkByLink = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
param W1: [6, D] = randn * 0.5
param W2: [C, 6] = randn * 0.5
score z1 = X @ W1^T
score h = relu(z1)
score s = h @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * (sum(W1^2) + sum(W2^2))
grad dL/ds = (softmax(s, axis=1) - onehot(y)) / N
grad dL/dW2 = dL/ds^T @ h + 2 * reg * W2
grad dL/dh = dL/ds @ W2
grad dL/dz1 = dL/dh * (z1 > 0)
grad dL/dW1 = dL/dz1^T @ X + 2 * reg * W1
`;

test("a backward pass written link by link is quiet; one wrong link is the one error, on its line, and the link after it inherits it", async () => {
  const uri = "file:///work/link-by-link.optim";
  await client.open(uri, linkByLink, 1);
  const right = await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === 1, 20_000);
  assert.deepEqual(right.grads.map((grad) => [grad.name, grad.passed]), ["dL/ds", "dL/dW2", "dL/dh", "dL/dz1", "dL/dW1"].map((name) => [name, true]));
  const quiet = client.received<PublishedDiagnostics>("textDocument/publishDiagnostics").filter((params) => params.uri === uri && params.version === 1);
  assert.deepEqual(quiet[quiet.length - 1].diagnostics.filter((diagnostic) => diagnostic.severity === 1), []);

  await client.change(uri, 2, linkByLink.replace("dL/dh * (z1 > 0)", "dL/dh * (z1 < 0)"));
  const flagged = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.version === 2 && gradDiagnostics(params).length > 0, 20_000);
  const errors = flagged.diagnostics.filter((diagnostic) => diagnostic.severity === 1);
  assert.deepEqual(errors.map((diagnostic) => diagnostic.range.start), [{ line: 11, character: 5 }], "one error, on the wrong link's dL/dz1");
  assert.match(errors[0].message, /^analytic dL\/dz1 disagrees with the numerical gradient/);
  const inherited = flagged.diagnostics.filter((diagnostic) => diagnostic.code === "gradcheck-inherited");
  assert.deepEqual(inherited.map((diagnostic) => [diagnostic.range.start.line, diagnostic.severity]), [[12, 3]]);
  assert.match(inherited[0].message, /^dL\/dW1 is wrong because dL\/dz1 \(line 12\), which it uses, is wrong/);
});
