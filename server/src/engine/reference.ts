// The float64 reference executor: forward evaluation of a graph and
// reverse-mode gradients, one op-table entry at a time.
import type { Graph, IrNode } from "./ir";
import { ops, type OpContext } from "./ops";
import { scalar, tensor, type Tensor } from "./tensor";

export interface Bindings extends OpContext {
  X: Tensor;
  y: Tensor;
  params: ReadonlyMap<string, Tensor>;
}

/** The value of every node, by node id. */
export type Values = Tensor[];

function leaf(node: IrNode, bindings: Bindings): Tensor {
  switch (node.op) {
    case "input":
      return bindings.X;
    case "labels":
      return bindings.y;
    case "batch":
      return scalar(bindings.X.shape[0]);
    case "const":
      return scalar(node.value as number);
    case "param": {
      const value = bindings.params.get(node.name as string);
      if (!value) throw new Error(`no value bound for param ${node.name}`);
      return value;
    }
    default:
      throw new Error(`${node.op} is not a leaf`);
  }
}

function isLeaf(node: IrNode): boolean {
  return node.op === "input" || node.op === "labels" || node.op === "batch" || node.op === "const" || node.op === "param";
}

export function evaluate(graph: Graph, bindings: Bindings): Values {
  const values: Values = new Array(graph.nodes.length);
  for (const node of graph.nodes) {
    values[node.id] = isLeaf(node) ? leaf(node, bindings) : ops[node.op as keyof typeof ops].forward(node.inputs.map((input) => values[input]), node, bindings);
  }
  return values;
}

export function outputValue(graph: Graph, bindings: Bindings): number {
  const value = evaluate(graph, bindings)[graph.output];
  return value.data[0];
}

/**
 * Reverse mode: gradients of the (scalar) output with respect to every param,
 * as a fresh map. Nodes are already in topological order, so one backward
 * sweep visits each after everything that uses it.
 */
export function gradients(graph: Graph, values: Values): Map<string, Tensor> {
  const adjoints = adjointsOf(graph, values);
  const result = new Map<string, Tensor>();
  for (const node of graph.nodes) {
    if (node.op !== "param") continue;
    const value = values[node.id];
    result.set(node.name as string, adjoints[node.id] ?? tensor(value.shape));
  }
  return result;
}

/** Reverse mode: the gradient of the output with respect to every node's value (undefined where none flows). */
export function adjointsOf(graph: Graph, values: Values): (Tensor | undefined)[] {
  const adjoints: (Tensor | undefined)[] = new Array(graph.nodes.length);
  adjoints[graph.output] = scalar(1);
  for (let id = graph.output; id >= 0; id--) {
    const node = graph.nodes[id];
    const adjoint = adjoints[id];
    if (!adjoint || isLeaf(node)) continue;
    const inputs = node.inputs.map((input) => values[input]);
    const contributions = ops[node.op as keyof typeof ops].vjp(adjoint, inputs, values[id], node);
    node.inputs.forEach((input, i) => {
      const contribution = contributions[i];
      if (!contribution) return;
      const known = adjoints[input];
      if (!known) adjoints[input] = contribution;
      else {
        const sum = tensor(known.shape);
        for (let k = 0; k < sum.data.length; k++) sum.data[k] = known.data[k] + contribution.data[k];
        adjoints[input] = sum;
      }
    });
  }
  return adjoints;
}

/** Which piece of each kinked op every element is on; equal signatures mean no kink lies between two points. */
export function branchSignature(graph: Graph, values: Values): Uint8Array[] {
  const signature: Uint8Array[] = [];
  for (const node of graph.nodes) {
    const definition = isLeaf(node) ? undefined : ops[node.op as keyof typeof ops];
    if (definition?.branches) signature.push(definition.branches(node.inputs.map((input) => values[input]), values[node.id], node));
  }
  return signature;
}

export function sameBranches(a: Uint8Array[], b: Uint8Array[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}
