// What the loss-curve panel draws and what it calls it, kept free of the DOM
// so unit tests can check it: each run's short name, whether files need
// showing, and which of a plot's series have anything to draw.
import type { RunPoint } from "../../server/src/protocol";

/** Enough of a run to name it. */
export interface NamedRun {
  run: string;
  file: string;
}

export interface RunNames {
  /** Per run, in order: its name, with #k when the same file's run was started more than once. */
  names: string[];
  /** Whether the runs come from more than one file, so the panel has to say which file each is from. */
  severalFiles: boolean;
}

/**
 * Short names: a run's own name, numbered in start order only when its file
 * started it more than once. Files are not part of the name; the panel
 * groups runs under their file when there is more than one.
 */
export function runNames(runs: readonly NamedRun[]): RunNames {
  const names = runs.map((series, index) => {
    const starts = runs.filter((other) => other.run === series.run && other.file === series.file);
    if (starts.length === 1) return series.run;
    const earlier = runs.slice(0, index).filter((other) => other.run === series.run && other.file === series.file).length;
    return `${series.run} #${earlier + 1}`;
  });
  return { names, severalFiles: new Set(runs.map((series) => series.file)).size > 1 };
}

/** A name for text outside the runs table (markers, the PNG's legend): with the file when files need telling apart. */
export function fullName(names: RunNames, runs: readonly NamedRun[], index: number): string {
  return names.severalFiles ? `${names.names[index]} (${runs[index].file})` : names.names[index];
}

/** One quantity a plot can draw per run, such as validation accuracy. */
export interface Measure {
  /** Short, for the plot's key: "train", "val". */
  key: string;
  value: (point: RunPoint) => number | undefined;
  /** Validation measures are dashed, training ones solid, on every plot. */
  dashed: boolean;
}

/** Whether a value can be drawn: finite, and positive on a log axis. */
export function drawable(value: number | null | undefined, log: boolean): value is number {
  return value !== null && value !== undefined && Number.isFinite(value) && (!log || value > 0);
}

/** Whether any of the points has a drawable value of the measure. */
export function hasValues(points: readonly RunPoint[], measure: Measure, log: boolean): boolean {
  return points.some((point) => drawable(measure.value(point), log));
}

/** A series a plot draws: which run (by index) and which of its measures. */
export interface PlotSeries {
  run: number;
  measure: number;
}

/**
 * The series a plot draws: for each shown run, each measure it has a
 * drawable value of. A run that never measured something gets no series
 * for it, so no plot lists a line it does not draw.
 */
export function plotSeries(runs: readonly { points: readonly RunPoint[] }[], shown: readonly number[], measures: readonly Measure[], log: boolean): PlotSeries[] {
  const series: PlotSeries[] = [];
  for (const run of shown) {
    measures.forEach((measure, index) => {
      if (hasValues(runs[run].points, measure, log)) series.push({ run, measure: index });
    });
  }
  return series;
}

/** The index of the last point at or before x (points in x order), 0 when x is before them all, -1 when there are none. */
export function indexAt<T>(points: readonly T[], x: number, xOf: (point: T) => number): number {
  if (points.length === 0) return -1;
  let low = 0;
  let high = points.length - 1;
  // Binary search for the last index whose x is at most x.
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (xOf(points[middle]) <= x) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The last value of a measure at or before the point at `upTo` (an index), for sparse measures such as validation loss. */
export function lastValue(points: readonly RunPoint[], upTo: number, value: (point: RunPoint) => number | undefined): number | undefined {
  for (let i = Math.min(upTo, points.length - 1); i >= 0; i--) {
    const found = value(points[i]);
    if (found !== undefined && Number.isFinite(found)) return found;
  }
  return undefined;
}
