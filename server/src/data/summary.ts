// What a hover shows about a data set: shapes, class balance and the value
// range, computed in one float64 pass.
import { forEachRowBlock } from "./stored-bytes";
import type { Examples, ImageShape } from "./types";

export interface Summary {
  n: number;
  d: number;
  classes: number;
  image?: ImageShape;
  classNames?: string[];
  /** Examples per class, index = class. */
  classCounts: number[];
  min: number;
  max: number;
  mean: number;
  std: number;
}

export function summarize(x: Examples): Summary {
  const classCounts = new Array<number>(x.classes).fill(0);
  for (let i = 0; i < x.n; i++) {
    const label = x.y[i];
    if (label >= 0 && label < x.classes) classCounts[label]++;
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  const count = x.n * x.d;
  // In blocks of rows, so inputs kept as bytes are summarised without making all of X.
  forEachRowBlock(x, (values) => {
    // Locals in the hot loop, merged after each block: captured variables live in memory and would make it several times slower.
    let low = min;
    let high = max;
    let blockSum = 0;
    let blockSquares = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value < low) low = value;
      if (value > high) high = value;
      blockSum += value;
      blockSquares += value * value;
    }
    min = low;
    max = high;
    sum += blockSum;
    sumSquares += blockSquares;
  });
  const mean = count > 0 ? sum / count : 0;
  const summary: Summary = {
    n: x.n,
    d: x.d,
    classes: x.classes,
    classCounts,
    min: count > 0 ? min : 0,
    max: count > 0 ? max : 0,
    mean,
    std: count > 0 ? Math.sqrt(Math.max(sumSquares / count - mean * mean, 0)) : 0,
  };
  if (x.image) summary.image = { ...x.image };
  if (x.classNames) summary.classNames = [...x.classNames];
  return summary;
}
