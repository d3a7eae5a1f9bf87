// A hyperparameter search from the command palette in a real VS Code: its
// trials arrive in the search panel, ranked, and the panel's button writes
// the best trial's values into the file.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Frame } from "playwright-core";
import { openFile, runCommand, screenshot, webviewFrames } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

const searched = `data d = spiral(classes=3, points=60, seed=2) { train 150, val 30 }
hyper reg = 1e-3
param W1: [40, D] = he
param W2: [C, 40] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W1^2)
optimizer opt = adam { lr 1e-2, batch 30 }
search tune {
  minimize L; on d.train; by opt; steps 150; eval d.val; every 50
  trials 4; method random; seed 3
  reg 1e-5 .. 1e-1 log
  lr 1e-3 .. 1e-1 log
}
`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "tune.optim": searched });
});

after(async () => {
  await session?.close();
});

interface SearchPanelState {
  trials: number;
  status: string;
  best: string;
  rows: string[][];
  plots: number;
}

/** The search panel's frame and what it shows, once it shows `trials` trials and a finished status. */
async function finishedSearch(trials: number, timeoutMs: number): Promise<{ frame: Frame; state: SearchPanelState }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of await webviewFrames(session.page)) {
      const state = await frame
        .evaluate(() => {
          const root = document.getElementById("root");
          if (!document.getElementById("search-status") || !root) return undefined;
          const rows = Array.from(document.querySelectorAll("#search-table tr")).slice(1).map((row) => Array.from(row.querySelectorAll("td")).map((cell) => cell.textContent ?? ""));
          return { trials: Number(root.dataset.trials ?? 0), status: document.getElementById("search-status")?.textContent ?? "", best: document.getElementById("search-best")?.textContent ?? "", rows, plots: Number(root.dataset.plots ?? 0) };
        })
        .catch(() => undefined);
      if (state && state.trials === trials && /^Finished/.test(state.status)) return { frame, state };
    }
    if (Date.now() > deadline) throw new Error(`no finished search of ${trials} trials in a panel`);
    await session.page.waitForTimeout(500);
  }
}

test("a search started from the palette ranks its trials in its panel, and the best values go into the file", async () => {
  const { page } = session;
  await openFile(page, "tune.optim", { language: "Optim" });
  await runCommand(page, "Optim: Run Experiment");
  const { frame, state } = await finishedSearch(4, 180_000);
  assert.match(state.status, /^Finished: 4 of 4 trials/);
  assert.equal(state.plots, 2, "one plot per searched setting");
  assert.equal(state.rows.length, 4);
  // Ranked by evaluation accuracy, best first (columns: rank, reg, opt.lr, eval acc, ...).
  const accuracies = state.rows.map((row) => Number(row[3]));
  assert.deepEqual(accuracies, [...accuracies].sort((a, b) => b - a));
  assert.match(state.best, /^Best: reg [\d.e-]+, opt\.lr [\d.e-]+ — eval accuracy [\d.]+\.$/);
  // The panel is on screen, so the end is told in the status bar, not in a toast over the table.
  const status = page.locator(".part.statusbar").filter({ hasText: /tune: best of 4 trials reg [\d.]+e-\d+|tune: best of 4 trials reg [\d.]+,/ });
  await status.waitFor({ state: "visible", timeout: 30_000 });
  await screenshot(page, "search-finished");
  const folder = readdirSync(join(session.workspace, "runs")).find((name) => name.startsWith("tune-"));
  assert.ok(folder && existsSync(join(session.workspace, "runs", folder, "search.json")), "the search is saved under runs/");

  // The button writes the best trial's values into the hyper and the optimizer.
  const [bestReg, bestLr] = [state.rows[0][1], state.rows[0][2]];
  await frame.click("#use-best");
  const editor = page.locator(".monaco-editor .view-lines").first();
  const deadline = Date.now() + 30_000;
  let text = "";
  while (Date.now() < deadline) {
    text = (await editor.innerText()).replace(/\u00a0/g, " ");
    if (text.includes(`hyper reg = ${bestReg}`) && text.includes(`lr ${bestLr}`)) break;
    await page.waitForTimeout(300);
  }
  assert.ok(text.includes(`hyper reg = ${bestReg}`), `the editor shows reg ${bestReg}:\n${text}`);
  assert.ok(text.includes(`adam { lr ${bestLr}`), `the editor shows lr ${bestLr}:\n${text}`);
  await screenshot(page, "search-values-written");
  // The edit is in the editor, not yet saved: the file on disk is as it was until the user saves.
  assert.match(readFileSync(join(session.workspace, "tune.optim"), "utf8"), /hyper reg = 1e-3/);
});
