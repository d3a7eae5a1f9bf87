// Splits given by file (`test "t10k"`), through the same path as the editor:
// a data declaration's text, the worker's data loader, the cache. Each format
// gets a good split file, a missing one and corrupt ones; errors must name the
// file and the place, and sit on the split setting's value.
import assert from "node:assert/strict";
import { mkdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { analyze } from "../../../server/src/analysis/analyze";
import { createDataCache } from "../../../server/src/data/cache";
import type { Examples, Splits } from "../../../server/src/data/types";
import { dataLoader } from "../../../server/src/worker/load-examples";
import type { DataDeclaration } from "../../../server/src/worker/run-check";
import { cifarBatch, expectError, expectValue, idxImages, idxLabels, npy, pixelsFor, tempFolder, write } from "./write-data";

const folder = tempFolder("split-files");
const idxFolder = join(folder, "idx");
const cifarFolder = join(folder, "cifar");
mkdirSync(idxFolder);
mkdirSync(cifarFolder);

// IDX: a 2×2 training pair, and split pairs beside it.
write(idxFolder, "train-images-idx3-ubyte", idxImages(pixelsFor(4, 2, 2), 4, 2, 2));
write(idxFolder, "train-labels-idx1-ubyte", idxLabels([0, 1, 2, 1]));
const extraPixels = Uint8Array.from({ length: 3 * 4 }, (_, i) => 200 - i);
write(idxFolder, "extra-images-idx3-ubyte.gz", idxImages(extraPixels, 3, 2, 2), true);
write(idxFolder, "extra-labels-idx1-ubyte.gz", idxLabels([2, 0, 1]), true);
write(idxFolder, "badmagic-images-idx3-ubyte", idxImages(pixelsFor(1, 2, 2), 1, 2, 2, 0x00000802));
write(idxFolder, "badmagic-labels-idx1-ubyte", idxLabels([0]));
write(idxFolder, "short-images-idx3-ubyte", idxImages(pixelsFor(2, 2, 2), 3, 2, 2));
write(idxFolder, "short-labels-idx1-ubyte", idxLabels([0, 1, 0]));
write(idxFolder, "wide-images-idx3-ubyte", idxImages(pixelsFor(2, 3, 3), 2, 3, 3));
write(idxFolder, "wide-labels-idx1-ubyte", idxLabels([0, 1]));
write(idxFolder, "lonely-images-idx3-ubyte", idxImages(pixelsFor(1, 2, 2), 1, 2, 2));
// Claims 100,000 images of 100×100 (3.7 GB as float32) and holds none.
write(idxFolder, "huge-images-idx3-ubyte.gz", idxImages(new Uint8Array(0), 100000, 100, 100), true);
write(idxFolder, "huge-labels-idx1-ubyte.gz", idxLabels([]), true);

// A folder with none of the usual names: every split by file.
const lettersFolder = join(folder, "letters");
mkdirSync(lettersFolder);
write(lettersFolder, "letters-train-images-idx3-ubyte.gz", idxImages(pixelsFor(5, 2, 2), 5, 2, 2), true);
write(lettersFolder, "letters-train-labels-idx1-ubyte.gz", idxLabels([1, 2, 3, 4, 5]), true);
write(lettersFolder, "letters-test-images-idx3-ubyte.gz", idxImages(pixelsFor(2, 2, 2), 2, 2, 2), true);
write(lettersFolder, "letters-test-labels-idx1-ubyte.gz", idxLabels([26, 1]), true);
write(lettersFolder, "t10k-images-idx3-ubyte", idxImages(pixelsFor(3, 2, 2), 3, 2, 2));
write(lettersFolder, "t10k-labels-idx1-ubyte", idxLabels([0, 0, 0]));

// CIFAR-10: one training batch, the folder's own test batch, and other batches.
write(cifarFolder, "data_batch_1.bin", cifarBatch([0, 1, 2], (record, i) => record + i));
write(cifarFolder, "test_batch.bin", cifarBatch([3, 4], () => 7));
write(cifarFolder, "other.bin", cifarBatch([9, 3], () => 50));
write(cifarFolder, "badlabel.bin", cifarBatch([1, 12], () => 0));
write(cifarFolder, "cut.bin", cifarBatch([5, 6], () => 1).subarray(0, 3073 + 100));

// CSV, beside the .optim file.
write(folder, "train.csv", "x1,x2,label\n0,10,0\n2,20,1\n4,30,0\n6,40,1\n");
write(folder, "test.csv", "x1,x2,label\n10,100,1\n-2,0,0\n");
write(folder, "ragged.csv", "x1,x2,label\n1,2,0\n3,1\n");
write(folder, "nan.csv", "x1,x2,label\n1,2,0\n3,4,1\nNaN,5,0\n");
write(folder, "swapped.csv", "x2,x1,label\n1,2,0\n");
write(folder, "names-train.csv", "x,label\n1,cat\n2,dog\n3,bird\n");
write(folder, "names-test.csv", "x,label\n4,bird\n5,cat\n");
write(folder, "names-fish.csv", "x,label\n4,bird\n5,fish\n");

// NumPy: 4 examples of 3 features for training.
write(folder, "x.npy", npy("<f4", [4, 3], Float32Array.from({ length: 12 }, (_, i) => i)));
write(folder, "y.npy", npy("<i8", [4], BigInt64Array.of(0n, 1n, 0n, 1n)));
write(folder, "xt.npy", npy("<f4", [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)));
write(folder, "yt.npy", npy("<i8", [2], BigInt64Array.of(1n, 0n)));
const withNaN = Float32Array.of(1, 2, 3, 4, 5, NaN);
write(folder, "xnan.npy", npy("<f4", [2, 3], withNaN));
write(folder, "yshort.npy", npy("<i8", [3], BigInt64Array.of(1n, 0n, 1n)));
write(folder, "x4.npy", npy("<f4", [2, 4], new Float32Array(8)));

const load = dataLoader({ baseDirectory: folder });

/** The first data declaration of `text`, which must check without errors. */
function declarationOf(text: string): DataDeclaration {
  const analysis = analyze(text);
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), [], text);
  const declaration = analysis.document.declarations.find((candidate): candidate is DataDeclaration => candidate.kind === "data");
  assert.ok(declaration, text);
  return declaration;
}

