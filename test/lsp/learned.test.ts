// What a model learned, from a run the real server trains in its worker: the
// run folder gets the confusion matrices in final.json and, for a linear
// classifier on images, the templates, before the request answers.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import type { RunExperimentRequest } from "../../server/src/protocol";
import { idxImages, idxLabels } from "../unit/data/write-data";
import { LspTestClient } from "../support/lsp-client";
import { scratchFolder } from "../support/scratch";

let client: LspTestClient;
const folder = scratchFolder("lsp-learned");

before(async () => {
  client = new LspTestClient();
  await client.initialize();
});

after(async () => {
  await client.shutdown();
});

test("a run of a linear classifier on images leaves its confusion matrices and templates in its folder", async () => {
  // 4 × 4 images of 4 classes, class k bright in its k-th pixel; the folder's name gives them Fashion-MNIST's first four names.
  const data = join(folder, "fashion-mnist");
  mkdirSync(data);
  for (const [prefix, count] of [["train", 40], ["t10k", 16]] as const) {
    const labels = Array.from({ length: count }, (_, i) => i % 4);
    const pixels = Uint8Array.from({ length: count * 16 }, (_, at) => (at % 16 === labels[Math.floor(at / 16)] ? 230 : (at * 11) % 50));
    writeFileSync(join(data, `${prefix}-images-idx3-ubyte`), idxImages(pixels, count, 4, 4));
    writeFileSync(join(data, `${prefix}-labels-idx1-ubyte`), idxLabels(labels));
  }
  const uri = pathToFileURL(join(folder, "tiny.optim")).toString();
  await client.open(
    uri,
    `data images = idx("${data}") { train 32, val 8; scale 1/255; bias_trick }
param W: [C, D] = randn * 0.001
score s = X @ W^T
loss L = mean(sum(max(0, s - s[y] + 1) * (1 - onehot(y)), axis=1))
optimizer opt = sgd { lr 0.1, batch 8 }
run fit { minimize L; on images.train; by opt; steps 30; eval images.val; every 10; test images.test }
`,
  );
  const result = (await client.connection.sendRequest("optim/runExperiment", { uri, name: "fit" })) as RunExperimentRequest.Result;
  assert.equal(result.status, "finished", result.message);
  assert.ok(result.folder);
  const final = JSON.parse(readFileSync(join(result.folder, "final.json"), "utf8"));
  assert.deepEqual(final.confusion.classes, ["T-shirt/top", "Trouser", "Pullover", "Dress"]);
  assert.equal(final.confusion.weights, result.reported?.weights);
  assert.equal(final.confusion.test.total, 16);
  assert.deepEqual(final.confusion.test.support, [4, 4, 4, 4]);
  assert.equal(final.confusion.test.accuracy, final.final.testAccuracy);
  assert.equal(final.confusion.evaluation.total, 8);
  const templates = JSON.parse(readFileSync(join(result.folder, "templates.json"), "utf8"));
  assert.equal(templates.weights, result.reported?.weights);
  assert.deepEqual([templates.width, templates.height, templates.channels], [4, 4, 1]);
  assert.deepEqual(templates.classes.map((entry: { name: string }) => entry.name), ["T-shirt/top", "Trouser", "Pullover", "Dress"]);
  for (const entry of templates.classes) assert.ok(existsSync(join(result.folder, entry.file)), entry.file);
  assert.ok(existsSync(join(result.folder, "templates.png")));
  // A linear classifier has no filters: its meta.json says why, and no filters.json is written.
  const meta = JSON.parse(readFileSync(join(result.folder, "meta.json"), "utf8"));
  assert.match(meta.filters.reason, /^the loss has no convolution/);
  assert.ok(!existsSync(join(result.folder, "filters.json")));
});
