// One entry point over the file formats, for the cache and for callers that
// get a data declaration rather than a format: which files a source reads,
// how big it will be, and loading it as splits.
import { findCifar10Files, estimateCifar10Folder, loadCifar10Folder } from "./cifar10";
import { estimateCsv, loadCsv } from "./csv";
import { ok } from "./errors";
import { estimateIdxFolder, findIdxFiles, loadIdxFolder } from "./idx";
import { estimateNpy, loadNpyExamples } from "./npy";
import type { LoadOptions, Result, Splits } from "./types";

export type DataSource =
  /** A folder with train-/t10k- images and labels, plain or gzipped. */
  | { format: "idx"; path: string }
  /** A cifar-10-batches-bin folder. */
  | { format: "cifar10"; path: string }
  | { format: "csv"; path: string; labelColumn?: string }
  /** `path` holds the inputs, `labels` the labels. */
  | { format: "npy"; path: string; labels: string };

/** The files a source reads (for folders, those present): their mtimes and sizes key the cache. */
export async function sourceFiles(source: DataSource): Promise<Result<string[]>> {
  switch (source.format) {
    case "idx": {
      const files = await findIdxFiles(source.path);
      if (!files.ok) return files;
      const { trainImages, trainLabels, testImages, testLabels } = files.value;
      return ok([trainImages, trainLabels, ...(testImages && testLabels ? [testImages, testLabels] : [])]);
    }
    case "cifar10": {
      const files = await findCifar10Files(source.path);
      if (!files.ok) return files;
      return ok([...files.value.train, ...(files.value.test ? [files.value.test] : [])]);
    }
    case "csv":
      return ok([source.path]);
    case "npy":
      return ok([source.path, source.labels]);
  }
}

/** Bytes the loaded examples will take, read from headers (file sizes for CIFAR-10, a line count for CSV). */
export function estimateSource(source: DataSource): Promise<Result<number>> {
  switch (source.format) {
    case "idx":
      return estimateIdxFolder(source.path);
    case "cifar10":
      return estimateCifar10Folder(source.path);
    case "csv":
      return estimateCsv(source.path);
    case "npy":
      return estimateNpy(source.path);
  }
}

export async function loadSource(source: DataSource, options: LoadOptions = {}): Promise<Result<Splits>> {
  switch (source.format) {
    case "idx":
      return loadIdxFolder(source.path, options);
    case "cifar10":
      return loadCifar10Folder(source.path, options);
    case "csv": {
      const train = await loadCsv(source.path, { ...options, labelColumn: source.labelColumn });
      return train.ok ? ok({ train: train.value }) : train;
    }
    case "npy": {
      const train = await loadNpyExamples(source.path, source.labels, options);
      return train.ok ? ok({ train: train.value }) : train;
    }
  }
}
