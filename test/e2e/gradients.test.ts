// A wrong grad in a real VS Code: an error in the Problems panel and a failed
// test in the Test Explorer; fixing the grad clears both.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openFile, problemEntries, runCommand, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

const model = `data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
`;
const wrong = `${model}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X + reg * W\n`;
const right = `${model}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "softmax.optim": wrong });
  await openFile(session.page, "softmax.optim", { language: "Optim" });
});

after(async () => {
  await session?.close();
});

/** The Test Explorer's row for a test, once its state shows `state`. */
async function testRow(state: "Failed" | "Passed", timeoutMs = 30_000) {
  const { page } = session;
  await runCommand(page, "Testing: Focus on Test Explorer View");
  const row = page.locator(".test-explorer .monaco-list-row").filter({ hasText: "dL/dW" });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Expand the file's node so the grad's row is listed.
    const collapsed = page.locator('.test-explorer .monaco-list-row[aria-expanded="false"]');
    if ((await collapsed.count()) > 0) await collapsed.first().click();
    const label = (await row.first().getAttribute("aria-label").catch(() => null)) ?? "";
    if (label.includes(state)) return label;
    if (Date.now() > deadline) throw new Error(`the test dL/dW did not show ${state}; its row says: ${label || "(no row)"}`);
    await page.waitForTimeout(500);
  }
}

test("a wrong grad is an error in the Problems panel", async () => {
  const problems = await problemEntries(session.page, { atLeast: 1, timeoutMs: 30_000 });
  await screenshot(session.page, "gradients-wrong-problems");
  const gradient = problems.find((problem) => problem.code.includes("gradcheck"));
  assert.ok(gradient, `a gradcheck problem is listed; saw ${JSON.stringify(problems.map((problem) => problem.text))}`);
  assert.equal(gradient.severity, "error");
  assert.equal(gradient.line, 6);
  assert.match(gradient.message, /analytic dL\/dW disagrees with the numerical gradient/);
});

test("the wrong grad is a failed test in the Test Explorer", async () => {
  const label = await testRow("Failed");
  await screenshot(session.page, "gradients-wrong-test-explorer");
  assert.match(label, /dL\/dW/);
});

test("fixing the grad clears the problem and passes the test", async () => {
  writeFileSync(join(session.workspace, "softmax.optim"), right);
  const label = await testRow("Passed");
  await screenshot(session.page, "gradients-fixed-test-explorer");
  assert.match(label, /dL\/dW/);
  const problems = await problemEntries(session.page);
  assert.deepEqual(problems.filter((problem) => problem.code.includes("gradcheck")), []);
});
