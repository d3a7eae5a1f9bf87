// The kernel executor: the IR in float32 on kernels of our own (kernels/),
// for training without TensorFlow.js's overheads. Matrix products run in
// WebAssembly SIMD, on two threads when there are two cores; the other ops
// (kernel-ops.ts) run in WebAssembly too, on tensors a call allocates in the
// kernel memory and frees when it returns. Each op mirrors the
// reference op table (ops.ts), forward and vector-Jacobian product; the
// executor is tested against the reference like the TensorFlow.js one.
//
// Three things keep a step cheap. The examples stay in the kernel memory and
// a product reads a batch's rows where they lie, through a table of row
// numbers, so the largest operand is never copied. A transpose read only by
// products is never built: the product reads its input the other way round.
// And gradients flow only towards params, so no product is spent on the
// gradient of X.
import { runningValue, type StatisticOp } from "./batch-statistics";
import { fillDropoutMask } from "./dropout";
import { movesWithInputs, type Graph, type IrNode } from "./ir";
import type { OpContext } from "./ops";
import { copyOut, float32Ops, Step, type ElementwiseOp, type Float32Tensor } from "./kernel-ops";
import { Kernels } from "./kernels/kernels";
import { inversePermutation } from "./tensor";

/** Tensors bound to the graph's leaves; X is best placed in the kernel memory, a batch as rows of the examples (see batchRows). `y` holds the labels as numbers. */
export interface KernelBindings extends OpContext {
  X: Float32Tensor;
  y: Float32Tensor;
  params: ReadonlyMap<string, Float32Tensor>;
}

export { Kernels, type Float32Tensor };

/** What a graph needs beyond its nodes, worked out once per graph. */
interface Plan {
  /** Transposes read only by products: never built, the product reads their input instead. */
  fused: boolean[];
  /** Nodes a param's gradient flows through. */
  needsGradient: boolean[];
  /** Whether only products read X (directly or through a fused transpose), so a batch's rows can stay where they lie. */
  productsReadX: boolean;
  /**
   * Sums over everything of a square read by nothing else (a param's
   * regularisation, `sum(W^2)`): the input of the square for each such sum
   * node, -1 elsewhere. The square is never built: the sum is one pass over
   * the input, and its gradient, 2·g·W, one more.
   */
  sumOfSquares: number[];
  /** The squares those sums read: never built. */
  unbuilt: boolean[];
  /** Each node's forward work, in order (leaves bind, fused and unbuilt nodes have none). */
  forwardCalls: ForwardCall[];
  /** Each node's backward work, by id: what it sends to its inputs given its adjoint. */
  backwardCalls: (BackwardCall | undefined)[];
}

/**
 * A node's forward or backward work, made once per graph: the graph is
 * walked once into a list of calls, so a step runs the list and no step
 * decides again what a node needs. Each call is a small function of its own,
 * which keeps the code V8 optimizes while a run starts small.
 */
type ForwardCall = (step: Step, values: Float32Tensor[], bindings: KernelBindings) => void;
type BackwardCall = (step: Step, values: Float32Tensor[], adjoint: Float32Tensor, adjoints: Adjoints) => void;

const plans = new WeakMap<Graph, Plan>();

