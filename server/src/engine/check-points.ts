// Where gradients are checked besides the start. The usual start, weights of
// 1e-4, is a pathological point for a gradient check (the notes' "tiny-weight
// SVM"): every hinge margin is about Δ > 0, so a gradient that forgets the
// hinge's indicator equals the right one there. A characteristic point is
// one where the loss behaves as in training: here, the same weights scaled
// so that the class scores have a spread of about one, which puts hinges and
// ReLUs on both sides of their kinks. Deterministic: it depends only on the
// start and the examples.
import type { Graph, IrNode } from "./ir";
import { ops } from "./ops";
import { evaluate, type Bindings, type Values } from "./reference";
import type { Tensor } from "./tensor";

export interface CheckPoint {
  /** "the start", "weights scaled ×2,340 (class scores of spread 1)". */
  label: string;
  params: Map<string, Tensor>;
  /** The loss graph's values there. */
  values: Values;
}

/** The class scores a loss reads: the first input of its first pick, log-sum-exp or softmax. */
export function scoreNode(graph: Graph): number | undefined {
  for (const node of graph.nodes) {
    if (node.op === "pick" || node.op === "logsumexp" || node.op === "logsoftmax" || node.op === "softmax") return node.inputs[0];
  }
  return undefined;
}

function spread(values: Float64Array): number {
  if (values.length < 2) return NaN;
  let mean = 0;
  for (const value of values) mean += value;
  mean /= values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) ** 2;
  return Math.sqrt(squares / values.length);
}

function scaled(params: ReadonlyMap<string, Tensor>, names: string[], factor: number): Map<string, Tensor> {
  const result = new Map(params);
  for (const name of names) {
    const value = params.get(name);
    if (value) result.set(name, { shape: value.shape, data: value.data.map((entry) => entry * factor) });
  }
  return result;
}

/**
 * The weights scaled so that the loss's class scores have a spread of one,
 * or undefined when the loss has no class scores or the start is already
 * such a point (a spread between 0.4 and 2.5). Scores grow like λ^k in the
 * scale λ for a net of k layers, so the exponent is measured as the search
 * goes: a few forward evaluations.
 */
export function scaledPoint(graph: Graph, bindings: Bindings, startValues: Values): CheckPoint | undefined {
  const scores = scoreNode(graph);
  if (scores === undefined) return undefined;
  const names = graph.params.filter((name) => bindings.params.get(name)?.data.some((entry) => entry !== 0));
  if (names.length === 0) return undefined;
  let values = startValues;
  let valuesAt = 1;
  const spreadAt = (factor: number) => {
    values = evaluate(graph, { ...bindings, params: scaled(bindings.params, names, factor) });
    valuesAt = factor;
    return spread(values[scores].data);
  };
  const start = spread(startValues[scores].data);
  if (!Number.isFinite(start) || start === 0 || (start >= 0.4 && start <= 2.5)) return undefined;
  let factor = 1 / start;
  let previous = { factor: 1, spread: start };
  for (let attempt = 0; attempt < 6; attempt++) {
    const now = spreadAt(factor);
    if (!Number.isFinite(now) || now === 0) return undefined;
    if (now >= 0.5 && now <= 2) break;
    const exponent = Math.min(4, Math.max(0.5, Math.log(now / previous.spread) / Math.log(factor / previous.factor) || 1));
    previous = { factor, spread: now };
    factor *= now ** (-1 / exponent);
  }
  if (!Number.isFinite(factor) || factor <= 0) return undefined;
  if (valuesAt !== factor) spreadAt(factor);
  return { values, label: `weights scaled ×${formatScale(factor)} (class scores of spread 1)`, params: scaled(bindings.params, names, factor) };
}

function formatScale(factor: number): string {
  if (factor >= 100) return Math.round(factor).toLocaleString("en-US");
  return Number(factor.toPrecision(3)).toString();
}

export interface KinkSides {
  /** "max(0, ·)", "relu". */
  label: string;
  /** Entries on the positive side. */
  positive: number;
  total: number;
}

function kinkLabel(graph: Graph, node: IrNode): { label: string; positiveBranch: number } | undefined {
  const isZero = (id: number) => graph.nodes[id].op === "const" && graph.nodes[id].value === 0;
  if (node.op === "relu") return { label: "relu(·)", positiveBranch: 1 };
  if (node.op === "abs") return { label: "abs(·)", positiveBranch: 1 };
  if (node.op === "max" && isZero(node.inputs[0])) return { label: "max(0, ·)", positiveBranch: 2 };
  if (node.op === "max" && isZero(node.inputs[1])) return { label: "max(·, 0)", positiveBranch: 1 };
  if (node.op === "min" && isZero(node.inputs[0])) return { label: "min(0, ·)", positiveBranch: 2 };
  if (node.op === "min" && isZero(node.inputs[1])) return { label: "min(·, 0)", positiveBranch: 1 };
  return undefined;
}

/** On which side of its kink each hinge and ReLU of the loss is, counted. */
export function kinkSides(graph: Graph, values: Values): KinkSides[] {
  const sides: KinkSides[] = [];
  for (const node of graph.nodes) {
    const kind = kinkLabel(graph, node);
    const definition = ops[node.op as keyof typeof ops];
    if (!kind || !definition?.branches) continue;
    const branches = definition.branches(node.inputs.map((input) => values[input]), values[node.id], node);
    let positive = 0;
    for (const branch of branches) if (branch === kind.positiveBranch) positive++;
    sides.push({ label: kind.label, positive, total: branches.length });
  }
  return sides;
}

/** What changed between two points, in words: "max(0, ·) positive for 60 of 60 entries at the start, 41 of 60 there". */
export function describeSides(start: KinkSides[], there: KinkSides[]): string | undefined {
  let best: { text: string; change: number } | undefined;
  for (let i = 0; i < Math.min(start.length, there.length); i++) {
    const a = start[i];
    const b = there[i];
    if (a.total === 0 || b.total === 0) continue;
    const change = Math.abs(a.positive / a.total - b.positive / b.total);
    if (change > 0 && (!best || change > best.change)) best = { text: `${a.label} positive for ${a.positive} of ${a.total} entries at the start, ${b.positive} of ${b.total} there`, change };
  }
  return best?.text;
}
