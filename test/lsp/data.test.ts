// Data through the real server: read off the main thread, bad files reported
// on the data declaration with the file and the place, shapes from the files
// checked, and a hover that shows what was read.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { after, before, test } from "node:test";
import type { CheckResults, PreviewDataRequest } from "../../server/src/protocol";
import { LspTestClient, type PublishedDiagnostics } from "../support/lsp-client";
import { scratchFolder } from "../support/scratch";

let client: LspTestClient;
const folder = scratchFolder("lsp-data");
/** Somewhere that is not the workspace folder. */
const outside = scratchFolder("lsp-outside");

before(async () => {
  client = new LspTestClient();
  await client.initialize();
  const rows = ["x1,x2,label", ...Array.from({ length: 12 }, (_, i) => `${i / 10},${(i % 3) - 1},${i % 3}`)];
  writeFileSync(join(folder, "points.csv"), rows.join("\n") + "\n");
  writeFileSync(join(folder, "ragged.csv"), "x1,x2,label\n1,2,0\n3,1\n");
  writeFileSync(join(outside, "broken-test.csv"), "x1,x2,label\n1,2,0\n3,1\n");
});

after(async () => {
  await client.shutdown();
});

function uriFor(name: string): string {
  return pathToFileURL(join(folder, name)).toString();
}

async function dataDiagnostics(uri: string, version = 1): Promise<PublishedDiagnostics> {
  return client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.version === version && params.diagnostics.some((diagnostic) => diagnostic.code === "data"), 20_000);
}

test("a missing folder is an error on the data declaration that names it", async () => {
  const uri = uriFor("missing.optim");
  await client.open(uri, 'data images = idx("no-such-folder")\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const published = await dataDiagnostics(uri);
  const [diagnostic] = published.diagnostics.filter((d) => d.code === "data");
  assert.deepEqual(diagnostic.range, { start: { line: 0, character: 5 }, end: { line: 0, character: 11 } });
  assert.match(diagnostic.message, /no-such-folder/);
});

test("a ragged CSV is an error that names the file and the line", async () => {
  const uri = uriFor("ragged.optim");
  await client.open(uri, 'data table = csv("ragged.csv")\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const [diagnostic] = (await dataDiagnostics(uri)).diagnostics.filter((d) => d.code === "data");
  assert.match(diagnostic.message, /ragged\.csv line 3/);
});

test("shapes are checked against the file: a param of the wrong width is an error on the @", async () => {
  const uri = uriFor("shapes.optim");
  await client.open(uri, 'data table = csv("points.csv") { bias_trick }\nparam W: [3, 2] = zeros\nscore s = X @ W^T\nloss L = mean(logsumexp(s, axis=1) - s[y])\n');
  const published = await client.waitFor<PublishedDiagnostics>("textDocument/publishDiagnostics", (params) => params.uri === uri && params.diagnostics.some((d) => d.code === "shape-mismatch"), 20_000);
  const mismatch = published.diagnostics.find((d) => d.code === "shape-mismatch");
  assert.equal(mismatch?.message, "cannot multiply [N, 3] by [2, 3]: inner dimensions 3 and 2 differ");
  assert.deepEqual(mismatch?.range.start, { line: 2, character: 12 });
});

test("hover on a data set shows its splits, classes and value range once read", async () => {
  const uri = uriFor("hover.optim");
  await client.open(uri, 'data table = csv("points.csv") { train 9, val 3 }\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  await client.waitFor<CheckResults>("optim/checkResults", (params) => params.uri === uri, 20_000);
  const hover = (await client.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line: 0, character: 7 } })) as { contents: { value: string } };
  assert.match(hover.contents.value, /\| train \| 9 \| 2 \| 3 \| -1 \| 1 \| 0\.2 \|/);
  assert.match(hover.contents.value, /\| val \| 3 \| 2 \| 3 \|/);
  assert.match(hover.contents.value, /Examples per class in train: 0: 3, 1: 3, 2: 3/);
});

