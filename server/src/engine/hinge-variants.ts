// The gradients a hand derivation gets when it mishandles a hinge's
// indicator, made by rewriting the loss's graph and differentiating it:
// max(0, x) read as x (the indicator forgotten: every margin counted as
// active) or as min(0, x) (the indicator reversed: active where the margin is
// negative); relu(x) read as x. A wrong gradient equal to one of these is
// named by it.
import type { Graph, IrNode } from "./ir";

export interface GraphVariant {
  graph: Graph;
  description: string;
}

function rewritten(graph: Graph, id: number, change: Partial<IrNode>): Graph {
  return { ...graph, nodes: graph.nodes.map((node) => (node.id === id ? { ...node, ...change } : node)) };
}

export function hingeVariants(graph: Graph): GraphVariant[] {
  const isZero = (id: number) => graph.nodes[id].op === "const" && graph.nodes[id].value === 0;
  const variants: GraphVariant[] = [];
  for (const node of graph.nodes) {
    if (node.op === "max" && (isZero(node.inputs[0]) || isZero(node.inputs[1]))) {
      // 0 + x is x; min(0, x) takes the other piece.
      variants.push({ graph: rewritten(graph, node.id, { op: "add" }), description: "the hinge's indicator is missing: this is the gradient with every max(0, ·) counted as active, as if every margin were positive" });
      variants.push({ graph: rewritten(graph, node.id, { op: "min" }), description: "the hinge's indicator is reversed: this is the gradient with max(0, ·) active where its argument is negative" });
    }
    if (node.op === "relu") {
      // x¹ is x, with derivative 1 everywhere.
      variants.push({ graph: rewritten(graph, node.id, { op: "pow", exponent: 1 }), description: "the ReLU's gate is missing: this is the gradient with every relu(·) counted as open" });
    }
  }
  return variants;
}
