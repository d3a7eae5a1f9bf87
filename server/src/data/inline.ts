// Examples written as literals in a .optim file (rows and labels). Rows and
// columns in messages count from 0, as NumPy indexing does (X[12, 3]).
import { fail, ok } from "./errors";
import type { Examples, Result } from "./types";
import { classCount, describeNonFinite } from "./validate";

export interface InlineOptions {
  /** Number of classes, when some classes have no example here; at least max label + 1. */
  classes?: number;
}

export function fromRows(rows: number[][], labels: number[], options: InlineOptions = {}): Result<Examples> {
  const n = rows.length;
  if (n === 0) return fail({ message: "no rows: inline data needs at least one example" });
  if (labels.length !== n) return fail({ message: `${n} rows, but ${labels.length} labels` });
  const d = rows[0].length;
  if (d === 0) return fail({ message: "row 0 has no values" });
  const X = new Float32Array(n * d);
  for (let row = 0; row < n; row++) {
    const values = rows[row];
    if (values.length !== d) return fail({ message: `row ${row} has ${values.length} values, but row 0 has ${d}` });
    for (let column = 0; column < d; column++) {
      const value = values[column];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return fail({ message: `${typeof value === "number" ? describeNonFinite(value) : `'${String(value)}'`} at row ${row}, column ${column}` });
      }
      const stored = Math.fround(value);
      if (!Number.isFinite(stored)) return fail({ message: `${value} at row ${row}, column ${column} is too large for float32` });
      X[row * d + column] = stored;
    }
  }
  const counted = classCount(labels, (index) => `row ${index}`);
  if (!counted.ok) return counted;
  let classes = counted.value;
  if (options.classes !== undefined) {
    if (!Number.isInteger(options.classes) || options.classes < counted.value) {
      return fail({ message: `classes = ${options.classes}, but the labels go up to ${counted.value - 1}` });
    }
    classes = options.classes;
  }
  return ok({ X, y: Int32Array.from(labels), n, d, classes });
}
