// Every chart panel in a real browser, on real results from the real server
// (Fashion-MNIST): the curves, heatmaps, contours, trajectories, tables and
// histograms are checked by their pixels or their DOM, and screenshotted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { FromWebview, RunSeries, ToRunsPanel } from "../../media/src/messages";
import type { RunPoint } from "../../server/src/protocol";
import { FASHION_MNIST_CLASS_NAMES } from "../../server/src/data/idx";
import { launchBrowser, PanelPage, rgb, startPanelServer, type PanelServer, type TextLayout, type Theme } from "./panel-page";
import { fashionMnist, makeRealResults, type RealResults } from "./real-results";

const dark = { blue: rgb("#3794ff"), orange: rgb("#d18616"), green: rgb("#89d185"), red: rgb("#f14c4c"), muted: rgb("#9d9d9d"), background: rgb("#1f1f1f") };

let results: RealResults;
let server: PanelServer;
let browser: Browser;

before(
  async () => {
    results = await makeRealResults();
    server = await startPanelServer();
    browser = await launchBrowser();
  },
  { timeout: 300_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The messages the extension sends for a run: it starts, its points arrive in batches, it ends. */
function runMessages(name: string, points: RunPoint[], status: RunSeries["status"], divergence?: RunSeries["divergence"], batch = 20, file = "lab.optim", id = `test-${name}`): ToRunsPanel[] {
  const messages: ToRunsPanel[] = [{ type: "run", series: { id, run: name, file, status: "running", points: [] } }];
  for (let i = 0; i < points.length; i += batch) messages.push({ type: "points", id, points: points.slice(i, i + batch) });
  messages.push({ type: "run", series: { id, run: name, file, status, points: [], ...(divergence ? { divergence } : {}) } });
  return messages;
}

/** The svm run and the run that diverges, each started once. */
function realRunMessages(): ToRunsPanel[] {
  return results.runs.slice(0, 2).flatMap((run) => runMessages(run.name, run.points, run.result.status, run.result.divergence));
}

/** Three runs of two files, as the issue that asked for readable legends had them: train_svm started twice, and another file's run. */
const overlayFile = "08-svm-vs-softmax.optim";
function overlayMessages(): ToRunsPanel[] {
  const [svm, tooFast, svmAgain] = results.runs;
  return [
    ...runMessages("train_svm", svm.points, svm.result.status, undefined, 20, overlayFile, "first"),
    ...runMessages("train_svm", svmAgain.points, svmAgain.result.status, undefined, 20, overlayFile, "second"),
    ...runMessages(tooFast.name, tooFast.points, tooFast.result.status, tooFast.result.divergence, 20, "lab.optim", "third"),
  ];
}

/** Every shown element matching the selector that has text is one line of it, no taller than two lines' height, and not clipped. */
async function assertOneLine(panel: PanelPage, selector: string, least = 1): Promise<TextLayout[]> {
  // An empty cell has no line to count.
  const layouts = (await panel.textLayout(selector)).filter((entry) => entry.text !== "");
  assert.ok(layouts.length >= least, `${selector}: ${layouts.length} shown, at least ${least} expected`);
  for (const entry of layouts) {
    assert.equal(entry.lines, 1, `${selector} "${entry.text}" is on one line`);
    assert.ok(entry.lineHeight > 0 && entry.height < 2 * entry.lineHeight, `${selector} "${entry.text}": ${entry.height} px high, a line of it ${entry.lineHeight} px`);
    assert.ok(!entry.overflows, `${selector} "${entry.text}" is not clipped`);
  }
  return layouts;
}

interface DrawnSeries {
  run: string;
  measure: string;
  points: number;
}

/** What each shown plot of the loss-curve panel says it draws, by its name. */
async function drawnPlots(panel: PanelPage): Promise<Map<string, DrawnSeries[]>> {
  const plots = await panel.page.$$eval("[data-plot]", (holders) =>
    holders.filter((holder) => holder.getClientRects().length > 0 && holder.querySelector("canvas")).map((holder) => [(holder as HTMLElement).dataset.plot ?? "", JSON.parse((holder as HTMLElement).dataset.series ?? "[]")] as [string, DrawnSeries[]]),
  );
  return new Map(plots);
}

async function sendAll(panel: PanelPage, messages: unknown[]): Promise<void> {
  for (const message of messages) await panel.send(message);
  await panel.settle();
}

/** Width and height of a PNG from its data URL (its IHDR chunk). */
function pngSize(dataUrl: string): { width: number; height: number } {
  const bytes = Buffer.from(dataUrl.slice("data:image/png;base64,".length), "base64");
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG signature");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function lastExport(posted: FromWebview[]): Extract<FromWebview, { type: "export" }> {
  const exports = posted.filter((message): message is Extract<FromWebview, { type: "export" }> => message.type === "export");
  assert.ok(exports.length > 0, "the panel posted an export");
  return exports[exports.length - 1];
}

describe("loss-curve panel", () => {
  test("draws the real runs' curves, side plots and the divergence marker, and exports them", async () => {
    const svm = results.runs[0];
    const tooFast = results.runs[1];
    assert.equal(svm.result.status, "finished");
    assert.equal(tooFast.result.status, "diverged", "the run with lr 1e4 diverges");
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    await sendAll(panel, realRunMessages());
    const total = svm.points.length + tooFast.points.length;
    assert.equal(await panel.page.getAttribute("#root", "data-points"), String(total));
    assert.match(await panel.text("#status"), /2 runs/);
    // The first run's colour and the second's are on the loss chart.
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.blue, 30)) > 300, "the svm curve is drawn");
    // The divergence: a red guide on the chart and a line of text.
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.red, 30)) > 50, "the divergence guide is drawn");
    assert.match(await panel.text("#markers"), /too_fast diverged at step \d+/);
    // One table of runs is every plot's legend: one file, so the names alone.
    assert.deepEqual(await panel.page.locator("#runs-table tr.run .name").allTextContents(), ["svm", "too_fast"]);
    assert.equal(await panel.page.locator("#runs-table tr.file-row").count(), 0, "one file: no file names");
    assert.equal(await panel.page.locator(".u-legend").count(), 0, "no legend per plot");
    // Side plots: accuracy, step size, gradient norm, update ratio (with its 1e-3 guide in green).
    const sides = await panel.page.locator(".side-chart canvas").count();
    assert.equal(sides, 4);
    for (let i = 1; i <= 4; i++) assert.ok((await panel.countPixels(`.side-chart:nth-child(${i}) canvas`, dark.blue, 30)) > 20, `side plot ${i} has the svm run`);
    assert.ok((await panel.countPixels(".side-chart:nth-child(4) canvas", dark.green, 30)) > 50, "the healthy update-ratio guide");
    await panel.screenshot("loss-curves-dark");
    // On a linear axis the diverged run runs off the top; log y shows all of it.
    await panel.page.locator("#log-y").check();
    await panel.settle();
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.orange, 30)) > 100, "the too_fast curve is drawn");
    await panel.screenshot("loss-curves-dark-log");

    // Export: CSV with every point; PNG of the charts.
    await panel.page.click("text=Export CSV");
    const csv = lastExport(await panel.posted());
    assert.equal(csv.format, "csv");
    const lines = csv.content.trim().split("\n");
    assert.equal(lines[0].split(",").slice(0, 4).join(","), "run,file,status,step");
    assert.equal(lines.length, 1 + total);
    await panel.page.click("text=Export PNG");
    const png = lastExport(await panel.posted());
    assert.equal(png.format, "png");
    const size = pngSize(png.content);
    assert.ok(size.width > 400 && size.height > 400, `PNG ${size.width}×${size.height}`);
    await panel.page.click("text=Clear finished");
    assert.ok((await panel.posted()).some((message) => message.type === "clear"), "Clear asks the extension to forget ended runs");
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  test("smoothing, log y, the x axis and zoom change what is drawn", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    await sendAll(panel, realRunMessages());
    const signature = () => panel.countPixels("#loss-chart canvas", dark.blue, 30);
    const smoothed = await signature();
    await panel.page.locator("#smoothing").fill("0");
    await panel.settle();
    const raw = await signature();
    assert.notEqual(raw, smoothed, "smoothing 0 draws the raw curve");
    await panel.page.locator("#log-y").check();
    await panel.settle();
    const logged = await signature();
    assert.ok(logged > 100 && logged !== raw, "log y redraws the curve");
    await panel.page.selectOption("#x-axis", "seconds");
    await panel.settle();
    // Zoom: drag across the middle of the chart, then reset.
    const over = panel.page.locator("#loss-chart .u-over");
    const box = await over.boundingBox();
    assert.ok(box);
    await panel.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await panel.settle();
    assert.match(await panel.text("#readout"), /Values at wall time \S+ s/, "the table reads values by wall time");
    const before = await signature();
    await panel.page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await panel.page.mouse.down();
    await panel.page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await panel.page.mouse.up();
    await panel.settle();
    const zoomed = await signature();
    assert.notEqual(zoomed, before, "zooming redraws a part of the curve");
    await panel.page.click("text=Reset zoom");
    await panel.settle();
    assert.equal(await signature(), before, "reset draws the whole curve again");
    await panel.screenshot("loss-curves-log-time");
    await panel.close();
  });

  test("grows as points arrive, and comes back after a reload from its saved state", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    const svm = results.runs[0];
    const messages = runMessages(svm.name, svm.points, "finished");
    const counts: number[] = [];
    for (const message of messages) {
      await panel.send(message);
      await panel.settle();
      counts.push(Number(await panel.page.getAttribute("#root", "data-points")));
    }
    assert.equal(counts[counts.length - 1], svm.points.length);
    assert.ok(
      counts.every((count, i) => i === 0 || count >= counts[i - 1]),
      "the point count only grows",
    );
    const drawn = await panel.countPixels("#loss-chart canvas", dark.blue, 30);
    // The state is saved a moment after the last change.
    await panel.page.waitForTimeout(800);
    await panel.reload();
    await panel.settle();
    assert.equal(await panel.page.getAttribute("#root", "data-points"), String(svm.points.length));
    assert.equal(await panel.countPixels("#loss-chart canvas", dark.blue, 30), drawn);
    await panel.close();
  });

  test("follows the light, dark and high-contrast themes", async () => {
    const themes: { theme: Theme; background: string; muted: [number, number, number] }[] = [
      { theme: "light", background: "rgb(255, 255, 255)", muted: rgb("#717171") },
      { theme: "dark", background: "rgb(31, 31, 31)", muted: rgb("#9d9d9d") },
      { theme: "high-contrast", background: "rgb(0, 0, 0)", muted: rgb("#ffffff") },
    ];
    for (const { theme, background, muted } of themes) {
      const panel = await PanelPage.open(browser, server, "runs-panel.js", theme);
      await sendAll(panel, realRunMessages());
      assert.equal(await panel.page.evaluate(() => getComputedStyle(document.body).backgroundColor), background);
      assert.ok((await panel.countPixels("#loss-chart canvas", muted, 12)) > 100, `${theme}: axis labels in the theme's colour`);
      await panel.screenshot(`loss-curves-${theme}`);
      await panel.close();
    }
  });

  test("draws 100,000 points and still answers", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    const points: RunPoint[] = Array.from({ length: 100_000 }, (_, step) => ({ step, epoch: step / 1000, seconds: step / 500, loss: 2 * Math.exp(-step / 20_000) + 0.3 + 0.2 * Math.sin(step * 0.37) ** 2 }));
    await sendAll(panel, runMessages("long", points, "finished", undefined, 10_000));
    assert.equal(await panel.page.getAttribute("#root", "data-points"), "100000");
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.blue, 30)) > 300);
    await panel.page.locator("#log-y").check();
    await panel.settle();
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.blue, 30)) > 300);
    await panel.screenshot("loss-curves-100k");
    await panel.close();
  });

  test("shows a run named like markup as plain text", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    const name = "<img src=x onerror=alert(1)>";
    await sendAll(panel, runMessages(name, results.runs[0].points.slice(0, 40), "diverged", { step: 30, loss: 1e6 }));
    assert.equal(await panel.page.locator("img").count(), 0, "no element made from the name");
    assert.ok((await panel.text("#status")).includes(name));
    assert.ok((await panel.text("#markers")).includes(name));
    assert.ok((await panel.text("#runs-table")).includes(name));
    assert.deepEqual(await panel.dialogs(), []);
    assert.deepEqual(await panel.violations(), []);
    await panel.screenshot("loss-curves-markup-name");
    await panel.close();
  });

  test("three runs of two files read at 500 and 1,200 px: short names, one line each, every plot drawn", async () => {
    const colours = [dark.blue, dark.orange, dark.green];
    const names = ["train_svm #1", "train_svm #2", "too_fast"];
    for (const width of [500, 1200]) {
      const panel = await PanelPage.open(browser, server, "runs-panel.js", "dark", { width, height: 900 });
      await sendAll(panel, overlayMessages());
      await panel.settle();
      // Short names; the file only as a group heading, since two files overlay.
      assert.deepEqual(await panel.page.locator("#runs-table tr.run .name").allTextContents(), names);
      assert.deepEqual(await panel.page.locator("#runs-table tr.file-row").allTextContents(), [overlayFile, "lab.optim"]);
      assert.match(await panel.text("#summary"), /3 runs from 2 files, all ended/);
      // Every entry of the legend (the runs table) and of the plots' keys is one line, and nothing sticks out.
      await assertOneLine(panel, "#runs-table tr", 6);
      await assertOneLine(panel, "#runs-table td, #runs-table th", 6 * 3);
      await assertOneLine(panel, ".key-entry", 2);
      await assertOneLine(panel, ".side-chart h2 .title", 4);
      const box = await panel.page.locator(".runs-table-box").evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
      assert.ok(box.scroll <= box.client, `${width} px: the runs table fits (${box.scroll} > ${box.client})`);
      assert.equal(await panel.horizontalOverflow(), 0, `${width} px: nothing wider than the panel`);
      // Every plot shown draws something, and lists only what it draws.
      const plots = await drawnPlots(panel);
      assert.deepEqual([...plots.keys()], ["loss", "accuracy", "step size", "gradient norm", "update / weight ratio"]);
      for (const [plot, series] of plots) {
        assert.ok(series.length > 0, `${width} px: ${plot} has series`);
        for (const entry of series) {
          assert.ok(entry.points > 0, `${width} px: ${plot}'s ${entry.run} ${entry.measure} has points`);
          // The healthy-ratio guide is green like the third run, so its pixels say nothing about that run there.
          if (plot === "update / weight ratio" && entry.run === "too_fast") continue;
          // Both svm runs take the same step sizes: the second's line covers the first's.
          if (plot === "step size" && entry.run === "train_svm #1") {
            assert.deepEqual(results.runs[0].points.map((point) => point.lr), results.runs[2].points.map((point) => point.lr));
            continue;
          }
          const drawn = await panel.countPixels(`[data-plot="${plot}"] canvas`, colours[names.indexOf(entry.run)], 30);
          assert.ok(drawn > 5, `${width} px: ${plot}'s ${entry.run} is drawn (${drawn} pixels)`);
        }
      }
      assert.deepEqual(
        plots.get("accuracy")?.map((entry) => `${entry.run} ${entry.measure}`),
        names.map((name) => `${name} val`),
        "the accuracy plot has the validation accuracy the runs measured, and no training accuracy",
      );
      await panel.screenshot(`loss-curves-3-runs-2-files-${width}`);
      assert.deepEqual(await panel.violations(), []);
      await panel.close();
    }
  });

  test("the runs table hides and shows a run, and reads its values at the cursor", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js", "dark", { width: 900, height: 900 });
    await sendAll(panel, overlayMessages());
    const orange = () => panel.countPixels("#loss-chart canvas", dark.orange, 30);
    const shown = await orange();
    assert.ok(shown > 300, "the second run is drawn");
    await panel.page.locator('#runs-table input[data-run="second"]').uncheck();
    await panel.settle();
    assert.ok((await orange()) < shown / 10, "unticked, it is not drawn");
    assert.deepEqual(
      [...(await drawnPlots(panel)).values()].flat().filter((entry) => entry.run === "train_svm #2"),
      [],
      "no plot lists it",
    );
    await panel.page.locator('#runs-table input[data-run="second"]').check();
    await panel.settle();
    assert.equal(await orange(), shown, "ticked again, it is back");
    assert.match(await panel.text("#readout"), /Latest values/);
    const over = await panel.page.locator("#loss-chart .u-over").boundingBox();
    assert.ok(over);
    await panel.page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    await panel.settle();
    const readout = await panel.text("#readout");
    const step = Number(/Values at step (\d+)/.exec(readout)?.[1]);
    assert.ok(step > 0 && step < 239, readout);
    const steps = await panel.page.locator("#runs-table tr.run td:nth-child(3)").allTextContents();
    assert.deepEqual(steps.slice(0, 2), [String(step), String(step)], "both svm runs are read at the cursor's step");
    await panel.page.mouse.move(5, 5);
    await panel.settle();
    assert.match(await panel.text("#readout"), /Latest values/);
    await panel.close();
  });

  test("before the first points, says the run is starting instead of drawing empty axes", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js", "dark", { width: 500, height: 600 });
    const svm = results.runs[0];
    const [start, ...rest] = runMessages("train_svm", svm.points, "finished", undefined, 20, overlayFile);
    await sendAll(panel, [start]);
    assert.equal(await panel.page.getAttribute("#root", "data-state"), "loading");
    assert.ok(await panel.page.locator("#chart-state").isVisible());
    assert.match(await panel.text("#chart-state"), /Starting train_svm: reading the data/);
    assert.equal(await panel.page.locator("canvas").count(), 0, "no axes without points");
    assert.match(await panel.text("#runs-table tr.run"), /starting/);
    assert.doesNotMatch(await panel.page.locator("body").innerText(), /\b0 points\b/);
    await assertOneLine(panel, "#runs-table tr", 2);
    await panel.screenshot("loss-curves-loading");
    // The first points: curves, no message.
    await sendAll(panel, [rest[0]]);
    assert.equal(await panel.page.getAttribute("#root", "data-state"), "charts");
    assert.equal(await panel.page.locator("#chart-state").isVisible(), false);
    assert.ok((await panel.countPixels("#loss-chart canvas", dark.blue, 30)) > 100, "the first steps are drawn");
    assert.match(await panel.text("#summary"), /1 running/);
    // The end: the panel says so itself.
    await sendAll(panel, rest.slice(1));
    assert.match(await panel.text("#summary"), /all ended: 1 finished/);
    assert.match(await panel.text("#runs-table tr.run"), /finished/);
    await panel.close();
  });

  test("the accuracy plot and the keys list only what is drawn", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    const svm = results.runs[0];
    // A run without an eval split: no validation loss, no accuracy.
    const noEval = svm.points.map(({ evalLoss: _loss, evalAccuracy: _accuracy, ...point }) => point);
    await sendAll(panel, runMessages("no_eval", noEval, "finished"));
    assert.equal((await drawnPlots(panel)).has("accuracy"), false, "no accuracy plot without accuracy");
    assert.match(await panel.text("#not-measured"), /accuracy/);
    assert.doesNotMatch(await panel.text("#loss-key"), /validation/);
    assert.equal(await panel.page.locator(".side-chart:not([hidden])").count(), 3);
    // With a run that evaluates: its validation accuracy, listed as such, and nothing for the run without.
    await sendAll(panel, runMessages("svm", svm.points, "finished"));
    let accuracy = (await drawnPlots(panel)).get("accuracy");
    assert.deepEqual(accuracy?.map((entry) => `${entry.run} ${entry.measure}`), ["svm val"]);
    assert.match(await panel.text("#loss-key"), /validation loss/);
    const heading = await panel.text('.side-chart:has([data-plot="accuracy"]) h2');
    assert.match(heading, /validation/);
    assert.doesNotMatch(heading, /train/, "the key does not list training accuracy, which is not drawn");
    assert.equal(await panel.page.locator("#not-measured").isVisible(), false);
    // A run that does measure training accuracy gets it drawn, solid, and the key names both.
    const withTrain = svm.points.map((point) => ({ ...point, trainAccuracy: point.evalAccuracy === undefined ? undefined : point.evalAccuracy + 0.05 }));
    await sendAll(panel, runMessages("train_acc", withTrain, "finished"));
    accuracy = (await drawnPlots(panel)).get("accuracy");
    assert.deepEqual(accuracy?.map((entry) => `${entry.run} ${entry.measure}`), ["svm val", "train_acc train", "train_acc val"]);
    assert.match(await panel.text('.side-chart:has([data-plot="accuracy"]) h2'), /train.*validation/s);
    await panel.screenshot("loss-curves-accuracy-keys");
    await panel.close();
  });

  test("ignores malformed messages", async () => {
    const panel = await PanelPage.open(browser, server, "runs-panel.js");
    const errors: string[] = [];
    panel.page.on("pageerror", (error) => errors.push(error.message));
    await sendAll(panel, runMessages("svm", results.runs[0].points, "finished"));
    const known = await panel.page.getAttribute("#root", "data-points");
    await sendAll(panel, [null, "points", { type: "points", id: "test-svm", points: [{ step: "one" }] }, { type: "run", series: { id: 4 } }, { type: "points", id: "nobody", points: [{ step: 1, epoch: 0, seconds: 0, loss: 1 }] }, { type: "unknown" }]);
    assert.equal(await panel.page.getAttribute("#root", "data-points"), known);
    assert.deepEqual(errors, []);
    await panel.close();
  });
});

