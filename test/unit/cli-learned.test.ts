// `optim train` on a small image classifier writes what its model learned
// into its run folder (the confusion matrices in final.json, the templates as
// PNG files, a convnet's first-layer filters likewise) and prints the test
// split's matrix; `optim learned` draws them again from a run folder alone.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../../server/src/cli/main";
import { readSavedWeights } from "../../server/src/train/run-store";
import { idxImages, idxLabels } from "./data/write-data";
import { scratchFolder } from "../support/scratch";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

/** Images of 3 × 3 whose class k has its k-th pixel bright; the folder's name gives the classes Fashion-MNIST's names. */
function imageSet(folder: string, prefix: string, count: number): number[] {
  const labels = Array.from({ length: count }, (_, i) => i % 3);
  const pixels = new Uint8Array(count * 9);
  labels.forEach((label, i) => {
    for (let j = 0; j < 9; j++) pixels[i * 9 + j] = j === label ? 220 : (i * 7 + j * 13) % 60;
  });
  writeFileSync(join(folder, `${prefix}-images-idx3-ubyte`), idxImages(pixels, count, 3, 3));
  writeFileSync(join(folder, `${prefix}-labels-idx1-ubyte`), idxLabels(labels));
  return labels;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${path} is a PNG`);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test("optim train writes the confusion matrices and the templates of a linear classifier on images, and optim learned draws them again", { timeout: 60_000 }, async () => {
  const workspace = scratchFolder("cli-learned");
  const data = join(workspace, "fashion-mnist");
  mkdirSync(data);
  imageSet(data, "train", 36);
  const testLabels = imageSet(data, "t10k", 12);
  const file = join(workspace, "tiny.optim");
  writeFileSync(
    file,
    `data images = idx("${data}") { train 30, val 6; scale 1/255; center; bias_trick }
param W: [C, D] = randn * 0.001
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.5, batch 10 }
run fit { minimize L; on images.train; by opt; steps 40; eval images.val; every 10; test images.test }
`,
  );
  const trained = await run(["train", file]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /^ {2}test accuracy \d\.\d{4} \(\d+ of 12\); by class: T-shirt\/top \d\.\d\d, Trouser \d\.\d\d, Pullover \d\.\d\d$/m);
  assert.match(trained.stdout, /^ {2}test confusion \(rows: true class, columns: predicted\):$/m);
  assert.match(trained.stdout, /^ {4}0 T-shirt\/top( +\d+){3}$/m);
  const [name] = readdirSync(join(workspace, "runs"));
  const folder = join(workspace, "runs", name);
  const final = JSON.parse(readFileSync(join(folder, "final.json"), "utf8"));
  const confusion = final.confusion;
  assert.deepEqual(confusion.classes, ["T-shirt/top", "Trouser", "Pullover"]);
  assert.equal(confusion.weights, final.reportedWeights);
  const matrix: number[][] = confusion.test.matrix;
  assert.deepEqual(matrix.map((row) => row.reduce((sum, count) => sum + count, 0)), [0, 1, 2].map((k) => testLabels.filter((label) => label === k).length));
  assert.equal(confusion.test.accuracy, final.final.testAccuracy);
  assert.equal(confusion.test.accuracy, (matrix[0][0] + matrix[1][1] + matrix[2][2]) / 12);
  assert.equal(confusion.evaluation.total, 6);
  // The templates: a [3, 10] W under the bias trick is three 3 × 3 images.
  const meta = JSON.parse(readFileSync(join(folder, "meta.json"), "utf8"));
  assert.deepEqual(meta.templates, { param: "W", orientation: "rows", classes: 3, columns: 10, image: { height: 3, width: 3, channels: 1 } });
  assert.deepEqual(meta.classes, ["T-shirt/top", "Trouser", "Pullover"]);
  assert.deepEqual(meta.filters, { reason: "the loss has no convolution; filters are drawn for conv2d(reshape(X, [N, C, H, W]), K)" });
  assert.ok(!existsSync(join(folder, "filters.png")));
  assert.match(trained.stdout, new RegExp(`templates of the ${final.reportedWeights} weights in .*templates\\.png`));
  // Three cells of 3 × 3 zoomed 37 times, 37 pixels apart.
  assert.deepEqual(pngSize(join(folder, "templates.png")), [3 * 111 + 2 * 37, 111]);
  assert.deepEqual(readdirSync(join(folder, "templates")).sort(), ["00-T-shirt-top.png", "01-Trouser.png", "02-Pullover.png"]);
  assert.deepEqual(pngSize(join(folder, "templates", "01-Trouser.png")), [3, 3]);
  // Each class's bright pixel is the brightest of its template: the model learned where its class shines.
  const templates = JSON.parse(readFileSync(join(folder, "templates.json"), "utf8"));
  templates.classes.forEach((entry: { pixels: string }, k: number) => {
    const pixels = [...Buffer.from(entry.pixels, "base64")];
    assert.equal(pixels.indexOf(Math.max(...pixels)), k, `template ${k}: ${pixels.join(" ")}`);
  });

  const again = await run(["learned", folder, "--weights", "final", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  const report = JSON.parse(again.stdout);
  assert.equal(report.templates.weights, "final");
  for (const path of report.templates.files) assert.ok(existsSync(path), path);
  assert.deepEqual(report.confusion, confusion);
  assert.equal(JSON.parse(readFileSync(join(folder, "templates.json"), "utf8")).weights, "final");
  const printed = await run(["learned", folder]);
  assert.match(printed.stdout, /^ {2}eval accuracy .*\n {2}eval confusion/m);
  assert.match(printed.stdout, /^ {2}test accuracy /m);

  assert.equal((await run(["learned", folder, "--weights", "worst"])).code, 2);
  const notRun = await run(["learned", workspace]);
  assert.equal(notRun.code, 1);
  assert.match(notRun.stderr, /is not a run's folder: its meta\.json could not be read/);
});

test("optim learned says why a run that is not a linear classifier on images has no templates", { timeout: 60_000 }, async () => {
  const workspace = scratchFolder("cli-learned-refused");
  const file = join(workspace, "blobs.optim");
  writeFileSync(
    file,
    `data d = blobs(classes=3, points=60, dims=2)
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.1, batch 16 }
run fit { minimize L; on d.train; by opt; steps 20; eval d.train; every 10 }
`,
  );
  const trained = await run(["train", file]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, /^ {2}eval confusion/m);
  const [name] = readdirSync(join(workspace, "runs"));
  const folder = join(workspace, "runs", name);
  assert.ok(!existsSync(join(folder, "templates.png")));
  const learned = await run(["learned", folder]);
  assert.equal(learned.code, 0);
  assert.match(learned.stdout, /^ {2}templates not drawn: the data are not images/m);
  assert.match(learned.stdout, /^ {2}filters not drawn: the data are not images/m);
  assert.match(learned.stdout, /0 class 0/);
});

test("optim train draws a small convnet's first-layer filters from its saved weights, and optim learned draws them again", { timeout: 120_000 }, async () => {
  const workspace = scratchFolder("cli-learned-filters");
  const data = join(workspace, "fashion-mnist");
  mkdirSync(data);
  imageSet(data, "train", 36);
  imageSet(data, "t10k", 12);
  const file = join(workspace, "convnet.optim");
  writeFileSync(
    file,
    `data images = idx("${data}") { train 30, val 6; scale 1/255; center }
