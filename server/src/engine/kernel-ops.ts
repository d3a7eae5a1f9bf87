// The kernel executor's op table (kernel-executor.ts): each op of the
// reference table (ops.ts) in float32, forward and vector-Jacobian product
// side by side. A call's tensors all live in the kernel memory, allocated on
// its stack and freed when the call returns; the arithmetic on them (binary
// ops with broadcasting, the sums a broadcast's gradient needs, exp and
// log-sum-exp) runs in WebAssembly, products go to the kernels, and only the
// ops no kernel covers (pick, onehot, the rarer functions, and for now the
// image ops of kernel-image-ops.ts) loop in JavaScript.
import { batchValue, statisticVjp, type StatisticOp } from "./batch-statistics";
import type { IrNode, OpName } from "./ir";
import type { BinaryKernelOp, Kernels, Matrix, Strided } from "./kernels/kernels";
import { imageFloat32Ops } from "./kernel-image-ops";
import { broadcastPlan } from "./strided-broadcast";
import { aroundAxis, asMatrix, broadcastShape, permutedIndex, shapeString, sizeOf } from "./tensor";

export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
  /**
   * A batch read where its examples lie: row i of this [rows, d] matrix is
   * row `rowTable[i]` of `data` (kernels.ts, Matrix). Only products read
   * such a tensor; the executor gathers the rows for any other op
   * (kernel-executor.ts).
   */
  rowTable?: Int32Array;
}

/** A fresh ordinary array with `values` (a copy, as fast from the kernel memory as from anywhere). */
export function copyOut(values: Float32Array): Float32Array {
  const copy = new Float32Array(values.length);
  copy.set(values);
  return copy;
}

type BinaryOp = BinaryKernelOp;

type Combine = (values: Float32Array, start: number, stride: number, count: number) => number;

/** The ops of one call, on tensors in the kernel memory. */
export class Step {
  /** The kernels themselves, for ops with a kernel of their own (convolution and pooling: kernel-image-ops.ts). */
  constructor(readonly kernels: Kernels) {}

  /** A tensor for this call in the kernel memory; its values are left as they were unless `zeroed`. */
  tensor(shape: number[], zeroed = false): Float32Tensor {
    return { shape, data: this.kernels.allocate(sizeOf(shape), zeroed) };
  }

  /** ReLU, or its gradient given the output's gradient g, in WebAssembly. */
  relu(a: Float32Tensor, g?: Float32Tensor): Float32Tensor {
    const out = this.tensor(a.shape);
    if (g) this.kernels.reluGradient(out.data, this.inKernelMemory(g.data), this.inKernelMemory(a.data));
    else this.kernels.relu(out.data, this.inKernelMemory(a.data));
    return out;
  }

  /** Rows `rows` of the [n, d] matrix `from` (in the kernel memory), gathered into a tensor of this call. */
  gathered(from: Float32Array, d: number, rows: Int32Array): Float32Array {
    return this.kernels.gatherRows(from, d, rows);
  }

  /** Whether `values` lie in the kernel memory, where the kernels can write them. */
  holds(values: Float32Array): boolean {
    return this.kernels.holds(values);
  }

  /** out = a + b over equal sizes, into `out` in the kernel memory (which may be a or b); returns out. */
  addInto(out: Float32Array, a: Float32Array, b: Float32Array): Float32Array {
    const whole = (data: Float32Array) => ({ data: this.inKernelMemory(data), row: 0, column: 1 });
    this.kernels.binary("add", out, whole(a), whole(b), 1, out.length);
    return out;
  }

  /** out = a + scale · b over equal sizes, into `out` in the kernel memory (which may be a), in one pass; returns out. */
  addScaledInto(out: Float32Array, a: Float32Array, b: Float32Array, scale: number): Float32Array {
    this.kernels.addScaled(out, this.inKernelMemory(a), this.inKernelMemory(b), scale);
    return out;
  }

  /** scale · a, or scale · a · b elementwise (b of a's size), in one pass. */
  scaled(a: Float32Tensor, scale: number, b?: Float32Tensor): Float32Tensor {
    const out = this.tensor(a.shape);
    this.kernels.scaledProduct(out.data, this.inKernelMemory(a.data), b && this.inKernelMemory(b.data), scale);
    return out;
  }

  /** The sum of a's squares (a scalar), accumulated in float64, without building the squares. */
  sumOfSquares(a: Float32Tensor): Float32Tensor {
    return this.scalar(this.kernels.sumOfSquares(this.inKernelMemory(a.data)));
  }

