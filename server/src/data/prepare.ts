// Preprocessing and splits as pure functions: each returns new examples and
// leaves its input untouched, so a cached raw data set can feed any number of
// preparations. Order of operations is the caller's (the CS231n notebooks:
// split, subtract the train mean, then the bias trick).
import { fail, ok } from "./errors";
import { sampleIndices, createRng } from "./random";
import type { Examples, Result, Splits } from "./types";
import { forEachRowBlock, storedRowRange, transformStored } from "./stored-bytes";
import { checkCount, checkFinite } from "./validate";

export { createBatchSampler, type BatchSampler } from "./batches";
export { summarize, type Summary } from "./summary";

function withData(x: Examples, X: Float32Array, d: number, keepImage: boolean): Examples {
  return { X, ...shapedFields(x, d, keepImage) };
}

/** The fields of examples whose rows now have `d` values: the image geometry kept, moved to imageColumns, or dropped. */
function shapedFields(x: Examples, d: number, keepImage: boolean): Omit<Examples, "X"> {
  const result: Omit<Examples, "X"> = { y: x.y, n: x.n, d, classes: x.classes };
  if (keepImage && x.image) result.image = { ...x.image };
  // Rows that grew a column (the bias trick) still begin with the image; later steps keep that.
  if (!result.image && x.imageColumns && d >= x.d) result.imageColumns = { ...x.imageColumns };
  else if (!result.image && x.image && d > x.d) result.imageColumns = { ...x.image };
  if (x.classNames) result.classNames = x.classNames;
  return result;
}

/** Every input value times `factor` (e.g. 1/255). Labels are shared, not copied: nothing here mutates them. */
export function scale(x: Examples, factor: number): Result<Examples> {
  const checked = checkFinite("the scale factor", factor);
  if (!checked.ok) return checked;
  const X = new Float32Array(x.X.length);
  for (let i = 0; i < X.length; i++) X[i] = x.X[i] * factor;
  return ok(withData(x, X, x.d, true));
}

/** Per-column mean, accumulated in float64 (float32 sums drift over 50,000 rows). */
export function featureMean(x: Examples): Float32Array {
  return columnMeans(x);
}

/** Per-column mean of the values times `factor`, each rounded to float32 as scale() stores it, summed in float64 in row order. */
function columnMeans(x: Examples, factor = 1): Float32Array {
  // Plain locals in the loop: examples with inputs still bytes are objects V8 reads slowly.
  const { d, n } = x;
  const sums = new Float64Array(d);
  forEachRowBlock(x, (values, rows) => {
    for (let row = 0; row < rows; row++) {
      const base = row * d;
      for (let column = 0; column < d; column++) sums[column] += Math.fround(values[base + column] * factor);
    }
  });
  const mean = new Float32Array(d);
  for (let column = 0; column < d; column++) mean[column] = n > 0 ? sums[column] / n : 0;
  return mean;
}

export function subtractMean(x: Examples, mean: Float32Array): Result<Examples> {
  if (mean.length !== x.d) return fail({ message: `the mean has ${mean.length} values, but the examples have ${x.d} features` });
  const X = new Float32Array(x.X.length);
  for (let row = 0; row < x.n; row++) {
    const base = row * x.d;
    for (let column = 0; column < x.d; column++) X[base + column] = x.X[base + column] - mean[column];
  }
  return ok(withData(x, X, x.d, true));
}

/**
 * Mean subtraction the right way round: the mean comes from the training
 * split only (validation and test must not leak into it) and is subtracted
 * from every split.
 */
export function subtractTrainMean(splits: Splits): Result<{ splits: Splits; mean: Float32Array }> {
  const mean = featureMean(splits.train);
  const result: Partial<Splits> = {};
  for (const name of ["train", "val", "test"] as const) {
    const part = splits[name];
    if (!part) continue;
    const subtracted = subtractMean(part, mean);
    if (!subtracted.ok) return fail({ message: `${name}: ${subtracted.error.message} of train` });
    result[name] = subtracted.value;
  }
  return ok({ splits: result as Splits, mean });
}

/** Appends a constant column (1 by default) so the bias folds into the weights: d grows by one and the rows stop being images. */
export function biasTrick(x: Examples, value = 1): Examples {
  const d = x.d + 1;
  const X = new Float32Array(x.n * d);
  for (let row = 0; row < x.n; row++) {
    X.set(x.X.subarray(row * x.d, (row + 1) * x.d), row * d);
    X[row * d + x.d] = value;
  }
  return withData(x, X, d, false);
}

export interface ValueTransform {
  /** Multiplies every value first (e.g. 1/255). */
  factor?: number;
  /** Subtracts the training split's per-column mean (of the scaled values) from every split. */
  center?: boolean;
  /** Appends a column of ones. */
  bias?: boolean;
}

/**
 * Scaling, mean subtraction and the bias trick in one pass per split, into
 * one new array each: the same float32 values as scale, subtractTrainMean and
 * biasTrick one after the other, without the two intermediate copies (for
 * Fashion-MNIST, 190 MB each and most of the time it takes to open a file).
 */
export function transformValues(splits: Splits, transform: ValueTransform): Result<Splits> {
  const factor = transform.factor ?? 1;
  const checked = checkFinite("the scale factor", factor);
  if (!checked.ok) return checked;
  const train = splits.train;
  // Bytes as stored stay bytes: the transform becomes their recipe, and X is made only if read.
  const raw = (x: Examples) => x.stored !== undefined && x.stored.offsets === undefined && !x.stored.bias;
  const mean = !transform.center ? undefined : raw(train) ? columnMeans(transformStored(shapedFields(train, train.d, true), train.stored!, factor, undefined, false)) : columnMeans(train, factor);
  const result: Partial<Splits> = {};
  for (const name of ["train", "val", "test"] as const) {
    const x = splits[name];
    if (!x) continue;
    if (x.d !== train.d) return fail({ message: `${name}: the mean has ${train.d} values, but the examples have ${x.d} features of train` });
    const bias = transform.bias ?? false;
    result[name] = raw(x) ? transformStored(shapedFields(x, bias ? x.d + 1 : x.d, !bias), x.stored!, factor, mean, bias) : transformFloats(x, factor, mean, bias);
  }
  return ok(result as Splits);
}

