// The "what the model learned" panel in a real browser, on a real run: the
// CLI trains example 08's train_svm on Fashion-MNIST as written, and the
// panel is fed what the extension reads from the run's folder. Its ten
// templates are 28×28 images named by their classes, each looking most like
// its own class's mean image; the confusion matrix and per-class bars name
// the classes; screenshots at 500 and 1200 px wide, dark and light.
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { runCli } from "../../server/src/cli/main";
import { FASHION_MNIST_CLASS_NAMES } from "../../server/src/data/idx";
import { learnedView, type ToLearnedPanel } from "../../media/src/learned-view";
import { repoRoot } from "../support/fixtures";
import { scratchFolder } from "../support/scratch";
import { launchBrowser, PanelPage, startPanelServer, type PanelServer } from "./panel-page";
import { fashionMnist } from "./real-results";

let server: PanelServer;
let browser: Browser;
let message: ToLearnedPanel;

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

before(
  async () => {
    const workspace = scratchFolder("learned-panel");
    const file = join(workspace, "08-svm-vs-softmax.optim");
    copyFileSync(join(repoRoot, "examples", "08-svm-vs-softmax.optim"), file);
    let stderr = "";
    const code = await runCli(["train", file, "--run", "train_svm"], { stdout: () => undefined, stderr: (text) => (stderr += text) });
    assert.equal(code, 0, stderr);
    const [name] = readdirSync(join(workspace, "runs"));
    const folder = join(workspace, "runs", name);
    message = { type: "learned", view: learnedView(name, { meta: readJson(join(folder, "meta.json")), final: readJson(join(folder, "final.json")), templates: readJson(join(folder, "templates.json")), filters: undefined }) };
    server = await startPanelServer();
    browser = await launchBrowser();
  },
  { timeout: 300_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Each class's mean training image minus the mean of all, from the IDX file's bytes. */
function classMeans(): Float64Array[] {
  const images = gunzipSync(readFileSync(join(fashionMnist, "train-images-idx3-ubyte.gz"))).subarray(16);
  const labels = gunzipSync(readFileSync(join(fashionMnist, "train-labels-idx1-ubyte.gz"))).subarray(8);
  const sums = Array.from({ length: 10 }, () => new Float64Array(784));
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    for (let j = 0; j < 784; j++) sums[labels[i]][j] += images[i * 784 + j];
  }
  const means = sums.map((sum, k) => sum.map((value) => value / counts[k]));
  const overall = new Float64Array(784).map((_, j) => means.reduce((total, mean) => total + mean[j], 0) / 10);
  return means.map((mean) => mean.map((value, j) => value - overall[j]));
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] / n;
    meanB += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - meanA) * (b[i] - meanB);
    aa += (a[i] - meanA) ** 2;
    bb += (b[i] - meanB) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe("what the model learned panel", () => {
  test("shows ten 28×28 templates of example 08's SVM, named by their classes, each most like its own class", { timeout: 120_000 }, async () => {
    const panel = await PanelPage.open(browser, server, "learned-panel.js");
    await panel.send(message);
    await panel.settle();
    const canvases = await panel.page.$$eval(".template-grid canvas", (elements) =>
      (elements as HTMLCanvasElement[]).map((canvas) => {
        const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
        const box = canvas.getBoundingClientRect();
        return { width: canvas.width, height: canvas.height, shownWidth: box.width, shownHeight: box.height, gray: Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]) };
      }),
    );
    assert.equal(canvases.length, 10);
    for (const canvas of canvases) {
      assert.equal(canvas.width, 28);
      assert.equal(canvas.height, 28);
      assert.ok(canvas.shownWidth >= 84 && Math.abs(canvas.shownWidth - canvas.shownHeight) < 1, `drawn ${canvas.shownWidth} × ${canvas.shownHeight} px`);
    }
    assert.deepEqual(await panel.page.locator(".template-grid figcaption").allTextContents(), FASHION_MNIST_CLASS_NAMES);
    // After training each template looks like its clothing: it correlates best with its own class's mean image.
    const means = classMeans();
    const bestMatches = canvases.map((canvas) => {
      const scores = means.map((mean) => correlation(canvas.gray, mean));
      return scores.indexOf(Math.max(...scores));
    });
    assert.deepEqual(bestMatches, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  test("shows the test split's confusion matrix and accuracy by class with the class names", { timeout: 60_000 }, async () => {
    const view = message.type === "learned" ? message.view : undefined;
    const test = view?.confusion?.splits.find((split) => split.split === "test");
    assert.ok(test, "the run counted its test split");
    const panel = await PanelPage.open(browser, server, "learned-panel.js");
    await panel.send(message);
    const tables = panel.page.locator("table.confusion");
    assert.equal(await tables.count(), 2, "the eval and test splits");
    const testTable = tables.nth(1);
    assert.deepEqual(await testTable.locator("th.row").allTextContents(), FASHION_MNIST_CLASS_NAMES.map((name, k) => `${k} ${name}`));
    const diagonal = await testTable.locator("td.diagonal").allTextContents();
    assert.deepEqual(diagonal.map(Number), test.matrix.map((row, k) => row[k]));
    const bars = panel.page.locator(".bars").nth(1);
    assert.deepEqual(await bars.locator(".bar-label").allTextContents(), FASHION_MNIST_CLASS_NAMES);
    assert.deepEqual(await bars.locator(".bar-value").allTextContents(), test.perClass.map((accuracy) => (accuracy as number).toFixed(3)));
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  for (const [theme, width] of [["dark", 500], ["dark", 1200], ["light", 1200]] as const) {
    test(`fits a ${width} px wide ${theme} panel`, { timeout: 60_000 }, async () => {
      const panel = await PanelPage.open(browser, server, "learned-panel.js", theme, { width, height: 900 });
      await panel.send(message);
      await panel.settle();
      assert.equal(await panel.horizontalOverflow(), 0, "nothing sticks out sideways");
      const hidden = await panel.page.$$eval(".scroll", (wrappers) => wrappers.map((wrapper) => wrapper.scrollWidth - wrapper.clientWidth));
      assert.deepEqual(hidden, [0, 0], "every column of both matrices is in view");
      const captions = await panel.textLayout(".template-grid figcaption");
      for (const caption of captions) assert.ok(!caption.overflows && caption.lines <= 2, `caption "${caption.text}" is whole`);
      await panel.screenshot(`learned-templates-${theme}-${width}`);
      await panel.close();
    });
  }
});