  /** `a`'s values in the kernel memory: a itself, or a copy made for this call (labels, a param kept outside). */
  inKernelMemory(a: Float32Array): Float32Array {
    return this.kernels.holds(a) ? a : this.kernels.copyIn(a);
  }

  scalar(value: number): Float32Tensor {
    const out = this.tensor([]);
    out.data[0] = value;
    return out;
  }

  map1(a: Float32Tensor, f: (x: number) => number): Float32Tensor {
    const out = this.tensor(a.shape);
    const x = a.data;
    const o = out.data;
    for (let i = 0; i < x.length; i++) o[i] = f(x[i]);
    return out;
  }

  /** An elementwise binary op with broadcasting. */
  binary(op: BinaryOp, a: Float32Tensor, b: Float32Tensor): Float32Tensor {
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new Error(`cannot broadcast ${shapeString(a.shape)} with ${shapeString(b.shape)}`);
    return this.broadcastBinary(op, shape, a, b);
  }

  /** `a` op `b` over `shape`, which both broadcast to, in one pass of the binary kernel: a repeated operand is read with a stride of 0. */
  private broadcastBinary(op: BinaryOp, shape: number[], a: Float32Tensor, b: Float32Tensor): Float32Tensor {
    const out = this.tensor(shape);
    const size = out.data.length;
    if (size === 0) return out;
    const x = this.inKernelMemory(a.data);
    const y = this.inKernelMemory(b.data);
    // Operands of the output's size or of one value run as one long row.
    if ((x.length === size || x.length === 1) && (y.length === size || y.length === 1)) {
      this.kernels.binary(op, out.data, { data: x, row: 0, column: x.length === 1 ? 0 : 1 }, { data: y, row: 0, column: y.length === 1 ? 0 : 1 }, 1, size);
      return out;
    }
    if (shape.length <= 2) {
      const [rows, columns] = asMatrix(shape);
      this.kernels.binary(op, out.data, strided(x, a.shape, shape), strided(y, b.shape, shape), rows, columns);
      return out;
    }
    // More axes: one strided call per leading coordinate of the merged axes.
    const plan = broadcastPlan(shape, [a.shape, b.shape]);
    for (let call = 0; call < plan.outOffsets.length; call++) {
      const [ax, bx] = plan.operandOffsets.map((offsets) => offsets[call]);
      this.kernels.binary(op, out.data.subarray(plan.outOffsets[call]), { data: x.subarray(ax), row: plan.rowStrides[0], column: plan.columnStrides[0] }, { data: y.subarray(bx), row: plan.rowStrides[1], column: plan.columnStrides[1] }, plan.rows, plan.columns);
    }
    return out;
  }

  /** Sums a broadcast gradient back to the shape of the input it came from. */
  unbroadcast(gradient: Float32Tensor, shape: number[]): Float32Tensor {
    if (gradient.shape.length === shape.length && gradient.shape.every((dim, i) => dim === shape[i])) return gradient;
    const out = this.tensor(shape, true);
    const g = this.inKernelMemory(gradient.data);
    if (gradient.shape.length <= 2) {
      const [rows, columns] = asMatrix(gradient.shape);
      this.kernels.sumInto(strided(out.data, shape, gradient.shape), g, rows, columns);
      return out;
    }
    const plan = broadcastPlan(gradient.shape, [shape]);
    for (let call = 0; call < plan.outOffsets.length; call++) {
      this.kernels.sumInto({ data: out.data.subarray(plan.operandOffsets[0][call]), row: plan.rowStrides[0], column: plan.columnStrides[0] }, g.subarray(plan.outOffsets[call]), plan.rows, plan.columns);
    }
    return out;
  }

  /** A sum along `axis` (kept with size 1), or over everything when undefined (accumulated in float64). */
  sum(a: Float32Tensor, axis: number | undefined): Float32Tensor {
    const x = this.inKernelMemory(a.data);
    if (axis === undefined) return this.scalar(this.kernels.sum(x));
    // The axis between the product of those before it and of those after: summed block by block.
    const [outer, length, inner] = aroundAxis(a.shape, axis);
    const out = this.tensor(a.shape.map((dim, i) => (i === axis ? 1 : dim)), true);
    if (inner === 1) this.kernels.sumInto({ data: out.data, row: 1, column: 0 }, x, outer, length);
    else for (let o = 0; o < outer; o++) this.kernels.sumInto({ data: out.data.subarray(o * inner), row: 0, column: 1 }, x.subarray(o * length * inner), length, inner);
    return out;
  }

