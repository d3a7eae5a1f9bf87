// What a gradient check must never let pass: gradients that are right only
// at the pathological tiny-weight start (the hinge's indicator forgotten or
// shifted, in both layouts of W), errors of 1% on a smooth loss, one wrong
// entry among hundreds; and patterns named beside a regularisation term.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { checkFindings, whereText } from "../../server/src/engine/check-findings";
import { checkGradients, initialParams } from "../../server/src/engine/check-gradients";
import { compileDeclaration } from "../../server/src/engine/compile";
import { checkParam, defaultGradCheckOptions } from "../../server/src/engine/gradcheck";
import { evaluate, gradients } from "../../server/src/engine/reference";
import { seededStreams } from "../../server/src/engine/random";
import { tensor } from "../../server/src/engine/tensor";
import { checkExamples } from "../support/check-examples";

const settings = { h: 1e-5, samples: 20, projections: 4 };

function check(source: string, data = checkExamples(20, 9, 4, 5)) {
  const analysis = analyze(source);
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), [], "the document itself is valid");
  const report = checkGradients(analysis, data, settings, seededStreams(3));
  return { report, findings: checkFindings(report).filter((finding) => finding.code === "gradcheck") };
}

// blobs(dims=8) with the bias trick: D = 9; 4 classes. The usual start: weights of 1e-4.
const header = `data d = blobs(classes=4, points=10, dims=8) { bias_trick }
hyper reg = 0.1
`;

const layouts = {
  "W as [C, D]": { param: "param W: [C, D] = randn * 0.0001\nscore s = X @ W^T\n", grad: (active: string) => `(${active} - onehot(y) * sum(${active}, axis=1))^T @ X / N + reg * W` },
  "W as [D, C]": { param: "param W: [D, C] = randn * 0.0001\nscore s = X @ W\n", grad: (active: string) => `X^T @ (${active} - onehot(y) * sum(${active}, axis=1)) / N + reg * W` },
};

function svm(layout: keyof typeof layouts, active: string): string {
  return `${header}${layouts[layout].param}score margins = s - s[y] + 1
score active = ${active}
loss L = mean(sum(max(0, margins) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
grad dL/dW = ${layouts[layout].grad("active")}
`;
}

const rightAtTheStart: Record<string, string> = {
  "the indicator forgotten": "1 - onehot(y)",
  "the indicator shifted up (margins > 0.5)": "(margins > 0.5) * (1 - onehot(y))",
  "the indicator shifted down (margins > -1)": "(margins > -1) * (1 - onehot(y))",
  "the indicator's threshold next to the margin (margins > 0.9)": "(margins > 0.9) * (1 - onehot(y))",
};

for (const layout of Object.keys(layouts) as (keyof typeof layouts)[]) {
  test(`a correct SVM gradient stays quiet at the start and at the characteristic point: ${layout}`, () => {
    const { report, findings } = check(svm(layout, "(margins > 0) * (1 - onehot(y))"));
    assert.deepEqual(findings, []);
    const [grad] = report.grads;
    assert.equal(grad.points?.length, 2, "checked at the start and at a second point");
    assert.ok(grad.points.every((point) => point.verdict !== "error"));
    assert.match(grad.points[1].sides ?? "", /^max\(0, ·\) positive for \d+ of \d+ entries at the start, \d+ of \d+ there$/);
  });
  for (const [name, active] of Object.entries(rightAtTheStart)) {
    test(`right at the start, wrong in training, is an error: ${name}, ${layout}`, () => {
      const { report, findings } = check(svm(layout, active));
      const [grad] = report.grads;
      assert.equal(grad.points?.[0].verdict === "error" ? "start" : "later", "later", "the start is pathological: the grad is right there");
      assert.equal(grad.check?.verdict, "error");
      assert.equal(findings.length, 1);
      assert.equal(findings[0].severity, "error");
      assert.match(findings[0].message, /right at the start, wrong at weights scaled ×[\d,.]+ \(class scores of spread 1\) \(max\(0, ·\) positive for (\d+) of \1 entries at the start, \d+ of \1 there\)/);
    });
  }
}

test("the hinge's value used for its indicator is wrong already at the start", () => {
  const { report, findings } = check(svm("W as [C, D]", "max(0, margins) * (1 - onehot(y))"));
  assert.equal(report.grads[0].points?.length, 1, "no second point is needed");
  assert.equal(report.grads[0].failedAt, undefined);
  assert.equal(findings[0]?.severity, "error");
});

