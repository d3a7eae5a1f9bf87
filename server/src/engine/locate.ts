// Tracing a projection's disagreement to the entries that cause it. The
// directional derivative along d is the sum of its parts over any split of
// d's support, so measuring along one half and taking the other by
// difference says which half holds more of the disagreement; halving again
// reaches one entry in O(log n) pairs of evaluations. That entry is then
// checked on its own, and for a matrix, the rest of its row and column too,
// which says whether the error is one entry, a row or a column.
import { checkEntry, entryIndex, measure } from "./difference";
import type { EntryCheck, ProjectionCheck } from "./gradcheck";
import type { IncrementalEvaluator } from "./incremental";
import { tensor, type Tensor } from "./tensor";

export interface LineCheck {
  /** The row's (or column's) index. */
  index: number;
  checked: number;
  /** The other coordinate of each wrong entry on the line, at most 12. */
  wrong: number[];
  wrongCount: number;
}

export interface Location {
  /** The worst entry found, checked on its own. */
  entry: EntryCheck;
  row?: LineCheck;
  column?: LineCheck;
  /** Pairs of loss evaluations the search took. */
  evaluations: number;
}

interface Control {
  h: number;
  terms: number;
  cancelled?: () => boolean;
}

/** The most entries of a row or column checked around a located entry. */
const lineLimit = 256;

export function locateMismatch(evaluator: IncrementalEvaluator, param: string, shape: number[], analytic: Tensor, direction: Tensor, projection: ProjectionCheck, control: Control): Location | undefined {
  const { h, terms } = control;
  let support: number[] = [];
  for (let i = 0; i < direction.data.length; i++) if (direction.data[i] !== 0) support.push(i);
  let total = { analytic: projection.analytic, numerical: projection.numerical };
  let evaluations = 0;
  while (support.length > 1) {
    if (control.cancelled?.()) return undefined;
    const middle = support.length >> 1;
    const halves = [support.slice(0, middle), support.slice(middle)];
    const parts = halves.map((half) => {
      let along = 0;
      for (const i of half) along += analytic.data[i] * direction.data[i];
      return { analytic: along, numerical: NaN };
    });
    // Measure one half; the other is the difference. A half whose steps cross a kink is measured from its sibling.
    for (const first of [0, 1]) {
      const partial = tensor(shape);
      for (const i of halves[first]) partial.data[i] = direction.data[i];
      const step = new Map([[param, partial]]);
      const measured = measure((along) => evaluator.perturbAlong(step, along), h, terms, parts[first].analytic, evaluator.centerValue);
      evaluations++;
      if (measured.kink) continue;
      parts[first].numerical = measured.numerical;
      parts[1 - first].numerical = total.numerical - measured.numerical;
      break;
    }
    if (Number.isNaN(parts[0].numerical)) break;
    const gap = parts.map((part) => Math.abs(part.analytic - part.numerical));
    const chosen = gap[0] >= gap[1] ? 0 : 1;
    support = halves[chosen];
    total = parts[chosen];
  }
  if (support.length === 0) return undefined;
  const flat = support[0];
  let entry = checkEntry(evaluator, param, shape, flat, analytic.data[flat], h, terms);
  const location: Location = { entry, evaluations };
  if (shape.length === 2) {
    const [row, column] = entryIndex(shape, flat);
    const scan = (count: number, flatAt: (k: number) => number, index: number): LineCheck => {
      const line: LineCheck = { index, checked: 0, wrong: [], wrongCount: 0 };
      const stride = Math.max(1, Math.ceil(count / lineLimit));
      for (let k = 0; k < count; k += stride) {
        const candidate = checkEntry(evaluator, param, shape, flatAt(k), analytic.data[flatAt(k)], h, terms);
        line.checked++;
        if (!candidate.wrong) continue;
        line.wrongCount++;
        if (line.wrong.length < 12) line.wrong.push(k);
        if (candidate.relativeError > entry.relativeError || !entry.wrong) entry = candidate;
      }
      return line;
    };
    location.row = scan(shape[1], (k) => row * shape[1] + k, row);
    location.column = scan(shape[0], (k) => k * shape[1] + column, column);
    location.entry = entry;
  }
  return location;
}