  /** Reduces along `axis` (kept with size 1), or over everything when undefined, by a loop of JavaScript. */
  reduce(a: Float32Tensor, axis: number | undefined, combine: Combine): Float32Tensor {
    if (axis === undefined) return this.scalar(combine(a.data, 0, 1, a.data.length));
    const [outer, length, inner] = aroundAxis(a.shape, axis);
    const out = this.tensor(a.shape.map((dim, i) => (i === axis ? 1 : dim)));
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out.data[o * inner + i] = combine(a.data, o * length * inner + i, inner, length);
    return out;
  }

  /** Log-sum-exp along `axis` (kept with size 1): each row's in WebAssembly, other axes by a loop of JavaScript. */
  logSumExp(a: Float32Tensor, axis: number): Float32Tensor {
    if (axis !== 1 || a.shape.length !== 2) return this.reduce(a, axis, logSumExpOf);
    const [rows, columns] = a.shape;
    const out = this.tensor([rows, 1]);
    const sums = this.kernels.allocate(rows, false);
    this.kernels.rowMaxSumExp(this.inKernelMemory(a.data), rows, columns, out.data, sums);
    for (let i = 0; i < rows; i++) if (Number.isFinite(out.data[i])) out.data[i] += Math.log(sums[i]);
    return out;
  }

  /** Broadcasts a reduced gradient back to the input's shape, times `scale`. */
  expand(g: Float32Tensor, shape: number[], scale: number): Float32Tensor {
    if (g.data.length === 1) {
      const out = this.tensor(shape);
      out.data.fill(g.data[0] * scale);
      return out;
    }
    return this.broadcastBinary("mul", shape, g, this.scalar(scale));
  }

  logSoftmax(a: Float32Tensor, axis: number): Float32Tensor {
    return this.binary("sub", a, this.logSumExp(a, axis));
  }

  exp(a: Float32Tensor): Float32Tensor {
    const out = this.tensor(a.shape);
    this.kernels.exp(out.data, this.inKernelMemory(a.data));
    return out;
  }

  /** The axes permuted (a matrix's two swapped when `axes` is absent). */
  transpose(a: Float32Tensor, axes?: number[]): Float32Tensor {
    if (axes) {
      const out = this.tensor(axes.map((axis) => a.shape[axis]));
      const source = permutedIndex(a.shape, axes);
      for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[source(i)];
      return out;
    }
    if (a.shape.length < 2) return { shape: [...a.shape].reverse(), data: a.data };
    const [rows, columns] = a.shape;
    const out = this.tensor([columns, rows]);
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out.data[j * rows + i] = a.data[i * columns + j];
    return out;
  }

  /** op(a) @ op(b) with numpy's promotion of vectors; a transposed operand is a matrix. */
  matmul(a: Float32Tensor, transposeA: boolean, b: Float32Tensor, transposeB: boolean): Float32Tensor {
    const left: Matrix = a.shape.length === 1 ? { rows: 1, columns: a.shape[0], data: a.data } : { rows: a.shape[0], columns: a.shape[1], data: a.data, rowTable: a.rowTable };
    const right: Matrix = b.shape.length === 1 ? { rows: b.shape[0], columns: 1, data: b.data } : { rows: b.shape[0], columns: b.shape[1], data: b.data, rowTable: b.rowTable };
    const m = transposeA ? left.columns : left.rows;
    const n = transposeB ? right.rows : right.columns;
    const out = this.tensor([...(a.shape.length === 2 ? [m] : []), ...(b.shape.length === 2 ? [n] : [])]);
    this.kernels.matmul(left, transposeA, right, transposeB, out.data);
    return out;
  }
}

/**
 * `values` (of `shape`, rank 2 at most) as an operand broadcast over `to`:
 * the strides of `to`'s rows and columns seen as a matrix, 0 along an axis
 * the operand repeats.
 */
function strided(values: Float32Array, shape: number[], to: number[]): Strided {
  const [rows, columns] = asMatrix(to);
  const padded = shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]] : shape;
  const inputColumns = padded[1];
  return { data: values, row: padded[0] === 1 || rows === 1 ? 0 : inputColumns, column: inputColumns === 1 || columns === 1 ? 0 : 1 };
}

