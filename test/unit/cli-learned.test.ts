// `optim train` on a small image classifier writes what its model learned
// into its run folder (the confusion matrices in final.json, the templates as
// PNG files) and prints the test split's matrix; `optim learned` draws the
// templates again from a run folder alone.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../../server/src/cli/main";
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
  assert.match(learned.stdout, /0 class 0/);
});
