// IDX files (the MNIST and Fashion-MNIST format), plain or gzipped: a 4-byte
// magic number (two zero bytes, a data type byte, a dimension count), the
// dimensions as big-endian uint32, then the values. Only unsigned bytes are
// supported: that is what every MNIST-family data set ships.
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fail, fileError, hex32, ioError, ok } from "./errors";
import { pixelTable } from "./pixels";
import { examplesFromBytes } from "./stored-bytes";
import { readBytes, readHead } from "./read-file";
import { examplesBytes, sizeLimitError } from "./size-limit";
import type { Examples, LoadOptions, Result } from "./types";

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

export type IdxKind = "images" | "labels";

export interface IdxHeader {
  kind: IdxKind;
  /** Dimensions: [count, rows, cols] for images, [count] for labels. */
  dims: number[];
  headerLength: number;
  /** Header plus values. */
  expectedLength: number;
  gzipped: boolean;
}

export interface IdxImages {
  pixels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

const IMAGE_HEADER_LENGTH = 16;

/** Validates the header in `head` (the first bytes of the decompressed contents). */
export function parseIdxHeader(path: string, head: Uint8Array, kind: IdxKind, gzipped: boolean): Result<IdxHeader> {
  const expectedMagic = kind === "images" ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;
  const dimCount = expectedMagic & 0xff;
  const headerLength = 4 + 4 * dimCount;
  const where = gzipped ? " (decompressed)" : "";
  if (head.length < 4) {
    return fileError(path, `is ${head.length} bytes long${where}, too short for an IDX file (the ${kind} header alone is ${headerLength} bytes)`, 0);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    const typeByte = head[2];
    if (head[0] === 0 && head[1] === 0 && head[3] === dimCount && TYPE_NAMES[typeByte] !== undefined) {
      return fileError(path, `data type 0x${typeByte.toString(16).padStart(2, "0")} (${TYPE_NAMES[typeByte]}) at byte 2 is not supported (expected 0x08, unsigned byte)`, 2);
    }
    const other = kind === "images" ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
    const hint = magic === other ? `; this looks like a ${kind === "images" ? "labels" : "images"} file` : "";
    return fileError(path, `wrong magic number ${hex32(magic)} at byte 0 (expected ${hex32(expectedMagic)} for ${kind})${hint}`, 0);
  }
  if (head.length < headerLength) {
    return fileError(path, `truncated header: ${headerLength} bytes expected, but the file has ${head.length}${where}`, head.length);
  }
  const dims: number[] = [];
  for (let i = 0; i < dimCount; i++) dims.push(view.getUint32(4 + 4 * i));
  const names = kind === "images" ? ["image count", "rows", "columns"] : ["label count"];
  for (let i = 0; i < dimCount; i++) {
    if (dims[i] === 0) return fileError(path, `${names[i]} at byte ${4 + 4 * i} is 0`, 4 + 4 * i);
  }
  let values = 1;
  for (const dim of dims) values *= dim;
  return ok({ kind, dims, headerLength, expectedLength: headerLength + values, gzipped });
}

/** Reads only the header: for size estimates without loading the data. */
export async function readIdxHeader(path: string, kind: IdxKind): Promise<Result<IdxHeader>> {
  const head = await readHead(path, IMAGE_HEADER_LENGTH);
  if (!head.ok) return head;
  return parseIdxHeader(path, head.value.bytes, kind, head.value.gzipped);
}

function describeImages(count: number, rows: number, cols: number): string {
  return `${count} images of ${rows}×${cols}`;
}

async function readIdx(path: string, kind: IdxKind, checkSize?: (header: IdxHeader) => Result<void>): Promise<Result<{ header: IdxHeader; bytes: Uint8Array }>> {
  // Header first, from the start of the file only: the size check must come before reading or inflating the rest.
  const header = await readIdxHeader(path, kind);
  if (!header.ok) return header;
  if (checkSize) {
    const allowed = checkSize(header.value);
    if (!allowed.ok) return allowed;
  }
  const contents = await readBytes(path, header.value.expectedLength);
  if (!contents.ok) return contents;
  const { bytes } = contents.value;
  const { expectedLength, dims } = header.value;
  const where = header.value.gzipped ? " (decompressed)" : "";
  const what = kind === "images" ? describeImages(dims[0], dims[1], dims[2]) : `${dims[0]} labels`;
  if (bytes.length < expectedLength) {
    return fileError(path, `truncated: ${what} need ${expectedLength} bytes, but the file has ${bytes.length}${where}`, bytes.length);
  }
  if (bytes.length > expectedLength) {
    return fileError(path, `unexpected bytes after the last of ${what} at byte ${expectedLength} (the file should be ${expectedLength} bytes${where})`, expectedLength);
  }
  return ok({ header: header.value, bytes });
}

export async function loadIdxImages(path: string, options: LoadOptions = {}): Promise<Result<IdxImages>> {
  const read = await readIdx(path, "images", (header) => checkImageSize(path, header, options.maxBytes));
  if (!read.ok) return read;
  const [count, rows, cols] = read.value.header.dims;
  return ok({ pixels: read.value.bytes.subarray(IMAGE_HEADER_LENGTH), count, rows, cols });
}

export async function loadIdxLabels(path: string): Promise<Result<Uint8Array>> {
  const read = await readIdx(path, "labels");
  if (!read.ok) return read;
  return ok(read.value.bytes.subarray(read.value.header.headerLength));
}

function checkImageSize(path: string, header: IdxHeader, maxBytes: number | undefined): Result<void> {
  const [count, rows, cols] = header.dims;
  const error = sizeLimitError(path, describeImages(count, rows, cols), examplesBytes(count, rows * cols), maxBytes);
  return error ? fail(error) : ok(undefined);
}

/**
 * Images and their labels as examples. Pixels become float32 times
 * `options.scale` (default 1, so 0…255). `classes` is max label + 1 unless
 * given (the folder loader passes the maximum over train and test).
 */
export async function loadIdxPair(imagesPath: string, labelsPath: string, options: LoadOptions & { classes?: number } = {}): Promise<Result<Examples>> {
  const [images, labels] = await Promise.all([loadIdxImages(imagesPath, options), loadIdxLabels(labelsPath)]);
  if (!images.ok) return images;
  if (!labels.ok) return labels;
  return pairExamples(imagesPath, images.value, labelsPath, labels.value, options.scale ?? 1, options.classes);
}

function pairExamples(imagesPath: string, images: IdxImages, labelsPath: string, labels: Uint8Array, scale: number, classes?: number): Result<Examples> {
  const { count, rows, cols } = images;
  if (labels.length !== count) {
    return fileError(labelsPath, `${labels.length} labels, but ${basename(imagesPath)} has ${count} images`);
  }
  const y = new Int32Array(count);
  let maxLabel = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    y[i] = label;
    if (label > maxLabel) maxLabel = label;
  }
  const d = rows * cols;
  return ok(examplesFromBytes({ y, n: count, d, classes: Math.max(classes ?? 0, maxLabel + 1), image: { height: rows, width: cols, channels: 1 } }, images.pixels, pixelTable(scale)));
}

