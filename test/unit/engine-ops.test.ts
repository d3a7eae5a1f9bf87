// Oracles for the op table: every op's vector-Jacobian product against
// float64 centered differences at smooth points, and forward values
// against values computed by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, type OpName } from "../../server/src/engine/ir";
import { evaluate, gradients, outputValue, type Bindings } from "../../server/src/engine/reference";
import { tensor, type Tensor } from "../../server/src/engine/tensor";

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

interface Case {
  op: OpName;
  shapes: number[][];
  /** Draws an input value; smooth-point cases keep away from kinks and domain edges. */
  draw?: (next: () => number, input: number) => number;
  attributes?: { axis?: number; exponent?: number; classes?: number; keep?: number; salt?: number; statistic?: string };
}

const awayFromZero = (next: () => number) => (next() < 0.5 ? -1 : 1) * (0.2 + next());
const positive = (next: () => number) => 0.3 + next();
const cases: Case[] = [
  { op: "add", shapes: [[3, 4], [4]] },
  { op: "sub", shapes: [[3, 1], [3, 4]] },
  { op: "mul", shapes: [[3, 4], [1, 4]] },
  { op: "div", shapes: [[3, 4], [3, 4]], draw: (next, input) => (input === 1 ? positive(next) : next() - 0.5) },
  { op: "neg", shapes: [[2, 3]] },
  { op: "pow", shapes: [[2, 3]], attributes: { exponent: 2 } },
  { op: "pow", shapes: [[2, 3]], attributes: { exponent: 1.5 }, draw: positive },
  // max/min: the two sides kept apart so no element sits near a kink.
  { op: "max", shapes: [[3, 4], [3, 4]], draw: (next, input) => (input === 0 ? 2 + next() : next()) },
  { op: "min", shapes: [[3, 4], [3, 4]], draw: (next, input) => (input === 0 ? next() : 2 + next()) },
  { op: "relu", shapes: [[3, 4]], draw: awayFromZero },
  { op: "abs", shapes: [[3, 4]], draw: awayFromZero },
  { op: "exp", shapes: [[3, 4]] },
  { op: "log", shapes: [[3, 4]], draw: positive },
  { op: "sqrt", shapes: [[3, 4]], draw: positive },
  { op: "tanh", shapes: [[3, 4]] },
  { op: "sigmoid", shapes: [[3, 4]] },
  { op: "matmul", shapes: [[3, 5], [5, 2]] },
  { op: "matmul", shapes: [[5], [5, 2]] },
  { op: "transpose", shapes: [[3, 4]] },
  { op: "sum", shapes: [[3, 4]] },
  { op: "sum", shapes: [[3, 4]], attributes: { axis: 1 } },
  { op: "sum", shapes: [[3, 4]], attributes: { axis: 0 } },
  { op: "mean", shapes: [[3, 4]] },
  { op: "mean", shapes: [[3, 4]], attributes: { axis: 1 } },
  { op: "logsumexp", shapes: [[3, 4]], attributes: { axis: 1 } },
  { op: "softmax", shapes: [[3, 4]], attributes: { axis: 1 } },
  { op: "logsoftmax", shapes: [[3, 4]], attributes: { axis: 1 } },
  { op: "logsumexp", shapes: [[3, 4]], attributes: { axis: 0 } },
  // Drawn in training (the bindings' draw): the mask does not move with its input.
  { op: "dropoutmask", shapes: [[3, 4]], attributes: { keep: 0.5, salt: 1 } },
  // The batch's statistics (no running averages bound).
  { op: "batchmean", shapes: [[5, 3]], attributes: { statistic: "mu" } },
  { op: "batchvar", shapes: [[5, 3]], attributes: { statistic: "var" } },
];

