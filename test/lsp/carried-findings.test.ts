// No flicker: after an edit that a wrong grad does not depend on, its error
// stays in every publish until the new check replaces it; after an edit to
// the grad itself, the old error is gone at once and only the new check's
// verdict comes back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
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

const missingN = "grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X + reg * W";
const right = "grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W";
const flipped = "grad dL/dW = -(softmax(s, axis=1) - onehot(y))^T @ X / N - reg * W";

/** The document at one edit: `comments` lines of comment on top, an unused hyper, and the grad. */
function documentText(edit: number, grad: string): string {
  const comments = Array.from({ length: 1 + (edit % 4) }, (_, line) => `# edit ${edit}, line ${line}`).join("\n");
  return `${comments}
data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
hyper unused = ${edit}
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
${grad}
`;
}

function gradErrors(params: PublishedDiagnostics) {
  return params.diagnostics.filter((diagnostic) => diagnostic.code === "gradcheck" && diagnostic.severity === 1);
}

function gradLine(text: string): number {
  return text.split("\n").findIndex((line) => line.startsWith("grad "));
}

function publishedFor(uri: string, version?: number): PublishedDiagnostics[] {
  return client.received<PublishedDiagnostics>("textDocument/publishDiagnostics").filter((params) => params.uri === uri && (version === undefined || params.version === version));
}

test("a wrong grad's error stays in every publish while lines it does not depend on are edited, and goes when the grad is edited", async () => {
  const uri = "file:///work/no-flicker.optim";
  const texts = new Map<number, string>([[1, documentText(1, missingN)]]);
  await client.open(uri, texts.get(1) as string, 1);
  await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.version === 1 && gradErrors(params).length > 0, 20_000);
  const firstFlagged = publishedFor(uri).findIndex((params) => gradErrors(params).length > 0);

  // 20 edits of the comments (which move the grad) and of a hyper nothing uses,
  // some while a check runs, some after it finished.
  let version = 1;
  for (let edit = 2; edit <= 21; edit++) {
    version = edit;
    texts.set(version, documentText(edit, missingN));
    await client.change(uri, version, texts.get(version) as string);
    await client.diagnosticsFor(uri, version);
    if (edit % 5 === 0) await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === version, 20_000);
    else await sleep(40 + (edit % 3) * 150);
  }
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === version, 20_000);
  const afterFirstCheck = publishedFor(uri).slice(firstFlagged);
  assert.ok(afterFirstCheck.length >= 21, `${afterFirstCheck.length} publishes`);
  for (const params of afterFirstCheck) {
    const errors = gradErrors(params);
    assert.equal(errors.length, 1, `version ${params.version} published without the grad's error`);
    assert.equal(errors[0].range.start.line, gradLine(texts.get(params.version as number) as string), `version ${params.version}: the error is not on the grad`);
    assert.match(errors[0].message, /is N = 20 times too large/);
  }

  // The grad fixed: its old error is not carried; the new check finds it right.
  const fixed = version + 1;
  await client.change(uri, fixed, documentText(fixed, right));
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === fixed, 20_000);
  const fixedPublishes = publishedFor(uri, fixed);
  assert.ok(fixedPublishes.length >= 1);
  for (const params of fixedPublishes) assert.deepEqual(gradErrors(params), [], "a fixed grad shows no error, before or after its check");

  // Wrong again, another way: nothing is carried from the right grad, and the new check's error replaces nothing stale.
  const wrongAgain = fixed + 1;
  await client.change(uri, wrongAgain, documentText(wrongAgain, flipped));
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri && params.version === wrongAgain, 20_000);
  const wrongPublishes = publishedFor(uri, wrongAgain);
  assert.deepEqual(gradErrors(wrongPublishes[0]), [], "before its check, the edited grad has no verdict");
  const last = wrongPublishes[wrongPublishes.length - 1];
  assert.equal(gradErrors(last).length, 1);
  assert.match(gradErrors(last)[0].message, /the sign is flipped/);
});
