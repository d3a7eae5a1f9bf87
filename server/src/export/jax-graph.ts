// One IR graph as a Python function over jax.numpy: one assignment per node,
// written in the graph's own topological order (a loop, never recursion), each
// op spelled so that its value and its gradient under jax.grad are those of
// the reference op table (engine/ops.ts): ties of max and min go to the first
// argument, reductions along an axis see vectors as 1×n rows and keep the
// axis, comparisons carry no gradient. A training step passes its number as
// `draw` (dropout's masks, engine/dropout.ts) and no `running`, so batch
// statistics are the batch's and come back in `observed`; evaluation passes
// the running averages and no draw.
import type { Graph, IrNode, OpName } from "../engine/ir";

/** A Python float literal that reads back as the same double. */
export function pythonNumber(value: number): string {
  if (Number.isNaN(value)) return 'float("nan")';
  if (value === Infinity) return 'float("inf")';
  if (value === -Infinity) return '-float("inf")';
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** A Python string literal (JSON's escapes are Python's for the names a document can hold). */
export function pythonString(text: string): string {
  return JSON.stringify(text);
}

/** The reduction ops that read `axis`, with the jax.numpy function each one calls. */
const axisReductions: Partial<Record<OpName, string>> = { sum: "jnp.sum", mean: "jnp.mean", logsumexp: "jax.nn.logsumexp" };

const binaryOperators: Partial<Record<OpName, string>> = { add: "+", sub: "-", mul: "*", div: "/" };
const comparisons: Partial<Record<OpName, string>> = { gt: ">", lt: "<", ge: ">=", le: "<=", eq: "==", ne: "!=" };
const unaryCalls: Partial<Record<OpName, string>> = { abs: "jnp.abs", exp: "jnp.exp", log: "jnp.log", sqrt: "jnp.sqrt", tanh: "jnp.tanh" };

/** The right-hand side of one node's assignment; `v` names a node's variable. */
function expressionOf(node: IrNode, v: (id: number) => string): string {
  const [a, b] = node.inputs.map(v);
  switch (node.op) {
    case "input":
      return "X";
    case "labels":
      return "y";
    case "batch":
      return "jnp.asarray(X.shape[0], DTYPE)";
    case "const":
      return `jnp.asarray(${pythonNumber(node.value as number)}, DTYPE)`;
    case "param":
      return `params[${pythonString(node.name as string)}]`;
    case "add":
    case "sub":
    case "mul":
    case "div":
      return `${a} ${binaryOperators[node.op]} ${b}`;
    case "neg":
      return `-${a}`;
    case "pow": {
      const exponent = node.exponent as number;
      // A whole exponent stays a Python int, which jax raises by repeated multiplication.
      return `${a} ** ${Number.isInteger(exponent) ? String(exponent) : pythonNumber(exponent)}`;
    }
    case "max":
      return `jnp.where(${a} >= ${b}, ${a}, ${b})`;
    case "min":
      return `jnp.where(${a} <= ${b}, ${a}, ${b})`;
    case "relu":
      return `jnp.where(${a} > 0, ${a}, jnp.zeros_like(${a}))`;
    case "sigmoid":
      return `1 / (1 + jnp.exp(-${a}))`;
    case "abs":
    case "exp":
    case "log":
    case "sqrt":
    case "tanh":
      return `${unaryCalls[node.op]}(${a})`;
    case "gt":
    case "lt":
    case "ge":
    case "le":
    case "eq":
    case "ne":
      return `(${a} ${comparisons[node.op]} ${b}).astype(DTYPE)`;
    case "matmul":
      return `jnp.matmul(${a}, ${b})`;
    case "transpose":
      return node.axes ? `jnp.transpose(${a}, (${node.axes.join(", ")},))` : `jnp.transpose(${a})`;
    // Images [N, C, H, W] and filters [F, C, kh, kw], as jax.lax names them NCHW and OIHW.
    case "conv2d": {
      const [stride, pad] = [node.stride ?? 1, node.pad ?? 0];
      return `jax.lax.conv_general_dilated(${a}, ${b}, window_strides=(${stride}, ${stride}), padding=((${pad}, ${pad}), (${pad}, ${pad})), dimension_numbers=("NCHW", "OIHW", "NCHW"))`;
    }
    case "maxpool":
    case "avgpool": {
      const size = node.size as number;
      const stride = node.stride ?? size;
      const window = `(1, 1, ${size}, ${size}), (1, 1, ${stride}, ${stride}), "VALID"`;
      return node.op === "maxpool" ? `jax.lax.reduce_window(${a}, -jnp.inf, jax.lax.max, ${window})` : `jax.lax.reduce_window(${a}, 0.0, jax.lax.add, ${window}) / ${pythonNumber(size * size)}`;
    }
    case "upsample":
      return `jnp.repeat(jnp.repeat(${a}, ${node.size as number}, axis=2), ${node.size as number}, axis=3)`;
    case "reshape":
      return `jnp.reshape(${a}, (${(node.dims as number[]).join(", ")},))`;
    case "flatten":
      return `jnp.reshape(${a}, (${a}.shape[0], -1))`;
    case "flip":
      return `jnp.flip(${a}, axis=(${(node.axes as number[]).join(", ")},))`;
    case "reducemax":
      return node.axis === undefined ? `jnp.max(${a})` : `jnp.max(${a}, axis=${node.axis}, keepdims=True)`;
    case "sum":
    case "mean":
    case "logsumexp": {
      const call = axisReductions[node.op] as string;
      // sum and mean without an axis reduce everything to a number; logsumexp defaults to rows.
      const axis = node.op === "logsumexp" ? node.axis ?? 1 : node.axis;
      return axis === undefined ? `${call}(${a})` : `${call}(as_matrix(${a}), axis=${axis}, keepdims=True)`;
    }
    case "softmax":
      return `jax.nn.softmax(as_matrix(${a}), axis=${node.axis ?? 1})`;
    case "logsoftmax":
      return `jax.nn.log_softmax(as_matrix(${a}), axis=${node.axis ?? 1})`;
    case "pick":
      return `jnp.take_along_axis(as_matrix(${a}), ${b}.astype(jnp.int32).reshape(-1, 1), axis=1)`;
    case "onehot":
      return `jax.nn.one_hot(${a}, ${node.classes as number}, dtype=DTYPE)`;
    case "dropoutmask": {
      // Kept where the entry's 24-bit uniform number k / 2^24 is below keep, that is k < ceil(keep · 2^24), exactly.
      const keep = node.keep as number;
      return `dropout_mask(${a}.shape, ${Math.ceil(keep * 16777216)}, ${pythonNumber(1 / keep)}, ${node.salt as number}, draw)`;
    }
    case "batchmean":
    case "batchvar":
      return `batch_statistic(${pythonString(node.op === "batchmean" ? "mean" : "var")}, ${a}, ${pythonString(node.statistic as string)}, running, observed)`;
  }
}

/**
 * `def NAME(params, X, y, draw=None, running=None):` computing the graph's
 * output, reshaped to a number when `scalar` (a loss), else as it is (a
 * score), with the batch statistics it observed: `(value, observed)`.
 */
export function pythonFunction(name: string, graph: Graph, scalar: boolean): string {
  const v = (id: number) => `v${id}`;
  const lines = [`def ${name}(params, X, y, draw=None, running=None):`, "    observed = {}"];
  // Only the nodes the output depends on, found by one backward sweep over the topological order.
  const needed = new Uint8Array(graph.nodes.length);
  needed[graph.output] = 1;
  for (let id = graph.output; id >= 0; id--) if (needed[id]) for (const input of graph.nodes[id].inputs) needed[input] = 1;
  for (const node of graph.nodes) if (needed[node.id]) lines.push(`    ${v(node.id)} = ${expressionOf(node, v)}`);
  lines.push(scalar ? `    return jnp.reshape(${v(graph.output)}, ()), observed` : `    return ${v(graph.output)}, observed`);
  return lines.join("\n") + "\n";
}
