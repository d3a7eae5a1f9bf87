// The search panel in a real browser, on a real search of a softmax
// classifier on Fashion-MNIST's first examples: a scatter plot per searched
// setting, the trials best first, filled in as they finish, the button that
// asks for the best values, and screenshots at 1200 and 500 px.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import type { ToSearchPanel } from "../../media/src/messages";
import type { SearchResult } from "../../server/src/protocol";
import { rankTrials } from "../../server/src/train/rank-trials";
import { runSearch } from "../../server/src/worker/run-search";
import { repoRoot } from "../support/fixtures";
import { launchBrowser, PanelPage, rgb, startPanelServer, type PanelServer } from "./panel-page";
import { fashionMnist } from "./real-results";

const blue = rgb("#3794ff");
const green = rgb("#89d185");

let search: SearchResult;
let server: PanelServer;
let browser: Browser;

const text = `data images = idx("${fashionMnist}") { train 1500, val 500; first 2000; scale 1/255; center }
hyper reg = 1e-3
param W: [C, D] = randn * 0.001
param b: [C] = zeros
score s = X @ W^T + b
loss L = mean(logsumexp(s, axis=1) - s[y]) + reg * sum(W^2)
optimizer opt = sgd { lr 0.1, batch 100 }
search tune { minimize L; on images.train; by opt; steps 40; eval images.val; every 20; test images.test; trials 8; reg 1e-5 .. 1 log; lr 1e-3 .. 1 log; batch [50, 100, 200] }
`;

before(
  async () => {
    const outcome = await runSearch({ text, baseDirectory: repoRoot, search: "tune", backend: "kernels", wasmDirectory: `${repoRoot}/dist` }, () => undefined, () => false);
    assert.ok(outcome.ok, outcome.ok ? "" : outcome.message);
    search = outcome.result;
    server = await startPanelServer();
    browser = await launchBrowser();
  },
  { timeout: 300_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
});

function message(result: SearchResult, status: Extract<ToSearchPanel, { type: "search" }>["status"] = "finished"): ToSearchPanel {
  return { type: "search", file: "tune.optim", status, search: result };
}

async function show(panel: PanelPage, messages: ToSearchPanel[]): Promise<void> {
  for (const entry of messages) await panel.send(entry);
  await panel.settle();
}

test("draws a scatter plot per searched setting and the trials best first; the button posts the best values", async () => {
  const panel = await PanelPage.open(browser, server, "search-panel.js", "dark", { width: 1200, height: 1000 });
  // The trials arrive one by one while the search runs, then its result.
  const arriving = search.trials.slice().sort((a, b) => a.index - b.index);
  for (let done = 1; done <= 3; done++) await panel.send(message({ ...search, trials: rankTrials(arriving.slice(0, done)), seconds: 0 }, "running"));
  await panel.settle();
  assert.match(await panel.text("#search-status"), /^Running: 3 of 8 trials done\./);
  assert.equal(await panel.page.locator("#search-table tr").count(), 4);
  await show(panel, [message(search)]);
  assert.match(await panel.text("#search-status"), /^Finished: 8 of 8 trials in \d+ s, \d at a time\./);
  assert.equal(await panel.page.getAttribute("#root", "data-plots"), "3");
  assert.equal(await panel.page.locator("#search-plots canvas").count(), 3);
  assert.deepEqual(await panel.page.locator("#search-plots h2").allTextContents(), ["eval accuracy by reg (log scale)", "eval accuracy by opt.lr (log scale)", "eval accuracy by opt.batch"]);
  for (let plot = 1; plot <= 3; plot++) {
    const canvas = `#search-plots .side-chart:nth-child(${plot}) canvas`;
    assert.ok((await panel.countPixels(canvas, blue, 30)) > 50, `plot ${plot}: the trials' points`);
    assert.ok((await panel.countPixels(canvas, green, 30)) > 30, `plot ${plot}: the best trial's point`);
  }
  // Best first, the best row highlighted, its values in the verdict.
  const rows = await panel.page.locator("#search-table tr").count();
  assert.equal(rows, 1 + search.trials.length);
  const evalColumn = await panel.page.locator("#search-table tr td:nth-child(5)").allTextContents();
  const shown = evalColumn.map(Number);
  assert.deepEqual(shown, [...shown].sort((a, b) => b - a));
  assert.equal(await panel.page.locator("#search-table tr.highlight").count(), 1);
  const best = search.trials[0];
  assert.match(await panel.text("#search-best"), new RegExp(`^Best: reg .*, opt.lr .*, opt.batch ${best.values["opt.batch"]} — eval accuracy ${(best.evalAccuracy as number).toFixed(4)}`));
  await panel.screenshot("search-1200");
  await panel.page.click("#use-best");
  const posted = await panel.waitForPosted((entry) => entry.type === "useValues");
  assert.deepEqual(posted, { type: "useValues", values: best.values });
  await panel.reload();
  assert.equal(await panel.page.locator("#search-table tr").count(), 1 + search.trials.length, "restored after a reload");
  assert.deepEqual(await panel.violations(), []);
  await panel.close();
});

test("at 500 px the plots stack, one per row, and nothing is wider than the panel", async () => {
  const panel = await PanelPage.open(browser, server, "search-panel.js", "dark", { width: 500, height: 1400 });
  await show(panel, [message(search)]);
  const boxes = await panel.page.locator("#search-plots .side-chart").evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().toJSON() as { left: number; top: number; width: number }));
  assert.equal(boxes.length, 3);
  assert.ok(boxes.every((box) => box.left === boxes[0].left), "one column");
  assert.ok(boxes[1].top > boxes[0].top && boxes[2].top > boxes[1].top);
  assert.equal(await panel.horizontalOverflow(), 0, "nothing wider than the panel");
  await panel.screenshot("search-500");
  // A malformed message leaves the panel as it was.
  for (const entry of [null, { type: "search" }, { type: "search", search: { trials: 3 } }]) await panel.send(entry);
  await panel.settle();
  assert.equal(await panel.page.locator("#search-table tr").count(), 1 + search.trials.length);
  // A loss without a score has no accuracy: the plots show the evaluation loss, the lowest best.
  const lossOnly = rankTrials(search.trials.map(({ evalAccuracy: _accuracy, testAccuracy: _test, ...trial }) => trial));
  await show(panel, [message({ ...search, trials: lossOnly })]);
  assert.deepEqual(await panel.page.locator("#search-plots h2").allTextContents(), ["eval loss by reg (log scale)", "eval loss by opt.lr (log scale)", "eval loss by opt.batch"]);
  assert.match(await panel.text("#search-best"), new RegExp(`^Best: .* — eval loss ${String(Number(Math.min(...search.trials.map((trial) => trial.evalLoss as number)).toPrecision(4))).replace(".", "\\.")}`));
  assert.ok((await panel.countPixels("#search-plots .side-chart:nth-child(1) canvas", green, 30)) > 30, "the best trial's point");
  await panel.close();
});
