// Loss evaluations for finite differences, cheap: the graph is evaluated once
// at the centre point, and a perturbed evaluation recomputes only what the
// perturbation reaches. A change to one entry of W stays sparse through
// transposes, elementwise ops, reductions and matrix products (where it
// becomes one row or column), so checking all 30,730 entries of a linear
// classifier costs O(N·C) per evaluation instead of O(N·D·C).
//
// Every evaluation also says whether any kinked op (max, relu, abs, a
// comparison) changed branch relative to the centre: the finite difference
// then spans a kink.
import { movesWithInputs, type Graph, type IrNode, type OpName } from "./ir";
import { ops } from "./ops";
import { tangentsAlong, valuesAlong, type Tangents } from "./along-direction";
import { branchSignature, evaluate, type Bindings, type Values } from "./reference";
import { sizeOf, type Tensor } from "./tensor";

/** A node's value after a perturbation: unchanged, changed at a few entries, or recomputed whole. */
type Change = undefined | { sparse: true; indices: number[]; values: number[] } | { sparse: false; value: Tensor };

const unaryScalar: Partial<Record<OpName, (x: number, node: IrNode) => number>> = {
  neg: (x) => -x,
  pow: (x, node) => x ** (node.exponent as number),
  relu: (x) => (x > 0 ? x : 0),
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
};

const unaryBranch: Partial<Record<OpName, (x: number) => number>> = {
  relu: (x) => (x > 0 ? 1 : x < 0 ? 2 : 0),
  abs: (x) => (x > 0 ? 1 : x < 0 ? 2 : 0),
};

/** The binary ops on one pair of numbers, as the reference computes them (comparisons give 1 or 0, max and min keep x on a tie). */
export const binaryScalar: Partial<Record<OpName, (x: number, y: number) => number>> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  max: (x, y) => (x >= y ? x : y),
  min: (x, y) => (x <= y ? x : y),
  gt: (x, y) => (x > y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
};

