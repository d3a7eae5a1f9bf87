import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { estimateIdxFolder, loadIdxFolder, loadIdxImages, loadIdxLabels, loadIdxPair } from "../../../server/src/data/idx";
import { expectError, idxImages, idxLabels, pixelsFor, tempFolder, write } from "./write-data";

const folder = tempFolder("idx");

test("images and labels round-trip, plain and gzipped, gzip detected by content not name", async () => {
  const pixels = pixelsFor(5, 3, 2);
  const labels = [0, 2, 1, 2, 0];
  const cases = [
    { images: write(folder, "plain-images", idxImages(pixels, 5, 3, 2)), labels: write(folder, "plain-labels", idxLabels(labels)) },
    // Gzipped without a .gz name, and a plain file with one.
    { images: write(folder, "zipped-images.idx", idxImages(pixels, 5, 3, 2), true), labels: write(folder, "unzipped-labels.gz", idxLabels(labels)) },
  ];
  for (const paths of cases) {
    const loaded = await loadIdxPair(paths.images, paths.labels, { scale: 0.5 });
    assert.ok(loaded.ok, loaded.ok ? "" : loaded.error.message);
    const x = loaded.value;
    assert.deepEqual([x.n, x.d, x.classes], [5, 6, 3]);
    assert.deepEqual(x.image, { height: 3, width: 2, channels: 1 });
    assert.deepEqual([...x.y], labels);
    assert.deepEqual([...x.X], [...pixels].map((value) => value * 0.5));
  }
});

test("the folder loader finds train and t10k files, plain or .gz, and shares the class count", async () => {
  const dir = join(tempFolder("idx-folder"));
  write(dir, "train-images-idx3-ubyte.gz", idxImages(pixelsFor(4, 2, 2), 4, 2, 2), true);
  write(dir, "train-labels-idx1-ubyte.gz", idxLabels([0, 1, 1, 0]), true);
  write(dir, "t10k-images-idx3-ubyte", idxImages(pixelsFor(2, 2, 2), 2, 2, 2));
  write(dir, "t10k-labels-idx1-ubyte", idxLabels([4, 0]));
  const loaded = await loadIdxFolder(dir);
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.error.message);
  assert.equal(loaded.value.train.n, 4);
  assert.equal(loaded.value.test?.n, 2);
  assert.equal(loaded.value.train.classes, 5, "classes is the max over train and test + 1");
  assert.equal(loaded.value.test?.classes, 5);
  const estimate = await estimateIdxFolder(dir);
  assert.deepEqual(estimate, { ok: true, value: (4 * 4 + 4) * 4 + (2 * 4 + 2) * 4 });

  const trainOnly = tempFolder("idx-train-only");
  write(trainOnly, "train-images-idx3-ubyte", idxImages(pixelsFor(1, 1, 1), 1, 1, 1));
  write(trainOnly, "train-labels-idx1-ubyte", idxLabels([3]));
  const alone = await loadIdxFolder(trainOnly);
  assert.ok(alone.ok);
  assert.equal(alone.value.test, undefined);
  assert.equal(alone.value.train.classes, 4);
});

test("a wrong magic number names the file, the number, byte 0 and what was expected", async () => {
  const dimsTwo = write(folder, "train-images-idx3-ubyte.gz", idxImages(pixelsFor(1, 2, 2), 1, 2, 2, 0x00000802), true);
  const error = expectError(await loadIdxImages(dimsTwo));
  assert.equal(error.message, "train-images-idx3-ubyte.gz: wrong magic number 0x00000802 at byte 0 (expected 0x00000803 for images)");
  assert.equal(error.file, dimsTwo);
  assert.equal(error.byteOffset, 0);

  const labelsAsImages = write(folder, "swapped", idxLabels([1, 2]));
  assert.match(expectError(await loadIdxImages(labelsAsImages)).message, /wrong magic number 0x00000801 at byte 0 \(expected 0x00000803 for images\); this looks like a labels file/);
  const notIdx = write(folder, "text.idx", "hello, world");
  assert.match(expectError(await loadIdxLabels(notIdx)).message, /^text\.idx: wrong magic number 0x68656c6c at byte 0 \(expected 0x00000801 for labels\)$/);
});

test("an unsupported data type byte is reported at byte 2", async () => {
  const floats = write(folder, "floats", idxImages(new Uint8Array(16), 1, 2, 2, 0x00000d03));
  const error = expectError(await loadIdxImages(floats));
  assert.equal(error.byteOffset, 2);
  assert.match(error.message, /^floats: data type 0x0d \(float32\) at byte 2 is not supported \(expected 0x08, unsigned byte\)$/);
});

