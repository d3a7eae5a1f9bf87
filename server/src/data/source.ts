// One entry point over the file formats, for the cache and for callers that
// get a data declaration rather than a format: which files a source reads,
// how big it will be, and loading it as splits. Each split is read from the
// source's own files or from files a split setting names (`test "t10k"`); a
// split's own files must agree with the training split (features, image
// size, CSV columns and class names), and every split gets one class count.
import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { CIFAR10_TEST_BATCH, estimateCifar10Batches, findCifar10Files, loadCifar10Batches } from "./cifar10";
import { estimateCsv, loadCsvTable } from "./csv";
import { fail, fileError, ioError, ok } from "./errors";
import { estimateIdxImages, idxClassNames, findIdxFiles, findIdxPrefixPair, findIdxSplitFiles, loadIdxPair, type IdxPair } from "./idx";
import { estimateNpy, loadNpyExamples } from "./npy";
import { withFields } from "./stored-bytes";
import { sizeLimitError } from "./size-limit";
import type { Examples, ImageShape, LoadOptions, Result, SplitName, Splits } from "./types";

/**
 * The file(s) a split setting names, resolved: for idx the images file or the
 * prefix of the pair (`t10k`), for npy the inputs and the `labels`, otherwise
 * one file.
 */
export interface SplitFile {
  path: string;
  labels?: string;
}

export type SplitFiles = Partial<Record<SplitName, SplitFile>>;

export type DataSource = (
  /** A folder with train-/t10k- images and labels, plain or gzipped. */
  | { format: "idx"; path: string }
  /** A cifar-10-batches-bin folder. */
  | { format: "cifar10"; path: string }
  | { format: "csv"; path: string; labelColumn?: string }
  /** `path` holds the inputs, `labels` the labels. */
  | { format: "npy"; path: string; labels: string }
) & {
  /** Splits read from files of their own instead of the source's. */
  splits?: SplitFiles;
};

const SPLIT_NAMES: readonly SplitName[] = ["train", "val", "test"];

/**
 * Where a split setting's names point: inside the folder of a folder source
 * (idx, cifar10), so `test "t10k"` is the folder's t10k pair; beside the
 * .optim file (`baseDirectory`) for csv and npy, like their own files.
 * Absolute paths stay as they are.
 */
export function resolveSplitFile(source: Pick<DataSource, "format" | "path">, baseDirectory: string, names: [string] | [string, string]): SplitFile {
  const base = source.format === "idx" || source.format === "cifar10" ? source.path : baseDirectory;
  const at = (name: string) => (isAbsolute(name) ? name : resolve(base, name));
  return names.length === 2 ? { path: at(names[0]), labels: at(names[1]) } : { path: at(names[0]) };
}

/** What one split reads, and how. */
interface SplitReader {
  /** The files it reads: their mtimes and sizes key the cache. */
  files: string[];
  /** Bytes its examples will take, from headers or file sizes. */
  estimate(): Promise<Result<number>>;
  /** `training`: the training split, already read, for a split's own file to agree with. */
  load(options: LoadOptions, training?: LoadedSplit): Promise<Result<LoadedSplit>>;
  /** Where the features are declared in the first file, for a message when they differ from training's. */
  featuresAt?: number;
  /** True when a split setting names the files. */
  bySetting?: boolean;
}

interface LoadedSplit {
  examples: Examples;
  /** A CSV file's header. */
  columns?: string[];
}

type Readers = { train: SplitReader } & Partial<Record<"val" | "test", SplitReader>>;

function examplesOnly(result: Result<Examples>): Result<LoadedSplit> {
  return result.ok ? ok({ examples: result.value }) : result;
}

function idxReader(pair: IdxPair): SplitReader {
  return {
    files: [pair.images, pair.labels],
    estimate: () => estimateIdxImages(pair.images),
    load: async (options) => {
      const loaded = await loadIdxPair(pair.images, pair.labels, options);
      const classNames = idxClassNames(pair.images);
      if (loaded.ok && classNames && loaded.value.classes <= classNames.length) loaded.value.classNames = classNames.slice(0, loaded.value.classes);
      return examplesOnly(loaded);
    },
    featuresAt: 8, // the rows and columns of an IDX images header
  };
}

function cifar10Reader(batches: string[]): SplitReader {
  return {
    files: batches,
    estimate: () => estimateCifar10Batches(batches),
    load: async (options) => examplesOnly(await loadCifar10Batches(batches, options)),
  };
}

