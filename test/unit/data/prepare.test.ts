import assert from "node:assert/strict";
import { test } from "node:test";
import { fromRows } from "../../../server/src/data/inline";
import {
  biasTrick,
  createBatchSampler,
  featureMean,
  flatten,
  randomSubset,
  scale,
  splitByCount,
  splitTrainVal,
  subset,
  subtractTrainMean,
  summarize,
  transformValues,
} from "../../../server/src/data/prepare";
import { pixelTable } from "../../../server/src/data/pixels";
import { examplesFromBytes, forEachRowBlock, leadingRows } from "../../../server/src/data/stored-bytes";
import type { Examples } from "../../../server/src/data/types";
import { expectError, expectValue } from "./write-data";

function examples(rows: number[][], labels: number[]): Examples {
  return expectValue(fromRows(rows, labels));
}

/** Row i is [i, 10i]; label i mod 3. */
function numbered(n: number): Examples {
  return examples(
    Array.from({ length: n }, (_, i) => [i, 10 * i]),
    Array.from({ length: n }, (_, i) => i % 3),
  );
}

test("scale, bias trick and flatten return new examples and leave the input alone", () => {
  const x = { ...examples([[1, 2], [3, 4]], [0, 1]), image: { height: 1, width: 2, channels: 1 } };
  const scaled = expectValue(scale(x, 0.5));
  assert.deepEqual([...scaled.X], [0.5, 1, 1.5, 2]);
  assert.deepEqual(scaled.image, x.image);
  assert.deepEqual([...x.X], [1, 2, 3, 4]);
  const biased = biasTrick(x);
  assert.deepEqual([biased.n, biased.d], [2, 3]);
  assert.deepEqual([...biased.X], [1, 2, 1, 3, 4, 1]);
  assert.equal(biased.image, undefined);
  const flat = flatten(x);
  assert.equal(flat.image, undefined);
  assert.equal(flat.X, x.X);
  assert.match(expectError(scale(x, Infinity)).message, /the scale factor must be a finite number/);
});

test("scaling, centring and the bias trick in one pass give the same float32 values as the three steps one after the other", () => {
  // Pixel-like values whose scaled float32 means do not round evenly.
  const rows = (n: number, offset: number) => Array.from({ length: n }, (_, i) => [(i * 37 + offset) % 256, (i * 101 + 7 * offset) % 256, (i * 13) % 256]);
  const train = examples(rows(50, 3), Array.from({ length: 50 }, (_, i) => i % 4));
  const val = examples(rows(7, 11), [0, 1, 2, 3, 0, 1, 2]);
  for (const transform of [{ factor: 1 / 255, center: true, bias: true }, { factor: 1 / 255, center: true }, { center: true, bias: true }, { factor: 0.3 }, { bias: true }]) {
    let stepwise = { train, val };
    if (transform.factor !== undefined) stepwise = { train: expectValue(scale(stepwise.train, transform.factor)), val: expectValue(scale(stepwise.val, transform.factor)) };
    if (transform.center) {
      const centred = expectValue(subtractTrainMean(stepwise)).splits;
      stepwise = { train: centred.train, val: centred.val! };
    }
    if (transform.bias) stepwise = { train: biasTrick(stepwise.train), val: biasTrick(stepwise.val) };
    const fused = expectValue(transformValues({ train, val }, transform));
    assert.deepEqual([...fused.train.X], [...stepwise.train.X], JSON.stringify(transform));
    assert.deepEqual([...fused.val!.X], [...stepwise.val.X], JSON.stringify(transform));
    assert.equal(fused.train.d, stepwise.train.d);
  }
  assert.deepEqual([...train.X.subarray(0, 3)], [3, 21, 0], "inputs untouched");
  assert.match(expectError(transformValues({ train }, { factor: NaN })).message, /the scale factor must be a finite number/);
});

