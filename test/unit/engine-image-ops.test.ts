// Oracles for the image ops and tensors of up to four axes in the reference
// op table: each op's vector-Jacobian product against float64 centered
// differences at smooth points (strides 1 and 2, pads 0 to 2, non-square
// images and kernels), and forward values against values computed by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder, type IrNode, type OpName } from "../../server/src/engine/ir";
import { evaluate, gradients, outputValue, type Bindings } from "../../server/src/engine/reference";
import { ops } from "../../server/src/engine/ops";
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
  attributes?: Omit<IrNode, "id" | "op" | "inputs">;
  /** Draws entry k of an input; the pooling cases keep each window's entries apart so no tie is near. */
  draw?: (next: () => number, k: number) => number;
}

// Distinct values at least 0.01 apart in a shuffled order: no two entries of a window tie within a step of 1e-5.
const spread = (next: () => number, k: number) => ((k * 7919) % 1009) / 100 + 0.001 * next();

export const imageCases: Case[] = [
  { op: "conv2d", shapes: [[2, 3, 5, 4], [4, 3, 3, 3]], attributes: { stride: 1, pad: 1 } },
  { op: "conv2d", shapes: [[2, 2, 7, 6], [3, 2, 3, 2]], attributes: { stride: 2, pad: 0 } },
  { op: "conv2d", shapes: [[1, 2, 5, 5], [2, 2, 3, 3]], attributes: { stride: 2, pad: 2 } },
  { op: "conv2d", shapes: [[3, 1, 4, 6], [2, 1, 1, 3]], attributes: { stride: 1, pad: 0 } },
  { op: "maxpool", shapes: [[2, 3, 4, 6]], attributes: { size: 2, stride: 2 }, draw: spread },
  { op: "maxpool", shapes: [[1, 2, 5, 7]], attributes: { size: 3, stride: 2 }, draw: spread },
  { op: "avgpool", shapes: [[2, 3, 4, 6]], attributes: { size: 2, stride: 2 } },
  { op: "avgpool", shapes: [[1, 2, 5, 7]], attributes: { size: 3, stride: 1 } },
  { op: "upsample", shapes: [[2, 3, 2, 3]], attributes: { size: 2 } },
  { op: "upsample", shapes: [[1, 2, 3, 1]], attributes: { size: 3 } },
  { op: "reshape", shapes: [[2, 12]], attributes: { dims: [-1, 3, 2, 2] } },
  { op: "reshape", shapes: [[2, 3, 2, 2]], attributes: { dims: [4, 6] } },
  { op: "flatten", shapes: [[2, 3, 2, 2]] },
  { op: "flip", shapes: [[2, 3, 4, 3]], attributes: { axes: [2, 3] } },
  { op: "flip", shapes: [[2, 3, 4, 3]], attributes: { axes: [0] } },
  { op: "transpose", shapes: [[2, 3, 4, 5]], attributes: { axes: [1, 0, 2, 3] } },
  { op: "transpose", shapes: [[2, 3, 4, 5]], attributes: { axes: [3, 1, 0, 2] } },
  { op: "reducemax", shapes: [[2, 3, 4, 5]], attributes: { axis: 2 }, draw: spread },
  { op: "reducemax", shapes: [[3, 4]], attributes: { axis: 1 }, draw: spread },
  { op: "reducemax", shapes: [[2, 3, 4]], draw: spread },
  { op: "sum", shapes: [[2, 3, 4, 5]], attributes: { axis: 1 } },
  { op: "mean", shapes: [[2, 3, 4, 5]], attributes: { axis: 3 } },
  { op: "logsumexp", shapes: [[2, 3, 4]], attributes: { axis: 2 } },
  // Four-axis broadcasting: a bias [F, 1, 1] over [N, F, H, W], and both sides repeated.
  { op: "add", shapes: [[2, 3, 4, 5], [3, 1, 1]] },
  { op: "mul", shapes: [[2, 1, 4, 5], [3, 1, 5]] },
  { op: "div", shapes: [[2, 3, 4, 5], [1, 3, 1, 1]], draw: (next) => 0.5 + next() },
  { op: "max", shapes: [[2, 3, 4, 1], [1, 3, 1, 5]], draw: spread },
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
    for (let k = 0; k < values.data.length; k++) values.data[k] = testCase.draw ? testCase.draw(next, k + 31 * i) : 2 * next() - 1;
    params.set(`p${i}`, values);
  });
  const bindings: Bindings = { X: tensor([1, 1]), y: tensor([1]), params };
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

for (const testCase of imageCases) {
  const label = `${testCase.op}${testCase.attributes ? ` ${JSON.stringify(testCase.attributes)}` : ""} on ${testCase.shapes.map((shape) => `[${shape}]`).join(", ")}`;
  test(`vjp of ${label} matches centered differences`, () => {
    const { graph, bindings } = setup(testCase, 17);
    const analytic = gradients(graph, evaluate(graph, bindings));
    const h = 1e-5;
    let worst = 0;
    let nonzero = 0;
    testCase.shapes.forEach((_, i) => {
      const param = bindings.params.get(`p${i}`) as Tensor;
      const gradient = analytic.get(`p${i}`) as Tensor;
      assert.deepEqual(gradient.shape, param.shape);
      for (let k = 0; k < param.data.length; k++) {
        const saved = param.data[k];
        param.data[k] = saved + h;
        const plus = outputValue(graph, bindings);
        param.data[k] = saved - h;
        const minus = outputValue(graph, bindings);
        param.data[k] = saved;
        const numerical = (plus - minus) / (2 * h);
        if (numerical !== 0) nonzero++;
        worst = Math.max(worst, relativeError(gradient.data[k], numerical));
      }
    });
    assert.ok(nonzero > 0, "some entry moves the output");
    assert.ok(worst < 1e-7, `worst relative error ${worst.toExponential(2)}`);
  });
}