function planOf(graph: Graph): Plan {
  const known = plans.get(graph);
  if (known) return known;
  const consumers: IrNode[][] = graph.nodes.map(() => []);
  for (const node of graph.nodes) for (const input of node.inputs) consumers[input].push(node);
  const fused = graph.nodes.map((node) => node.op === "transpose" && !node.axes && node.id !== graph.output && consumers[node.id].length > 0 && consumers[node.id].every((consumer) => consumer.op === "matmul"));
  const needsGradient: boolean[] = [];
  for (const node of graph.nodes) needsGradient[node.id] = node.op === "param" || (movesWithInputs(node) && node.inputs.some((input) => needsGradient[input]));
  const productsReadX = graph.nodes.every((node) => node.op !== "input" || (node.id !== graph.output && consumers[node.id].every((consumer) => consumer.op === "matmul" || fused[consumer.id])));
  const sumOfSquares = graph.nodes.map((node) => {
    if (node.op !== "sum" || node.axis !== undefined) return -1;
    const square = graph.nodes[node.inputs[0]];
    return square.op === "pow" && square.exponent === 2 && square.id !== graph.output && consumers[square.id].length === 1 ? square.inputs[0] : -1;
  });
  const unbuilt = graph.nodes.map(() => false);
  graph.nodes.forEach((node) => {
    if (sumOfSquares[node.id] >= 0) unbuilt[node.inputs[0]] = true;
  });
  const plan: Plan = { fused, needsGradient, productsReadX, sumOfSquares, unbuilt, forwardCalls: [], backwardCalls: [] };
  for (const node of graph.nodes) {
    const call = forwardCall(graph, plan, node);
    if (call) plan.forwardCalls.push(call);
    plan.backwardCalls[node.id] = needsGradient[node.id] && node.op !== "param" ? backwardCall(graph, plan, node) : undefined;
  }
  plans.set(graph, plan);
  return plan;
}

function forwardCall(graph: Graph, plan: Plan, node: IrNode): ForwardCall | undefined {
  const id = node.id;
  const inputs = node.inputs;
  switch (node.op) {
    case "input":
      return (step, values, bindings) => {
        const X = bindings.X;
        // A batch read in place, for an op other than a product: its rows gathered.
        values[id] = X.rowTable && !plan.productsReadX ? { shape: X.shape, data: step.gathered(X.data, X.shape[1], X.rowTable) } : X;
      };
    case "labels":
    case "batch":
    case "const":
    case "param":
      return (step, values, bindings) => {
        values[id] = leaf(step, node, bindings) as Float32Tensor;
      };
  }
  if (plan.fused[id] || plan.unbuilt[id]) return undefined;
  const squared = plan.sumOfSquares[id];
  if (squared >= 0) {
    return (step, values) => {
      values[id] = step.sumOfSquares(values[squared]);
    };
  }
  if (node.op === "transpose") {
    return (step, values) => {
      values[id] = step.transpose(values[inputs[0]], node.axes);
    };
  }
  if (node.op === "dropoutmask") {
    // The reference's mask (dropout.ts), drawn entry by entry with the same integer arithmetic.
    return (step, values, bindings) => {
      const mask = step.tensor(values[inputs[0]].shape);
      fillDropoutMask(mask.data, node.keep as number, node.salt as number, bindings.dropout);
      values[id] = mask;
    };
  }
  if (node.op === "batchmean" || node.op === "batchvar") {
    const statistic = node.statistic as string;
    const batch = float32Ops[node.op];
    return (step, values, bindings) => {
      const running = bindings.statistics?.running;
      const a = values[inputs[0]];
      if (running) {
        const out = step.tensor([1, a.shape[a.shape.length - 1]]);
        runningValue(node.op as StatisticOp, statistic, running, out.data);
        values[id] = out;
        return;
      }
      values[id] = batch.forward(step, [a], node);
      bindings.statistics?.observed?.set(statistic, copyOut(values[id].data));
    };
  }
  if (node.op === "matmul") {
    return (step, values) => {
      const a = operand(graph, plan, values, inputs[0]);
      const b = operand(graph, plan, values, inputs[1]);
      values[id] = step.matmul(a.value, a.transposed, b.value, b.transposed);
    };
  }
  const op = float32Ops[node.op as ElementwiseOp];
  return (step, values) => {
    values[id] = op.forward(
      step,
      inputs.map((input) => values[input]),
      node,
    );
  };
}