test("truncated files name the expected and the actual length, plain and gzipped", async () => {
  const full = idxImages(pixelsFor(3, 4, 4), 3, 4, 4);
  const cut = full.subarray(0, full.length - 10);
  for (const gzip of [false, true]) {
    const path = write(folder, `cut-${gzip}`, cut, gzip);
    const error = expectError(await loadIdxImages(path));
    assert.equal(error.message, `cut-${gzip}: truncated: 3 images of 4×4 need 64 bytes, but the file has 54${gzip ? " (decompressed)" : ""}`);
    assert.equal(error.byteOffset, 54);
  }
  const headerOnly = write(folder, "short-header", full.subarray(0, 10));
  const header = expectError(await loadIdxImages(headerOnly));
  assert.match(header.message, /truncated header: 16 bytes expected, but the file has 10/);

  // A gzip stream cut in the middle still reports lengths, not zlib's wording.
  const zipped = write(folder, "cut-stream", idxImages(pixelsFor(200, 28, 28), 200, 28, 28), true);
  const { readFileSync, writeFileSync } = await import("node:fs");
  const bytes = readFileSync(zipped);
  writeFileSync(zipped, bytes.subarray(0, Math.floor(bytes.length / 2)));
  assert.match(expectError(await loadIdxImages(zipped)).message, /^cut-stream: truncated: 200 images of 28×28 need 156816 bytes, but the file has \d+ \(decompressed\)$/);
});

test("extra bytes after the data, zero dimensions and broken gzip are errors", async () => {
  const long = write(folder, "long", Uint8Array.from([...idxLabels([1, 2]), 7, 7]));
  const error = expectError(await loadIdxLabels(long));
  assert.equal(error.byteOffset, 10);
  assert.match(error.message, /unexpected bytes after the last of 2 labels at byte 10/);
  const zipped = write(folder, "long.gz", Uint8Array.from([...idxLabels([1, 2]), 7, 7]), true);
  assert.match(expectError(await loadIdxLabels(zipped)).message, /decompresses to more than the 10 bytes its header describes/);

  const noRows = write(folder, "no-rows", idxImages(new Uint8Array(0), 1, 0, 5));
  assert.equal(expectError(await loadIdxImages(noRows)).message, "no-rows: rows at byte 8 is 0");

  const broken = write(folder, "broken.gz", Uint8Array.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  assert.match(expectError(await loadIdxImages(broken)).message, /^broken\.gz: is not a valid gzip file/);
});

test("image and label counts must agree, and missing files are named", async () => {
  const images = write(folder, "three-images", idxImages(pixelsFor(3, 1, 1), 3, 1, 1));
  const labels = write(folder, "two-labels", idxLabels([0, 1]));
  const error = expectError(await loadIdxPair(images, labels));
  assert.equal(error.message, "two-labels: 2 labels, but three-images has 3 images");
  assert.equal(error.file, labels);

  const missing = join(folder, "nope-idx3-ubyte");
  const notFound = expectError(await loadIdxImages(missing));
  assert.equal(notFound.file, missing);
  assert.match(notFound.message, /^nope-idx3-ubyte: file not found/);

  const emptyDir = tempFolder("idx-empty");
  assert.match(expectError(await loadIdxFolder(emptyDir)).message, /no train-images-idx3-ubyte or train-images-idx3-ubyte\.gz in/);
  assert.match(expectError(await loadIdxFolder(join(emptyDir, "absent"))).message, /folder not found/);
  const half = tempFolder("idx-half");
  write(half, "train-images-idx3-ubyte", idxImages(pixelsFor(1, 1, 1), 1, 1, 1));
  write(half, "train-labels-idx1-ubyte", idxLabels([0]));
  write(half, "t10k-images-idx3-ubyte", idxImages(pixelsFor(1, 1, 1), 1, 1, 1));
  assert.match(expectError(await loadIdxFolder(half)).message, /^t10k-images-idx3-ubyte: has no labels/);
});

test("the size limit refuses from the header, before reading the data", async () => {
  // The header claims 100,000 images of 1000×1000, the file holds none: a
  // loader that allocated first would fail on memory or report truncation.
  const liar = write(folder, "liar", idxImages(new Uint8Array(0), 100000, 1000, 1000), true);
  const error = expectError(await loadIdxImages(liar, { maxBytes: 1 << 30 }));
  assert.match(error.message, /^liar: 100000 images of 1000×1000 need 373 GB as float32, more than the data size limit of 1\.0 GB/);
  const dir = tempFolder("idx-big");
  write(dir, "train-images-idx3-ubyte", idxImages(pixelsFor(10, 10, 10), 10, 10, 10));
  write(dir, "train-labels-idx1-ubyte", idxLabels(new Array(10).fill(0)));
  assert.match(expectError(await loadIdxFolder(dir, { maxBytes: 1000 })).message, /train images need 3\.9 KB as float32, more than the data size limit of 1000 bytes/);
  assert.ok((await loadIdxFolder(dir, { maxBytes: 4040 })).ok);
});
