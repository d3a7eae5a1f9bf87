// The reference op table: for each op, its float64 forward and, beside it,
// its vector-Jacobian product. Ops with kinks also say which side of each
// kink every element is on, so a gradient check can tell when a finite
// difference stepped across one. This table is the living definition of the
// language's numerics; the TensorFlow.js executor is tested against it.
import { batchValue, runningValue, statisticVjp, type BatchStatistics, type StatisticOp } from "./batch-statistics";
import { fillDropoutMask, type DropoutDraw } from "./dropout";
import type { IrNode, OpName } from "./ir";
import { imageOps } from "./image-ops";
import { aroundAxis, asMatrix, forEachSlice, inversePermutation, map1, map2, matmul, permute, scalar, sizeOf, tensor, transpose, unbroadcast, type Tensor } from "./tensor";

/**
 * What an op may read besides its inputs: a training step's dropout draw
 * (absent at evaluation), and the batch statistics' running averages at
 * evaluation (absent in training and checks, where they are the batch's).
 */
export interface OpContext {
  dropout?: DropoutDraw;
  statistics?: BatchStatistics;
}

/** A batch statistic: the batch's, left in `observed` when asked, or the running average at evaluation. */
function batchStatistic(op: StatisticOp): OpDefinition {
  return {
    forward: ([a], node, context) => {
      const [rows, columns] = asMatrix(a.shape);
      const out = tensor([1, columns]);
      const running = context?.statistics?.running;
      if (running) runningValue(op, node.statistic as string, running, out.data);
      else {
        batchValue(op, a.data, rows, columns, out.data);
        context?.statistics?.observed?.set(node.statistic as string, Float32Array.from(out.data));
      }
      return out;
    },
    // Differentiated only where the statistic is the batch's (training, checks).
    vjp: (g, [a]) => {
      const [rows, columns] = asMatrix(a.shape);
      const grad = tensor(a.shape);
      statisticVjp(op, g.data, a.data, rows, columns, grad.data);
      return [grad];
    },
  };
}

export interface OpDefinition {
  forward(inputs: Tensor[], node: IrNode, context?: OpContext): Tensor;
  /** Gradients for each input given the gradient of the output; null where an input gets none. */
  vjp(gradient: Tensor, inputs: Tensor[], output: Tensor, node: IrNode): (Tensor | null)[];
  /** For kinked ops: one byte per element saying which piece of the function is active. */
  branches?(inputs: Tensor[], output: Tensor, node: IrNode): Uint8Array;
}

function elementwise(f: (x: number) => number, derivative: (x: number, y: number) => number): OpDefinition {
  return {
    forward: ([a]) => map1(a, f),
    vjp: (g, [a], out) => {
      const grad = tensor(a.shape);
      for (let i = 0; i < a.data.length; i++) grad.data[i] = g.data[i] * derivative(a.data[i], out.data[i]);
      return [grad];
    },
  };
}

function comparison(f: (x: number, y: number) => boolean): OpDefinition {
  return {
    forward: ([a, b]) => map2(a, b, (x, y) => (f(x, y) ? 1 : 0)),
    // A step function: zero gradient almost everywhere.
    vjp: () => [null, null],
    branches: (_, out) => Uint8Array.from(out.data),
  };
}

/** The gradient of an elementwise binary op, summed back over broadcast axes. */
function binaryVjp(g: Tensor, a: Tensor, b: Tensor, da: (x: number, y: number) => number, db: (x: number, y: number) => number): Tensor[] {
  const ga = map2(map2(a, b, da), g, (local, upstream) => local * upstream);
  const gb = map2(map2(a, b, db), g, (local, upstream) => local * upstream);
  return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)];
}

/** Reduces along `axis` (kept with size 1), or over everything when undefined. */
export function reduce(a: Tensor, axis: number | undefined, combine: (values: Float64Array, start: number, stride: number, count: number) => number): Tensor {
  if (axis === undefined) return scalar(combine(a.data, 0, 1, a.data.length));
  const [outer, length, inner] = aroundAxis(a.shape, axis);
  const out = tensor(a.shape.map((dim, i) => (i === axis ? 1 : dim)));
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out.data[o * inner + i] = combine(a.data, o * length * inner + i, inner, length);
  return out;
}

function sumOf(values: Float64Array, start: number, stride: number, count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += values[start + i * stride];
  return total;
}

function logSumExpOf(values: Float64Array, start: number, stride: number, count: number): number {
  let largest = -Infinity;
  for (let i = 0; i < count; i++) largest = Math.max(largest, values[start + i * stride]);
  if (!Number.isFinite(largest)) return largest;
  let total = 0;
  for (let i = 0; i < count; i++) total += Math.exp(values[start + i * stride] - largest);
  return largest + Math.log(total);
}

