// The kernel executor's op table (kernel-executor.ts): each op of the
// reference table (ops.ts) in float32, forward and vector-Jacobian product
// side by side, and the memory a step's tensors live in. Small tensors (a
// step's scores and the loss on them) are ordinary arrays, reused from call
// to call; tensors of a param's size live in the kernel memory, where their
// arithmetic runs in WebAssembly. Products go to the kernels.
import type { IrNode, OpName } from "./ir";
import type { Kernels, Matrix } from "./kernels/kernels";
import { asMatrix, broadcastShape, shapeString, sizeOf } from "./tensor";

export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors at least this large (64 KiB) live in the kernel memory, and their arithmetic runs there. */
export const largeTensor = 16384;

/** A fresh ordinary array with `values` (a copy, as fast from the kernel memory as from anywhere). */
export function copyOut(values: Float32Array): Float32Array {
  const copy = new Float32Array(values.length);
  copy.set(values);
  return copy;
}

type BinaryOp = "add" | "sub" | "mul" | "div" | "max" | "min" | "gt" | "lt" | "ge" | "le" | "eq" | "ne";

type Combine = (values: Float32Array, start: number, stride: number, count: number) => number;

/**
 * Memory for the tensors of one call, reused from call to call: a step makes
 * the same tensors every time, and fresh arrays would cost their zeroing and
 * the garbage collector's time. Ordinary memory, not the kernel memory, which
 * JavaScript reads and writes more slowly.
 */
export class Scratch {
  private buffer = new ArrayBuffer(1 << 20);
  private top = 0;
  private inUse = false;

  begin(): void {
    if (this.inUse) throw new Error("the kernel executor does not nest calls");
    this.inUse = true;
    this.top = 0;
  }

  end(): void {
    this.inUse = false;
  }

  allocate(count: number): Float32Array {
    const bytes = (count * 4 + 15) & ~15;
    if (this.top + bytes > this.buffer.byteLength) {
      // A larger buffer from here on; arrays already handed out keep the old one alive until the call ends.
      this.buffer = new ArrayBuffer(Math.max(2 * this.buffer.byteLength, 2 * bytes));
      this.top = 0;
    }
    const view = new Float32Array(this.buffer, this.top, count);
    this.top += bytes;
    return view;
  }
}

/** The ops of one call: products on the kernels, everything else on ordinary arrays. */
export class Step {
  constructor(
    private readonly kernels: Kernels,
    private readonly scratch: Scratch,
  ) {}

  /**
   * A tensor for this call; its values are left as they were unless `zeroed`.
   * Large ones (a param's size) go to the kernel memory, where elementwise
   * arithmetic on them runs in WebAssembly.
   */
  tensor(shape: number[], zeroed = false): Float32Tensor {
    const size = sizeOf(shape);
    if (size >= largeTensor) return { shape, data: this.kernels.allocate(size, zeroed) };
    const data = this.scratch.allocate(size);
    if (zeroed) data.fill(0);
    return { shape, data };
  }

  /** out = scale · x · y in WebAssembly; out is in the kernel memory. */
  kernelsScaledProduct(out: Float32Array, x: Float32Array, y: Float32Array, scale: number): void {
    this.kernels.scaledProduct(out, this.inKernelMemory(x), this.inKernelMemory(y), scale);
  }

  /** ReLU and its gradient of a large tensor in WebAssembly; undefined for a small one. */
  kernelsRelu(a: Float32Tensor, g?: Float32Tensor): Float32Tensor | undefined {
    if (a.data.length < largeTensor) return undefined;
    const out = this.tensor(a.shape);
    if (g) this.kernels.reluGradient(out.data, this.inKernelMemory(g.data), this.inKernelMemory(a.data));
    else this.kernels.relu(out.data, this.inKernelMemory(a.data));
    return out;
  }

  /** `a`'s values in the kernel memory: a itself, or a copy made for this call. */
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