function logSumExpOf(values: Float32Array, start: number, stride: number, count: number): number {
  let largest = -Infinity;
  for (let i = 0; i < count; i++) largest = Math.max(largest, values[start + i * stride]);
  if (!Number.isFinite(largest)) return largest;
  let total = 0;
  for (let i = 0; i < count; i++) total += Math.exp(values[start + i * stride] - largest);
  return largest + Math.log(total);
}

function axisLength(shape: number[], axis: number | undefined): number {
  if (axis === undefined) return sizeOf(shape);
  return shape[axis];
}

export type ElementwiseOp = Exclude<OpName, "input" | "labels" | "batch" | "const" | "param" | "matmul" | "transpose" | "dropoutmask">;

export interface Float32Op {
  forward(step: Step, inputs: Float32Tensor[], node: IrNode): Float32Tensor;
  /**
   * Gradients for each input given the output's; null where an input gets
   * none, and where `needs` says no gradient flows on from it (a constant, the
   * labels): what nothing reads is not computed.
   */
  vjp(step: Step, gradient: Float32Tensor, inputs: Float32Tensor[], output: Float32Tensor, node: IrNode, needs: readonly boolean[]): (Float32Tensor | null)[];
}

function elementwise(f: (x: number) => number, derivative: (x: number, y: number) => number): Float32Op {
  return {
    forward: (step, [a]) => step.map1(a, f),
    vjp: (step, g, [a], out) => {
      const grad = step.tensor(a.shape);
      for (let i = 0; i < a.data.length; i++) grad.data[i] = g.data[i] * derivative(a.data[i], out.data[i]);
      return [grad];
    },
  };
}

/**
 * The forward of every binary op: one function for all of them, so that V8
 * optimizes the path to the binary kernel once rather than once per op.
 */
function binaryForward(op: BinaryOp): Float32Op["forward"] {
  return (step, [a, b]) => step.binary(op, a, b);
}

function comparison(op: BinaryOp): Float32Op {
  return {
    forward: binaryForward(op),
    vjp: () => [null, null],
  };
}

/** max or min: the gradient goes to the side the op picked (`picked` is ge for max, le for min), to a on a tie. */
function extremum(op: "max" | "min", picked: "ge" | "le"): Float32Op {
  return {
    forward: binaryForward(op),
    vjp: (step, g, [a, b], _, __, needs) => {
      const ga = step.binary("mul", step.binary(picked, a, b), g);
      return [needs[0] ? step.unbroadcast(ga, a.shape) : null, needs[1] ? step.unbroadcast(step.binary("sub", g, ga), b.shape) : null];
    },
  };
}

/** A batch statistic from the batch's rows (the executor reads the running averages at evaluation instead). */
function batchStatistic(op: StatisticOp): Float32Op {
  return {
    forward: (step, [a]) => {
      const [rows, columns] = asMatrix(a.shape);
      const out = step.tensor([1, columns]);
      batchValue(op, a.data, rows, columns, out.data);
      return out;
    },
    vjp: (step, g, [a]) => {
      const [rows, columns] = asMatrix(a.shape);
      const grad = step.tensor(a.shape);
      statisticVjp(op, g.data, a.data, rows, columns, grad.data);
      return [grad];
    },
  };
}