/** Fashion-MNIST's labels 0…9 (zalandoresearch/fashion-mnist). */
export const FASHION_MNIST_CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/**
 * IDX files carry no class names, and Fashion-MNIST's are in the same format
 * as MNIST's digits; a folder named after Fashion-MNIST says which it is.
 */
export function idxClassNames(imagesPath: string): string[] | undefined {
  return /fashion[-_]?mnist/i.test(basename(dirname(imagesPath))) ? [...FASHION_MNIST_CLASS_NAMES] : undefined;
}

export const IDX_FILE_NAMES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

export interface IdxFolderFiles {
  trainImages: string;
  trainLabels: string;
  testImages?: string;
  testLabels?: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The plain file if present (no inflating needed), else the `.gz` one. */
async function findIdxFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (await isFile(path)) return path;
  }
  return undefined;
}

/** Finds the four MNIST-style files; the test pair is optional, but not half of it. */
export async function findIdxFiles(dir: string): Promise<Result<IdxFolderFiles>> {
  try {
    if (!(await stat(dir)).isDirectory()) return fileError(dir, "is a file, not a folder of IDX files");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return code === "ENOENT" ? fileError(dir, `folder not found (${dir})`) : ioError(dir, cause);
  }
  const [trainImages, trainLabels, testPair] = await Promise.all([findIdxFile(dir, IDX_FILE_NAMES.trainImages), findIdxFile(dir, IDX_FILE_NAMES.trainLabels), findIdxPrefixPair(dir, "t10k")]);
  if (!trainImages) return fileError(dir, `no ${IDX_FILE_NAMES.trainImages} or ${IDX_FILE_NAMES.trainImages}.gz in ${dir}`);
  if (!trainLabels) return fileError(dir, `no ${IDX_FILE_NAMES.trainLabels} or ${IDX_FILE_NAMES.trainLabels}.gz in ${dir}`);
  if (!testPair.ok) return testPair;
  const files: IdxFolderFiles = { trainImages, trainLabels };
  if (testPair.value) {
    files.testImages = testPair.value.images;
    files.testLabels = testPair.value.labels;
  }
  return ok(files);
}

export interface IdxPair {
  images: string;
  labels: string;
}

/**
 * `PREFIX-images-idx3-ubyte` and `PREFIX-labels-idx1-ubyte` in `dir`, each
 * plain or gzipped: undefined when neither is there, an error when only one is.
 */
