// CIFAR-10 binary batches: records of 1 label byte and 3072 pixel bytes (a
// 32×32 red plane, then green, then blue). Rows keep that channel-planar
// order, which is also what the CS231n code gets after its reshape.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fail, fileError, ioError, ok } from "./errors";
import { bytesToFloat32, pixelTable } from "./pixels";
import { readRaw } from "./read-file";
import { examplesBytes, sizeLimitError } from "./size-limit";
import type { Examples, LoadOptions, Result } from "./types";

export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_PIXELS = 3072;
export const CIFAR10_CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
export const CIFAR10_TRAIN_BATCHES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
export const CIFAR10_TEST_BATCH = "test_batch.bin";

const IMAGE = { height: 32, width: 32, channels: 3 };

/** Checks record framing and labels without converting anything. */
function checkBatch(path: string, bytes: Uint8Array): Result<number> {
  const partial = bytes.length % CIFAR10_RECORD_BYTES;
  if (partial !== 0) {
    const start = bytes.length - partial;
    return fileError(
      path,
      `${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records: the record at byte ${start} is cut off after ${partial} bytes`,
      start,
    );
  }
  if (bytes.length === 0) return fileError(path, "is empty", 0);
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  for (let record = 0; record < count; record++) {
    const offset = record * CIFAR10_RECORD_BYTES;
    if (bytes[offset] > 9) {
      return fileError(path, `label ${bytes[offset]} at byte ${offset} (record ${record}) is not a CIFAR-10 class (0–9)`, offset);
    }
  }
  return ok(count);
}

function fillRecords(bytes: Uint8Array, count: number, X: Float32Array, y: Int32Array, firstRow: number, table: Float32Array): void {
  for (let record = 0; record < count; record++) {
    const offset = record * CIFAR10_RECORD_BYTES;
    y[firstRow + record] = bytes[offset];
    bytesToFloat32(bytes.subarray(offset + 1, offset + CIFAR10_RECORD_BYTES), X, (firstRow + record) * CIFAR10_PIXELS, table);
  }
}

/** Several batch files as one set of examples, in the order given. */
export async function loadCifar10Batches(paths: string[], options: LoadOptions = {}): Promise<Result<Examples>> {
  const sizes = await fileSizes(paths);
  if (!sizes.ok) return sizes;
  // File sizes give the exact count before reading: refuse early.
  const records = sizes.value.reduce((sum, size) => sum + Math.floor(size / CIFAR10_RECORD_BYTES), 0);
  const tooBig = sizeLimitError(paths[0], `${records} CIFAR-10 images`, examplesBytes(records, CIFAR10_PIXELS), options.maxBytes);
  if (tooBig) return fail(tooBig);
  const contents: Uint8Array[] = [];
  let n = 0;
  for (const path of paths) {
    const raw = await readRaw(path);
    if (!raw.ok) return raw;
    const count = checkBatch(path, raw.value);
    if (!count.ok) return count;
    contents.push(raw.value);
    n += count.value;
  }
  const X = new Float32Array(n * CIFAR10_PIXELS);
  const y = new Int32Array(n);
  const table = pixelTable(options.scale ?? 1);
  let row = 0;
  for (const bytes of contents) {
    const count = bytes.length / CIFAR10_RECORD_BYTES;
    fillRecords(bytes, count, X, y, row, table);
    row += count;
  }
  return ok({ X, y, n, d: CIFAR10_PIXELS, classes: 10, image: { ...IMAGE }, classNames: [...CIFAR10_CLASS_NAMES] });
}

export function loadCifar10Batch(path: string, options: LoadOptions = {}): Promise<Result<Examples>> {
  return loadCifar10Batches([path], options);
}

async function fileSizes(paths: string[]): Promise<Result<number[]>> {
  const sizes: number[] = [];
  for (const path of paths) {
    try {
      sizes.push((await stat(path)).size);
    } catch (cause) {
      return ioError(path, cause);
    }
  }
  return ok(sizes);
}

export interface Cifar10Files {
  train: string[];
  test?: string;
}

/** The batches present in `dir`; missing training batches are skipped, but at least one is required. */
export async function findCifar10Files(dir: string): Promise<Result<Cifar10Files>> {
  try {
    if (!(await stat(dir)).isDirectory()) return fileError(dir, "is a file, not a folder of CIFAR-10 batches");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return code === "ENOENT" ? fileError(dir, `folder not found (${dir})`) : ioError(dir, cause);
  }
  const present = async (name: string) => {
    try {
      return (await stat(join(dir, name))).isFile() ? join(dir, name) : undefined;
    } catch {
      return undefined;
    }
  };
  const train = (await Promise.all(CIFAR10_TRAIN_BATCHES.map(present))).filter((path): path is string => path !== undefined);
  const test = await present(CIFAR10_TEST_BATCH);
  if (train.length === 0) {
    return fileError(dir, `no CIFAR-10 training batches (data_batch_1.bin … data_batch_5.bin) in ${dir}${test ? "; only test_batch.bin is there" : ""}`);
  }
  return ok(test ? { train, test } : { train });
}

/** Bytes the batches' examples will take, from file sizes alone. */
export async function estimateCifar10Batches(paths: string[]): Promise<Result<number>> {
  const sizes = await fileSizes(paths);
  if (!sizes.ok) return sizes;
  const records = sizes.value.reduce((sum, size) => sum + Math.ceil(size / CIFAR10_RECORD_BYTES), 0);
  return ok(examplesBytes(records, CIFAR10_PIXELS));
}

/** Bytes the folder's examples will take, from file sizes alone. */
export async function estimateCifar10Folder(dir: string): Promise<Result<number>> {
  const files = await findCifar10Files(dir);
  if (!files.ok) return files;
  return estimateCifar10Batches([...files.value.train, ...(files.value.test ? [files.value.test] : [])]);
}

/**
 * A `cifar-10-batches-bin` folder: train is every data_batch_k.bin present,
 * in order; test is test_batch.bin if present. `maxBytes` covers both.
 */
export async function loadCifar10Folder(dir: string, options: LoadOptions = {}): Promise<Result<{ train: Examples; test?: Examples }>> {
  const files = await findCifar10Files(dir);
  if (!files.ok) return files;
  if (options.maxBytes !== undefined) {
    const estimate = await estimateCifar10Folder(dir);
    if (!estimate.ok) return estimate;
    const tooBig = sizeLimitError(files.value.train[0], "the CIFAR-10 batches", estimate.value, options.maxBytes);
    if (tooBig) return fail(tooBig);
  }
  const train = await loadCifar10Batches(files.value.train, options);
  if (!train.ok) return train;
  if (!files.value.test) return ok({ train: train.value });
  const test = await loadCifar10Batch(files.value.test, options);
  if (!test.ok) return test;
  return ok({ train: train.value, test: test.value });
}