async function splitsOf(text: string): Promise<Splits> {
  const result = await load(declarationOf(text));
  if (!result.ok) assert.fail(`${text}: ${result.message}`);
  return result.splits;
}

/** Each split as [n, d, classes]. */
function shapes(splits: Splits): Record<string, [number, number, number]> {
  const result: Record<string, [number, number, number]> = {};
  for (const name of ["train", "val", "test"] as const) {
    const part: Examples | undefined = splits[name];
    if (part) result[name] = [part.n, part.d, part.classes];
  }
  return result;
}

const good: Array<{ name: string; text: string; shapes: Record<string, [number, number, number]>; check?: (splits: Splits) => void }> = [
  {
    name: "counts: a test count carves the rows after train and val from a source without test files",
    text: "data d = spiral(classes=3, points=20, seed=1) { train 40, val 10, test 10 }",
    shapes: { train: [40, 2, 3], val: [10, 2, 3], test: [10, 2, 3] },
  },
  {
    name: "counts: without a train count, train is what val and test leave",
    text: "data d = blobs(classes=2, points=10) { val 5, test 3 }",
    shapes: { train: [12, 2, 2], val: [5, 2, 2], test: [3, 2, 2] },
  },
  {
    name: "counts: a test count keeps the first rows of the source's own test files",
    text: 'data d = idx("letters") { train "letters-train"; test 2 }',
    shapes: { train: [5, 4, 6], test: [2, 4, 6] },
  },
  {
    name: "IDX: a prefix names the pair in the source's folder",
    text: 'data d = idx("idx") { test "extra" }',
    shapes: { train: [4, 4, 3], test: [3, 4, 3] },
    check: (splits) => {
      assert.deepEqual([...(splits.test?.X ?? [])], [...extraPixels]);
      assert.deepEqual([...(splits.test?.y ?? [])], [2, 0, 1]);
      assert.deepEqual(splits.test?.image, { height: 2, width: 2, channels: 1 });
    },
  },
  {
    name: "IDX: the images file names the pair; its labels file is named alike",
    text: 'data d = idx("idx") { test "extra-images-idx3-ubyte.gz" }',
    shapes: { train: [4, 4, 3], test: [3, 4, 3] },
  },
  {
    name: "IDX: an absolute path works too, and val by file sits beside a train count",
    text: `data d = idx("idx") { train 3, val "${join(idxFolder, "extra")}" }`,
    shapes: { train: [3, 4, 3], val: [3, 4, 3] },
  },
  {
    name: "IDX: train and test by file need none of the folder's usual files; classes span both",
    text: 'data d = idx("letters") { train "letters-train", test "letters-test" }',
    shapes: { train: [5, 4, 27], test: [2, 4, 27] },
  },
  {
    name: "IDX: train by file, and the folder's own t10k pair is still the test split",
    text: 'data d = idx("letters") { train "letters-train" }',
    shapes: { train: [5, 4, 6], test: [3, 4, 6] },
  },
  {
    name: "CIFAR-10: a test batch of its own replaces test_batch.bin",
    text: 'data d = cifar10("cifar") { test "other.bin" }',
    shapes: { train: [3, 3072, 10], test: [2, 3072, 10] },
    check: (splits) => {
      assert.deepEqual([...(splits.test?.y ?? [])], [9, 3]);
      assert.equal(splits.test?.X[0], 50);
    },
  },
  {
    name: "CIFAR-10: val by file keeps the folder's own test batch",
    text: 'data d = cifar10("cifar") { val "other.bin" }',
    shapes: { train: [3, 3072, 10], val: [2, 3072, 10], test: [2, 3072, 10] },
  },
  {
    name: "CIFAR-10: train by file, the folder's test batch still the test split",
    text: 'data d = cifar10("cifar") { train "other.bin" }',
    shapes: { train: [2, 3072, 10], test: [2, 3072, 10] },
  },
  {
    name: "CSV: a test file beside the .optim file",
    text: 'data d = csv("train.csv") { test "test.csv" }',
    shapes: { train: [4, 2, 2], test: [2, 2, 2] },
    check: (splits) => assert.deepEqual([...(splits.test?.X ?? [])], [10, 100, -2, 0]),
  },
  {
    name: "CSV: class names keep the training file's indices",
    text: 'data d = csv("names-train.csv") { test "names-test.csv" }',
    shapes: { train: [3, 1, 3], test: [2, 1, 3] },
    check: (splits) => {
      assert.deepEqual([...(splits.test?.y ?? [])], [2, 0], "bird is class 2 and cat class 0, as in training");
      assert.deepEqual(splits.test?.classNames, ["cat", "dog", "bird"]);
    },
  },
  {
    name: "npy: a pair of files for the split",
    text: 'data d = npy("x.npy", "y.npy") { test ["xt.npy", "yt.npy"] }',
    shapes: { train: [4, 3, 2], test: [2, 3, 2] },
    check: (splits) => assert.deepEqual([...(splits.test?.X ?? [])], [1, 2, 3, 4, 5, 6]),
  },
];

