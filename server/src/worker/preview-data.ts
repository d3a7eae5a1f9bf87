// What the data preview panel shows: each split's summary (of the examples as
// prepared), and the first training examples as the files hold them, as
// images when the data has an image shape: a user recognises a picture, not
// its mean-subtracted, rescaled version.
import { leadingRows } from "../data/stored-bytes";
import type { Examples } from "../data/types";
import type { PreviewDataRequest } from "../protocol";
import type { DataDeclaration, DataLoader } from "./run-check";

const sampleCount = 24;

/**
 * The first rows' values as 0–255 pixels. Bytes (0…255) are shown as they
 * are and fractions (0…1) times 255; any other range is stretched as a whole,
 * never image by image, so a dark image stays darker than a bright one.
 */
export function pixelRows(examples: Examples, rows: number, pixels: number): number[][] {
  const rowsX = leadingRows(examples, rows);
  const values = Array.from({ length: rows }, (_, row) => rowsX.subarray(row * examples.d, row * examples.d + pixels));
  let low = Infinity;
  let high = -Infinity;
  for (const row of values) {
    for (const value of row) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  const toPixel = low >= 0 && high <= 1 ? (value: number) => value * 255 : low >= 0 && high <= 255 ? (value: number) => value : (value: number) => (255 * (value - low)) / (high - low || 1);
  return values.map((row) => Array.from(row, (value) => Math.min(255, Math.max(0, Math.round(toPixel(value))))));
}

/** `load` gives the prepared examples, `loadAsStored` the same rows before their values were changed. */
export async function previewData(declaration: DataDeclaration, load: DataLoader, loadAsStored: DataLoader): Promise<PreviewDataRequest.Result> {
  const name = declaration.name.text;
  const loaded = await load(declaration);
  if (!loaded.ok) return { name, problem: loaded.message, splits: [] };
  const splits = (["train", "val", "test"] as const).flatMap((split) => {
    const summary = loaded.summary[split];
    return summary ? [{ split, n: summary.n, d: summary.d, classes: summary.classes, min: summary.min, max: summary.max, mean: summary.mean, classCounts: summary.classCounts }] : [];
  });
  const stored = await loadAsStored(declaration);
  const train = stored.ok ? stored.splits.train : loaded.splits.train;
  const count = Math.min(sampleCount, train.n);
  const result: PreviewDataRequest.Result = { name, splits, classNames: train.classNames };
  const image = train.image ?? train.imageColumns;
  if (image) {
    const { height, width, channels } = image;
    const pixels = pixelRows(train, count, height * width * channels);
    result.images = { height, width, channels, samples: pixels.map((row, index) => ({ label: train.y[index], pixels: row })) };
  } else {
    const firstX = leadingRows(train, Math.min(count, 12));
    result.rows = Array.from({ length: Math.min(count, 12) }, (_, row) => ({ label: train.y[row], values: Array.from(firstX.subarray(row * train.d, row * train.d + Math.min(train.d, 8))) }));
  }
  return result;
}
