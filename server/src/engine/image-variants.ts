// The gradients a hand derivation of a convolution's or a pooling's backward
// pass gets when it makes the usual mistakes, computed from the true one: a
// kernel's gradient with each filter turned by 180°; an input's gradient
// through a convolution with the kernel not flipped (or flipped twice);
// through a max pooling, the window's gradient sent to every element of the
// window, or spread evenly over it as average pooling's. A wrong gradient
// equal to one of these is named by it (mismatch-patterns.ts).
import type { Graph } from "./ir";
import { ops } from "./ops";
import { adjointsOf, evaluate, type Bindings } from "./reference";
import { flippedIndex, map2, tensor, type Tensor } from "./tensor";

function flipped(a: Tensor, axes: number[]): Tensor {
  const out = tensor(a.shape);
  const source = flippedIndex(a.shape, axes);
  for (let i = 0; i < out.data.length; i++) out.data[i] = a.data[source(i)];
  return out;
}

/** The true gradient with one consumer's contribution `was` replaced by `instead`. */
function replaced(truth: Tensor, was: Tensor, instead: Tensor): Tensor {
  return map2(map2(truth, was, (t, w) => t - w), instead, (rest, i) => rest + i);
}

export function imageVariants(graph: Graph, bindings: Bindings, param: string): { gradient: Tensor; description: string }[] {
  const leaf = graph.nodes.find((node) => node.op === "param" && node.name === param);
  if (!leaf) return [];
  const consumers = graph.nodes.filter((node) => node.inputs.includes(leaf.id) && (node.op === "conv2d" || node.op === "maxpool"));
  const value = bindings.params.get(param);
  if (!value || (value.shape.length !== 4 && consumers.length === 0)) return [];
  const values = evaluate(graph, bindings);
  const adjoints = adjointsOf(graph, values);
  const truth = adjoints[leaf.id] ?? tensor(value.shape);
  const variants: { gradient: Tensor; description: string }[] = [];
  if (value.shape.length === 4) variants.push({ gradient: flipped(truth, [2, 3]), description: "the analytic gradient is the true one with each filter turned by 180° (flipped along H and W): is a flip of the kernel missing or extra?" });
  for (const node of consumers) {
    const g = adjoints[node.id];
    if (!g) continue;
    const inputs = node.inputs.map((input) => values[input]);
    if (node.op === "conv2d" && node.inputs[0] === leaf.id) {
      const [was] = ops.conv2d.vjp(g, inputs, values[node.id], node) as Tensor[];
      const [instead] = ops.conv2d.vjp(g, [inputs[0], flipped(inputs[1], [2, 3])], values[node.id], node) as Tensor[];
      variants.push({ gradient: replaced(truth, was, instead), description: "the kernel is not flipped: the gradient with respect to a convolution's input convolves with each filter turned by 180° (flip(K, axes=[2, 3])), its channels swapped" });
    }
    if (node.op === "maxpool") {
      const [was] = ops.maxpool.vjp(g, inputs, values[node.id], node) as Tensor[];
      const everywhere = tensor(inputs[0].shape);
      const size = node.size as number;
      const stride = node.stride ?? size;
      const [, , h, w] = inputs[0].shape;
      const [n, c, ho, wo] = g.shape;
      for (let plane = 0; plane < n * c; plane++)
        for (let i = 0; i < ho; i++)
          for (let j = 0; j < wo; j++)
            for (let p = 0; p < size; p++) for (let q = 0; q < size; q++) everywhere.data[(plane * h + i * stride + p) * w + j * stride + q] += g.data[(plane * ho + i) * wo + j];
      variants.push({ gradient: replaced(truth, was, everywhere), description: "the max pooling's gradient is sent to every element of its window: only the window's largest entry receives it (mask with a == upsample(p))" });
      variants.push({ gradient: replaced(truth, was, map2(everywhere, tensor([]), (x) => x / (size * size))), description: "the max pooling's gradient is spread evenly over its window, as average pooling's: only the window's largest entry receives it" });
    }
  }
  return variants;
}