test("a forgotten indicator is named as such", () => {
  const { findings } = check(svm("W as [C, D]", "1 - onehot(y)"));
  assert.match(findings[0].message, /the hinge's indicator is missing/);
});

const softmax = `${header}param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
`;
const softmaxGrad = "(softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W";

test("the correct softmax gradient stays quiet", () => {
  assert.deepEqual(check(`${softmax}grad dL/dW = ${softmaxGrad}\n`).findings, []);
});

for (const factor of ["1.01", "0.99"]) {
  test(`a gradient ${factor} times the right one on a smooth loss is an error, named as a factor`, () => {
    const { report, findings } = check(`${softmax}grad dL/dW = ${factor} * (${softmaxGrad})\n`);
    assert.equal(report.grads[0].check?.verdict, "error");
    assert.equal(findings[0]?.severity, "error");
    assert.match(findings[0].message, new RegExp(`off by a constant factor: analytic ≈ ${factor.replace(".", "\\.")} × numerical`));
    assert.doesNotMatch(findings[0].message, /correct class/);
  });
}

const besideRegularisation: Record<string, { grad: string; pattern: RegExp }> = {
  "a missing 1/N": { grad: "(softmax(s, axis=1) - onehot(y))^T @ X + reg * W", pattern: /the data term's gradient is N = 20 times too large: is the 1\/N missing\?/ },
  "a doubled gradient": { grad: `2 * (${softmaxGrad})`, pattern: /twice the numerical one everywhere/ },
  "a flipped sign": { grad: `-(${softmaxGrad})`, pattern: /the sign is flipped/ },
  "the regularisation forgotten": { grad: "(softmax(s, axis=1) - onehot(y))^T @ X / N", pattern: /the regularisation term's gradient is missing/ },
  "a flipped sign on the data term only": { grad: "(onehot(y) - softmax(s, axis=1))^T @ X / N + reg * W", pattern: /the sign of the data term's gradient is flipped/ },
};

for (const [name, { grad, pattern }] of Object.entries(besideRegularisation)) {
  test(`beside + reg * W, ${name} is named`, () => {
    const { findings } = check(`${softmax}grad dL/dW = ${grad}\n`);
    assert.equal(findings[0]?.severity, "error");
    assert.match(findings[0].message, pattern);
  });
}

test("one wrong entry in a tensor of 240 is named, wherever it is", () => {
  // W [10, 24]: more entries than are checked whole, so most checks sample 20 and rely on projections.
  const source = `data d = blobs(classes=10, points=5, dims=23) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
`;
  const analysis = analyze(source);
  const declaration = analysis.document.declarations.find((candidate) => candidate.kind === "loss");
  assert.ok(declaration);
  const compiled = compileDeclaration(analysis.model, declaration);
  assert.ok(compiled.ok);
  const data = checkExamples(30, 24, 10, 9);
  const bindings = { X: tensor([30, 24], data.X), y: tensor([30], data.y), params: initialParams(analysis, seededStreams(1)) };
  const right = gradients(compiled.graph, evaluate(compiled.graph, bindings)).get("W");
  assert.ok(right);
  let traced = 0;
  for (const [k, flat] of [7, 61, 130, 199, 238].entries()) {
    const wrong = { shape: right.shape, data: Float64Array.from(right.data) };
    wrong.data[flat] += 0.5 * Math.max(Math.abs(right.data[flat]), 1e-3);
    const result = checkParam(compiled.graph, bindings, "W", wrong, { ...defaultGradCheckOptions, random: seededStreams(k).call(null, "check") });
    assert.equal(result.verdict, "error", `entry ${flat}`);
    const [row, column] = [Math.floor(flat / 24), flat % 24];
    assert.match(whereText("W", result), new RegExp(`^at W\\[${row},${column}\\] `), `entry ${flat}`);
    if (result.located) {
      traced++;
      assert.equal(result.located.row?.wrongCount, 1, "the rest of its row is right");
      assert.equal(result.located.column?.wrongCount, 1, "the rest of its column is right");
      assert.match(whereText("W", result), /traced from a random direction that disagreed; the rest of row \d+ is right|1 of 24 checked entries of row/);
    }
  }
  assert.ok(traced >= 3, `${traced} of 5 found by a projection and traced`);
});