test("inputs kept as bytes are split and transformed without a float32 copy, to the same values", () => {
  const bytes = Uint8Array.from({ length: 60 * 4 }, (_, i) => (i * 53 + 7) % 256);
  const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
  const table = pixelTable(1);
  const stored = () => examplesFromBytes({ y: labels, n: 60, d: 4, classes: 3, image: { height: 2, width: 2, channels: 1 } }, bytes, table);
  const asFloats = examples(Array.from({ length: 60 }, (_, row) => [...bytes.subarray(row * 4, row * 4 + 4)]), [...labels]);
  const counts = { train: 50, val: 6, test: 4 };
  const fromBytes = expectValue(splitTrainVal({ train: stored() }, counts));
  const fromFloats = expectValue(splitTrainVal({ train: asFloats }, counts));
  assert.ok(fromBytes.train.stored && fromBytes.val?.stored && fromBytes.test?.stored, "splits of bytes are bytes");
  assert.equal(fromBytes.val.stored.bytes.buffer, bytes.buffer, "and share them");
  const transform = { factor: 1 / 255, center: true, bias: true };
  const a = expectValue(transformValues(fromBytes, transform));
  const b = expectValue(transformValues(fromFloats, transform));
  for (const split of ["train", "val", "test"] as const) assert.deepEqual([...a[split]!.X], [...b[split]!.X], split);
  const prepared = a.train;
  assert.ok(prepared.stored, "the prepared split is still bytes with a recipe");
  assert.deepEqual([...leadingRows(prepared, 3)], [...b.train.X.subarray(0, 3 * b.train.d)], "its first rows, made alone");
  assert.deepEqual(summarize(prepared), summarize(b.train), "its summary, made in blocks");
  const blocks: number[] = [];
  const sizes: number[] = [];
  forEachRowBlock(prepared, (values, rows) => {
    blocks.push(...values);
    sizes.push(rows);
  }, 7);
  assert.deepEqual(sizes, [7, 7, 7, 7, 7, 7, 7, 1]);
  assert.deepEqual(blocks, [...b.train.X], "blocks of 7 rows, one after another, are X");
  assert.deepEqual([...fromBytes.test.X], [...fromFloats.test!.X], "X, when read, is the bytes' values");
  assert.equal(fromBytes.test.X, fromBytes.test.X, "and is made once");
  // The training split's X was never read: made now, it sees a table changed after the transform.
  table[bytes[0]] = -1;
  assert.equal(fromBytes.train.X[0], -1, "the transform read the bytes, not X");
});

test("mean subtraction uses the training split only and applies it to every split", () => {
  const train = examples([[0, 2], [2, 4]], [0, 1]);
  const val = examples([[100, 100]], [0]);
  const test = examples([[50, -50], [1, 3]], [1, 0]);
  const { splits, mean } = expectValue(subtractTrainMean({ train, val, test }));
  assert.deepEqual([...mean], [1, 3]);
  assert.deepEqual([...featureMean(train)], [1, 3]);
  assert.deepEqual([...splits.train.X], [-1, -1, 1, 1]);
  assert.deepEqual([...(splits.val?.X ?? [])], [99, 97]);
  assert.deepEqual([...(splits.test?.X ?? [])], [49, -53, 0, 0]);
  assert.deepEqual([...val.X], [100, 100], "inputs untouched");
  const wrongWidth = examples([[1, 2, 3]], [0]);
  assert.match(expectError(subtractTrainMean({ train, test: wrongWidth })).message, /^test: the mean has 2 values, but the examples have 3 features of train$/);
});

test("splits by count: train is the first k rows, val the m rows right after", () => {
  const x = numbered(10);
  const { train, val } = expectValue(splitByCount(x, { train: 6, val: 3 }));
  assert.deepEqual([...train.X].filter((_, i) => i % 2 === 0), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...(val?.X ?? [])].filter((_, i) => i % 2 === 0), [6, 7, 8]);
  assert.deepEqual([...(val?.y ?? [])], [0, 1, 2]);
  assert.equal(train.classes, 3);
  assert.equal(expectValue(splitByCount(x, { train: 10 })).val, undefined);
  assert.equal(expectError(splitByCount(x, { train: 8, val: 3 })).message, "train 8 + val 3 = 11 rows, but the data has 10");
  assert.equal(expectError(splitByCount(x, { train: 0 })).message, "train must be at least 1, not 0");
  const test = numbered(2);
  const splits = expectValue(splitTrainVal({ train: x, test }, { train: 5, val: 5 }));
  assert.equal(splits.test, test);
  assert.deepEqual([splits.train.n, splits.val?.n], [5, 5]);
});