for (const example of good) {
  test(`split file, good: ${example.name}`, async () => {
    const splits = await splitsOf(example.text);
    assert.deepEqual(shapes(splits), example.shapes);
    example.check?.(splits);
  });
}

const bad: Array<{ name: string; text: string; message: RegExp | string; at: string }> = [
  { name: "IDX: no such pair", text: 'data d = idx("idx") { test "absent" }', message: /^test split: absent: no absent-images-idx3-ubyte\[\.gz\] or absent-labels-idx1-ubyte\[\.gz\] in .*idx$/, at: '"absent"' },
  { name: "IDX: images without labels", text: 'data d = idx("idx") { test "lonely-images-idx3-ubyte" }', message: "test split: lonely-images-idx3-ubyte: has no labels: lonely-labels-idx1-ubyte[.gz] is missing", at: '"lonely-images-idx3-ubyte"' },
  { name: "IDX: wrong magic number", text: 'data d = idx("idx") { test "badmagic" }', message: "test split: badmagic-images-idx3-ubyte: wrong magic number 0x00000802 at byte 0 (expected 0x00000803 for images)", at: '"badmagic"' },
  { name: "IDX: truncated", text: 'data d = idx("idx") { val "short" }', message: "val split: short-images-idx3-ubyte: truncated: 3 images of 2×2 need 28 bytes, but the file has 24", at: '"short"' },
  { name: "IDX: another image size", text: 'data d = idx("idx") { test "wide" }', message: "test split: wide-images-idx3-ubyte: holds images of 3×3, but the training images are 2×2", at: '"wide"' },
  { name: "CIFAR-10: missing batch", text: 'data d = cifar10("cifar") { test "nothere.bin" }', message: /^test split: nothere\.bin: file not found \(.*nothere\.bin\)$/, at: '"nothere.bin"' },
  { name: "CIFAR-10: label out of range", text: 'data d = cifar10("cifar") { test "badlabel.bin" }', message: "test split: badlabel.bin: label 12 at byte 3073 (record 1) is not a CIFAR-10 class (0–9)", at: '"badlabel.bin"' },
  { name: "CIFAR-10: truncated record", text: 'data d = cifar10("cifar") { test "cut.bin" }', message: "test split: cut.bin: 3173 bytes is not a whole number of 3073-byte records: the record at byte 3073 is cut off after 100 bytes", at: '"cut.bin"' },
  { name: "CSV: missing file", text: 'data d = csv("train.csv") { test "missing.csv" }', message: /^test split: missing\.csv: file not found/, at: '"missing.csv"' },
  { name: "CSV: ragged", text: 'data d = csv("train.csv") { test "ragged.csv" }', message: "test split: ragged.csv line 3: 2 values, but the header has 3 columns", at: '"ragged.csv"' },
  { name: "CSV: NaN", text: 'data d = csv("train.csv") { val "nan.csv" }', message: "val split: nan.csv line 4: NaN in column 'x1'", at: '"nan.csv"' },
  { name: "CSV: other columns", text: 'data d = csv("train.csv") { test "swapped.csv" }', message: "test split: swapped.csv line 1: the columns are 'x2', 'x1', 'label', but the training file's are 'x1', 'x2', 'label'", at: '"swapped.csv"' },
  { name: "CSV: a class training never saw", text: 'data d = csv("names-train.csv") { test "names-fish.csv" }', message: "test split: names-fish.csv line 3: label 'fish' is not one of the training file's classes ('cat', 'dog', 'bird')", at: '"names-fish.csv"' },
  { name: "CSV: names where training has indices", text: 'data d = csv("train.csv") { test "names-test.csv" }', message: /^test split: names-test\.csv line 1: the columns are 'x', 'label'/, at: '"names-test.csv"' },
  { name: "npy: missing labels file", text: 'data d = npy("x.npy", "y.npy") { test ["xt.npy", "missing.npy"] }', message: /^test split: missing\.npy: file not found/, at: '["xt.npy", "missing.npy"]' },
  { name: "npy: NaN", text: 'data d = npy("x.npy", "y.npy") { test ["xnan.npy", "yt.npy"] }', message: `test split: xnan.npy: NaN at row 1, column 2 (byte ${128 + 5 * 4})`, at: '["xnan.npy", "yt.npy"]' },
  { name: "npy: label count", text: 'data d = npy("x.npy", "y.npy") { test ["xt.npy", "yshort.npy"] }', message: "test split: yshort.npy: 3 labels, but xt.npy has 2 examples", at: '["xt.npy", "yshort.npy"]' },
  { name: "npy: other feature count", text: 'data d = npy("x.npy", "y.npy") { test ["x4.npy", "yt.npy"] }', message: "test split: x4.npy: has 4 features per example, but the training split has 3", at: '["x4.npy", "yt.npy"]' },
];