// The reference's ops (ops.ts) in float32; matmul and transpose are handled by the executor itself.
export const float32Ops: Record<ElementwiseOp, Float32Op> = {
  add: {
    forward: binaryForward("add"),
    vjp: (step, g, [a, b], _, __, needs) => [needs[0] ? step.unbroadcast(g, a.shape) : null, needs[1] ? step.unbroadcast(g, b.shape) : null],
  },
  sub: {
    forward: binaryForward("sub"),
    vjp: (step, g, [a, b], _, __, needs) => [needs[0] ? step.unbroadcast(g, a.shape) : null, needs[1] ? step.unbroadcast(step.binary("mul", g, step.scalar(-1)), b.shape) : null],
  },
  mul: {
    forward: binaryForward("mul"),
    vjp: (step, g, [a, b], _, __, needs) => [needs[0] ? step.unbroadcast(step.binary("mul", g, b), a.shape) : null, needs[1] ? step.unbroadcast(step.binary("mul", g, a), b.shape) : null],
  },
  div: {
    forward: binaryForward("div"),
    vjp: (step, g, [a, b], _, __, needs) => [
      needs[0] ? step.unbroadcast(step.binary("div", g, b), a.shape) : null,
      needs[1] ? step.unbroadcast(step.binary("mul", step.binary("div", step.binary("mul", g, a), step.binary("mul", b, b)), step.scalar(-1)), b.shape) : null,
    ],
  },
  neg: {
    forward: (step, [a]) => step.binary("mul", a, step.scalar(-1)),
    vjp: (step, g) => [step.binary("mul", g, step.scalar(-1))],
  },
  pow: {
    forward: (step, [a], node) => {
      const p = node.exponent as number;
      return p === 2 ? step.binary("mul", a, a) : step.map1(a, (x) => x ** p);
    },
    vjp: (step, g, [a], _, node) => {
      const p = node.exponent as number;
      // For squares (regularisation of whole params), 2·a·g in one pass.
      if (p === 2 && g.data.length === a.data.length) return [step.scaled(a, 2, g)];
      return [step.binary(
        "mul",
        step.map1(a, (x) => (p === 0 ? 0 : p * x ** (p - 1))),
        g,
      )];
    },
  },
  max: extremum("max", "ge"),
  min: extremum("min", "le"),
  relu: {
    forward: (step, [a]) => step.relu(a),
    vjp: (step, g, [a]) => [step.relu(a, g)],
  },
  abs: elementwise(Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  exp: elementwise(Math.exp, (_, y) => y),
  log: elementwise(Math.log, (x) => 1 / x),
  sqrt: elementwise(Math.sqrt, (_, y) => 0.5 / y),
  tanh: elementwise(Math.tanh, (_, y) => 1 - y * y),
  sigmoid: elementwise(
    (x) => 1 / (1 + Math.exp(-x)),
    (_, y) => y * (1 - y),
  ),
  gt: comparison("gt"),
  lt: comparison("lt"),
  ge: comparison("ge"),
  le: comparison("le"),
  eq: comparison("eq"),
  ne: comparison("ne"),
  sum: {
    forward: (step, [a], node) => step.sum(a, node.axis),
    vjp: (step, g, [a]) => [step.expand(g, a.shape, 1)],
  },
  mean: {
    forward: (step, [a], node) => {
      const count = axisLength(a.shape, node.axis);
      return step.map1(step.sum(a, node.axis), (x) => x / count);
    },
    vjp: (step, g, [a], _, node) => [step.expand(g, a.shape, 1 / axisLength(a.shape, node.axis))],
  },
  logsumexp: {
    forward: (step, [a], node) => step.logSumExp(a, node.axis ?? 1),
    vjp: (step, g, [a], out) => [step.binary("mul", step.exp(step.binary("sub", a, out)), g)],
  },
  softmax: {
    forward: (step, [a], node) => step.exp(step.logSoftmax(a, node.axis ?? 1)),
    vjp: (step, g, _, out, node) => {
      // dx = p * (g - sum(g * p, axis))
      const weighted = step.sum(step.binary("mul", g, out), node.axis ?? 1);
      return [step.binary("mul", step.binary("sub", g, weighted), out)];
    },
  },
  logsoftmax: {
    forward: (step, [a], node) => step.logSoftmax(a, node.axis ?? 1),
    vjp: (step, g, _, out, node) => {
      // dx = g - softmax * sum(g, axis)
      const total = step.sum(g, node.axis ?? 1);
      return [step.binary("sub", g, step.binary("mul", step.exp(out), total))];
    },
  },
  pick: {
    forward: (step, [s, y]) => {
      const [rows, columns] = asMatrix(s.shape);
      const out = step.tensor([rows, 1]);
      for (let i = 0; i < rows; i++) out.data[i] = s.data[i * columns + y.data[i]];
      return out;
    },
    vjp: (step, g, [s, y]) => {
      const [rows, columns] = asMatrix(s.shape);
      const grad = step.tensor(s.shape, true);
      for (let i = 0; i < rows; i++) grad.data[i * columns + y.data[i]] += g.data[i];
      return [grad, null];
    },
  },
  onehot: {
    forward: (step, [y], node) => {
      const classes = node.classes as number;
      const out = step.tensor([y.data.length, classes], true);
      for (let i = 0; i < y.data.length; i++) out.data[i * classes + y.data[i]] = 1;
      return out;
    },
    vjp: () => [null],
  },
  batchmean: batchStatistic("batchmean"),
  batchvar: batchStatistic("batchvar"),
  ...imageFloat32Ops,
};
