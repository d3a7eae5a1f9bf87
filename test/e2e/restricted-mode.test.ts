// Restricted Mode: an untrusted folder gets parsing and static analysis only.
// No data is read and nothing is computed, and the commands say why.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { notifications, openFile, problemEntries, runCommand, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

const wrongGrad = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X
param V: [10 = 3
`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "model.optim": wrongGrad }, { trust: false });
});

after(async () => {
  await session?.close();
});

test("static analysis still reports problems in Restricted Mode", async () => {
  const { page } = session;
  await page.locator(".statusbar-item").filter({ hasText: "Restricted Mode" }).first().waitFor({ state: "visible", timeout: 20_000 });
  await openFile(page, "model.optim", { language: "Optim" });
  const problems = await problemEntries(page, { atLeast: 1, timeoutMs: 30_000 });
  assert.ok(problems.some((problem) => problem.message === "expected ']' but found '='"));
  await screenshot(page, "restricted-mode");
});

test("nothing is computed: no gradient check, no training backend, and the commands say why", async () => {
  const { page } = session;
  await runCommand(page, "Optim: Check Gradients");
  const deadline = Date.now() + 15_000;
  let shown: string[] = [];
  while (Date.now() < deadline && !shown.some((text) => /only in a trusted workspace/.test(text))) {
    shown = await notifications(page);
    await page.waitForTimeout(300);
  }
  assert.ok(shown.some((text) => /Gradients are checked only in a trusted workspace/.test(text)), JSON.stringify(shown));
  const problems = await problemEntries(page);
  assert.deepEqual(problems.filter((problem) => problem.code.includes("gradcheck")), []);
  // A trusted workspace reports its TensorFlow.js backend within seconds; this one never starts one.
  const status = await page.locator(".statusbar-item").filter({ hasText: "Optim:" }).first().innerText();
  assert.match(status, /Optim: ready$/);
});
