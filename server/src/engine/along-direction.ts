// Loss evaluations along one direction d in param space, for the many steps
// t a gradient check takes along it (±h, ±100h, ±200h, and the halves of a
// traced projection). Every node that is affine in the params (a param, its
// transpose, a product with the examples, sums and scalings of these) has
// value(w + t·d) = value(w) + t·tangent, and the tangent is computed once per
// direction by forward mode. Each step then recomputes only the nodes past
// the affine part, so the products with the examples, the costly part of a
// linear classifier's loss, run once per direction instead of once per step.
import { movesWithInputs, type Graph, type IrNode } from "./ir";
import { ops } from "./ops";
import type { Values } from "./reference";
import { map2, tensor, type Tensor } from "./tensor";

/** Per node: the tangent of an affine node that moves, "moved" for a node that must be recomputed, undefined when it does not move. */
export type Tangents = (Tensor | "moved" | undefined)[];

function scaledBy(tangent: Tensor, factor: number): Tensor {
  return { shape: tangent.shape, data: tangent.data.map((value) => value * factor) };
}

/** The tangent of one node given its inputs' tangents, or "moved" when the node is not affine in them. */
function tangentOf(node: IrNode, tangents: Tangents, center: Values): Tensor | "moved" | undefined {
  const inputs = node.inputs.map((input) => tangents[input]);
  if (inputs.every((input) => input === undefined) || !movesWithInputs(node)) return undefined;
  if (inputs.some((input) => input === "moved")) return "moved";
  const [a, b] = inputs as (Tensor | undefined)[];
  const out = center[node.id];
  switch (node.op) {
    case "transpose":
    case "sum":
    case "mean":
    case "avgpool":
    case "upsample":
    case "reshape":
    case "flatten":
    case "flip":
      return ops[node.op].forward([a as Tensor], node);
    case "neg":
      return scaledBy(a as Tensor, -1);
    case "add":
    case "sub": {
      // Broadcast each side's tangent to the output's shape; a side that does not move contributes nothing.
      const zero = tensor(out.shape);
      const left = a ? map2(zero, a, (_, x) => x) : zero;
      const right = b ? map2(zero, b, (_, x) => x) : zero;
      return map2(left, right, node.op === "add" ? (x, y) => x + y : (x, y) => x - y);
    }
    case "mul":
      if (a && b) return "moved";
      return a ? ops.mul.forward([a, center[node.inputs[1]]], node) : ops.mul.forward([center[node.inputs[0]], b as Tensor], node);
    case "div":
      return a && !b ? ops.div.forward([a, center[node.inputs[1]]], node) : "moved";
    case "matmul":
    case "conv2d":
      if (a && b) return "moved";
      if (node.op === "conv2d") return a ? ops.conv2d.forward([a, center[node.inputs[1]]], node) : ops.conv2d.forward([center[node.inputs[0]], b as Tensor], node);
      return a ? ops.matmul.forward([a, center[node.inputs[1]]], node) : ops.matmul.forward([center[node.inputs[0]], b as Tensor], node);
    default:
      return "moved";
  }
}

/** Forward mode over the graph's affine part, for one direction. */
export function tangentsAlong(graph: Graph, center: Values, direction: ReadonlyMap<string, Tensor>): Tangents {
  const tangents: Tangents = new Array(graph.nodes.length);
  for (const node of graph.nodes) {
    if (node.op === "param") tangents[node.id] = direction.get(node.name as string);
    else if (node.inputs.length > 0) tangents[node.id] = tangentOf(node, tangents, center);
  }
  return tangents;
}

/** Every node's value at w + t·d. */
export function valuesAlong(graph: Graph, center: Values, tangents: Tangents, t: number): Values {
  const values: Values = new Array(graph.nodes.length);
  for (const node of graph.nodes) {
    const tangent = tangents[node.id];
    if (tangent === undefined) values[node.id] = center[node.id];
    else if (tangent !== "moved") {
      const base = center[node.id];
      const moved = { shape: base.shape, data: new Float64Array(base.data.length) };
      for (let i = 0; i < moved.data.length; i++) moved.data[i] = base.data[i] + t * tangent.data[i];
      values[node.id] = moved;
    } else values[node.id] = ops[node.op as keyof typeof ops].forward(node.inputs.map((input) => values[input]), node);
  }
  return values;
}