describe("step-size sweep panel", () => {
  test("draws the loss per step size on a log axis with the suggestion marked", async () => {
    const sweep = results.sweep.sweep;
    assert.ok(sweep);
    const panel = await PanelPage.open(browser, server, "sweep-panel.js");
    await sendAll(panel, [{ type: "sweep", run: "step_sizes", file: "lab.optim", sweep }]);
    assert.equal(await panel.page.locator("#sweep-table tr").count(), 1 + sweep.rows.length);
    assert.ok((await panel.countPixels("#sweep-chart canvas", dark.blue, 30)) > 100, "the loss line");
    if (sweep.suggestion) {
      assert.match(await panel.text("#suggestion"), /Suggested step size/);
      assert.equal(await panel.page.locator("#sweep-table tr.highlight").count(), 1);
      assert.ok((await panel.countPixels("#sweep-chart canvas", dark.green, 30)) > 30, "the suggestion's guide");
    }
    const divergedRows = sweep.rows.filter((row) => row.diverged).length;
    assert.equal(await panel.page.locator("#sweep-table td", { hasText: /^diverged$/ }).count(), divergedRows);
    await panel.screenshot("sweep");
    await panel.page.click("text=Export CSV");
    assert.equal(lastExport(await panel.posted()).content.trim().split("\n").length, 1 + sweep.rows.length);
    await panel.reload();
    assert.equal(await panel.page.locator("#sweep-table tr").count(), 1 + sweep.rows.length, "restored after a reload");
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  test("at 500 px its labels are whole: the suggestion inside the plot, the legend and table on one line each", async () => {
    const sweep = results.sweep.sweep;
    assert.ok(sweep?.suggestion, "the real sweep suggests a step size");
    const panel = await PanelPage.open(browser, server, "sweep-panel.js", "dark", { width: 500, height: 800 });
    await sendAll(panel, [{ type: "sweep", run: "step_sizes", file: "lab.optim", sweep }]);
    const canvas = await panel.page.locator("#sweep-chart canvas").boundingBox();
    assert.ok(canvas);
    const labels = JSON.parse((await panel.page.getAttribute("#sweep-chart .uplot", "data-guides")) ?? "[]") as { label: string; left: number; top: number; right: number; bottom: number }[];
    const suggested = labels.find((label) => label.label.startsWith("suggested "));
    assert.ok(suggested, `the suggestion's label is drawn: ${JSON.stringify(labels)}`);
    for (const label of labels) {
      assert.ok(label.left >= 0 && label.right <= canvas.width && label.top >= 0 && label.bottom <= canvas.height, `"${label.label}" lies inside the chart: ${JSON.stringify(label)} in ${canvas.width}×${canvas.height}`);
    }
    // The label's text is there, in the suggestion's green, where the panel says it drew it.
    const green = await panel.page.evaluate(
      ({ box, rgb }) => {
        const element = document.querySelector("#sweep-chart canvas") as HTMLCanvasElement;
        const scale = element.width / element.getBoundingClientRect().width;
        const { data } = (element.getContext("2d") as CanvasRenderingContext2D).getImageData(Math.floor(box.left * scale), Math.floor(box.top * scale), Math.ceil((box.right - box.left) * scale), Math.ceil((box.bottom - box.top) * scale));
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - rgb[0]) < 40 && Math.abs(data[i + 1] - rgb[1]) < 40 && Math.abs(data[i + 2] - rgb[2]) < 40) count++;
        return count;
      },
      { box: suggested, rgb: dark.green },
    );
    assert.ok(green > 30, `the suggestion's label is drawn in its box (${green} green pixels)`);
    const legend = await assertOneLine(panel, "#sweep-chart .u-legend .u-series", 2);
    const anyDiverged = sweep.rows.some((row) => row.diverged);
    assert.equal(
      legend.some((entry) => entry.text.startsWith("diverged")),
      anyDiverged,
      "the legend lists diverged step sizes only when some are drawn",
    );
    await assertOneLine(panel, "#sweep-table td, #sweep-table th", 3 * sweep.rows.length);
    assert.equal(await panel.horizontalOverflow(), 0, "nothing wider than the panel");
    await panel.screenshot("sweep-500");
    await panel.close();
  });
});

