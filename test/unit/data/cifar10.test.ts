import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { CIFAR10_CLASS_NAMES, estimateCifar10Folder, loadCifar10Batch, loadCifar10Folder } from "../../../server/src/data/cifar10";
import { cifarBatch, expectError, expectValue, tempFolder, write } from "./write-data";

// Pixel value encodes record, channel and position, so layout mistakes show.
const pixel = (record: number, index: number) => record * 50 + Math.floor(index / 1024) * 10 + (index % 7);

test("batches round-trip channel-planar, with labels and class names", async () => {
  const dir = tempFolder("cifar");
  write(dir, "data_batch_1.bin", cifarBatch([3, 9], pixel));
  write(dir, "data_batch_2.bin", cifarBatch([0], (record, index) => pixel(record + 2, index)));
  write(dir, "test_batch.bin", cifarBatch([7], pixel));
  const loaded = expectValue(await loadCifar10Folder(dir, { scale: 1 / 255 }));
  const train = loaded.train;
  assert.deepEqual([train.n, train.d, train.classes], [3, 3072, 10]);
  assert.deepEqual([...train.y], [3, 9, 0]);
  assert.deepEqual(train.image, { height: 32, width: 32, channels: 3 });
  assert.deepEqual(train.classNames, CIFAR10_CLASS_NAMES);
  for (const [row, record] of [[0, 0], [1, 1], [2, 2]]) {
    for (const index of [0, 1, 1023, 1024, 2048, 3071]) {
      assert.equal(train.X[row * 3072 + index], Math.fround(pixel(record, index) / 255), `row ${row}, pixel ${index}`);
    }
  }
  assert.equal(loaded.test?.n, 1);
  assert.deepEqual([...(loaded.test?.y ?? [])], [7]);
  assert.deepEqual(await estimateCifar10Folder(dir), { ok: true, value: 4 * (3072 * 4 + 4) });
});

test("missing batches are skipped; none at all is an error", async () => {
  const some = tempFolder("cifar-some");
  write(some, "data_batch_3.bin", cifarBatch([1, 2], pixel));
  const loaded = expectValue(await loadCifar10Folder(some));
  assert.equal(loaded.train.n, 2);
  assert.equal(loaded.test, undefined);

  const onlyTest = tempFolder("cifar-test-only");
  write(onlyTest, "test_batch.bin", cifarBatch([1], pixel));
  const error = expectError(await loadCifar10Folder(onlyTest));
  assert.match(error.message, /no CIFAR-10 training batches \(data_batch_1\.bin … data_batch_5\.bin\) in .*; only test_batch\.bin is there$/);
  assert.match(expectError(await loadCifar10Folder(join(onlyTest, "absent"))).message, /folder not found/);
});

test("a partial record is reported at the byte where it starts", async () => {
  const dir = tempFolder("cifar-partial");
  const bytes = cifarBatch([1, 2], pixel);
  const path = write(dir, "data_batch_1.bin", bytes.subarray(0, 3073 + 100));
  const error = expectError(await loadCifar10Batch(path));
  assert.equal(error.byteOffset, 3073);
  assert.equal(error.file, path);
  assert.equal(error.message, "data_batch_1.bin: 3173 bytes is not a whole number of 3073-byte records: the record at byte 3073 is cut off after 100 bytes");
});

test("a label above 9 is reported with its byte offset", async () => {
  const dir = tempFolder("cifar-label");
  const path = write(dir, "data_batch_1.bin", cifarBatch([1, 4, 12], pixel));
  const error = expectError(await loadCifar10Batch(path));
  assert.equal(error.byteOffset, 6146);
  assert.equal(error.message, "data_batch_1.bin: label 12 at byte 6146 (record 2) is not a CIFAR-10 class (0–9)");
});

test("the size limit is checked from file sizes before reading", async () => {
  const dir = tempFolder("cifar-big");
  write(dir, "data_batch_1.bin", cifarBatch([1, 2, 3], pixel));
  const error = expectError(await loadCifar10Folder(dir, { maxBytes: 20000 }));
  assert.match(error.message, /need 36\.0 KB as float32, more than the data size limit of 19\.5 KB/);
  assert.ok((await loadCifar10Folder(dir, { maxBytes: 3 * 3076 * 4 })).ok);
});
