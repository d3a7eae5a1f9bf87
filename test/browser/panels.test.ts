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
import { launchBrowser, PanelPage, rgb, startPanelServer, type PanelServer, type Theme } from "./panel-page";
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
function runMessages(name: string, points: RunPoint[], status: RunSeries["status"], divergence?: RunSeries["divergence"], batch = 20): ToRunsPanel[] {
  const id = `test-${name}`;
  const messages: ToRunsPanel[] = [{ type: "run", series: { id, run: name, file: "lab.optim", status: "running", points: [] } }];
  for (let i = 0; i < points.length; i += batch) messages.push({ type: "points", id, points: points.slice(i, i + batch) });
  messages.push({ type: "run", series: { id, run: name, file: "lab.optim", status, points: [], ...(divergence ? { divergence } : {}) } });
  return messages;
}

function realRunMessages(): ToRunsPanel[] {
  return results.runs.flatMap((run) => runMessages(run.name, run.points, run.result.status, run.result.divergence));
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
    const legend = await panel.text("#loss-chart .u-legend");
    assert.match(legend, /svm train/);
    assert.match(legend, /too_fast val/);
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
    assert.match(await panel.text("#loss-chart"), /wall time/);
    // Zoom: drag across the middle of the chart, then reset.
    const over = panel.page.locator("#loss-chart .u-over");
    const box = await over.boundingBox();
    assert.ok(box);
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
    assert.ok((await panel.text("#loss-chart .u-legend")).includes(name));
    assert.deepEqual(await panel.dialogs(), []);
    assert.deepEqual(await panel.violations(), []);
    await panel.screenshot("loss-curves-markup-name");
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
