// The kernel executor: the IR in float32 on kernels of our own (kernels/),
// for training without TensorFlow.js's overheads. Matrix products run in
// WebAssembly SIMD, on two threads when there are two cores; every other op
// is a plain loop over the small tensors a step makes. Each op mirrors the
// reference op table (ops.ts), forward and vector-Jacobian product; the
// executor is tested against the reference like the TensorFlow.js one.
//
// Three things keep a step cheap. The examples stay in the kernel memory and
// a batch is gathered there, so the largest operand is never copied for a
// product. A transpose read only by products is never built: the product
// reads its input the other way round. And gradients flow only towards
// params, so no product is spent on the gradient of X.
import type { Graph, IrNode, OpName } from "./ir";
import { Kernels, type Matrix } from "./kernels/kernels";
import { asMatrix, broadcastShape, shapeString, sizeOf } from "./tensor";

export interface Float32Tensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors bound to the graph's leaves; X is best placed in the kernel memory (see gatherRows). `y` holds the labels as numbers. */
export interface KernelBindings {
  X: Float32Tensor;
  y: Float32Tensor;
  params: ReadonlyMap<string, Float32Tensor>;
}

export { Kernels };

/** What a graph needs beyond its nodes, worked out once per graph. */
interface Plan {
  /** Transposes read only by products: never built, the product reads their input instead. */
  fused: boolean[];
  /** Nodes a param's gradient flows through. */
  needsGradient: boolean[];
}

const plans = new WeakMap<Graph, Plan>();

function planOf(graph: Graph): Plan {
  const known = plans.get(graph);
  if (known) return known;
  const consumers: IrNode[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const input of node.inputs) consumers[input].push(node);
  const fused = graph.nodes.map((node) => node.op === "transpose" && node.id !== graph.output && consumers[node.id].length > 0 && consumers[node.id].every((consumer) => consumer.op === "matmul"));
  const needsGradient: boolean[] = [];
  for (const node of graph.nodes) needsGradient[node.id] = node.op === "param" || node.inputs.some((input) => needsGradient[input]);
  const plan = { fused, needsGradient };
  plans.set(graph, plan);
  return plan;
}

/** Tensors at least this large (64 KiB) live in the kernel memory, and their arithmetic runs there. */
const largeTensor = 16384;