describe("landscape panel", () => {
  test("draws a ray as a line", async () => {
    const landscape = results.ray.landscape;
    assert.ok(landscape);
    const panel = await PanelPage.open(browser, server, "landscape-panel.js");
    await sendAll(panel, [{ type: "landscape", run: "ray", file: "lab.optim", landscape }]);
    assert.equal(await panel.page.getAttribute("#root", "data-kind"), "ray");
    assert.ok((await panel.countPixels("#landscape-chart canvas", dark.blue, 30)) > 200);
    await panel.screenshot("landscape-ray");
    await panel.close();
  });

  test("draws a plane as a heatmap, blue low and red high, with contours and the trajectory", async () => {
    const landscape = results.plane.landscape;
    assert.ok(landscape?.trajectory && landscape.trajectory.length > 1);
    const panel = await PanelPage.open(browser, server, "landscape-panel.js", "light");
    await sendAll(panel, [{ type: "landscape", run: "path", file: "lab.optim", landscape }]);
    assert.equal(await panel.page.getAttribute("#root", "data-kind"), "plane");
    assert.ok(Number(await panel.page.getAttribute("#root", "data-contours")) > 0, "contour lines");
    // The mean colour of the lowest tenth of the cells is blue, of the highest tenth red.
    const colours = await panel.page.evaluate((losses) => {
      const root = document.getElementById("root") as HTMLElement;
      const { left, top, size, n } = JSON.parse(root.dataset.geometry ?? "{}") as { left: number; top: number; size: number; n: number };
      const canvas = document.getElementById("heatmap") as HTMLCanvasElement;
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const { data, width } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
      const sorted = [...losses].sort((a, b) => a - b);
      const low = sorted[Math.floor(sorted.length * 0.1)];
      const high = sorted[Math.floor(sorted.length * 0.9)];
      const sums = { low: [0, 0, 0, 0], high: [0, 0, 0, 0] };
      const cell = size / n;
      losses.forEach((loss, k) => {
        const group = loss <= low ? sums.low : loss >= high ? sums.high : undefined;
        if (!group) return;
        const x = Math.round((left + ((k % n) + 0.5) * cell) * scale);
        const y = Math.round((top + size - (Math.floor(k / n) + 0.5) * cell) * scale);
        const at = (y * width + x) * 4;
        group[0] += data[at];
        group[1] += data[at + 1];
        group[2] += data[at + 2];
        group[3]++;
      });
      return { low: sums.low.slice(0, 3).map((sum) => sum / sums.low[3]), high: sums.high.slice(0, 3).map((sum) => sum / sums.high[3]) };
    }, landscape.losses);
    assert.ok(colours.low[2] > colours.low[0] + 40, `low cells are blue: ${colours.low.map(Math.round)}`);
    assert.ok(colours.high[0] > colours.high[2] + 40, `high cells are red: ${colours.high.map(Math.round)}`);
    // The trajectory is a dark line with a white halo; nothing else is drawn white.
    assert.ok((await panel.countPixels("#heatmap", [255, 255, 255], 6)) > 100, "the trajectory's halo");
    await panel.page.hover("#heatmap", { position: { x: 120, y: 120 } });
    assert.match(await panel.text("#readout"), /a = .*, b = .*: loss /);
    await panel.screenshot("landscape-plane");
    const { trajectory: _trajectory, ...withoutPath } = landscape;
    await sendAll(panel, [{ type: "landscape", run: "plane", file: "lab.optim", landscape: withoutPath }]);
    assert.ok((await panel.countPixels("#heatmap", [255, 255, 255], 6)) < 20, "no halo without a trajectory");
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });
});