for (const example of bad) {
  test(`split file, bad: ${example.name}`, async () => {
    const result = await load(declarationOf(example.text));
    if (result.ok) assert.fail(`${example.text} loaded`);
    if (typeof example.message === "string") assert.equal(result.message, example.message);
    else assert.match(result.message, example.message);
    assert.ok(result.span, "the error sits on the split setting");
    assert.equal(example.text.slice(result.span.start, result.span.end), example.at);
  });
}

test("a CSV split whose labels are names, where training's are indices, is an error on its line", async () => {
  write(folder, "named-like-train.csv", "x1,x2,label\n1,2,cat\n");
  const result = await load(declarationOf('data d = csv("train.csv") { test "named-like-train.csv" }'));
  assert.ok(!result.ok);
  assert.equal(result.message, "test split: named-like-train.csv line 2: label 'cat' is not a number, but the training file's labels are, so labels are class indices");
});

test("a split file gets the training split's preparation: scale, the training mean, the bias trick", async () => {
  const splits = await splitsOf('data d = csv("train.csv") { test "test.csv"; scale 0.5; center; bias_trick }');
  // Scaled training rows (0, 5), (1, 10), (2, 15), (3, 20): mean (1.5, 12.5), from training alone.
  assert.deepEqual([...(splits.test?.X ?? [])], [5 - 1.5, 50 - 12.5, 1, -1 - 1.5, 0 - 12.5, 1]);
  assert.deepEqual([...splits.train.X.subarray(0, 3)], [0 - 1.5, 5 - 12.5, 1]);
  const subset = await splitsOf('data d = csv("train.csv") { train 3, val "test.csv"; first 1 }');
  assert.deepEqual(shapes(subset), { train: [1, 2, 2], val: [1, 2, 2] });
});