function run(op: OpName, inputs: Tensor[], attributes: Omit<IrNode, "id" | "op" | "inputs">): Tensor {
  return ops[op as keyof typeof ops].forward(inputs, { id: 0, op, inputs: [], ...attributes });
}

test("conv2d is the course's cross-correlation, with padding and stride", () => {
  // A 3×3 image 1..9 and a 2×2 kernel [[1, 0], [0, -1]]: each output is x[i][j] − x[i+1][j+1] = −4.
  const x = tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const k = tensor([1, 1, 2, 2], [1, 0, 0, -1]);
  assert.deepEqual(Array.from(run("conv2d", [x, k], { stride: 1, pad: 0 }).data), [-4, -4, -4, -4]);
  // Padded by 1, stride 2: windows at rows/columns −1 and 1: [[−1·1? …]] computed by hand.
  const padded = run("conv2d", [x, k], { stride: 2, pad: 1 });
  assert.deepEqual(padded.shape, [1, 1, 2, 2]);
  // (−1,−1): 0 − x[0][0] = −1; (−1,1): 0 − x[0][2] = −3; (1,−1): 0 − x[2][0] = −7; (1,1): x[1][1] − x[2][2] = 5 − 9 = −4.
  assert.deepEqual(Array.from(padded.data), [-1, -3, -7, -4]);
  // Two channels are summed; two filters make two output channels.
  const x2 = tensor([1, 2, 1, 1], [2, 3]);
  const k2 = tensor([2, 2, 1, 1], [1, 1, 1, -1]);
  assert.deepEqual(Array.from(run("conv2d", [x2, k2], { stride: 1, pad: 0 }).data), [5, -1]);
});

test("pooling, upsampling, flip and max along an axis compute what their formulas say", () => {
  const x = tensor([1, 1, 2, 4], [1, 5, 2, 0, 3, 4, 8, 8]);
  assert.deepEqual(Array.from(run("maxpool", [x], { size: 2, stride: 2 }).data), [5, 8]);
  assert.deepEqual(Array.from(run("avgpool", [x], { size: 2, stride: 2 }).data), [13 / 4, 18 / 4]);
  const up = run("upsample", [tensor([1, 1, 1, 2], [1, 2])], { size: 2 });
  assert.deepEqual(up.shape, [1, 1, 2, 4]);
  assert.deepEqual(Array.from(up.data), [1, 1, 2, 2, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(run("flip", [x], { axes: [3] }).data), [0, 2, 5, 1, 8, 8, 4, 3]);
  const largest = run("reducemax", [x], { axis: 3 });
  assert.deepEqual(largest.shape, [1, 1, 2, 1]);
  assert.deepEqual(Array.from(largest.data), [5, 8]);
  // The tie of the second window: the gradient goes to its first 8, and the branches mark the window as a kink.
  const g = tensor([1, 1, 1, 2], [1, 1]);
  const [gx] = ops.maxpool.vjp(g, [x], run("maxpool", [x], { size: 2, stride: 2 }), { id: 0, op: "maxpool", inputs: [], size: 2, stride: 2 });
  assert.deepEqual(Array.from((gx as Tensor).data), [0, 1, 0, 0, 0, 0, 1, 0]);
  const branches = ops.maxpool.branches?.([x], run("maxpool", [x], { size: 2, stride: 2 }), { id: 0, op: "maxpool", inputs: [], size: 2, stride: 2 });
  assert.deepEqual(Array.from(branches ?? []), [2, 0]);
});

test("four-axis broadcasting reads each entry where numpy does", () => {
  // [2, 1, 1, 2] + [1, 2, 1, 1] → [2, 2, 1, 2]: out[n, c, 0, w] = a[n, 0, 0, w] + b[0, c, 0, 0].
  const out = run("add", [tensor([2, 1, 1, 2], [1, 2, 3, 4]), tensor([1, 2, 1, 1], [10, 20])], {});
  assert.deepEqual(out.shape, [2, 2, 1, 2]);
  assert.deepEqual(Array.from(out.data), [11, 12, 21, 22, 13, 14, 23, 24]);
  const mask = run("eq", [tensor([1, 1, 2, 2], [1, 2, 2, 1]), tensor([1, 1, 1, 2], [2, 1])], {});
  assert.deepEqual(Array.from(mask.data), [0, 0, 1, 1]);
});

test("e^T on a tensor of four axes reverses its axes, as numpy's .T does", async () => {
  const { analyze } = await import("../../server/src/analysis/analyze");
  const { compileDeclaration } = await import("../../server/src/engine/compile");
  const analysis = analyze("data d = blobs(classes=2, points=3, dims=24)\nparam K: [2, 3, 1, 4] = randn\nscore t = K^T\nloss L = sum(t * t)\n", { dataFacts: () => ({ features: 24, classes: 2 }) });
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error"), []);
  const symbol = analysis.model.symbols.get("t");
  assert.ok(symbol);
  const compiled = compileDeclaration(analysis.model, symbol.declaration);
  assert.ok(compiled.ok);
  const K = tensor([2, 3, 1, 4], Array.from({ length: 24 }, (_, i) => i));
  const t = evaluate(compiled.graph, { X: tensor([1, 24]), y: tensor([1]), params: new Map([["K", K]]) })[compiled.graph.output];
  assert.deepEqual(t.shape, [4, 1, 3, 2]);
  // t[q, 0, c, f] = K[f, c, 0, q]: t[1, 0, 2, 1] = K[1, 2, 0, 1] = 1·12 + 2·4 + 1 = 21.
  assert.equal(t.data[((1 * 1 + 0) * 3 + 2) * 2 + 1], 21);
});
