// Batch normalization's statistics, `batch_mean(z)` and `batch_var(z)`: each
// column's mean and biased variance over the batch's rows, [N, H] → [1, H].
// In training and in gradient checks they are the batch's own (and an
// executor leaves them in `observed`, for the run's running averages); at
// evaluation and test they are the running averages the run kept
// (train/running-statistics.ts), constants of the params.

export interface BatchStatistics {
  /** At evaluation: each statistic's running average by its name; one the run has none of yet is 0 (a mean) or 1 (a variance). */
  running?: ReadonlyMap<string, Float32Array>;
  /** In training: where an executor leaves each statistic's batch value, by its name. */
  observed?: Map<string, Float32Array>;
}

export type StatisticOp = "batchmean" | "batchvar";

type Numbers = Float32Array | Float64Array;

/** Each column's mean of a [rows, columns] matrix, accumulated in float64, into `out`. */
export function columnMeans(values: Numbers, rows: number, columns: number, out: Numbers): void {
  const sums = new Float64Array(columns);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) sums[j] += values[i * columns + j];
  for (let j = 0; j < columns; j++) out[j] = sums[j] / rows;
}

/** Each column's biased variance (1/rows Σ (x − mean)²), two passes in float64, into `out`. */
export function columnVariances(values: Numbers, rows: number, columns: number, out: Numbers): void {
  const means = new Float64Array(columns);
  columnMeans(values, rows, columns, means);
  const sums = new Float64Array(columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) {
      const deviation = values[i * columns + j] - means[j];
      sums[j] += deviation * deviation;
    }
  }
  for (let j = 0; j < columns; j++) out[j] = sums[j] / rows;
}

/**
 * The vector-Jacobian products, into `out` ([rows, columns]) given the
 * output's gradient g ([1, columns]): d mean = g / N, and d var = 2 g (x − mean) / N
 * (the mean's own dependence on x drops out, its deviations summing to 0).
 */
export function statisticVjp(op: StatisticOp, g: Numbers, values: Numbers, rows: number, columns: number, out: Numbers): void {
  if (op === "batchmean") {
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[i * columns + j] = g[j] / rows;
    return;
  }
  const means = new Float64Array(columns);
  columnMeans(values, rows, columns, means);
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[i * columns + j] = (2 * g[j] * (values[i * columns + j] - means[j])) / rows;
}

/** The batch's value of a statistic into `out` ([1, columns]). */
export function batchValue(op: StatisticOp, values: Numbers, rows: number, columns: number, out: Numbers): void {
  if (op === "batchmean") columnMeans(values, rows, columns, out);
  else columnVariances(values, rows, columns, out);
}

/** The running value of a statistic at evaluation into `out`: the run's average, else 0 for a mean and 1 for a variance. */
export function runningValue(op: StatisticOp, name: string, running: ReadonlyMap<string, Float32Array>, out: Numbers): void {
  const value = running.get(name);
  if (value && value.length === out.length) out.set(value);
  else out.fill(op === "batchmean" ? 0 : 1);
}
