// What the data preview panel shows: each split's summary, and the first
// training examples, as images when the data has an image shape.
import type { Examples } from "../data/types";
import type { PreviewDataRequest } from "../protocol";
import type { DataDeclaration, DataLoader } from "./run-check";

const sampleCount = 24;

/** One example as 0–255 pixels: preprocessing (scaling, centring) is undone by stretching its own range. */
function pixelsOf(examples: Examples, row: number, pixels: number): number[] {
  const values = examples.X.subarray(row * examples.d, row * examples.d + pixels);
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    low = Math.min(low, value);
    high = Math.max(high, value);
  }
  const range = high - low || 1;
  return Array.from(values, (value) => Math.round((255 * (value - low)) / range));
}

export async function previewData(declaration: DataDeclaration, load: DataLoader): Promise<PreviewDataRequest.Result> {
  const name = declaration.name.text;
  const loaded = await load(declaration);
  if (!loaded.ok) return { name, problem: loaded.message, splits: [] };
  const splits = (["train", "val", "test"] as const).flatMap((split) => {
    const summary = loaded.summary[split];
    return summary ? [{ split, n: summary.n, d: summary.d, classes: summary.classes, min: summary.min, max: summary.max, mean: summary.mean, classCounts: summary.classCounts }] : [];
  });
  const train = loaded.splits.train;
  const count = Math.min(sampleCount, train.n);
  const result: PreviewDataRequest.Result = { name, splits, classNames: train.classNames };
  const image = train.image ?? train.imageColumns;
  if (image) {
    const { height, width, channels } = image;
    result.images = { height, width, channels, samples: Array.from({ length: count }, (_, row) => ({ label: train.y[row], pixels: pixelsOf(train, row, height * width * channels) })) };
  } else {
    result.rows = Array.from({ length: Math.min(count, 12) }, (_, row) => ({ label: train.y[row], values: Array.from(train.X.subarray(row * train.d, row * train.d + Math.min(train.d, 8))) }));
  }
  return result;
}
