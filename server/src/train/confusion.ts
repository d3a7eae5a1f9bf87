// A classifier's confusion matrix on a split: how many examples of each true
// class (rows) it put in each class (columns), with each class's accuracy
// (the diagonal over its row: the share of that class it got right) and the
// overall accuracy (the trace over the total). Counted from the predictions
// the training executor makes at the end of a run, with the weights the run
// reports.

export interface Confusion {
  /** matrix[trueClass][predictedClass]: examples counted. */
  matrix: number[][];
  /** Each class's accuracy, or null for a class the split has no example of. */
  perClass: (number | null)[];
  /** Examples of each true class (the rows' sums). */
  support: number[];
  /** Correct predictions over all examples: the trace over the total. */
  accuracy: number;
  total: number;
}

/** A running count, one chunk of predictions at a time. */
export class ConfusionCounter {
  private counts: number[][] = [];

  /** `classes`: the data set's; a score with more columns than that widens the matrix to them. */
  constructor(classes: number) {
    this.widen(classes);
  }

  get classes(): number {
    return this.counts.length;
  }

  /** Counts `labels[rows[i]]` against `predictions[i]`; classes are integers from 0. */
  add(labels: ArrayLike<number>, rows: ArrayLike<number>, predictions: ArrayLike<number>): void {
    for (let i = 0; i < rows.length; i++) {
      const actual = labels[rows[i]];
      const predicted = predictions[i];
      if (!(Number.isInteger(actual) && Number.isInteger(predicted) && actual >= 0 && predicted >= 0)) throw new RangeError(`class ${actual} predicted as ${predicted}: classes are integers from 0`);
      if (actual >= this.classes || predicted >= this.classes) this.widen(Math.max(actual, predicted) + 1);
      this.counts[actual][predicted]++;
    }
  }

  /** At least `classes` rows and columns. */
  widen(classes: number): void {
    for (const row of this.counts) while (row.length < classes) row.push(0);
    while (this.counts.length < classes) this.counts.push(new Array<number>(classes).fill(0));
  }

  result(): Confusion {
    return summarizeConfusion(this.counts.map((row) => row.slice()));
  }
}

/** The per-class and overall accuracies of a matrix of counts. */
export function summarizeConfusion(matrix: number[][]): Confusion {
  const support = matrix.map((row) => row.reduce((sum, count) => sum + count, 0));
  const total = support.reduce((sum, count) => sum + count, 0);
  let trace = 0;
  for (let k = 0; k < matrix.length; k++) trace += matrix[k][k];
  return {
    matrix,
    perClass: matrix.map((row, k) => (support[k] === 0 ? null : row[k] / support[k])),
    support,
    accuracy: total === 0 ? 0 : trace / total,
    total,
  };
}

/** The names of a data set's classes, as given, else `class 0` … `class C-1`. */
export function classNamesOf(classes: number, names?: readonly string[]): string[] {
  return Array.from({ length: classes }, (_, k) => names?.[k] ?? `class ${k}`);
}

/** What a run counted on its splits, for final.json. */
export interface RunConfusion {
  /** The weights they were counted with: the run's reported ones. */
  weights: "best" | "final";
  /** Each class's name (the data set's, else `class k`). */
  classes: string[];
  evaluation?: Confusion;
  test?: Confusion;
}

/** The counts of a run's evaluation and test splits, where it counted any. */
export function runConfusion(weights: "best" | "final", names: readonly string[] | undefined, evaluation?: ConfusionCounter, test?: ConfusionCounter): RunConfusion | undefined {
  const counted = [evaluation, test].filter((counter) => counter !== undefined);
  if (counted.length === 0) return undefined;
  // Both splits' matrices are as wide as the widest, so one list of names fits both.
  const count = Math.max(...counted.map((counter) => counter.classes));
  for (const counter of counted) counter.widen(count);
  const classes = classNamesOf(count, names);
  return { weights, classes, ...(evaluation ? { evaluation: evaluation.result() } : {}), ...(test ? { test: test.result() } : {}) };
}