describe("gradient-check report", () => {
  test("shows each grad's verdict, histogram and worst entries, and leads to its line", async () => {
    const { checks } = results;
    assert.ok(checks.grads.length >= 2);
    assert.ok(
      checks.grads.some((grad) => !grad.passed),
      "the example has a wrong grad",
    );
    const panel = await PanelPage.open(browser, server, "gradcheck-panel.js");
    await sendAll(panel, [{ type: "checks", file: "05-gradient-check.optim", results: checks }]);
    assert.equal(await panel.page.locator("section.grad").count(), checks.grads.length);
    assert.equal(await panel.page.locator("section.grad.error").count(), checks.grads.filter((grad) => grad.verdict === "error").length);
    for (const [i, grad] of checks.grads.entries()) {
      const section = panel.page.locator("section.grad").nth(i);
      const counts = await section.locator(".bar").evaluateAll((bars) => bars.map((bar) => Number((bar as HTMLElement).dataset.count)));
      assert.deepEqual(counts, grad.histogram);
      assert.equal(await section.locator("table.worst tr").count(), 1 + grad.worst.length);
      const tallest = await section.locator(".bar").evaluateAll((bars) => Math.max(...bars.map((bar) => bar.getBoundingClientRect().height)));
      assert.ok(tallest >= 50, "the bars are drawn");
    }
    await panel.page.locator("section.grad h2 a").first().click();
    const reveal = await panel.waitForPosted((message) => message.type === "reveal");
    assert.deepEqual(reveal, { type: "reveal", line: checks.grads[0].line });
    await panel.screenshot("gradient-check");
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  test("its decade labels stay whole at 500 and 1,200 px", async () => {
    const { checks } = results;
    for (const width of [500, 1200]) {
      const panel = await PanelPage.open(browser, server, "gradcheck-panel.js", "dark", { width, height: 900 });
      await sendAll(panel, [{ type: "checks", file: "05-gradient-check.optim", results: checks }]);
      const decades = await assertOneLine(panel, ".histogram .decade", 12 * checks.grads.length);
      assert.ok(decades.some((entry) => entry.text === "<1e-10"));
      await assertOneLine(panel, ".histogram .count", 1);
      for (const histogram of await panel.page.locator(".histogram").evaluateAll((elements) => elements.map((element) => ({ scroll: element.scrollWidth, client: element.clientWidth })))) {
        assert.ok(histogram.scroll <= histogram.client, `${width} px: the histogram fits (${histogram.scroll} > ${histogram.client})`);
      }
      assert.equal(await panel.horizontalOverflow(), 0, `${width} px: nothing wider than the panel`);
      // The bars still show the counts: the longest one has most of its room, whichever way it lies.
      const longest = await panel.page.locator(".bar").evaluateAll((bars) => Math.max(...bars.map((bar) => Math.max(bar.getBoundingClientRect().width, bar.getBoundingClientRect().height))));
      assert.ok(longest >= 50, `${width} px: the bars are drawn (${longest} px)`);
      await panel.screenshot(`gradient-check-${width}`);
      await panel.close();
    }
  });
});

describe("data preview panel", () => {
  test("shows Fashion-MNIST's first images as stored, named by their classes", async () => {
    const { preview } = results;
    assert.ok(preview.images, "the preview has images");
    const panel = await PanelPage.open(browser, server, "data-panel.js");
    await sendAll(panel, [{ type: "preview", preview }]);
    const captions = await panel.page.locator("figure figcaption").allTextContents();
    assert.equal(captions.length, preview.images.samples.length);
    assert.deepEqual(captions, preview.images.samples.map((sample) => FASHION_MNIST_CLASS_NAMES[sample.label]));
    assert.ok(captions.includes("Ankle boot") && captions.includes("T-shirt/top"), captions.join(", "));
    // The first canvas holds the first training image's bytes: no mean subtracted, no stretching, a black background.
    const stored = gunzipSync(readFileSync(join(fashionMnist, "train-images-idx3-ubyte.gz"))).subarray(16, 16 + 784);
    const drawn = await panel.page.evaluate(() => {
      const canvas = document.querySelector("figure canvas") as HTMLCanvasElement;
      const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
      return Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]);
    });
    assert.deepEqual(drawn, [...stored]);
    assert.equal(drawn[0], 0, "the corner is black, as in the file");
    await panel.screenshot("data-preview");
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });
});
