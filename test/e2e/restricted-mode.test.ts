// Workspace Trust, with trust off and on. An untrusted folder (Restricted
// Mode) gets parsing and static analysis only: no data is read, nothing is
// computed, and the commands say why. The same file in a trusted folder gets
// its gradients checked and a training backend.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { notifications, openFile, problemEntries, runCommand, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

/** A grad without its 1/N, which a gradient check flags once the file has no other error. */
const wrongGrad = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X
optimizer opt = sgd { lr 0.1 }
run fit { minimize L; on d.train; by opt; steps 10 }
`;
const withSyntaxError = `${wrongGrad}param V: [10 = 3
`;

/** Rewrites the file without its syntax error and waits until the Problems panel no longer lists it. */
async function fixSyntaxError(session: EditorSession): Promise<void> {
  writeFileSync(join(session.workspace, "model.optim"), wrongGrad);
  const deadline = Date.now() + 30_000;
  while ((await problemEntries(session.page)).some((problem) => problem.message === "expected ']' but found '='")) {
    if (Date.now() > deadline) throw new Error("the syntax error was not cleared");
    await session.page.waitForTimeout(300);
  }
}

/** Waits for a notification toast matching `pattern` and returns every toast shown then. */
async function notificationMatching(page: Page, pattern: RegExp, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let shown: string[] = [];
  while (Date.now() < deadline && !shown.some((text) => pattern.test(text))) {
    shown = await notifications(page);
    await page.waitForTimeout(300);
  }
  return shown;
}

describe("trust off: Restricted Mode", () => {
  let session: EditorSession;

  before(async () => {
    session = await openEditorSession({ "model.optim": withSyntaxError }, { trust: false });
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
    await fixSyntaxError(session);
    await runCommand(page, "Optim: Check Gradients");
    const afterCheck = await notificationMatching(page, /Gradients are checked only in a trusted workspace/);
    assert.ok(afterCheck.some((text) => /Gradients are checked only in a trusted workspace: Restricted Mode reads no data and runs no computation/.test(text)), JSON.stringify(afterCheck));
    await runCommand(page, "Optim: Run Experiment");
    const afterRun = await notificationMatching(page, /Runs start only in a trusted workspace/);
    assert.ok(afterRun.some((text) => /Runs start only in a trusted workspace: Restricted Mode reads no data and runs no computation/.test(text)), JSON.stringify(afterRun));
    const problems = await problemEntries(page);
    assert.deepEqual(problems.filter((problem) => problem.code.includes("gradcheck")), []);
    // A trusted workspace reports its training backend within seconds; this one never starts one.
    const status = await page.locator(".statusbar-item").filter({ hasText: "Optim:" }).first().innerText();
    assert.match(status, /Optim: ready$/);
  });
});

describe("trust on: the same file is checked and can run", () => {
  let session: EditorSession;

  before(async () => {
    session = await openEditorSession({ "model.optim": withSyntaxError }, { trust: true });
  });

  after(async () => {
    await session?.close();
  });

  test("the gradient check runs and the training backend starts", async () => {
    const { page } = session;
    await openFile(page, "model.optim", { language: "Optim" });
    const problems = await problemEntries(page, { atLeast: 1, timeoutMs: 30_000 });
    assert.ok(problems.some((problem) => problem.message === "expected ']' but found '='"), "static analysis as in Restricted Mode");
    await page.locator(".statusbar-item").filter({ hasText: /Optim: ready · (kernels|wasm|cpu|tensorflow)/ }).first().waitFor({ state: "visible", timeout: 30_000 });
    // With the file fixed, the same wrong grad that Restricted Mode left alone is checked and flagged.
    await fixSyntaxError(session);
    const deadline = Date.now() + 30_000;
    let flagged = (await problemEntries(page)).find((problem) => problem.code.includes("gradcheck"));
    while (!flagged && Date.now() < deadline) {
      await page.waitForTimeout(500);
      flagged = (await problemEntries(page)).find((problem) => problem.code.includes("gradcheck"));
    }
    assert.ok(flagged, "the gradient check ran");
    assert.match(flagged.message, /N = 20 times too large/);
    await screenshot(page, "trusted-mode");
  });
});