test("the preview of Fashion-MNIST has its splits, its class names and the first images as stored, 28 × 28", async () => {
  const uri = uriFor("fashion.optim");
  await client.open(uri, 'data images = idx("/usr/share/datasets/fashion-mnist") { train 59000, val 1000; scale 1/255; center; bias_trick }\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const preview = (await client.connection.sendRequest("optim/previewData", { uri, name: "images" })) as PreviewDataRequest.Result;
  assert.equal(preview.problem, undefined);
  assert.deepEqual(preview.splits.map((split) => [split.split, split.n, split.d, split.classes]), [
    ["train", 59000, 785, 10],
    ["val", 1000, 785, 10],
    ["test", 10000, 785, 10],
  ]);
  assert.ok(preview.images);
  assert.deepEqual([preview.images.height, preview.images.width, preview.images.channels], [28, 28, 1]);
  assert.equal(preview.images.samples.length, 24);
  assert.deepEqual(preview.classNames, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);
  // The pixels are the file's bytes: not scaled, not centred, not stretched image by image.
  const stored = gunzipSync(readFileSync("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"));
  const labels = gunzipSync(readFileSync("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"));
  for (const [row, sample] of preview.images.samples.entries()) {
    assert.deepEqual(sample.pixels, [...stored.subarray(16 + row * 784, 16 + (row + 1) * 784)], `image ${row}`);
    assert.equal(sample.label, labels[8 + row]);
  }
});

test("the preview of a generated set lists its first rows, and of a broken one says why", async () => {
  const uri = uriFor("preview-rows.optim");
  await client.open(uri, 'data points = csv("points.csv")\ndata broken = csv("ragged.csv")\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n');
  const rows = (await client.connection.sendRequest("optim/previewData", { uri, name: "points" })) as PreviewDataRequest.Result;
  assert.equal(rows.images, undefined);
  assert.deepEqual(rows.rows?.[1], { label: 1, values: [Math.fround(0.1), 0] });
  const broken = (await client.connection.sendRequest("optim/previewData", { uri, name: "broken" })) as PreviewDataRequest.Result;
  assert.match(broken.problem ?? "", /ragged\.csv line 3/);
});

test("an error in a split's own file sits on the split setting's value and names the file and the line", async () => {
  const uri = uriFor("split-file.optim");
  const splitFile = JSON.stringify(join(outside, "broken-test.csv"));
  await client.open(uri, `data table = csv("points.csv") {\n  train 10\n  test ${splitFile}\n}\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n`);
  const [diagnostic] = (await dataDiagnostics(uri)).diagnostics.filter((d) => d.code === "data");
  assert.equal(diagnostic.message, "test split: broken-test.csv line 3: 2 values, but the header has 3 columns");
  assert.deepEqual(diagnostic.range, { start: { line: 2, character: 7 }, end: { line: 2, character: 7 + splitFile.length } });
});

test("in an untrusted workspace a split file outside it is never read: no data error, no check, no preview", async () => {
  const untrusted = new LspTestClient();
  try {
    await untrusted.connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(folder).toString(),
      workspaceFolders: [{ uri: pathToFileURL(folder).toString(), name: "data" }],
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } } },
      initializationOptions: { trusted: false, checkDelayMs: 0 },
    });
    await untrusted.connection.sendNotification("initialized", {});
    const uri = uriFor("untrusted-split.optim");
    // The same declaration as above: in a trusted workspace, reading the file gives a data error.
    await untrusted.open(uri, `data table = csv("points.csv") { test ${JSON.stringify(join(outside, "broken-test.csv"))} }\nparam W: [C, D] = zeros\nloss L = sum(W^2)\n`);
    const published = await untrusted.diagnosticsFor(uri, 1);
    assert.deepEqual(published.diagnostics.filter((d) => d.severity === 1), [], "the declaration checks statically");
    await sleep(1500);
    const dataErrors = untrusted.received<PublishedDiagnostics>("textDocument/publishDiagnostics").flatMap((params) => params.diagnostics.filter((d) => d.code === "data"));
    assert.deepEqual(dataErrors, []);
    assert.deepEqual(untrusted.received<CheckResults>("optim/checkResults").filter((params) => params.uri === uri), [], "no check ran, so nothing was loaded");
    const preview = (await untrusted.connection.sendRequest("optim/previewData", { uri, name: "table" })) as PreviewDataRequest.Result;
    assert.match(preview.problem ?? "", /only in a trusted workspace/);
    assert.deepEqual(preview.splits, []);
  } finally {
    await untrusted.shutdown();
  }
});