/** output = sum(op(A, B, …) * R) with a fixed random R, so every output entry gets a different weight. */
function setup(testCase: Case, seed: number) {
  const next = random(seed);
  const builder = new GraphBuilder();
  const inputs = testCase.shapes.map((_, i) => builder.add("param", [], { name: `p${i}` }));
  const result = builder.add(testCase.op, inputs, testCase.attributes ?? {});
  const weights = builder.add("param", [], { name: "R" });
  const output = builder.add("sum", [builder.add("mul", [result, weights])]);
  const graph = builder.build(output);
  const params = new Map<string, Tensor>();
  testCase.shapes.forEach((shape, i) => {
    const values = tensor(shape);
    for (let k = 0; k < values.data.length; k++) values.data[k] = testCase.draw ? testCase.draw(next, i) : 2 * next() - 1;
    params.set(`p${i}`, values);
  });
  const bindings: Bindings = { X: tensor([1, 1]), y: tensor([1]), params, dropout: { seed: 1, step: 0 } };
  const outShape = evaluate(graph, { ...bindings, params: new Map([...params, ["R", tensor([1])]]) })[result].shape;
  const R = tensor(outShape);
  for (let k = 0; k < R.data.length; k++) R.data[k] = 2 * next() - 1;
  params.set("R", R);
  return { graph, bindings };
}

function relativeError(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

for (const testCase of cases) {
  const label = `${testCase.op}${testCase.attributes ? ` ${JSON.stringify(testCase.attributes)}` : ""} on ${testCase.shapes.map((shape) => `[${shape}]`).join(", ")}`;
  test(`vjp of ${label} matches centered differences`, () => {
    const { graph, bindings } = setup(testCase, 17);
    const analytic = gradients(graph, evaluate(graph, bindings));
    const h = 1e-5;
    let worst = 0;
    testCase.shapes.forEach((_, i) => {
      const param = bindings.params.get(`p${i}`) as Tensor;
      const gradient = analytic.get(`p${i}`) as Tensor;
      for (let k = 0; k < param.data.length; k++) {
        const saved = param.data[k];
        param.data[k] = saved + h;
        const plus = outputValue(graph, bindings);
        param.data[k] = saved - h;
        const minus = outputValue(graph, bindings);
        param.data[k] = saved;
        const numerical = (plus - minus) / (2 * h);
        worst = Math.max(worst, relativeError(gradient.data[k], numerical));
      }
    });
    assert.ok(worst < 1e-7, `worst relative error ${worst.toExponential(2)}`);
  });
}

test("forward values agree with values computed by hand", () => {
  const builder = new GraphBuilder();
  const s = builder.add("param", [], { name: "s" });
  const y = builder.add("labels");
  const picked = builder.add("pick", [s, y]);
  const hinge = builder.add("max", [builder.add("const", [], { value: 0 }), builder.add("add", [builder.add("sub", [s, picked]), builder.add("const", [], { value: 1 })])]);
  const margins = builder.add("mul", [hinge, builder.add("sub", [builder.add("const", [], { value: 1 }), builder.add("onehot", [y], { classes: 3 })])]);
  const graph = builder.build(builder.add("mean", [builder.add("sum", [margins], { axis: 1 })]));
  // The notes' worked SVM example: scores [13, -7, 11], correct class 0, margin 10 -> loss 8; here margin 1.
  const scores = tensor([2, 3], [3.2, 5.1, -1.7, 1.3, 4.9, 2.0]);
  const values = evaluate(graph, { X: tensor([2, 1]), y: tensor([2], [0, 1]), params: new Map([["s", scores]]) });
  // Example 0: max(0, 5.1-3.2+1) + max(0, -1.7-3.2+1) = 2.9; example 1: max(0, 1.3-4.9+1) + max(0, 2.0-4.9+1) = 0.
  assert.ok(Math.abs(values[graph.output].data[0] - 1.45) < 1e-12);
  const lse = new GraphBuilder();
  const p = lse.add("param", [], { name: "s" });
  const lseGraph = lse.build(lse.add("logsumexp", [p], { axis: 1 }));
  const big = evaluate(lseGraph, { X: tensor([1, 1]), y: tensor([1]), params: new Map([["s", tensor([1, 2], [1000, 1000])]]) });
  assert.ok(Math.abs(big[lseGraph.output].data[0] - (1000 + Math.log(2))) < 1e-9, "logsumexp does not overflow");
});