function csvReader(path: string, labelColumn: string | undefined): SplitReader {
  return {
    files: [path],
    estimate: () => estimateCsv(path),
    async load(options, training) {
      const agreeWith = training ? { columns: training.columns, classNames: training.examples.classNames ?? [] } : {};
      const table = await loadCsvTable(path, { ...options, labelColumn, ...agreeWith });
      return table.ok ? ok({ examples: table.value.examples, columns: table.value.columns }) : table;
    },
  };
}

function npyReader(inputs: string, labels: string): SplitReader {
  return {
    files: [inputs, labels],
    estimate: () => estimateNpy(inputs),
    load: async (options) => examplesOnly(await loadNpyExamples(inputs, labels, options)),
  };
}

async function checkFolder(dir: string, what: string): Promise<Result<void>> {
  try {
    if (!(await stat(dir)).isDirectory()) return fileError(dir, `is a file, not a folder of ${what}`);
    return ok(undefined);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return code === "ENOENT" ? fileError(dir, `folder not found (${dir})`) : ioError(dir, cause);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The splits the source's own files hold, leaving out those a split setting names. */
async function ownReaders(source: DataSource): Promise<Result<Partial<Readers>>> {
  const given = source.splits ?? {};
  switch (source.format) {
    case "idx": {
      if (given.train) {
        // The folder's training files are not needed; its test pair is still its test split.
        if (given.test) return ok({});
        const folder = await checkFolder(source.path, "IDX files");
        if (!folder.ok) return folder;
        const test = await findIdxPrefixPair(source.path, "t10k");
        if (!test.ok) return test;
        return ok(test.value ? { test: idxReader(test.value) } : {});
      }
      const files = await findIdxFiles(source.path);
      if (!files.ok) return files;
      const { trainImages, trainLabels, testImages, testLabels } = files.value;
      const readers: Partial<Readers> = { train: idxReader({ images: trainImages, labels: trainLabels }) };
      if (testImages && testLabels && !given.test) readers.test = idxReader({ images: testImages, labels: testLabels });
      return ok(readers);
    }
    case "cifar10": {
      if (given.train) {
        if (given.test) return ok({});
        const folder = await checkFolder(source.path, "CIFAR-10 batches");
        if (!folder.ok) return folder;
        const test = join(source.path, CIFAR10_TEST_BATCH);
        return ok((await isFile(test)) ? { test: cifar10Reader([test]) } : {});
      }
      const files = await findCifar10Files(source.path);
      if (!files.ok) return files;
      const readers: Partial<Readers> = { train: cifar10Reader(files.value.train) };
      if (files.value.test && !given.test) readers.test = cifar10Reader([files.value.test]);
      return ok(readers);
    }
    case "csv":
      return ok(given.train ? {} : { train: csvReader(source.path, source.labelColumn) });
    case "npy":
      return ok(given.train ? {} : { train: npyReader(source.path, source.labels) });
  }
}

/** A split setting's files must be there when its reader is made, so a missing one is blamed on that setting. */
async function splitFileReader(source: DataSource, file: SplitFile): Promise<Result<SplitReader>> {
  const reader = await readerForFile(source, file);
  if (!reader.ok) return reader;
  for (const path of reader.value.files) {
    try {
      if (!(await stat(path)).isFile()) return fileError(path, "is a folder, not a file");
    } catch (cause) {
      return ioError(path, cause);
    }
  }
  return reader;
}

async function readerForFile(source: DataSource, file: SplitFile): Promise<Result<SplitReader>> {
  switch (source.format) {
    case "idx": {
      const pair = await findIdxSplitFiles(file.path);
      return pair.ok ? ok(idxReader(pair.value)) : pair;
    }
    case "cifar10":
      return ok(cifar10Reader([file.path]));
    case "csv":
      return ok(csvReader(file.path, source.labelColumn));
    case "npy":
      return file.labels ? ok(npyReader(file.path, file.labels)) : fileError(file.path, "has no labels file: name both, [\"inputs.npy\", \"labels.npy\"]");
  }
}

/** An error in a split setting's file says which split it is and remembers it, so it can be shown on that setting. */
function inSplit<T>(split: SplitName, result: Result<T>): Result<T> {
  if (result.ok) return result;
  return fail({ ...result.error, message: `${split} split: ${result.error.message}`, split });
}

function namedBySetting(split: SplitName, reader: SplitReader): SplitReader {
  return {
    files: reader.files,
    estimate: async () => inSplit(split, await reader.estimate()),
    load: async (options, training) => inSplit(split, await reader.load(options, training)),
    featuresAt: reader.featuresAt,
    bySetting: true,
  };
}

async function readersOf(source: DataSource): Promise<Result<Readers>> {
  const own = await ownReaders(source);
  if (!own.ok) return own;
  const readers: Partial<Readers> = { ...own.value };
  for (const split of SPLIT_NAMES) {
    const file = source.splits?.[split];
    if (!file) continue;
    const reader = await splitFileReader(source, file);
    if (!reader.ok) return inSplit(split, reader);
    readers[split] = namedBySetting(split, reader.value);
  }
  const { train } = readers;
  if (!train) return fail({ message: "the data set has no training split", file: source.path });
  return ok({ ...readers, train });
}

function presentReaders(readers: Readers): SplitReader[] {
  return SPLIT_NAMES.flatMap((split) => (readers[split] ? [readers[split]] : []));
}

/** The files a source reads (for folders, those present), split files included: their mtimes and sizes key the cache. */
export async function sourceFiles(source: DataSource): Promise<Result<string[]>> {
  const readers = await readersOf(source);
  if (!readers.ok) return readers;
  return ok(presentReaders(readers.value).flatMap((reader) => reader.files));
}

async function estimateReaders(readers: Readers): Promise<Result<number>> {
  let total = 0;
  for (const reader of presentReaders(readers)) {
    const bytes = await reader.estimate();
    if (!bytes.ok) return bytes;
    total += bytes.value;
  }
  return ok(total);
}

/** Bytes the loaded examples of every split will take, read from headers (file sizes for CIFAR-10, a line count for CSV). */
export async function estimateSource(source: DataSource): Promise<Result<number>> {
  const readers = await readersOf(source);
  return readers.ok ? estimateReaders(readers.value) : readers;
}

function imageText(image: ImageShape): string {
  return `${image.height}×${image.width}${image.channels > 1 ? `×${image.channels}` : ""}`;
}

/** A split read from its own file must have the training split's features. */
function agreeWithTraining(split: SplitName, reader: SplitReader, x: Examples, train: Examples): Result<void> {
  const file = reader.files[0];
  const problem = (detail: string): Result<void> => {
    const error = fileError(file, detail, reader.featuresAt);
    return reader.bySetting ? inSplit<void>(split, error) : error;
  };
  if (x.image && train.image && imageText(x.image) !== imageText(train.image)) {
    return problem(`holds images of ${imageText(x.image)}, but the training images are ${imageText(train.image)}`);
  }
  if (x.d !== train.d) return problem(`has ${x.d} features per example, but the training split has ${train.d}`);
  return ok(undefined);
}

/** Every split gets the largest class count, so a class missing from one split still has its index. */
function oneClassCount(splits: Splits): Splits {
  const classes = Math.max(...SPLIT_NAMES.map((split) => splits[split]?.classes ?? 0));
  const result: Splits = { train: withFields(splits.train, { classes }) };
  if (splits.val) result.val = withFields(splits.val, { classes });
  if (splits.test) result.test = withFields(splits.test, { classes });
  return result;
}

/**
 * Every split: the training split first (a CSV split file must repeat its
 * header and class names), then val and test. `maxBytes` covers them all.
 */
export async function loadSource(source: DataSource, options: LoadOptions = {}): Promise<Result<Splits>> {
  const readers = await readersOf(source);
  if (!readers.ok) return readers;
  if (options.maxBytes !== undefined) {
    const total = await estimateReaders(readers.value);
    if (!total.ok) return total;
    const tooBig = sizeLimitError(readers.value.train.files[0], "the examples", total.value, options.maxBytes);
    if (tooBig) return fail(tooBig);
  }
  const train = await readers.value.train.load(options);
  if (!train.ok) return train;
  const splits: Splits = { train: train.value.examples };
  for (const split of ["val", "test"] as const) {
    const reader = readers.value[split];
    if (!reader) continue;
    const loaded = await reader.load(options, train.value);
    if (!loaded.ok) return loaded;
    const agrees = agreeWithTraining(split, reader, loaded.value.examples, train.value.examples);
    if (!agrees.ok) return agrees;
    splits[split] = loaded.value.examples;
  }
  return ok(oneClassCount(splits));
}