  /**
   * An elementwise binary op with broadcasting. Equal sizes run one loop of
   * the op's own; a broadcast operand is first copied out to the full shape
   * (cheap: the broadcast operands of a step are small), and a scalar times a
   * large tensor (a param's regularisation) skips the copy.
   */
  binary(op: BinaryOp, a: Float32Tensor, b: Float32Tensor): Float32Tensor {
    const shape = broadcastShape(a.shape, b.shape);
    if (!shape) throw new Error(`cannot broadcast ${shapeString(a.shape)} with ${shapeString(b.shape)}`);
    const out = this.tensor(shape);
    const size = out.data.length;
    const large = size >= largeTensor;
    if ((op === "mul" || op === "add") && (a.data.length === 1 || b.data.length === 1) && size > 1) {
      const [scalar, other] = a.data.length === 1 ? [a.data[0], b.data] : [b.data[0], a.data];
      if (op === "mul" && large) this.kernels.scaledProduct(out.data, this.inKernelMemory(other), undefined, scalar);
      else if (op === "mul") scaleInto(out.data, other, scalar);
      else shiftInto(out.data, other, scalar);
      return out;
    }
    if (large && a.data.length === size && b.data.length === size && (op === "add" || op === "sub" || op === "mul" || op === "div")) {
      this.kernels.elementwise(op, out.data, this.inKernelMemory(a.data), this.inKernelMemory(b.data));
      return out;
    }
    binaryInto(op, out.data, this.broadcastTo(a, shape), this.broadcastTo(b, shape));
    return out;
  }

  /** The values of `a` broadcast to `shape` (a itself when it has that many already). */
  broadcastTo(a: Float32Tensor, shape: number[]): Float32Array {
    const size = sizeOf(shape);
    if (a.data.length === size) return a.data;
    const out = this.scratch.allocate(size);
    if (a.data.length === 1) out.fill(a.data[0]);
    else {
      const [rows, columns] = asMatrix(shape);
      const [rowStride, columnStride] = strides(a.shape, shape);
      broadcastInto(out, a.data, rows, columns, rowStride, columnStride, 1);
    }
    return out;
  }

  /** Sums a broadcast gradient back to the shape of the input it came from. */
  unbroadcast(gradient: Float32Tensor, shape: number[]): Float32Tensor {
    if (gradient.shape.length === shape.length && gradient.shape.every((dim, i) => dim === shape[i])) return gradient;
    const out = this.tensor(shape, true);
    const [rows, columns] = asMatrix(gradient.shape);
    const [rowStride, columnStride] = strides(shape, gradient.shape);
    sumInto(out.data, gradient.data, rows, columns, rowStride, columnStride);
    return out;
  }

  /** Reduces along `axis` (kept with size 1), or over everything when undefined. */
  reduce(a: Float32Tensor, axis: number | undefined, combine: Combine): Float32Tensor {
    if (axis === undefined) return this.scalar(combine === sumOf && a.data.length >= largeTensor ? this.kernels.sum(this.inKernelMemory(a.data)) : combine(a.data, 0, 1, a.data.length));
    const [rows, columns] = asMatrix(a.shape);
    if (axis === 1) {
      const out = this.tensor([rows, 1]);
      for (let i = 0; i < rows; i++) out.data[i] = combine(a.data, i * columns, 1, columns);
      return out;
    }
    const out = this.tensor([1, columns]);
    for (let j = 0; j < columns; j++) out.data[j] = combine(a.data, j, columns, rows);
    return out;
  }

  /** Broadcasts a reduced gradient back to the input's shape, times `scale`. */
  expand(g: Float32Tensor, shape: number[], scale: number): Float32Tensor {
    const out = this.tensor(shape);
    if (g.data.length === 1) {
      out.data.fill(g.data[0] * scale);
      return out;
    }
    const [rows, columns] = asMatrix(shape);
    const [rowStride, columnStride] = strides(g.shape, shape);
    broadcastInto(out.data, g.data, rows, columns, rowStride, columnStride, scale);
    return out;
  }

  logSoftmax(a: Float32Tensor, axis: number): Float32Tensor {
    return this.binary("sub", a, this.reduce(a, axis, logSumExpOf));
  }

  exp(a: Float32Tensor): Float32Tensor {
    const out = this.tensor(a.shape);
    expInto(out.data, a.data);
    return out;
  }

  transpose(a: Float32Tensor): Float32Tensor {
    if (a.shape.length < 2) return { shape: [...a.shape].reverse(), data: a.data };
    const [rows, columns] = a.shape;
    const out = this.tensor([columns, rows]);
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out.data[j * rows + i] = a.data[i * columns + j];
    return out;
  }