/** Broadcasts a reduced gradient back to the input's shape, times `scale`. */
function expand(g: Tensor, shape: number[], scale: number): Tensor {
  const out = tensor(shape);
  const grown = map2(out, g, (_, upstream) => upstream * scale);
  return { shape: [...shape], data: grown.data };
}

function axisLength(shape: number[], axis: number | undefined): number {
  if (axis === undefined) return sizeOf(shape);
  return shape[axis];
}

function maxOf(values: Float64Array, start: number, stride: number, count: number): number {
  let largest = -Infinity;
  for (let i = 0; i < count; i++) largest = Math.max(largest, values[start + i * stride]);
  return largest;
}

/** softmax along an axis via logsoftmax, which is stable. */
function logSoftmax(a: Tensor, axis: number): Tensor {
  const lse = reduce(a, axis, logSumExpOf);
  return map2(a, lse, (x, l) => x - l);
}

export const ops: Record<Exclude<OpName, "input" | "labels" | "batch" | "const" | "param">, OpDefinition> = {
  add: {
    forward: ([a, b]) => map2(a, b, (x, y) => x + y),
    vjp: (g, [a, b]) => [unbroadcast(g, a.shape), unbroadcast(g, b.shape)],
  },
  sub: {
    forward: ([a, b]) => map2(a, b, (x, y) => x - y),
    vjp: (g, [a, b]) => [unbroadcast(g, a.shape), unbroadcast(map1(g, (x) => -x), b.shape)],
  },
  mul: {
    forward: ([a, b]) => map2(a, b, (x, y) => x * y),
    vjp: (g, [a, b]) => binaryVjp(g, a, b, (_, y) => y, (x) => x),
  },
  div: {
    forward: ([a, b]) => map2(a, b, (x, y) => x / y),
    vjp: (g, [a, b]) => binaryVjp(g, a, b, (_, y) => 1 / y, (x, y) => -x / (y * y)),
  },
  neg: {
    forward: ([a]) => map1(a, (x) => -x),
    vjp: (g) => [map1(g, (x) => -x)],
  },
  pow: {
    forward: ([a], node) => map1(a, (x) => x ** (node.exponent as number)),
    vjp: (g, [a], _, node) => {
      const p = node.exponent as number;
      return [map2(map1(a, (x) => (p === 0 ? 0 : p * x ** (p - 1))), g, (local, upstream) => local * upstream)];
    },
  },
  // max and min send the gradient to the first argument on a tie, so that
  // max(0, m) has gradient 0 at m = 0, as (m > 0) does.
  max: {
    forward: ([a, b]) => map2(a, b, (x, y) => (x >= y ? x : y)),
    vjp: (g, [a, b]) => binaryVjp(g, a, b, (x, y) => (x >= y ? 1 : 0), (x, y) => (x >= y ? 0 : 1)),
    branches: ([a, b]) => Uint8Array.from(map2(a, b, (x, y) => (x > y ? 1 : x < y ? 2 : 0)).data),
  },
  min: {
    forward: ([a, b]) => map2(a, b, (x, y) => (x <= y ? x : y)),
    vjp: (g, [a, b]) => binaryVjp(g, a, b, (x, y) => (x <= y ? 1 : 0), (x, y) => (x <= y ? 0 : 1)),
    branches: ([a, b]) => Uint8Array.from(map2(a, b, (x, y) => (x < y ? 1 : x > y ? 2 : 0)).data),
  },
  relu: {
    ...elementwise(
      (x) => (x > 0 ? x : 0),
      (x) => (x > 0 ? 1 : 0),
    ),
    branches: ([a]) => Uint8Array.from(a.data, (x) => (x > 0 ? 1 : x < 0 ? 2 : 0)),
  },
  abs: {
    ...elementwise(Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
    branches: ([a]) => Uint8Array.from(a.data, (x) => (x > 0 ? 1 : x < 0 ? 2 : 0)),
  },
  exp: elementwise(Math.exp, (_, y) => y),
  log: elementwise(Math.log, (x) => 1 / x),
  sqrt: elementwise(Math.sqrt, (_, y) => 0.5 / y),
  tanh: elementwise(Math.tanh, (_, y) => 1 - y * y),
  sigmoid: elementwise(
    (x) => 1 / (1 + Math.exp(-x)),
    (_, y) => y * (1 - y),
  ),
  gt: comparison((x, y) => x > y),
  lt: comparison((x, y) => x < y),
  ge: comparison((x, y) => x >= y),
  le: comparison((x, y) => x <= y),
  eq: comparison((x, y) => x === y),
  ne: comparison((x, y) => x !== y),
  matmul: {
    forward: ([a, b]) => matmul(a, b),
    vjp: (g, [a, b]) => {
      // Promote vectors to matrices the way the forward did, then undo it.
      const a2 = a.shape.length === 1 ? { shape: [1, a.shape[0]], data: a.data } : a;
      const b2 = b.shape.length === 1 ? { shape: [b.shape[0], 1], data: b.data } : b;
      const g2 = { shape: [a2.shape[0], b2.shape[1]], data: g.data };
      const ga = matmul(g2, transpose(b2));
      const gb = matmul(transpose(a2), g2);
      return [{ shape: a.shape, data: ga.data }, { shape: b.shape, data: gb.data }];
    },
  },
  transpose: {
    forward: ([a], node) => permute(a, node.axes),
    vjp: (g, _, __, node) => [permute(g, node.axes && inversePermutation(node.axes))],
  },
  // The gradient goes to the first largest entry of each slice; ties are kinks.
  reducemax: {
    forward: ([a], node) => reduce(a, node.axis, maxOf),
    vjp: (g, [a], out, node) => {
      const grad = tensor(a.shape);
      forEachSlice(a.shape, node.axis, (start, stride, count, slice) => {
        for (let k = 0; k < count; k++) {
          if (a.data[start + k * stride] === out.data[slice]) {
            grad.data[start + k * stride] = g.data[slice];
            return;
          }
        }
      });
      return [grad];
    },
    // Per entry: 1 the unique largest of its slice, 2 below it, 0 tied for the largest.
    branches: ([a], out, node) => {
      const branches = new Uint8Array(a.data.length).fill(2);
      forEachSlice(a.shape, node.axis, (start, stride, count, slice) => {
        let hits = 0;
        for (let k = 0; k < count; k++) if (a.data[start + k * stride] === out.data[slice]) hits++;
        for (let k = 0; k < count; k++) if (a.data[start + k * stride] === out.data[slice]) branches[start + k * stride] = hits === 1 ? 1 : 0;
      });
      return branches;
    },
  },
  sum: {
    forward: ([a], node) => reduce(a, node.axis, sumOf),
    vjp: (g, [a]) => [expand(g, a.shape, 1)],
  },
  mean: {
    forward: ([a], node) => {
      const total = reduce(a, node.axis, sumOf);
      return map1(total, (x) => x / axisLength(a.shape, node.axis));
    },
    vjp: (g, [a], _, node) => [expand(g, a.shape, 1 / axisLength(a.shape, node.axis))],
  },
  logsumexp: {
    forward: ([a], node) => reduce(a, node.axis ?? 1, logSumExpOf),
    // d lse / d x = softmax(x)
    vjp: (g, [a], out) => [map2(map2(a, out, (x, l) => Math.exp(x - l)), g, (p, upstream) => p * upstream)],
  },
  softmax: {
    forward: ([a], node) => map1(logSoftmax(a, node.axis ?? 1), Math.exp),
    vjp: (g, _, out, node) => {
      // dx = p * (g - sum(g * p, axis))
      const weighted = reduce(map2(g, out, (x, p) => x * p), node.axis ?? 1, sumOf);
      return [map2(map2(g, weighted, (x, s) => x - s), out, (d, p) => d * p)];
    },
  },
  logsoftmax: {
    forward: ([a], node) => logSoftmax(a, node.axis ?? 1),
    vjp: (g, _, out, node) => {
      // dx = g - softmax * sum(g, axis)
      const total = reduce(g, node.axis ?? 1, sumOf);
      return [map2(map2(out, total, (l, s) => Math.exp(l) * s), g, (p, upstream) => upstream - p)];
    },
  },
  pick: {
    forward: ([s, y]) => {
      const [rows, columns] = asMatrix(s.shape);
      const out = tensor([rows, 1]);
      for (let i = 0; i < rows; i++) out.data[i] = s.data[i * columns + y.data[i]];
      return out;
    },
    vjp: (g, [s, y]) => {
      const [rows, columns] = asMatrix(s.shape);
      const grad = tensor(s.shape);
      for (let i = 0; i < rows; i++) grad.data[i * columns + y.data[i]] += g.data[i];
      return [grad, null];
    },
  },
  onehot: {
    forward: ([y], node) => {
      const classes = node.classes as number;
      const out = tensor([y.data.length, classes]);
      for (let i = 0; i < y.data.length; i++) out.data[i * classes + y.data[i]] = 1;
      return out;
    },
    vjp: () => [null],
  },
  // Its input gives only the shape: the mask does not move with it, so no
  // gradient flows back through it and it has no kinks.
  dropoutmask: {
    forward: ([a], node, context) => {
      const out = tensor(a.shape);
      fillDropoutMask(out.data, node.keep as number, node.salt as number, context?.dropout);
      return out;
    },
    vjp: () => [null],
  },
  batchmean: batchStatistic("batchmean"),
  batchvar: batchStatistic("batchvar"),
  ...imageOps,
};
