// The data preview's pixels and Fashion-MNIST's class names: images are shown
// as the files hold them, and a folder named after Fashion-MNIST names its
// labels.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FASHION_MNIST_CLASS_NAMES, idxClassNames } from "../../server/src/data/idx";
import type { Examples } from "../../server/src/data/types";
import { pixelRows } from "../../server/src/worker/preview-data";

function examples(rows: number[][]): Examples {
  return { X: Float32Array.from(rows.flat()), y: new Int32Array(rows.length), n: rows.length, d: rows[0].length, classes: 1 };
}

test("bytes are shown as they are, fractions times 255", () => {
  assert.deepEqual(pixelRows(examples([[0, 17, 255], [3, 4, 5]]), 2, 3), [[0, 17, 255], [3, 4, 5]]);
  assert.deepEqual(pixelRows(examples([[0, 0.5, 1], [0.2, 0.2, 0.2]]), 2, 3), [[0, 128, 255], [51, 51, 51]]);
});

test("any other range is stretched over all the rows at once, so a dark row stays dark", () => {
  assert.deepEqual(pixelRows(examples([[-1, 0, 1], [-1, -1, -0.5]]), 2, 3), [[0, 128, 255], [0, 0, 64]]);
});

test("only the pixels of each row are read: a bias column after them is left out", () => {
  assert.deepEqual(pixelRows(examples([[10, 20, 1], [30, 40, 1]]), 2, 2), [[10, 20], [30, 40]]);
});

test("a Fashion-MNIST folder's labels are its ten class names; other IDX folders have none", () => {
  assert.deepEqual(idxClassNames("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"), FASHION_MNIST_CLASS_NAMES);
  assert.deepEqual(idxClassNames("/data/Fashion_MNIST/t10k-images-idx3-ubyte"), FASHION_MNIST_CLASS_NAMES);
  assert.equal(FASHION_MNIST_CLASS_NAMES[9], "Ankle boot");
  assert.equal(idxClassNames("/data/mnist/train-images-idx3-ubyte"), undefined);
});