  /** op(a) @ op(b) with numpy's promotion of vectors; a transposed operand is a matrix. */
  matmul(a: Float32Tensor, transposeA: boolean, b: Float32Tensor, transposeB: boolean): Float32Tensor {
    const left: Matrix = a.shape.length === 1 ? { rows: 1, columns: a.shape[0], data: a.data } : { rows: a.shape[0], columns: a.shape[1], data: a.data };
    const right: Matrix = b.shape.length === 1 ? { rows: b.shape[0], columns: 1, data: b.data } : { rows: b.shape[0], columns: b.shape[1], data: b.data };
    const m = transposeA ? left.columns : left.rows;
    const n = transposeB ? right.rows : right.columns;
    const out = this.tensor([...(a.shape.length === 2 ? [m] : []), ...(b.shape.length === 2 ? [n] : [])]);
    this.kernels.matmul(left, transposeA, right, transposeB, out.data);
    return out;
  }
}

// Loops of their own, outside the op table's closures: V8 optimises a small
// function that always sees the same kinds of arrays, where a loop inside a
// closure with other, cold branches is compiled and thrown away again.

/** out = scale · a · b, elementwise. */
function scaledProduct(out: Float32Array, a: Float32Array, b: Float32Array, scale: number): void {
  for (let i = 0; i < out.length; i++) out[i] = scale * a[i] * b[i];
}

function scaleInto(out: Float32Array, a: Float32Array, scale: number): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] * scale;
}

function shiftInto(out: Float32Array, a: Float32Array, shift: number): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + shift;
}

function expInto(out: Float32Array, a: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(a[i]);
}

/** out = x op y over equal sizes; the comparisons give 1 or 0. max and min keep x on a tie, as the reference does. */
function binaryInto(op: BinaryOp, out: Float32Array, x: Float32Array, y: Float32Array): void {
  const n = out.length;
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
      return;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = x[i] - y[i];
      return;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = x[i] * y[i];
      return;
    case "div":
      for (let i = 0; i < n; i++) out[i] = x[i] / y[i];
      return;
    case "max":
      for (let i = 0; i < n; i++) out[i] = x[i] >= y[i] ? x[i] : y[i];
      return;
    case "min":
      for (let i = 0; i < n; i++) out[i] = x[i] <= y[i] ? x[i] : y[i];
      return;
    case "gt":
      for (let i = 0; i < n; i++) out[i] = x[i] > y[i] ? 1 : 0;
      return;
    case "lt":
      for (let i = 0; i < n; i++) out[i] = x[i] < y[i] ? 1 : 0;
      return;
    case "ge":
      for (let i = 0; i < n; i++) out[i] = x[i] >= y[i] ? 1 : 0;
      return;
    case "le":
      for (let i = 0; i < n; i++) out[i] = x[i] <= y[i] ? 1 : 0;
      return;
    case "eq":
      for (let i = 0; i < n; i++) out[i] = x[i] === y[i] ? 1 : 0;
      return;
    case "ne":
      for (let i = 0; i < n; i++) out[i] = x[i] !== y[i] ? 1 : 0;
      return;
  }
}

/**
 * Where an input of `shape` sits in a broadcast over `to` (rank 2 at most),
 * as strides of `to`'s rows and columns seen as a matrix: 0 along an axis
 * the input repeats.
 */
function strides(shape: number[], to: number[]): [number, number] {
  const [rows, columns] = asMatrix(to);
  const padded = shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]] : shape;
  const inputColumns = padded[1];
  return [padded[0] === 1 || rows === 1 ? 0 : inputColumns, inputColumns === 1 || columns === 1 ? 0 : 1];
}

/** out[i, j] = scale · from[i · rowStride + j · columnStride] over a rows × columns output. */
function broadcastInto(out: Float32Array, from: Float32Array, rows: number, columns: number, rowStride: number, columnStride: number, scale: number): void {
  let k = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[k++] = from[i * rowStride + j * columnStride] * scale;
}

/** out[i · rowStride + j · columnStride] += from[i, j] over a rows × columns input. */
function sumInto(out: Float32Array, from: Float32Array, rows: number, columns: number, rowStride: number, columnStride: number): void {
  let k = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) out[i * rowStride + j * columnStride] += from[k++];
}

function sumOf(values: Float32Array, start: number, stride: number, count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += values[start + i * stride];
  return total;
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
  return asMatrix(shape)[axis];
}

export type ElementwiseOp = Exclude<OpName, "input" | "labels" | "batch" | "const" | "param" | "matmul" | "transpose">;