export async function findIdxPrefixPair(dir: string, prefix: string): Promise<Result<IdxPair | undefined>> {
  const imagesName = `${prefix}-images-idx3-ubyte`;
  const labelsName = `${prefix}-labels-idx1-ubyte`;
  const [images, labels] = await Promise.all([findIdxFile(dir, imagesName), findIdxFile(dir, labelsName)]);
  if (images && !labels) return fileError(images, `has no labels: ${labelsName}[.gz] is missing`);
  if (labels && !images) return fileError(labels, `has no images: ${imagesName}[.gz] is missing`);
  return ok(images && labels ? { images, labels } : undefined);
}

/**
 * The pair a split setting names: the prefix both files share (`t10k`), or
 * the images file itself (`t10k-images-idx3-ubyte.gz`), whose labels file is
 * named alike with `labels` for `images` and `idx1` for `idx3`, plain or gzipped.
 */
export async function findIdxSplitFiles(path: string): Promise<Result<IdxPair>> {
  const dir = dirname(path);
  const name = basename(path);
  const at = name.lastIndexOf("images");
  if (at < 0) {
    const pair = await findIdxPrefixPair(dir, name);
    if (!pair.ok) return pair;
    if (!pair.value) return fileError(path, `no ${name}-images-idx3-ubyte[.gz] or ${name}-labels-idx1-ubyte[.gz] in ${dir}`);
    return ok(pair.value);
  }
  try {
    if (!(await stat(path)).isFile()) return fileError(path, "is a folder, not an IDX images file");
  } catch (cause) {
    return ioError(path, cause);
  }
  const labelsName = `${name.slice(0, at)}labels${name.slice(at + "images".length).replace("idx3", "idx1")}`.replace(/\.gz$/, "");
  const labels = await findIdxFile(dir, labelsName);
  if (!labels) return fileError(path, `has no labels: ${labelsName}[.gz] is missing`);
  return ok({ images: path, labels });
}

/** Bytes an images file's examples will take, from its header alone. */
export async function estimateIdxImages(path: string): Promise<Result<number>> {
  const header = await readIdxHeader(path, "images");
  if (!header.ok) return header;
  const [count, rows, cols] = header.value.dims;
  return ok(examplesBytes(count, rows * cols));
}

/** Bytes the folder's examples will take, from the image headers alone. */
export async function estimateIdxFolder(dir: string): Promise<Result<number>> {
  const files = await findIdxFiles(dir);
  if (!files.ok) return files;
  let total = 0;
  for (const path of [files.value.trainImages, files.value.testImages]) {
    if (!path) continue;
    const bytes = await estimateIdxImages(path);
    if (!bytes.ok) return bytes;
    total += bytes.value;
  }
  return ok(total);
}

/**
 * A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte and
 * optionally the t10k pair, each plain or gzipped. `maxBytes` applies to
 * train and test together; both splits get the same class count.
 */
export async function loadIdxFolder(dir: string, options: LoadOptions = {}): Promise<Result<{ train: Examples; test?: Examples }>> {
  const files = await findIdxFiles(dir);
  if (!files.ok) return files;
  const { trainImages, trainLabels, testImages, testLabels } = files.value;
  if (options.maxBytes !== undefined) {
    const estimate = await estimateIdxFolder(dir);
    if (!estimate.ok) return estimate;
    const what = testImages ? "train and test images" : "train images";
    const error = sizeLimitError(trainImages, what, estimate.value, options.maxBytes);
    if (error) return fail(error);
  }
  const scale = options.scale ?? 1;
  const [trainSet, testSet] = await Promise.all([
    loadRawPair(trainImages, trainLabels),
    testImages && testLabels ? loadRawPair(testImages, testLabels) : Promise.resolve(undefined),
  ]);
  if (!trainSet.ok) return trainSet;
  if (testSet && !testSet.ok) return testSet;
  const classes = Math.max(maxOf(trainSet.value.labels), testSet?.ok ? maxOf(testSet.value.labels) : 0) + 1;
  const train = pairExamples(trainImages, trainSet.value.images, trainLabels, trainSet.value.labels, scale, classes);
  if (!train.ok) return train;
  if (!testSet || !testImages || !testLabels) return ok({ train: train.value });
  const test = pairExamples(testImages, testSet.value.images, testLabels, testSet.value.labels, scale, classes);
  if (!test.ok) return test;
  return ok({ train: train.value, test: test.value });
}

async function loadRawPair(imagesPath: string, labelsPath: string): Promise<Result<{ images: IdxImages; labels: Uint8Array }>> {
  const [images, labels] = await Promise.all([loadIdxImages(imagesPath), loadIdxLabels(labelsPath)]);
  if (!images.ok) return images;
  if (!labels.ok) return labels;
  return ok({ images: images.value, labels: labels.value });
}

function maxOf(labels: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max;
}