test("the cache keys a split file by its path and stamps: unchanged it is reused, edited it is reread", async () => {
  write(folder, "edited.csv", "x1,x2,label\n1,1,0\n");
  const text = 'data d = csv("train.csv") { test "edited.csv"; center }';
  const first = await splitsOf(text);
  assert.equal(await splitsOf(text), first, "a second load is a cache hit");
  write(folder, "edited.csv", "x1,x2,label\n9,9,1\n");
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(folder, "edited.csv"), later, later);
  const reread = await splitsOf(text);
  assert.notEqual(reread, first);
  assert.deepEqual([...(reread.test?.X ?? [])], [9 - 3, 9 - 25]);
  assert.notEqual(await splitsOf('data d = csv("train.csv") { test "test.csv"; center }'), reread, "another split file is another entry");
});

test("split files count toward the data size limit, checked from their headers before reading", async () => {
  const cache = createDataCache({ maxDataSetBytes: 64 * 1024 * 1024 });
  const error = expectError(await cache.load({ format: "idx", path: idxFolder, splits: { test: { path: join(idxFolder, "huge") } } }));
  assert.match(error.message, /the examples need 3\.7 GB as float32, more than the data size limit of 64\.0 MB/);
  // train.csv takes 4 × 2 × 4 + 4 × 4 = 48 bytes, test.csv 2 × 2 × 4 + 2 × 4 = 24.
  const csv = { format: "csv" as const, path: join(folder, "train.csv"), splits: { test: { path: join(folder, "test.csv") } } };
  assert.match(expectError(await createDataCache({ maxDataSetBytes: 71 }).load(csv)).message, /the examples need 72 bytes as float32, more than the data size limit of 71 bytes/);
  assert.equal(expectValue(await createDataCache({ maxDataSetBytes: 72 }).load(csv)).test?.n, 2);
});

test("the checker takes a file for sources that read files, and two for npy", () => {
  const errors = (text: string) => analyze(text).findings.filter((finding) => finding.severity === "error").map((finding) => finding.message);
  assert.deepEqual(errors('data d = toy() { test "t.csv" }'), ["'test' must be a number of examples here: toy() reads no files"]);
  assert.deepEqual(errors('data d = npy("x.npy", "y.npy") { val "xv.npy" }'), [`'val' names two files for npy, the inputs and the labels: val ["x_val.npy", "y_val.npy"]`]);
  assert.deepEqual(errors('data d = csv("a.csv") { test ["b.csv", "c.csv"] }'), [`'test' names one file for csv: test "test.csv"`]);
  assert.deepEqual(errors('data d = idx("f") { train 100, val "v", test "t10k" }\ndata e = npy("x.npy", "y.npy") { test ["xt.npy", "yt.npy"] }'), []);
});