const binaryBranch: Partial<Record<OpName, (x: number, y: number) => number>> = {
  max: (x, y) => (x > y ? 1 : x < y ? 2 : 0),
  min: (x, y) => (x < y ? 1 : x > y ? 2 : 0),
  gt: (x, y) => (x > y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
};

/** For each output element, the index into `value` it reads under broadcasting. */
function broadcastSourceOf(value: Tensor, out: Tensor): (index: number) => number {
  if (value.data.length === out.data.length) return (index) => index;
  if (value.data.length === 1) return () => 0;
  const columns = out.shape[out.shape.length - 1] ?? 1;
  const [rows, width] = value.shape.length === 2 ? value.shape : [1, value.shape[0] ?? 1];
  if (rows === 1) return width === 1 ? () => 0 : (index) => index % columns;
  return width === 1 ? (index) => Math.floor(index / columns) : (index) => Math.floor(index / columns) * width + (index % columns);
}

/** The output elements that read element `index` of `value` under broadcasting. */
function broadcastTargets(value: Tensor, out: Tensor, index: number): number[] {
  if (value.data.length === out.data.length) return [index];
  if (value.data.length === 1) return Array.from({ length: out.data.length }, (_, i) => i);
  const [outRows, columns] = out.shape.length === 2 ? out.shape : [1, out.shape[0] ?? 1];
  const [rows, width] = value.shape.length === 2 ? value.shape : [1, value.shape[0] ?? 1];
  const row = Math.floor(index / width);
  const column = index % width;
  const targets: number[] = [];
  for (let r = rows === 1 ? 0 : row; r < (rows === 1 ? outRows : row + 1); r++) {
    for (let c = width === 1 ? 0 : column; c < (width === 1 ? columns : column + 1); c++) targets.push(r * columns + c);
  }
  return targets;
}

export interface Evaluation {
  value: number;
  /** A kinked op changed branch between the centre and this point. */
  kinked: boolean;
}

export class IncrementalEvaluator {
  readonly center: Values;
  readonly centerValue: number;
  private readonly centerBranches: Uint8Array[];
  private readonly kinkedNodes: IrNode[];
  /** The last direction moved along, and its tangents. */
  private along?: { direction: ReadonlyMap<string, Tensor>; tangents: Tangents };

  /** `center`: the graph's values at `bindings`, when the caller has them already. */
  constructor(
    private readonly graph: Graph,
    bindings: Bindings,
    center?: Values,
  ) {
    this.center = center ?? evaluate(graph, bindings);
    this.centerValue = this.center[graph.output].data[0];
    this.centerBranches = branchSignature(graph, this.center);
    this.kinkedNodes = graph.nodes.filter((node) => node.op in ops && ops[node.op as keyof typeof ops].branches !== undefined);
  }

  /** Does the graph have any kinked op at all? */
  get hasKinks(): boolean {
    return this.kinkedNodes.length > 0;
  }

  /** The output with one entry of one param moved by `delta`. */
  perturbEntry(param: string, index: number, delta: number): Evaluation {
    const changes: Change[] = new Array(this.graph.nodes.length);
    let kinked = false;
    for (const node of this.graph.nodes) {
      if (node.op === "param") {
        if (node.name === param) {
          const base = this.center[node.id].data[index];
          changes[node.id] = { sparse: true, indices: [index], values: [base + delta] };
        }
        continue;
      }
      if (node.inputs.length === 0 || node.inputs.every((input) => changes[input] === undefined) || !movesWithInputs(node)) continue;
      const result = this.propagate(node, changes);
      changes[node.id] = result.change;
      kinked ||= result.kinked;
    }
    const out = changes[this.graph.output];
    const value = out === undefined ? this.centerValue : out.sparse ? out.values[0] : out.value.data[0];
    return { value, kinked };
  }

  /** The output with every param moved along `direction` by `scale`: the affine part's tangent is computed once per direction (`along-direction.ts`). */
  perturbAlong(direction: ReadonlyMap<string, Tensor>, scale: number): Evaluation {
    if (this.along?.direction !== direction) this.along = { direction, tangents: tangentsAlong(this.graph, this.center, direction) };
    const values = valuesAlong(this.graph, this.center, this.along.tangents, scale);
    const branches = branchSignature(this.graph, values);
    let kinked = false;
    for (let i = 0; i < branches.length && !kinked; i++) {
      for (let k = 0; k < branches[i].length; k++) {
        if (branches[i][k] !== this.centerBranches[i][k]) {
          kinked = true;
          break;
        }
      }
    }
    return { value: values[this.graph.output].data[0], kinked };
  }

  private dense(id: number, changes: Change[]): Tensor {
    const change = changes[id];
    const base = this.center[id];
    if (change === undefined) return base;
    if (!change.sparse) return change.value;
    const data = base.data.slice();
    for (let i = 0; i < change.indices.length; i++) data[change.indices[i]] = change.values[i];
    return { shape: base.shape, data };
  }

  private propagate(node: IrNode, changes: Change[]): { change: Change; kinked: boolean } {
    const inputs = node.inputs;
    const first = changes[inputs[0]];
    const out = this.center[node.id];
    const unary = unaryScalar[node.op];
    if (unary && first?.sparse) {
      const branch = unaryBranch[node.op];
      const before = this.center[inputs[0]].data;
      let kinked = false;
      const values = first.values.map((x, i) => {
        if (branch && branch(x) !== branch(before[first.indices[i]])) kinked = true;
        return unary(x, node);
      });
      return { change: { sparse: true, indices: first.indices, values }, kinked };
    }
    const binary = binaryScalar[node.op];
    if (binary && inputs.every((input) => changes[input] === undefined || changes[input]?.sparse)) {
      // A side broadcast along an axis spreads each change over that row or column; a scalar spreads everywhere.
      // Beyond two axes, only operands read whole or as one number are followed sparsely.
      const spreadable = inputs.every((input) => changes[input] === undefined || this.center[input].data.length > 1 || out.data.length === 1) && (out.shape.length <= 2 || inputs.every((input) => this.center[input].data.length === out.data.length || this.center[input].data.length === 1));
      if (spreadable) return this.sparseBinary(node, changes, binary, binaryBranch[node.op]);
    }
    if (node.op === "pick" && first?.sparse && changes[inputs[1]] === undefined) return { change: this.sparsePick(node, first), kinked: false };
    if (node.op === "transpose" && !node.axes && first?.sparse) {
      const [rows, columns] = this.center[inputs[0]].shape.length === 2 ? this.center[inputs[0]].shape : [1, sizeOf(this.center[inputs[0]].shape)];
      const indices = first.indices.map((index) => (index % columns) * rows + Math.floor(index / columns));
      return { change: { sparse: true, indices, values: first.values }, kinked: false };
    }
    if ((node.op === "sum" || node.op === "mean") && first?.sparse && this.center[inputs[0]].shape.length <= 2) return { change: this.sparseReduce(node, first), kinked: false };
    if (node.op === "matmul") {
      const sparseProduct = this.sparseMatmul(node, changes);
      if (sparseProduct) return { change: sparseProduct, kinked: false };
    }
    // Anything else: recompute the node from whole inputs.
    const definition = ops[node.op as keyof typeof ops];
    const denseInputs = inputs.map((input) => this.dense(input, changes));
    const value = definition.forward(denseInputs, node);
    let kinked = false;
    if (definition.branches) {
      const before = definition.branches(inputs.map((input) => this.center[input]), out, node);
      const after = definition.branches(denseInputs, value, node);
      for (let i = 0; i < after.length; i++) {
        if (after[i] !== before[i]) {
          kinked = true;
          break;
        }
      }
    }
    return { change: { sparse: false, value }, kinked };
  }

  private sparseBinary(node: IrNode, changes: Change[], f: (x: number, y: number) => number, branch: ((x: number, y: number) => number) | undefined): { change: Change; kinked: boolean } {
    const out = this.center[node.id];
    const [ia, ib] = node.inputs;
    const a = this.center[ia];
    const b = this.center[ib];
    const readA = this.reader(ia, changes);
    const readB = this.reader(ib, changes);
    const sourceA = broadcastSourceOf(a, out);
    const sourceB = broadcastSourceOf(b, out);
    // The output entries that read a changed input entry, each once.
    const marked = new Uint8Array(out.data.length);
    const indices: number[] = [];
    for (const [input, centre] of [
      [ia, a],
      [ib, b],
    ] as const) {
      const change = changes[input];
      if (!change?.sparse) continue;
      for (const index of change.indices) {
        for (const target of broadcastTargets(centre, out, index)) {
          if (marked[target] === 0) {
            marked[target] = 1;
            indices.push(target);
          }
        }
      }
    }
    let kinked = false;
    const values = new Array<number>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const target = indices[k];
      const sa = sourceA(target);
      const sb = sourceB(target);
      const x = readA(sa);
      const y = readB(sb);
      if (branch !== undefined && !kinked && branch(x, y) !== branch(a.data[sa], b.data[sb])) kinked = true;
      values[k] = f(x, y);
    }
    return { change: { sparse: true, indices, values }, kinked };
  }

  /** Reads an input's value after the perturbation, by the input's own index. */
  private reader(input: number, changes: Change[]): (index: number) => number {
    const centre = this.center[input].data;
    const change = changes[input];
    if (change === undefined) return (index) => centre[index];
    if (!change.sparse) return (index) => change.value.data[index];
    if (centre.length <= 65_536) {
      const now = centre.slice();
      for (let k = 0; k < change.indices.length; k++) now[change.indices[k]] = change.values[k];
      return (index) => now[index];
    }
    const moved = new Map<number, number>();
    change.indices.forEach((index, k) => moved.set(index, change.values[k]));
    return (index) => moved.get(index) ?? centre[index];
  }

  /** s[y] where s changed at a few entries: only rows whose changed column is their label move. */
  private sparsePick(node: IrNode, change: { indices: number[]; values: number[] }): Change {
    const s = this.center[node.inputs[0]];
    const labels = this.center[node.inputs[1]].data;
    const columns = s.shape[s.shape.length - 1];
    const indices: number[] = [];
    const values: number[] = [];
    change.indices.forEach((index, i) => {
      const row = Math.floor(index / columns);
      if (index % columns === labels[row]) {
        indices.push(row);
        values.push(change.values[i]);
      }
    });
    return { sparse: true, indices, values };
  }

  private sparseReduce(node: IrNode, change: { indices: number[]; values: number[] }): Change {
    const input = this.center[node.inputs[0]];
    const out = this.center[node.id];
    const columns = input.shape.length === 2 ? input.shape[1] : sizeOf(input.shape);
    const rows = input.shape.length === 2 ? input.shape[0] : 1;
    const count = node.axis === undefined ? input.data.length : node.axis === 1 ? columns : rows;
    const scale = node.op === "mean" ? 1 / count : 1;
    const deltas = new Map<number, number>();
    change.indices.forEach((index, i) => {
      const target = node.axis === undefined ? 0 : node.axis === 1 ? Math.floor(index / columns) : index % columns;
      deltas.set(target, (deltas.get(target) ?? 0) + (change.values[i] - input.data[index]) * scale);
    });
    const indices = [...deltas.keys()];
    return { sparse: true, indices, values: indices.map((index) => out.data[index] + (deltas.get(index) as number)) };
  }

  /** A product where one side changed at a few entries and the other did not: update rows or columns. */
  private sparseMatmul(node: IrNode, changes: Change[]): Change | undefined {
    const [ia, ib] = node.inputs;
    const ca = changes[ia];
    const cb = changes[ib];
    const a = this.center[ia];
    const b = this.center[ib];
    const out = this.center[node.id];
    if (a.shape.length !== 2 || b.shape.length !== 2) return undefined;
    const [n, k] = a.shape;
    const m = b.shape[1];
    const deltas = new Map<number, number>();
    const add = (index: number, amount: number) => deltas.set(index, (deltas.get(index) ?? 0) + amount);
    if (ca?.sparse && cb === undefined) {
      // A[i, p] moved by d: row i of the output moves by d · B[p, :].
      ca.indices.forEach((index, t) => {
        const i = Math.floor(index / k);
        const p = index % k;
        const d = ca.values[t] - a.data[index];
        for (let j = 0; j < m; j++) add(i * m + j, d * b.data[p * m + j]);
      });
    } else if (cb?.sparse && ca === undefined) {
      // B[p, j] moved by d: column j of the output moves by A[:, p] · d.
      cb.indices.forEach((index, t) => {
        const p = Math.floor(index / m);
        const j = index % m;
        const d = cb.values[t] - b.data[index];
        for (let i = 0; i < n; i++) add(i * m + j, a.data[i * k + p] * d);
      });
    } else {
      return undefined;
    }
    const indices = [...deltas.keys()];
    return { sparse: true, indices, values: indices.map((index) => out.data[index] + (deltas.get(index) as number)) };
  }
}