test("a test count: rows after train and val, or the first rows of the source's own test split", () => {
  const x = numbered(10);
  const carved = expectValue(splitByCount(x, { train: 5, val: 2, test: 3 }));
  assert.deepEqual([...(carved.test?.X ?? [])].filter((_, i) => i % 2 === 0), [7, 8, 9]);
  assert.equal(expectError(splitByCount(x, { train: 5, val: 2, test: 4 })).message, "train 5 + val 2 + test 4 = 11 rows, but the data has 10");
  const own = numbered(6);
  const kept = expectValue(splitTrainVal({ train: x, test: own }, { train: 8, val: 2, test: 4 }));
  assert.deepEqual([kept.train.n, kept.val?.n, kept.test?.n], [8, 2, 4]);
  assert.deepEqual([...(kept.test?.X ?? [])].filter((_, i) => i % 2 === 0), [0, 1, 2, 3]);
  assert.equal(expectError(splitTrainVal({ train: x, test: own }, { train: 8, test: 7 })).message, "test must be at most 6, not 7");
  const fromTraining = expectValue(splitTrainVal({ train: x }, { train: 6, test: 4 }));
  assert.deepEqual([fromTraining.train.n, fromTraining.val, fromTraining.test?.n], [6, undefined, 4]);
});

test("subsets: the first k rows, or a seeded random sample without repeats", () => {
  const x = numbered(100);
  const first = expectValue(subset(x, { count: 4 }));
  assert.deepEqual([...first.y], [0, 1, 2, 0]);
  const a = expectValue(subset(x, { count: 20, seed: 5 }));
  const b = expectValue(randomSubset(x, 20, 5));
  assert.deepEqual(a.X, b.X);
  assert.notDeepEqual(expectValue(randomSubset(x, 20, 6)).X, a.X);
  const rows = [...a.X].filter((_, i) => i % 2 === 0);
  assert.equal(new Set(rows).size, 20);
  for (let i = 0; i < 20; i++) {
    assert.equal(a.X[2 * i + 1], 10 * a.X[2 * i], "rows stay whole");
    assert.equal(a.y[i], a.X[2 * i] % 3, "labels follow their rows");
  }
  assert.equal(expectError(subset(x, { count: 101 })).message, "the subset size must be at most 100, not 101");
});

test("the minibatch sampler covers each row once per epoch and repeats per seed", () => {
  const sampler = expectValue(createBatchSampler(10, 3));
  const epochOne = [sampler.nextBatch(4), sampler.nextBatch(4), sampler.nextBatch(4)];
  assert.deepEqual(epochOne.map((batch) => batch.length), [4, 4, 2], "the last batch of an epoch is short");
  assert.equal(sampler.epoch, 1);
  assert.deepEqual(epochOne.flatMap((batch) => [...batch]).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const next = sampler.nextBatch(4);
  assert.equal(sampler.epoch, 2);
  assert.equal(next.length, 4);
  const again = expectValue(createBatchSampler(10, 3));
  assert.deepEqual([again.nextBatch(4), again.nextBatch(4), again.nextBatch(4)], epochOne);
  const other = expectValue(createBatchSampler(10, 4));
  assert.notDeepEqual([other.nextBatch(4), other.nextBatch(4)], epochOne.slice(0, 2));
  assert.equal(expectValue(createBatchSampler(3, 0)).nextBatch(99).length, 3, "sizes are clamped to n");
  assert.equal(expectError(createBatchSampler(0, 0)).message, "the number of examples must be at least 1, not 0");
});

test("summarize gives shapes, class counts and the value range", () => {
  const x = { ...numbered(6), image: { height: 1, width: 2, channels: 1 } };
  const summary = summarize(x);
  assert.deepEqual(
    { ...summary, std: Math.round(summary.std * 1000) / 1000 },
    { n: 6, d: 2, classes: 3, classCounts: [2, 2, 2], min: 0, max: 50, mean: 13.75, std: 16.549, image: { height: 1, width: 2, channels: 1 } },
  );
});
