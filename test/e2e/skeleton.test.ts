// The walking skeleton in a real VS Code: the .vsix installs into
// code-server, a syntax error reaches the Problems panel, the lab panel opens
// from the palette and shows what the server sent, and the status bar shows
// the server's state.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openFile, problemEntries, runCommand, screenshot, webviewText } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

let session: EditorSession;

before(async () => {
  session = await openEditorSession({
    "broken.optim": "hyper reg = 1e-3\nparam W: [10 = 3\nloss L = reg * sum(W^2)\n",
  });
});

after(async () => {
  await session?.close();
});

test("a syntax error shows in the Problems panel with its position", async () => {
  const { page } = session;
  await openFile(page, "broken.optim", { language: "Optim" });
  const problems = await problemEntries(page, { atLeast: 1, timeoutMs: 30_000 });
  await screenshot(page, "skeleton-problems");
  const syntax = problems.find((problem) => problem.message === "expected ']' but found '='");
  assert.ok(syntax, `the syntax error is listed; saw: ${JSON.stringify(problems.map((problem) => problem.text))}`);
  assert.equal(syntax.severity, "error");
  assert.equal(syntax.file, "broken.optim");
  assert.equal(syntax.line, 2);
  assert.equal(syntax.column, 14);
});

test("the status bar shows the server as ready", async () => {
  const item = session.page.locator(".statusbar-item").filter({ hasText: "Optim: ready" });
  await item.first().waitFor({ state: "visible", timeout: 20_000 });
});

test("the lab panel opens from the palette and shows the server's analysis", async () => {
  const { page } = session;
  await openFile(page, "broken.optim", { language: "Optim" });
  await runCommand(page, "Optim: Show Lab Panel");
  const text = await webviewText(page, { contains: "broken.optim", timeoutMs: 20_000 });
  await screenshot(page, "skeleton-lab-panel");
  assert.match(text, /3 declarations, 1 error/);
  assert.match(text, /hyper\s+reg\s+1/);
  assert.match(text, /param\s+W\s+2/);
  assert.match(text, /loss\s+L\s+3/);
});
