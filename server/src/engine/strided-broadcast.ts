// Broadcasting of tensors of up to four axes onto the kernels' two-axis
// calls: adjacent axes along which both operands behave alike (each read
// whole, or each repeated) are merged, the last two merged axes make one
// strided call, and the axes before them are walked here, one call each.
import { stridesOf } from "./tensor";

export interface BroadcastPlan {
  /** The calls' rows and columns. */
  rows: number;
  columns: number;
  /** Per operand: the row stride (its column stride is 0 or 1). */
  rowStrides: number[];
  columnStrides: number[];
  /** Per call: the output's offset and each operand's. */
  outOffsets: number[];
  operandOffsets: number[][];
}

/**
 * How `operands` (their shapes) broadcast onto `out`: merged axes, strides
 * (0 along a repeated axis) and one call per leading coordinate.
 */
export function broadcastPlan(out: number[], operands: number[][]): BroadcastPlan {
  const rank = out.length;
  const padded = operands.map((shape) => [...new Array<number>(rank - shape.length).fill(1), ...shape]);
  // Each operand's stride per output axis, 0 where it repeats.
  const strides = padded.map((shape) => stridesOf(shape).map((stride, i) => (shape[i] === 1 ? 0 : stride)));
  // Merge axis i into the previous when every operand's stride there continues the next one's pattern.
  const mergedSizes: number[] = [];
  const mergedStrides: number[][] = operands.map(() => []);
  for (let i = 0; i < rank; i++) {
    if (out[i] === 1) continue;
    const last = mergedSizes.length - 1;
    const mergeable = last >= 0 && strides.every((operand, k) => mergedStrides[k][last] === operand[i] * out[i]);
    if (mergeable) {
      mergedSizes[last] *= out[i];
      strides.forEach((operand, k) => (mergedStrides[k][last] = operand[i]));
    } else {
      mergedSizes.push(out[i]);
      strides.forEach((operand, k) => mergedStrides[k].push(operand[i]));
    }
  }
  while (mergedSizes.length < 2) {
    mergedSizes.unshift(1);
    mergedStrides.forEach((operand) => operand.unshift(0));
  }
  const r = mergedSizes.length;
  const rows = mergedSizes[r - 2];
  const columns = mergedSizes[r - 1];
  const outOffsets: number[] = [];
  const operandOffsets: number[][] = operands.map(() => []);
  const leading = mergedSizes.slice(0, r - 2);
  const calls = leading.reduce((product, size) => product * size, 1);
  for (let call = 0; call < calls; call++) {
    let rest = call;
    const offsets = operands.map(() => 0);
    for (let axis = leading.length - 1; axis >= 0; axis--) {
      const coordinate = rest % leading[axis];
      rest = (rest - coordinate) / leading[axis];
      mergedStrides.forEach((operand, k) => (offsets[k] += coordinate * operand[axis]));
    }
    outOffsets.push(call * rows * columns);
    offsets.forEach((offset, k) => operandOffsets[k].push(offset));
  }
  return { rows, columns, rowStrides: mergedStrides.map((operand) => operand[r - 2]), columnStrides: mergedStrides.map((operand) => operand[r - 1]), outOffsets, operandOffsets };
}
