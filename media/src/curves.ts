// The numbers behind the loss-curve panel, kept free of the DOM so unit tests
// can check them: the smoothing, the x axis of a point and the CSV export.
import type { RunPoint } from "../../server/src/protocol";
import { parsePoint, type RunSeries } from "./messages";

export type XAxis = "step" | "epoch" | "seconds";

export const xAxisLabels: Record<XAxis, string> = { step: "step", epoch: "epoch", seconds: "wall time (s)" };

export function xOf(point: RunPoint, axis: XAxis): number {
  return point[axis];
}

/**
 * Debiased exponential moving average: s_t = w·s_{t-1} + (1 − w)·v_t,
 * divided by 1 − w^t so the first values are not pulled towards zero.
 * Missing and non-finite values stay missing and do not move the average.
 */
export function smooth(values: ArrayLike<number | null | undefined>, weight: number): (number | null)[] {
  const smoothed: (number | null)[] = new Array(values.length);
  let average = 0;
  let debias = 1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined || !Number.isFinite(value)) {
      smoothed[i] = null;
      continue;
    }
    average = weight * average + (1 - weight) * value;
    debias *= weight;
    smoothed[i] = weight === 0 ? value : average / (1 - debias);
  }
  return smoothed;
}

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Every point of every run, with the smoothed loss the panel draws. */
export function curvesCsv(runs: RunSeries[], weight: number): string {
  const lines = ["run,file,status,step,epoch,seconds,loss,smoothed_loss,eval_loss,eval_accuracy,train_accuracy,lr,grad_norm,update_ratio"];
  for (const series of runs) {
    const smoothed = smooth(
      series.points.map((point) => point.loss),
      weight,
    );
    series.points.forEach((point, i) => {
      const fields = [
        csvField(series.run),
        csvField(series.file),
        series.status,
        ...[point.step, point.epoch, point.seconds, point.loss, smoothed[i], point.evalLoss, point.evalAccuracy, point.trainAccuracy, point.lr, point.gradNorm, point.updateRatio].map(csvNumber),
      ];
      lines.push(fields.join(","));
    });
  }
  return lines.join("\n") + "\n";
}

/** Values for a log axis: only positive finite numbers can be drawn there. */
export function forLogAxis(values: (number | null | undefined)[]): (number | null)[] {
  return values.map((value) => (value !== null && value !== undefined && Number.isFinite(value) && value > 0 ? value : null));
}

/** The points of a curve.csv; a row that does not parse is left out. */
export function parseCurveCsv(text: string): RunPoint[] {
  const [header, ...rows] = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (!header) return [];
  const columns = header.split(",");
  const points: RunPoint[] = [];
  for (const row of rows) {
    const cells = row.split(",");
    const record: Record<string, number> = {};
    columns.forEach((column, i) => {
      if (cells[i] !== undefined && cells[i] !== "") record[column] = Number(cells[i]);
    });
    const point = parsePoint(record);
    if (point) points.push(point);
  }
  return points;
}