function backwardCall(graph: Graph, plan: Plan, node: IrNode): BackwardCall {
  const id = node.id;
  const inputs = node.inputs;
  if (node.op === "matmul") {
    return (step, values, adjoint, adjoints) => {
      for (const [target, contribution] of matmulVjp(step, graph, plan, values, node, adjoint)) adjoints.accumulate(target, contribution);
    };
  }
  const squared = plan.sumOfSquares[id];
  if (squared >= 0) {
    // d sum(W^2) = 2·g·W, from W itself (the square was never built).
    return (_step, values, adjoint, adjoints) => {
      if (plan.needsGradient[squared]) adjoints.accumulateScaled(squared, values[squared], 2 * adjoint.data[0]);
    };
  }
  const needs = inputs.map((input) => plan.needsGradient[input]);
  const op = node.op === "transpose" ? undefined : float32Ops[node.op as ElementwiseOp];
  const vjp: (step: Step, adjoint: Float32Tensor, values: Float32Tensor[]) => (Float32Tensor | null)[] = op
    ? (step, adjoint, values) =>
        op.vjp(
          step,
          adjoint,
          inputs.map((input) => values[input]),
          values[id],
          node,
          needs,
        )
    : (step, adjoint) => [step.transpose(adjoint, node.axes && inversePermutation(node.axes))];
  return (step, values, adjoint, adjoints) => {
    const contributions = vjp(step, adjoint, values);
    for (let i = 0; i < inputs.length; i++) {
      const contribution = contributions[i];
      if (contribution && needs[i]) adjoints.accumulate(inputs[i], contribution);
    }
  };
}

