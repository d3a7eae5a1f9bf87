// The "what the model learned" panel's first-layer filters, in a real browser,
// on a real run: the CLI trains example 15's convnet on the first 500
// Fashion-MNIST images for a few steps, and the panel is fed what the
// extension reads from the run's folder. Its 16 filters are 3×3 canvases,
// labelled 0 to 15, each the saved K1's filter on its own scale; screenshots
// at 500 and 1200 px wide.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { runCli } from "../../server/src/cli/main";
import { readSavedWeights } from "../../server/src/train/run-store";
import { learnedView, type ToLearnedPanel } from "../../media/src/learned-view";
import { repoRoot } from "../support/fixtures";
import { scratchFolder } from "../support/scratch";
import { launchBrowser, PanelPage, startPanelServer, type PanelServer } from "./panel-page";

let server: PanelServer;
let browser: Browser;
let message: ToLearnedPanel;
let K1: Float32Array;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

before(
  async () => {
    const workspace = scratchFolder("learned-filters");
    const file = join(workspace, "15-convnet.optim");
    const text = readFileSync(join(repoRoot, "examples", "15-convnet.optim"), "utf8");
    const run = "run train { minimize L; on images.train; first 500; by opt; steps 24; eval images.val; every 12 }";
    const shortened = text.replace(/^run train \{.*\}$/m, run);
    assert.ok(shortened.includes(run), "example 15's run line is where the test expects it");
    writeFileSync(file, shortened);
    let stderr = "";
    const code = await runCli(["train", file, "--run", "train"], { stdout: () => undefined, stderr: (text) => (stderr += text) });
    assert.equal(code, 0, stderr);
    const [name] = readdirSync(join(workspace, "runs"));
    const folder = join(workspace, "runs", name);
    const files = { meta: readJson(join(folder, "meta.json")), final: readJson(join(folder, "final.json")), templates: readJson(join(folder, "templates.json")), filters: readJson(join(folder, "filters.json")) };
    message = { type: "learned", view: learnedView(name, files) };
    const weights = (files.filters as { weights: string }).weights;
    const saved = readSavedWeights(join(folder, "weights", weights));
    assert.ok(saved.ok);
    K1 = saved.value.params.get("K1")?.values as Float32Array;
    server = await startPanelServer();
    browser = await launchBrowser();
  },
  { timeout: 300_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
});

describe("what the model learned panel, first-layer filters", () => {
  test("shows example 15's 16 filters as 3×3 images labelled by index, each its saved weights on its own scale", { timeout: 60_000 }, async () => {
    const panel = await PanelPage.open(browser, server, "learned-panel.js");
    await panel.send(message);
    await panel.settle();
    assert.deepEqual(await panel.page.locator("h2").allTextContents(), ["Learned filters", "Confusion matrix, evaluation split"], "a convnet has filters, not templates");
    const canvases = await panel.page.$$eval(".filter-grid canvas", (elements) =>
      (elements as HTMLCanvasElement[]).map((canvas) => {
        const { data } = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height);
        const box = canvas.getBoundingClientRect();
        return { width: canvas.width, height: canvas.height, shownWidth: box.width, shownHeight: box.height, gray: Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]), colourless: Array.from({ length: data.length / 4 }, (_, i) => data[i * 4] === data[i * 4 + 1] && data[i * 4] === data[i * 4 + 2]).every(Boolean) };
      }),
    );
    assert.equal(canvases.length, 16);
    assert.deepEqual(await panel.page.locator(".filter-grid figcaption").allTextContents(), Array.from({ length: 16 }, (_, f) => String(f)));
    canvases.forEach((canvas, f) => {
      assert.deepEqual([canvas.width, canvas.height], [3, 3]);
      assert.ok(canvas.shownWidth >= 48 && Math.abs(canvas.shownWidth - canvas.shownHeight) < 1, `filter ${f} drawn ${canvas.shownWidth} × ${canvas.shownHeight} px`);
      assert.ok(canvas.colourless, `filter ${f} is gray`);
      // K1[f]'s smallest weight is black and its largest white; every level is in order of its weight.
      const weights = [...K1.subarray(f * 9, f * 9 + 9)];
      const low = Math.min(...weights);
      const high = Math.max(...weights);
      assert.deepEqual(canvas.gray, weights.map((w) => Math.round((255 * (w - low)) / (high - low))), `filter ${f}`);
    });
    assert.deepEqual(await panel.violations(), []);
    await panel.close();
  });

  for (const width of [500, 1200]) {
    test(`fits a ${width} px wide panel`, { timeout: 60_000 }, async () => {
      const panel = await PanelPage.open(browser, server, "learned-panel.js", "dark", { width, height: 900 });
      await panel.send(message);
      await panel.settle();
      assert.equal(await panel.horizontalOverflow(), 0, "nothing sticks out sideways");
      const captions = await panel.textLayout(".filter-grid figcaption");
      assert.equal(captions.length, 16);
      for (const caption of captions) assert.ok(!caption.overflows && caption.lines === 1, `caption "${caption.text}" is whole`);
      await panel.screenshot(`learned-filters-dark-${width}`);
      await panel.close();
    });
  }
});