param K1: [4, 1, 2, 2] = he
param K2: [2, 4, 2, 2] = he
param W: [C, 18] = xavier
score x = reshape(X, [N, 1, 3, 3])
score h = relu(conv2d(x, K1, stride=1, pad=0))
score s = flatten(relu(conv2d(h, K2, stride=1, pad=1))) @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
optimizer opt = sgd { lr 0.1, batch 10 }
run fit { minimize L; on images.train; by opt; steps 12; eval images.val; every 6 }
`,
  );
  const trained = await run(["train", file]);
  assert.equal(trained.code, 0, trained.stderr);
  const [name] = readdirSync(join(workspace, "runs"));
  const folder = join(workspace, "runs", name);
  assert.match(trained.stdout, new RegExp(`first-layer filters of the (best|final) weights in .*filters\\.png`));
  const meta = JSON.parse(readFileSync(join(folder, "meta.json"), "utf8"));
  // The convolution that reads X is K1's, not K2's.
  assert.deepEqual(meta.filters, { param: "K1", filters: 4, channels: 1, height: 2, width: 2 });
  assert.match(meta.templates.reason, /the score's product does not start from the examples X/);
  const filters = JSON.parse(readFileSync(join(folder, "filters.json"), "utf8"));
  const final = JSON.parse(readFileSync(join(folder, "final.json"), "utf8"));
  assert.equal(filters.weights, final.reportedWeights);
  assert.deepEqual([filters.param, filters.width, filters.height, filters.channels, filters.scale], ["K1", 2, 2, 1, "per-filter"]);
  // Four 2 × 2 filters zoomed 24 times, all in one row, 12 pixels apart.
  assert.deepEqual(filters.grid, { file: "filters.png", perRow: 4, zoom: 24, gap: 12 });
  assert.deepEqual(pngSize(join(folder, "filters.png")), [4 * 48 + 3 * 12, 48]);
  // Each filter's scale is its own weights' range in the saved K1, its smallest weight black and its largest white.
  const saved = readSavedWeights(join(folder, "weights", filters.weights));
  assert.ok(saved.ok);
  const K1 = saved.value.params.get("K1")?.values;
  assert.ok(K1);
  filters.filters.forEach((entry: { index: number; low: number; high: number; pixels: string }, f: number) => {
    const weights = [...K1.subarray(f * 4, f * 4 + 4)];
    const pixels = [...Buffer.from(entry.pixels, "base64")];
    assert.equal(entry.index, f);
    assert.deepEqual([entry.low, entry.high], [Math.min(...weights), Math.max(...weights)]);
    assert.equal(pixels[weights.indexOf(entry.low)], 0);
    assert.equal(pixels[weights.indexOf(entry.high)], 255);
  });

  const again = await run(["learned", folder, "--weights", "final", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  const report = JSON.parse(again.stdout);
  assert.deepEqual(report.filters, { weights: "final", files: [join(folder, "filters.png"), join(folder, "filters.json")] });
  assert.match(report.templates.problem, /./);
  assert.equal(JSON.parse(readFileSync(join(folder, "filters.json"), "utf8")).weights, "final");
  const printed = await run(["learned", folder]);
  assert.match(printed.stdout, /^ {2}first-layer filters of the (best|final) weights: .*filters\.png \(4 filters of K1\)$/m);
});