function leaf(step: Step, node: IrNode, bindings: KernelBindings): Float32Tensor | undefined {
  switch (node.op) {
    case "labels":
      return bindings.y;
    case "batch":
      return step.scalar(bindings.X.shape[0]);
    case "const":
      return step.scalar(node.value as number);
    case "param": {
      const value = bindings.params.get(node.name as string);
      if (!value) throw new Error(`no value bound for param ${node.name}`);
      // A param kept outside the kernel memory is copied in once, for every op that reads it.
      return { shape: value.shape, data: step.inKernelMemory(value.data) };
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
  for (const call of plan.forwardCalls) call(step, values, bindings);
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

/** The adjoints of one backward pass, as they are summed. */
class Adjoints {
  readonly values: (Float32Tensor | undefined)[];
  /** Where a param's gradient from several contributions is summed: its array of `into`, when that is in the kernel memory. */
  private readonly sumTargets: (Float32Array | undefined)[];
  /**
   * A param's first contribution when it is scale · value (a sum of
   * squares' gradient, which comes before the products' in a backward
   * pass): kept unbuilt and summed with the next contribution in one pass.
   */
  private readonly pending: ({ value: Float32Tensor; scale: number } | undefined)[];

  constructor(
    private readonly step: Step,
    graph: Graph,
    into: ReadonlyMap<string, Float32Array> | undefined,
  ) {
    this.values = new Array(graph.nodes.length);
    this.sumTargets = graph.nodes.map((node) => (node.op === "param" ? into?.get(node.name as string) : undefined));
    this.pending = new Array(graph.nodes.length);
  }

  /** Adds scale · value to the adjoint of `id`. */
  accumulateScaled(id: number, value: Float32Tensor, scale: number): void {
    const target = this.sumTargets[id];
    if (!this.values[id] && !this.pending[id] && target && target.length === value.data.length && this.step.holds(target)) this.pending[id] = { value, scale };
    else this.accumulate(id, this.step.scaled(value, scale));
  }

  accumulate(id: number, contribution: Float32Tensor): void {
    const pending = this.pending[id];
    if (pending) {
      this.pending[id] = undefined;
      const target = this.sumTargets[id] as Float32Array;
      if (contribution.data.length === target.length) {
        this.values[id] = { shape: pending.value.shape, data: this.step.addScaledInto(target, contribution.data, pending.value.data, pending.scale) };
        return;
      }
      this.values[id] = this.step.scaled(pending.value, pending.scale);
    }
    const known = this.values[id];
    const target = this.sumTargets[id];
    if (!known) this.values[id] = contribution;
    else if (target && target.length === known.data.length && known.data.length === contribution.data.length && this.step.holds(target)) this.values[id] = { shape: known.shape, data: this.step.addInto(target, known.data, contribution.data) };
    else this.values[id] = this.step.binary("add", known, contribution);
  }

  /** Builds every contribution still pending: call before reading the adjoints. */
  settle(): void {
    this.pending.forEach((pending, id) => {
      if (!pending) return;
      this.pending[id] = undefined;
      this.values[id] = this.step.scaled(pending.value, pending.scale);
    });
  }
}

/**
 * Reverse mode over the nodes that lead to params; into the arrays of `into`
 * where given, else a fresh array per param.
 */
function backward(step: Step, graph: Graph, plan: Plan, values: Float32Tensor[], into?: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const adjoints = new Adjoints(step, graph, into);
  adjoints.values[graph.output] = step.scalar(1);
  for (let id = graph.output; id >= 0; id--) {
    const adjoint = adjoints.values[id];
    const call = plan.backwardCalls[id];
    if (adjoint && call) call(step, values, adjoint, adjoints);
  }
  adjoints.settle();
  const result = new Map<string, Float32Array>();
  for (const node of graph.nodes) {
    if (node.op !== "param") continue;
    const adjoint = adjoints.values[node.id];
    const target = into?.get(node.name as string);
    if (target) {
      if (adjoint && adjoint.data.length !== target.length) throw new Error(`the gradient of ${node.name} has ${adjoint.data.length} entries, the param ${target.length}`);
      if (!adjoint) target.fill(0);
      else if (adjoint.data !== target) target.set(adjoint.data);
      result.set(node.name as string, target);
    } else {
      // A copy: an adjoint may be a param's own array passed through.
      result.set(node.name as string, adjoint ? copyOut(adjoint.data) : new Float32Array(values[node.id].data.length));
    }
  }
  return result;
}

/** Runs `work` with a fresh step; whatever it puts in the kernel memory is freed when it returns. */
function scoped<T>(kernels: Kernels, work: (step: Step) => T): T {
  const mark = kernels.mark();
  try {
    return work(new Step(kernels));
  } finally {
    kernels.release(mark);
  }
}

/**
 * The loss and its gradients with respect to every param the graph reads:
 * written into the arrays of `into` where it has one (the kernel memory's
 * own, for a run's params), else as fresh plain arrays.
 */
export function lossAndGradients(kernels: Kernels, graph: Graph, bindings: KernelBindings, into?: ReadonlyMap<string, Float32Array>): { loss: number; gradients: Map<string, Float32Array> } {
  const plan = planOf(graph);
  return scoped(kernels, (step) => {
    const values = forward(step, graph, plan, bindings);
    return { loss: values[graph.output].data[0], gradients: backward(step, graph, plan, values, into) };
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

/** Examples copied into the kernel memory, where batches are read; they live until the `release` of the caller's `mark`. */
export function kernelMatrix(kernels: Kernels, rows: number, columns: number, values: Float32Array): Float32Tensor {
  if (values.length !== rows * columns) throw new Error(`a ${rows}×${columns} matrix needs ${rows * columns} values, got ${values.length}`);
  return { shape: [rows, columns], data: kernels.copyIn(values) };
}

/**
 * Rows of an [n, d] matrix in the kernel memory as a [rows, d] batch read
 * where they lie: the row numbers are copied to the kernel memory (freed like
 * kernelMatrix's), the rows are not.
 */
export function batchRows(kernels: Kernels, X: Float32Tensor, rows: Int32Array): Float32Tensor {
  const n = X.shape[0];
  for (let i = 0; i < rows.length; i++) if (!(rows[i] >= 0 && rows[i] < n)) throw new Error(`row ${rows[i]} of a batch is not one of the ${n} examples`);
  return { shape: [rows.length, X.shape[1]], data: X.data, rowTable: kernels.copyInRows(rows) };
}
