// Hover and completion in a real VS Code, served by the packaged extension.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { completionsAtCursor, goToPosition, hoverAtCursor, openFile, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

const model = `data cifar = cifar10("cifar-10-batches-bin") { bias_trick }
hyper reg = 2.5e4
param W: [10, 3073] = randn * 0.0001
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
loss M = mean(
`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "model.optim": model });
  await openFile(session.page, "model.optim", { language: "Optim" });
});

after(async () => {
  await session?.close();
});

test("hovering a param shows its shape and parameter count", async () => {
  const { page } = session;
  await goToPosition(page, 3, 7);
  const text = await hoverAtCursor(page, { contains: "parameters", timeoutMs: 30_000 });
  await page.waitForTimeout(400); // let the hover finish fading in before the picture
  await screenshot(page, "editor-hover-param");
  assert.match(text, /\[10 × 3073\] = 30,730 parameters/);
});

test("hovering a loss shows that it is convex in W", async () => {
  const { page } = session;
  await page.keyboard.press("Escape");
  await goToPosition(page, 5, 6);
  const text = await hoverAtCursor(page, { contains: "convex" });
  await page.waitForTimeout(400);
  await screenshot(page, "editor-hover-loss");
  assert.match(text, /convex in W/);
});

test("completion offers builtins and declared names in an expression", async () => {
  const { page } = session;
  await page.keyboard.press("Escape");
  await goToPosition(page, 6, 15);
  const labels = await completionsAtCursor(page, { contains: "conv2d" });
  await screenshot(page, "editor-completion");
  // The widget lists only the rows that fit, alphabetically: the image ops among the first.
  for (const expected of ["abs", "avgpool", "axis=", "batch_mean", "conv2d"]) assert.ok(labels.includes(expected), `${expected} in ${JSON.stringify(labels)}`);
  // Typing filters the list to the rest: a builtin and a declared name.
  await page.keyboard.type("l");
  const filtered = await completionsAtCursor(page, { contains: "logsumexp" });
  for (const expected of ["logsumexp", "L"]) assert.ok(filtered.includes(expected), `${expected} in ${JSON.stringify(filtered)}`);
  await page.keyboard.press("Escape");
  await page.keyboard.press("Backspace");
});