interface Float32Op {
  forward(step: Step, inputs: Float32Tensor[], node: IrNode): Float32Tensor;
  /** Gradients for each input given the output's; null where an input gets none. */
  vjp(step: Step, gradient: Float32Tensor, inputs: Float32Tensor[], output: Float32Tensor, node: IrNode): (Float32Tensor | null)[];
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

function comparison(op: BinaryOp): Float32Op {
  return {
    forward: (step, [a, b]) => step.binary(op, a, b),
    vjp: () => [null, null],
  };
}

/** max or min: the gradient goes to the side the op picked (`picked` is ge for max, le for min), to a on a tie. */
function extremum(op: "max" | "min", picked: "ge" | "le"): Float32Op {
  return {
    forward: (step, [a, b]) => step.binary(op, a, b),
    vjp: (step, g, [a, b]) => {
      const ga = step.binary("mul", step.binary(picked, a, b), g);
      return [step.unbroadcast(ga, a.shape), step.unbroadcast(step.binary("sub", g, ga), b.shape)];
    },
  };
}

const reluInJs = elementwise(
  (x) => (x > 0 ? x : 0),
  (x) => (x > 0 ? 1 : 0),
);

// The reference's ops (ops.ts) in float32; matmul and transpose are handled by the executor itself.
export const float32Ops: Record<ElementwiseOp, Float32Op> = {
  add: {
    forward: (step, [a, b]) => step.binary("add", a, b),
    vjp: (step, g, [a, b]) => [step.unbroadcast(g, a.shape), step.unbroadcast(g, b.shape)],
  },
  sub: {
    forward: (step, [a, b]) => step.binary("sub", a, b),
    vjp: (step, g, [a, b]) => [step.unbroadcast(g, a.shape), step.unbroadcast(step.binary("mul", g, step.scalar(-1)), b.shape)],
  },
  mul: {
    forward: (step, [a, b]) => step.binary("mul", a, b),
    vjp: (step, g, [a, b]) => [step.unbroadcast(step.binary("mul", g, b), a.shape), step.unbroadcast(step.binary("mul", g, a), b.shape)],
  },
  div: {
    forward: (step, [a, b]) => step.binary("div", a, b),
    vjp: (step, g, [a, b]) => [step.unbroadcast(step.binary("div", g, b), a.shape), step.unbroadcast(step.binary("mul", step.binary("div", step.binary("mul", g, a), step.binary("mul", b, b)), step.scalar(-1)), b.shape)],
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
      if (p === 2 && g.data.length === a.data.length) {
        const grad = step.tensor(a.shape);
        if (grad.data.length >= largeTensor) step.kernelsScaledProduct(grad.data, a.data, g.data, 2);
        else scaledProduct(grad.data, a.data, g.data, 2);
        return [grad];
      }
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
    // A hidden layer's activations are large: in WebAssembly then.
    forward: (step, [a], node) => step.kernelsRelu(a) ?? reluInJs.forward(step, [a], node),
    vjp: (step, g, [a], out, node) => {
      const fast = g.data.length === a.data.length ? step.kernelsRelu(a, g) : undefined;
      return fast ? [fast] : reluInJs.vjp(step, g, [a], out, node);
    },
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
    forward: (step, [a], node) => step.reduce(a, node.axis, sumOf),
    vjp: (step, g, [a]) => [step.expand(g, a.shape, 1)],
  },
  mean: {
    forward: (step, [a], node) => {
      const count = axisLength(a.shape, node.axis);
      return step.map1(step.reduce(a, node.axis, sumOf), (x) => x / count);
    },
    vjp: (step, g, [a], _, node) => [step.expand(g, a.shape, 1 / axisLength(a.shape, node.axis))],
  },
  logsumexp: {
    forward: (step, [a], node) => step.reduce(a, node.axis ?? 1, logSumExpOf),
    vjp: (step, g, [a], out) => [step.binary("mul", step.exp(step.binary("sub", a, out)), g)],
  },
  softmax: {
    forward: (step, [a], node) => step.exp(step.logSoftmax(a, node.axis ?? 1)),
    vjp: (step, g, _, out, node) => {
      // dx = p * (g - sum(g * p, axis))
      const weighted = step.reduce(step.binary("mul", g, out), node.axis ?? 1, sumOf);
      return [step.binary("mul", step.binary("sub", g, weighted), out)];
    },
  },
  logsoftmax: {
    forward: (step, [a], node) => step.logSoftmax(a, node.axis ?? 1),
    vjp: (step, g, _, out, node) => {
      // dx = g - softmax * sum(g, axis)
      const total = step.reduce(g, node.axis ?? 1, sumOf);
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
};