/** A fresh ordinary array with `values` (a copy, as fast from the kernel memory as from anywhere). */
function copyOut(values: Float32Array): Float32Array {
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
class Scratch {
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

const scratches = new WeakMap<Kernels, Scratch>();

/** The ops of one call: products on the kernels, everything else on ordinary arrays. */
class Step {
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

type ElementwiseOp = Exclude<OpName, "input" | "labels" | "batch" | "const" | "param" | "matmul" | "transpose">;

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

// The reference's ops (ops.ts) in float32; matmul and transpose are handled by the executor itself.
const float32Ops: Record<ElementwiseOp, Float32Op> = {
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
  relu: elementwise(
    (x) => (x > 0 ? x : 0),
    (x) => (x > 0 ? 1 : 0),
  ),
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

function leaf(step: Step, node: IrNode, bindings: KernelBindings): Float32Tensor | undefined {
  switch (node.op) {
    case "input":
      return bindings.X;
    case "labels":
      return bindings.y;
    case "batch":
      return step.scalar(bindings.X.shape[0]);
    case "const":
      return step.scalar(node.value as number);
    case "param": {
      const value = bindings.params.get(node.name as string);
      if (!value) throw new Error(`no value bound for param ${node.name}`);
      // A large param is copied into the kernel memory once, for every op that reads it.
      return value.data.length >= largeTensor ? { shape: value.shape, data: step.inKernelMemory(value.data) } : value;
    }
    default:
      return undefined;
  }
}

/** A product's operand: the node it reads and whether it reads it transposed (a fused transpose). */
function operand(graph: Graph, plan: Plan, values: Float32Tensor[], id: number): { id: number; value: Float32Tensor; transposed: boolean } {
  if (!plan.fused[id]) return { id, value: values[id], transposed: false };
  const inner = graph.nodes[id].inputs[0];
  return { id: inner, value: values[inner], transposed: values[inner].shape.length === 2 };
}

function forward(step: Step, graph: Graph, plan: Plan, bindings: KernelBindings): Float32Tensor[] {
  const values: Float32Tensor[] = new Array(graph.nodes.length);
  for (const node of graph.nodes) {
    const known = leaf(step, node, bindings);
    if (known) values[node.id] = known;
    else if (plan.fused[node.id]) continue;
    else if (node.op === "transpose") values[node.id] = step.transpose(values[node.inputs[0]]);
    else if (node.op === "matmul") {
      const [a, b] = node.inputs.map((input) => operand(graph, plan, values, input));
      values[node.id] = step.matmul(a.value, a.transposed, b.value, b.transposed);
    } else {
      values[node.id] = float32Ops[node.op as ElementwiseOp].forward(
        step,
        node.inputs.map((input) => values[input]),
        node,
      );
    }
  }
  return values;
}

/** The gradients a product sends to the nodes it reads (through fused transposes). */
function matmulVjp(step: Step, graph: Graph, plan: Plan, values: Float32Tensor[], node: IrNode, g: Float32Tensor): [number, Float32Tensor][] {
  const [a, b] = node.inputs.map((input) => operand(graph, plan, values, input));
  // As matrices: a vector operand is a row on the left and a column on the right, as in the forward.
  const m = a.value.shape.length === 1 ? 1 : a.transposed ? a.value.shape[1] : a.value.shape[0];
  const n = b.value.shape.length === 1 ? 1 : b.transposed ? b.value.shape[0] : b.value.shape[1];
  const gradient: Float32Tensor = { shape: [m, n], data: g.data };
  const matrix = (t: Float32Tensor, left: boolean): Float32Tensor => (t.shape.length === 2 ? t : { shape: left ? [1, t.shape[0]] : [t.shape[0], 1], data: t.data });
  const A = matrix(a.value, true);
  const B = matrix(b.value, false);
  const result: [number, Float32Tensor][] = [];
  if (plan.needsGradient[a.id]) {
    // d op(a) = g @ op(b)^T; read transposed when a was.
    const da = a.transposed ? step.matmul(B, b.transposed, gradient, true) : step.matmul(gradient, false, B, !b.transposed);
    result.push([a.id, { shape: a.value.shape, data: da.data }]);
  }
  if (plan.needsGradient[b.id]) {
    // d op(b) = op(a)^T @ g; read transposed when b was.
    const db = b.transposed ? step.matmul(gradient, true, A, a.transposed) : step.matmul(A, !a.transposed, gradient, false);
    result.push([b.id, { shape: b.value.shape, data: db.data }]);
  }
  return result;
}

/** Reverse mode over the nodes that lead to params; a fresh array per param. */
function backward(step: Step, graph: Graph, plan: Plan, values: Float32Tensor[]): Map<string, Float32Array> {
  const adjoints: (Float32Tensor | undefined)[] = new Array(graph.nodes.length);
  adjoints[graph.output] = step.scalar(1);
  const accumulate = (id: number, contribution: Float32Tensor) => {
    const known = adjoints[id];
    if (!known) adjoints[id] = contribution;
    else adjoints[id] = step.binary("add", known, contribution);
  };
  for (let id = graph.output; id >= 0; id--) {
    const node = graph.nodes[id];
    const adjoint = adjoints[id];
    if (!adjoint || !plan.needsGradient[id] || node.op === "param") continue;
    if (node.op === "matmul") {
      for (const [target, contribution] of matmulVjp(step, graph, plan, values, node, adjoint)) accumulate(target, contribution);
      continue;
    }
    const inputs = node.inputs.map((input) => values[input]);
    const contributions = node.op === "transpose" ? [step.transpose(adjoint)] : float32Ops[node.op as ElementwiseOp].vjp(step, adjoint, inputs, values[id], node);
    node.inputs.forEach((input, i) => {
      const contribution = contributions[i];
      if (contribution && plan.needsGradient[input]) accumulate(input, contribution);
    });
  }
  const result = new Map<string, Float32Array>();
  for (const node of graph.nodes) {
    if (node.op !== "param") continue;
    const adjoint = adjoints[node.id];
    // A copy: an adjoint may be a param's own array passed through.
    result.set(node.name as string, adjoint ? copyOut(adjoint.data) : new Float32Array(values[node.id].data.length));
  }
  return result;
}

/** Runs `work` with a fresh step; whatever it puts in the kernel memory is freed when it returns. */
function scoped<T>(kernels: Kernels, work: (step: Step) => T): T {
  let scratch = scratches.get(kernels);
  if (!scratch) scratches.set(kernels, (scratch = new Scratch()));
  scratch.begin();
  const mark = kernels.mark();
  try {
    return work(new Step(kernels, scratch));
  } finally {
    kernels.release(mark);
    scratch.end();
  }
}

/** The loss and its gradients with respect to every param the graph reads, as plain arrays. */
export function lossAndGradients(kernels: Kernels, graph: Graph, bindings: KernelBindings): { loss: number; gradients: Map<string, Float32Array> } {
  const plan = planOf(graph);
  return scoped(kernels, (step) => {
    const values = forward(step, graph, plan, bindings);
    return { loss: values[graph.output].data[0], gradients: backward(step, graph, plan, values) };
  });
}

/** The loss alone. */
export function lossValue(kernels: Kernels, graph: Graph, bindings: KernelBindings): number {
  return scoped(kernels, (step) => forward(step, graph, planOf(graph), bindings)[graph.output].data[0]);
}

/** The graph's output (scores, for accuracy). */
export function outputValue(kernels: Kernels, graph: Graph, bindings: KernelBindings): Float32Tensor {
  return scoped(kernels, (step) => {
    const output = forward(step, graph, planOf(graph), bindings)[graph.output];
    return { shape: output.shape, data: copyOut(output.data) };
  });
}

/** Examples copied into the kernel memory, where batches are gathered; they live until the `release` of the caller's `mark`. */
export function kernelMatrix(kernels: Kernels, rows: number, columns: number, values: Float32Array): Float32Tensor {
  if (values.length !== rows * columns) throw new Error(`a ${rows}×${columns} matrix needs ${rows * columns} values, got ${values.length}`);
  return { shape: [rows, columns], data: kernels.copyIn(values) };
}

/** Rows of an [n, d] matrix in the kernel memory, gathered into a new [rows, d] one there (freed like kernelMatrix's). */
export function gatherRows(kernels: Kernels, X: Float32Tensor, rows: Int32Array): Float32Tensor {
  return { shape: [rows.length, X.shape[1]], data: kernels.gatherRows(X.data, X.shape[1], rows) };
}