function transformFloats(x: Examples, factor: number, mean: Float32Array | undefined, bias: boolean): Examples {
  const d = bias ? x.d + 1 : x.d;
  const X = new Float32Array(x.n * d);
  for (let row = 0; row < x.n; row++) {
    const from = row * x.d;
    const to = row * d;
    if (mean) for (let column = 0; column < x.d; column++) X[to + column] = Math.fround(x.X[from + column] * factor) - mean[column];
    else for (let column = 0; column < x.d; column++) X[to + column] = x.X[from + column] * factor;
    if (bias) X[to + x.d] = 1;
  }
  return withData(x, X, d, !bias);
}

/** Images are stored as rows already; flattening only forgets the image geometry. Shares the data. */
export function flatten(x: Examples): Examples {
  return withData(x, x.X, x.d, false);
}

/** The rows at `indices`, in that order (indices must be in range: callers build them). */
export function takeRows(x: Examples, indices: ArrayLike<number>): Examples {
  const X = new Float32Array(indices.length * x.d);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    X.set(x.X.subarray(row * x.d, (row + 1) * x.d), i * x.d);
    y[i] = x.y[row];
  }
  const result = withData(x, X, x.d, true);
  result.y = y;
  result.n = indices.length;
  return result;
}

/** A view of consecutive rows: nothing here writes into examples, so a split shares its rows with the data set it comes from. */
function rowRange(x: Examples, start: number, count: number): Examples {
  if (x.stored) return storedRowRange(x, x.stored, start, count);
  const result = withData(x, x.X.subarray(start * x.d, (start + count) * x.d), x.d, true);
  result.y = x.y.subarray(start, start + count);
  result.n = count;
  return result;
}

/**
 * Splits by count, as the CS231n notebooks do: train is the first `train`
 * rows, val the `val` rows right after them, test the `test` rows after
 * those; the rows after them are left out. Order is the file's, so shuffle
 * first (randomSubset) if it is sorted.
 */
export function splitByCount(x: Examples, counts: { train: number; val?: number; test?: number }): Result<{ train: Examples; val?: Examples; test?: Examples }> {
  const train = checkCount("train", counts.train, 1, x.n);
  if (!train.ok) return train;
  const val = checkCount("val", counts.val ?? 0, 0, x.n);
  if (!val.ok) return val;
  const test = checkCount("test", counts.test ?? 0, 0, x.n);
  if (!test.ok) return test;
  const total = train.value + val.value + test.value;
  if (total > x.n) {
    const parts = [`train ${train.value}`, `val ${val.value}`, ...(test.value > 0 ? [`test ${test.value}`] : [])];
    return fail({ message: `${parts.join(" + ")} = ${total} rows, but the data has ${x.n}` });
  }
  const result: { train: Examples; val?: Examples; test?: Examples } = { train: rowRange(x, 0, train.value) };
  if (val.value > 0) result.val = rowRange(x, train.value, val.value);
  if (test.value > 0) result.test = rowRange(x, train.value + val.value, test.value);
  return ok(result);
}

/**
 * Splits the training part of `splits` into train and val, and test when the
 * source has no test files of its own (see splitByCount). A test count for a
 * source with test files keeps the first rows of them; a val read from its
 * own file is kept when no val count is given.
 */
export function splitTrainVal(splits: Splits, counts: { train: number; val?: number; test?: number }): Result<Splits> {
  if (counts.val !== undefined && splits.val) return fail({ message: "val is read from its own file, so it cannot also be a count of training examples" });
  const ownTest = splits.test;
  const parts = splitByCount(splits.train, ownTest ? { train: counts.train, ...(counts.val !== undefined ? { val: counts.val } : {}) } : counts);
  if (!parts.ok) return parts;
  const result: Splits = { train: parts.value.train };
  const val = parts.value.val ?? splits.val;
  if (val) result.val = val;
  if (ownTest && counts.test !== undefined) {
    const checked = checkCount("test", counts.test, 1, ownTest.n);
    if (!checked.ok) return checked;
    result.test = rowRange(ownTest, 0, checked.value);
  } else if (ownTest) result.test = ownTest;
  else if (parts.value.test) result.test = parts.value.test;
  return ok(result);
}

/** The first `count` rows. */
export function firstRows(x: Examples, count: number): Result<Examples> {
  const checked = checkCount("the subset size", count, 1, x.n);
  if (!checked.ok) return checked;
  return ok(rowRange(x, 0, count));
}

/** `count` distinct rows drawn with the seed, in the drawn order (like np.random.choice(n, count, replace=False)). */
export function randomSubset(x: Examples, count: number, seed: number): Result<Examples> {
  const checked = checkCount("the subset size", count, 1, x.n);
  if (!checked.ok) return checked;
  const seedChecked = checkFinite("seed", seed);
  if (!seedChecked.ok) return seedChecked;
  return ok(takeRows(x, sampleIndices(x.n, count, createRng(seed))));
}

/** A subset: the first `count` rows, or a seeded random sample when `seed` is given. */
export function subset(x: Examples, options: { count: number; seed?: number }): Result<Examples> {
  return options.seed === undefined ? firstRows(x, options.count) : randomSubset(x, options.count, options.seed);
}
