// Training from the command palette in a real VS Code: a run finishes and its
// folder appears; a long run stops when its progress notification is cancelled.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { notifications, openFile, runCommand, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

const model = (steps: number) => `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
param W1: [50, D] = he
param W2: [C, 50] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = adam { lr 1e-2, batch 30 }
run fit { minimize L; on d.train; by opt; steps ${steps}; eval d.val; every 50 }
`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "short.optim": model(300), "long.optim": model(10_000_000) });
});

after(async () => {
  await session?.close();
});

async function waitForNotification(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await notifications(session.page)).find((text) => pattern.test(text));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no notification matching ${pattern}; shown: ${JSON.stringify(await notifications(session.page))}`);
    await session.page.waitForTimeout(300);
  }
}

function runFolders(): string[] {
  const runs = join(session.workspace, "runs");
  return existsSync(runs) ? readdirSync(runs) : [];
}

test("a run started from the palette finishes and leaves its folder", async () => {
  const { page } = session;
  await openFile(page, "short.optim", { language: "Optim" });
  await runCommand(page, "Optim: Run Experiment");
  const message = await waitForNotification(/fit finished after 300 steps/);
  await screenshot(page, "runs-finished");
  assert.match(message, /eval accuracy/);
  const folder = runFolders().find((name) => name.startsWith("fit-"));
  assert.ok(folder, `a run folder in ${JSON.stringify(runFolders())}`);
  assert.equal(JSON.parse(readFileSync(join(session.workspace, "runs", folder, "final.json"), "utf8")).status, "finished");
});

test("cancelling a long run from its progress notification stops it", async () => {
  const { page } = session;
  const before = new Set(runFolders());
  await openFile(page, "long.optim", { language: "Optim" });
  await runCommand(page, "Optim: Run Experiment");
  await waitForNotification(/Running fit/);
  await waitForNotification(/step \d{2,}/);
  await screenshot(page, "runs-progress");
  const toast = page.locator(".notifications-toasts .notification-toast").filter({ hasText: "Running fit" });
  await toast.locator(".monaco-button").filter({ hasText: "Cancel" }).first().click();
  await waitForNotification(/fit cancelled after \d+ steps/);
  const folder = runFolders().find((name) => !before.has(name));
  assert.ok(folder);
  const final = JSON.parse(readFileSync(join(session.workspace, "runs", folder, "final.json"), "utf8"));
  assert.equal(final.status, "cancelled");
  assert.ok(final.steps < 10_000_000);
});
