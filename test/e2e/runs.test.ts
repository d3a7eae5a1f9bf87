// Training from the command palette in a real VS Code: a run finishes and its
// folder appears; a long run stops when its progress notification is cancelled.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Frame } from "playwright-core";
import { notifications, openFile, runCommand, screenshot, webviewFrames } from "./harness";
import { openEditorSession, type EditorSession } from "./session";

/**
 * A small network on the spiral. The growing run trains full-batch on a larger
 * spiral so that each step does real work: the run then lasts seconds whatever
 * the executor, long enough to watch its curve grow.
 */
const model = (steps: number, size = { points: 60, train: 150, hidden: 50, batch: 30 }) => `data d = spiral(classes=3, points=${size.points}, seed=2) { train ${size.train}, val 30 }
param W1: [${size.hidden}, D] = he
param W2: [C, ${size.hidden}] = xavier
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = adam { lr 1e-2, batch ${size.batch} }
run fit { minimize L; on d.train; by opt; steps ${steps}; eval d.val; every 50 }
`;

let session: EditorSession;

before(async () => {
  session = await openEditorSession({ "short.optim": model(300), "long.optim": model(10_000_000), "growing.optim": model(6000, { points: 600, train: 1770, hidden: 150, batch: 1770 }) });
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
  // The loss-curve panel is on screen, so the finished run is told in the status bar, not in a toast over the plots.
  const status = page.locator(".part.statusbar").filter({ hasText: /fit finished after 300 steps/ });
  await status.waitFor({ state: "visible", timeout: 120_000 });
  const message = await status.innerText();
  await screenshot(page, "runs-finished");
  assert.deepEqual((await notifications(page)).filter((text) => /fit finished/.test(text)), [], "no toast covers the panel");
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
  // The run now has a Resume lens beside Run, naming the step it would go on from.
  const resume = page.locator(".codelens-decoration").filter({ hasText: /↻ Resume from step \d+ \(cancelled\)/ });
  await resume.first().waitFor({ state: "visible", timeout: 30_000 });
  assert.match(await resume.first().innerText(), new RegExp(`Resume from step ${final.steps} `));
  await screenshot(page, "runs-resume-lens");
});

/** The loss-curve panel's frame, once it shows a run. */
async function curvePanel(timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of await webviewFrames(session.page)) {
      const points = await frame.evaluate(() => document.getElementById("root")?.dataset.points).catch(() => undefined);
      if (points !== undefined) return frame;
    }
    if (Date.now() > deadline) throw new Error("no loss-curve panel");
    await session.page.waitForTimeout(200);
  }
}

interface PanelState {
  /** The growing.optim run's points and status, if the panel has it. */
  points: number;
  running: boolean;
  finished: boolean;
  status: string;
  drawn: number;
}

/** What the panel shows: growing.optim's run, its status line, and how many pixels of the loss chart are drawn. */
function panelState(frame: Frame): Promise<PanelState> {
  return frame.evaluate(() => {
    const canvas = document.querySelector("#loss-chart canvas") as HTMLCanvasElement | null;
    let drawn = 0;
    if (canvas) {
      const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
    }
    const series = JSON.parse(document.getElementById("root")?.dataset.series ?? "[]") as { file: string; status: string; points: number }[];
    const growing = series.filter((entry) => entry.file === "growing.optim").pop();
    return { points: growing?.points ?? 0, running: growing?.status === "running", finished: growing?.status === "finished", status: document.getElementById("status")?.textContent ?? "", drawn };
  });
}

test("a run started from the palette draws its curve in the panel as it goes", async () => {
  const { page } = session;
  await openFile(page, "growing.optim", { language: "Optim" });
  await runCommand(page, "Optim: Run Experiment");
  const frame = await curvePanel();
  // Sample the panel while the run goes on: the curve grows in several steps before the run ends.
  const seen: PanelState[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const state = await panelState(frame);
    seen.push(state);
    if (state.finished || Date.now() > deadline) break;
    await page.waitForTimeout(150);
  }
  await screenshot(page, "runs-growing-curve");
  const final = seen[seen.length - 1];
  assert.ok(final.finished, `the run finished: ${final.status}`);
  assert.equal(final.points, 6000, "every step's point reached the panel");
  const whileRunning = seen.filter((state) => state.running).map((state) => state.points);
  const distinct = [...new Set(whileRunning)].filter((points) => points > 0 && points < 6000);
  assert.ok(distinct.length >= 3, `the curve grew while the run went on: ${JSON.stringify(distinct.slice(0, 10))}`);
  assert.ok(
    whileRunning.every((points, i) => i === 0 || points >= whileRunning[i - 1]),
    "it only grows",
  );
  assert.ok(final.drawn > 1000, "the loss chart is drawn");
});

test("a saved run named like markup is overlaid as plain text", async () => {
  const { page } = session;
  const name = "<img src=x onerror=alert(1)>";
  const folder = join(session.workspace, "runs", "markup-20260101-000000");
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "meta.json"), JSON.stringify({ run: name, file: "file:///markup.optim", description: "", seed: 0, backend: "wasm", specHash: "", started: "2026-01-01T00:00:00.000Z" }));
  writeFileSync(join(folder, "curve.csv"), "step,epoch,seconds,loss\n" + Array.from({ length: 50 }, (_, step) => `${step},${step / 10},${step / 100},${(2 / (1 + step)).toFixed(4)}`).join("\n") + "\n");
  let dialogs = 0;
  page.on("dialog", (dialog) => {
    dialogs++;
    void dialog.dismiss();
  });
  await runCommand(page, "Optim: Compare Saved Runs", { keepsInputOpen: true });
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: "markup-20260101-000000" });
  await row.first().waitFor({ timeout: 10_000 });
  // The list may still be settling when the row first shows: click its box until the row reads as checked, then accept.
  const checked = async () => (await row.first().getAttribute("aria-checked")) === "true" || (await row.first().locator("input[type=checkbox]:checked").count()) > 0;
  for (let attempt = 0; attempt < 5 && !(await checked()); attempt++) {
    await row.first().locator(".monaco-checkbox, input[type=checkbox]").first().click();
    await page.waitForTimeout(200);
  }
  assert.ok(await checked(), "the saved run is ticked in the list");
  await page.keyboard.press("Enter");
  const frame = await curvePanel();
  const deadline = Date.now() + 15_000;
  let status = "";
  while (!status.includes(name) && Date.now() < deadline) {
    status = (await panelState(frame)).status;
    await page.waitForTimeout(200);
  }
  assert.ok(status.includes(name), `the name shows as text: ${status}`);
  assert.equal(await frame.locator("img").count(), 0, "no element made from the name");
  assert.equal(dialogs, 0);
  await screenshot(page, "runs-markup-name");
  // Clear finished goes through the extension: every run here has ended, so none is left.
  await frame.locator("button", { hasText: "Clear finished" }).click();
  const cleared = Date.now() + 10_000;
  let left = -1;
  while (left !== 0 && Date.now() < cleared) {
    left = Number(await frame.evaluate(() => document.getElementById("root")?.dataset.runs));
    await page.waitForTimeout(200);
  }
  assert.equal(left, 0, "Clear finished leaves no ended run");
});
