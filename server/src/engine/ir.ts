// The one IR of compiled .optim expressions: a graph of nodes over a closed
// set of ops, stored in topological order (every node after its inputs).
// Both executors run it; the reference executor defines what each op means.

export type OpName =
  // leaves
  | "input" // X, [N, D]
  | "labels" // y, [N], integer valued
  | "batch" // N, a number
  | "const"
  | "param"
  // elementwise, broadcasting
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "neg"
  | "pow"
  | "max"
  | "min"
  | "relu"
  | "abs"
  | "exp"
  | "log"
  | "sqrt"
  | "tanh"
  | "sigmoid"
  | "gt"
  | "lt"
  | "ge"
  | "le"
  | "eq"
  | "ne"
  // structure
  | "matmul"
  | "transpose"
  | "sum" // over everything, or one axis kept with size 1
  | "mean"
  | "logsumexp" // along an axis, kept with size 1
  | "softmax" // along an axis
  | "logsoftmax" // log(softmax(x)), computed stably
  | "pick" // s[y]: each row's entry at its label, [N, 1]
  | "onehot" // labels [N] to [N, classes]
  // random
  | "dropoutmask" // mask/keep in training (entries Bernoulli(keep)), 1 at evaluation; shaped like its input
  // batch statistics: [N, H] to [1, H], the batch's in training, the run's running averages at evaluation
  | "batchmean"
  | "batchvar"
  // image-shaped tensors (up to four axes, [N, C, H, W])
  | "conv2d" // cross-correlation: x [N, C, H, W], K [F, C, kh, kw] to [N, F, H', W'], H' = floor((H + 2·pad − kh) / stride) + 1
  | "maxpool" // windows size × size every stride along H and W: [N, C, H, W] to [N, C, H', W'], H' = floor((H − size) / stride) + 1
  | "avgpool" // the same windows, their mean
  | "upsample" // nearest neighbour: [N, C, H, W] to [N, C, H·size, W·size], each entry copied to a size × size block
  | "reshape" // to `dims`, the same entries in the same (row-major) order; one entry of dims may be -1, inferred
  | "flatten" // [N, ...] to [N, product of the rest]
  | "flip" // reverses the order along each of `axes`
  | "reducemax"; // the maximum along `axis`, kept with size 1 (all entries when axis is absent)

export interface IrNode {
  id: number;
  op: OpName;
  inputs: number[];
  /** const: the value. */
  value?: number;
  /** param: its name. */
  name?: string;
  /** sum, mean, logsumexp, softmax, logsoftmax: the axis; absent means all (sum, mean). */
  axis?: number;
  /** pow: the constant exponent. */
  exponent?: number;
  /** onehot: the number of classes. */
  classes?: number;
  /** dropoutmask: the probability of keeping an entry. */
  keep?: number;
  /** dropoutmask: which call it is, so each call draws its own mask (dropout.ts). */
  salt?: number;
  /** batchmean, batchvar: the statistic's name, under which a run keeps its running average. */
  statistic?: string;
  /** conv2d, maxpool, avgpool: the step between windows along H and W. */
  stride?: number;
  /** conv2d: zeros added on each side of H and W. */
  pad?: number;
  /** maxpool, avgpool: the window's side; upsample: the factor along H and W. */
  size?: number;
  /** reshape: the target shape (N resolved), one entry may be -1. */
  dims?: number[];
  /** transpose: the permutation of the axes (absent: the two axes of a matrix swapped); flip: the axes reversed. */
  axes?: number[];
}

export interface Graph {
  nodes: IrNode[];
  output: number;
  /** Names of the params the graph reads. */
  params: string[];
}

/** Whether a node's value follows its inputs' values: a dropout mask reads only their shape, so a change of them never reaches it. */
export function movesWithInputs(node: IrNode): boolean {
  return node.op !== "dropoutmask";
}

/** Builds graphs bottom-up, sharing identical nodes. */
export class GraphBuilder {
  readonly nodes: IrNode[] = [];
  private readonly interned = new Map<string, number>();

  add(op: OpName, inputs: number[] = [], attributes: Omit<IrNode, "id" | "op" | "inputs"> = {}): number {
    const key = `${op}(${inputs.join(",")})${JSON.stringify(attributes)}`;
    const known = this.interned.get(key);
    if (known !== undefined) return known;
    const id = this.nodes.length;
    this.nodes.push({ id, op, inputs, ...attributes });
    this.interned.set(key, id);
    return id;
  }

  build(output: number): Graph {
    const params = [...new Set(this.nodes.filter((node) => node.op === "param").map((node) => node.name as string))];
    return { nodes: this.nodes, output, params };
  }
}

/** Readable text of a graph, one node per line: `%3 = matmul(%0, %2)`. */
export function graphToString(graph: Graph): string {
  return graph.nodes
    .map((node) => {
      const attributes = [node.name, node.value, node.axis !== undefined ? `axis=${node.axis}` : undefined, node.exponent !== undefined ? `^${node.exponent}` : undefined, node.classes !== undefined ? `classes=${node.classes}` : undefined, node.keep !== undefined ? `keep=${node.keep}` : undefined, node.statistic, node.stride !== undefined ? `stride=${node.stride}` : undefined, node.pad !== undefined ? `pad=${node.pad}` : undefined, node.size !== undefined ? `size=${node.size}` : undefined, node.dims ? `dims=[${node.dims.join(", ")}]` : undefined, node.axes ? `axes=[${node.axes.join(", ")}]` : undefined].filter((part) => part !== undefined);
      const args = [...node.inputs.map((input) => `%${input}`), ...attributes].join(", ");
      return `%${node.id} = ${node.op}(${args})${node.id === graph.output ? "  # output" : ""}`;
    })
    .join("\n");
}
