// Crash isolation in a real VS Code: the language server process is killed
// with SIGKILL; the client starts a new one, the open file is validated again
// (its problem comes back to the Problems panel, which the restart cleared),
// edits are checked by the new server, and the status bar is ready again.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { recordFigures } from "../support/figures";
import { openFile, problemEntries, screenshot } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "broken.optim": "hyper reg = 1e-3\nparam W: [10 = 3\nloss L = reg * sum(W^2)\n" });
});

after(async () => {
  await session?.close();
});

/** Ids of the language server processes started from this session's extension folder. */
function serverProcesses(): number[] {
  try {
    return execFileSync("pgrep", ["-f", `${session.extensionsDir}/.*/dist/server\\.js`], { encoding: "utf8" }).trim().split("\n").map(Number);
  } catch {
    return []; // pgrep exits with 1 when nothing matches
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

test("after the server is killed, the client starts another and the open file is validated again", async () => {
  const { page } = session;
  await openFile(page, "broken.optim", { language: "Optim" });
  const before = await problemEntries(page, { atLeast: 1, timeoutMs: 30_000 });
  assert.ok(before.some((problem) => problem.message === "expected ']' but found '='"));
  const [first] = await until("the language server process", 20_000, () => {
    const found = serverProcesses();
    return found.length === 1 ? found : undefined;
  });

  const killed = Date.now();
  process.kill(first, "SIGKILL");
  const [second] = await until("a new language server process", 30_000, () => {
    const found = serverProcesses().filter((pid) => pid !== first);
    return found.length === 1 ? found : undefined;
  });
  const restartedMs = Date.now() - killed;
  assert.notEqual(second, first);
  assert.deepEqual(serverProcesses(), [second], "the killed server is gone and only the new one runs");

  // The restart cleared the Problems panel; the new server fills it again from the open file.
  const again = await problemEntries(page, { atLeast: 1, timeoutMs: 30_000 });
  const syntax = again.find((problem) => problem.message === "expected ']' but found '='");
  assert.ok(syntax, `the syntax error is back; saw ${JSON.stringify(again.map((problem) => problem.text))}`);
  assert.equal(syntax.line, 2);
  const revalidatedMs = Date.now() - killed;
  await page.locator(".statusbar-item").filter({ hasText: "Optim: ready" }).first().waitFor({ state: "visible", timeout: 30_000 });
  await screenshot(page, "server-crash-restarted");

  // Edits reach the new server: a different mistake replaces the first.
  writeFileSync(join(session.workspace, "broken.optim"), "hyper reg = 1e-3\nparam W: [10, 3]\nloss L = reg * sum(V^2)\n");
  const edited = await until("the new file's problem", 30_000, async () => {
    const problems = await problemEntries(page);
    return problems.some((problem) => /\bV\b/.test(problem.message)) && !problems.some((problem) => problem.message === "expected ']' but found '='") ? problems : undefined;
  });
  assert.ok(edited.some((problem) => problem.line === 3));
  assert.deepEqual(serverProcesses(), [second]);
  recordFigures("server-crash", { signal: "SIGKILL", newServerAfterMs: restartedMs, problemsBackAfterMs: revalidatedMs });
});
