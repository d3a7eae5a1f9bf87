// The gradient check against a corpus: correct hand-derived gradients (SVM,
// softmax, a two-layer net, L2, and points placed exactly on kinks) raise no
// alarm; wrong ones (a flipped sign, a missing term, a wrong factor, a
// transposed result, the correct-class row handled wrongly, a missing 1/N)
// are errors, every one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { checkFindings } from "../../server/src/engine/check-findings";
import { checkGradients } from "../../server/src/engine/check-gradients";
import { relativeError, resolvedRelativeError } from "../../server/src/engine/gradcheck";
import { seededStreams } from "../../server/src/engine/random";
import { checkExamples } from "../support/check-examples";

const examples = checkExamples;

const settings = { h: 1e-5, samples: 30, projections: 4 };

function run(source: string, data = examples(6, 5, 3, 1)) {
  const analysis = analyze(source);
  const errors = analysis.findings.filter((finding) => finding.severity === "error");
  assert.deepEqual(errors.map((finding) => finding.message), [], "the document itself is valid");
  const report = checkGradients(analysis, data, settings, seededStreams(7));
  return { report, findings: checkFindings(report) };
}

// blobs(dims=4) with the bias trick: D = 5; 3 classes.
const header = `data d = blobs(classes=3, points=10, dims=4) { bias_trick }
hyper reg = 0.1
`;

const svm = `${header}param W: [C, D] = randn * 0.01
score s = X @ W^T
score margins = s - s[y] + 1
score active = (margins > 0) * (1 - onehot(y))
loss L = mean(sum(max(0, margins) * (1 - onehot(y)), axis=1)) + 0.5 * reg * sum(W^2)
`;
const svmGrad = "(active - onehot(y) * sum(active, axis=1))^T @ X / N + reg * W";

const softmax = `${header}param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
`;

const twoLayer = `${header}param W1: [8, D] = randn * 0.5
param b1: [8] = randn * 0.1
param W2: [C, 8] = randn * 0.5
param b2: [C] = zeros
score h = relu(X @ W1^T + b1)
score s = h @ W2^T + b2
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * (sum(W1^2) + sum(W2^2))
score ds = (softmax(s, axis=1) - onehot(y)) / N
score dh = (ds @ W2) * (h > 0)
`;

const correct: Record<string, string> = {
  "svm (vectorized, as in the notes)": `${svm}grad dL/dW = ${svmGrad}\n`,
  softmax: `${softmax}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N + reg * W\n`,
  "two-layer net, every param": `${twoLayer}grad dL/dW2 = ds^T @ h + reg * W2
grad dL/db2 = sum(ds, axis=0)
grad dL/dW1 = dh^T @ X + reg * W1
grad dL/db1 = sum(dh, axis=0)
`,
  "l2 regularization": `${header}param W: [C, D] = randn
loss R = 0.5 * reg * sum(W^2)
grad dR/dW = reg * W
`,
  "l1 regularization away from zero": `${header}param W: [C, D] = randn
loss R = reg * sum(abs(W))
grad dR/dW = reg * ((W > 0) - (W < 0))
`,
  // W = 0 and margin 0: every margin sits exactly on the kink of max.
  "svm exactly on its kinks": `${header}param W: [C, D] = zeros
score s = X @ W^T
score margins = s - s[y] + 0
score active = (margins > 0) * (1 - onehot(y))
loss L = mean(sum(max(0, margins) * (1 - onehot(y)), axis=1))
grad dL/dW = (active - onehot(y) * sum(active, axis=1))^T @ X / N
`,
  // relu at exactly zero pre-activations.
  "relu net on its kinks": `${header}param W1: [4, D] = zeros
param W2: [C, 4] = randn
score s = relu(X @ W1^T) @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW1 = (((softmax(s, axis=1) - onehot(y)) / N @ W2) * (X @ W1^T > 0))^T @ X
`,
};

for (const [name, source] of Object.entries(correct)) {
  test(`correct gradient raises no alarm: ${name}`, () => {
    const { report, findings } = run(source);
    assert.ok(report.grads.length > 0);
    for (const grad of report.grads) {
      assert.equal(grad.problem, undefined, `${grad.name}: ${grad.problem}`);
      assert.ok(grad.check && (grad.check.verdict === "good" || grad.check.verdict === "acceptable"), `${grad.name}: ${grad.check?.verdict} ${grad.check?.maxRelativeError}`);
    }
    assert.deepEqual(findings.filter((finding) => finding.code === "gradcheck"), []);
  });
}

test("points on kinks are reported as kinks with both one-sided derivatives", () => {
  const { report } = run(correct["svm exactly on its kinks"]);
  const check = report.grads[0].check;
  assert.ok(check);
  assert.ok(check.kinks.length > 0, "kinks were found");
  for (const kink of check.kinks) {
    assert.ok(kink.kink && Number.isFinite(kink.kink.left) && Number.isFinite(kink.kink.right));
    assert.notEqual(kink.kink.left, kink.kink.right);
  }
});

const wrong: Record<string, { source: string; pattern?: RegExp }> = {
  "a flipped sign": { source: `${svm}grad dL/dW = -(${svmGrad})\n`, pattern: /sign is flipped/ },
  "a missing term (the correct-class rows)": { source: `${svm}grad dL/dW = active^T @ X / N + reg * W\n`, pattern: /only row \d, its correct class, is wrong/ },
  "a wrong factor on the regularization": { source: `${svm}grad dL/dW = (active - onehot(y) * sum(active, axis=1))^T @ X / N + 2 * reg * W\n`, pattern: /regularisation term.s gradient is twice too large/ },
  "the correct-class row with the wrong sign": { source: `${svm}grad dL/dW = (active + onehot(y) * sum(active, axis=1))^T @ X / N + reg * W\n`, pattern: /its correct class, is wrong/ },
  "a missing 1/N": { source: `${softmax}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X + N * reg * W\n`, pattern: /N = 6 times too large/ },
  "a missing regularization term": { source: `${softmax}grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N\n` },
  "a two-layer net without the relu gate": { source: `${twoLayer}grad dL/dW1 = (ds @ W2)^T @ X + reg * W1\n` },
};

for (const [name, { source, pattern }] of Object.entries(wrong)) {
  test(`wrong gradient is an error: ${name}`, () => {
    const { report, findings } = run(source);
    const [grad] = report.grads;
    assert.equal(grad.check?.verdict, "error", `verdict ${grad.check?.verdict}, max error ${grad.check?.maxRelativeError}`);
    const finding = findings.find((candidate) => candidate.code === "gradcheck");
    assert.ok(finding && finding.severity === "error");
    assert.match(finding.message, /^analytic dL\/dW1? disagrees with the numerical gradient: max relative error /);
    if (pattern) assert.match(finding.message, pattern);
  });
}

test("a transposed result on a square parameter is caught numerically", () => {
  // D = C = 3: the transpose has the right shape, so only the numbers can tell.
  const square = `data d = blobs(classes=3, points=10, dims=2) { bias_trick }
param W: [C, D] = randn * 0.1
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = X^T @ (softmax(s, axis=1) - onehot(y)) / N
`;
  const { report, findings } = run(square, examples(6, 3, 3, 2));
  assert.equal(report.grads[0].check?.verdict, "error");
  assert.ok(findings.some((finding) => finding.severity === "error"));
});

test("a transposed result on a non-square parameter is a static shape error", () => {
  const analysis = analyze(`${softmax}grad dL/dW = X^T @ (softmax(s, axis=1) - onehot(y)) / N + reg * W^T\n`);
  assert.ok(analysis.findings.some((finding) => finding.code === "grad-shape" && /transpose it/.test(finding.message)));
});

test("losses without a grad get their autodiff gradient verified", () => {
  const { report } = run(twoLayer);
  assert.deepEqual(report.autodiff.map((entry) => entry.check.param).sort(), ["W1", "W2", "b1", "b2"]);
  for (const entry of report.autodiff) assert.ok(entry.check.verdict === "good" || entry.check.verdict === "acceptable", `${entry.check.param}: ${entry.check.maxRelativeError}`);
});

test("the loss at initialisation is compared with chance", () => {
  const softmaxReport = run(softmax).report;
  assert.equal(softmaxReport.chance[0].kind, "softmax");
  assert.ok(Math.abs(softmaxReport.chance[0].expected - Math.log(3)) < 1e-12);
  assert.equal(softmaxReport.chance[0].far, false);
  const svmReport = run(svm).report;
  assert.equal(svmReport.chance[0].kind, "svm");
  assert.equal(svmReport.chance[0].expected, 2);
  assert.equal(svmReport.chance[0].far, false);
  // Counting the correct class too gives C·Δ instead of (C − 1)·Δ.
  const counted = run(`${header}param W: [C, D] = randn * 0.001\nscore s = X @ W^T\nloss L = mean(sum(max(0, s - s[y] + 1), axis=1))\n`);
  assert.equal(counted.report.chance[0].far, true);
  assert.ok(counted.findings.some((finding) => finding.code === "chance" && /chance for an SVM/.test(finding.message)));
});

test("a check of every entry covers the whole tensor", () => {
  const analysis = analyze(`${svm}grad dL/dW = ${svmGrad}\n`);
  const report = checkGradients(analysis, examples(6, 5, 3, 1), { ...settings, all: true }, seededStreams(7));
  assert.equal(report.grads[0].check?.checked, 15);
});

test("entries below the rounding noise of the centered difference are not mismatches", () => {
  // |L| ≈ 2.3 and h = 1e-5 leave the difference quotient uncertain by about 5e-11.
  assert.ok(resolvedRelativeError(-7.75e-8, -7.747e-8, 2.3, 2.3, 1e-5) < 1e-7);
  assert.ok(relativeError(-7.75e-8, -7.747e-8) > 1e-4, "the plain relative error would have cried wolf");
  // Above the noise, the relative error is the plain one.
  assert.equal(resolvedRelativeError(2e-3, 1e-3, 2.3, 2.3, 1e-5), 0.5);
});

test("a correct softmax gradient on many examples is not a warning, and rounding has no pattern", () => {
  // On 2,000 examples of 301 features, rounding in the summed loss leaves the
  // centered difference at h = 1e-5 off by a few 1e-7 relative; the check
  // measures such entries again with a larger step and Richardson's
  // extrapolation, and claims no pattern for what is only rounding.
  const source = `data d = blobs(classes=10, points=200, dims=300) { bias_trick }
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X / N
`;
  const analysis = analyze(source);
  const report = checkGradients(analysis, examples(2000, 301, 10, 3), { h: 1e-5, samples: 400, projections: 4 }, seededStreams(11));
  const check = report.grads[0].check;
  assert.ok(check);
  assert.equal(check.verdict, "good", `max relative error ${check.maxRelativeError}`);
  assert.equal(check.pattern, undefined);
  // The same gradient without its 1/N is still caught, with its pattern.
  const wrong = checkGradients(analyze(source.replace(" / N", "")), examples(2000, 301, 10, 3), { h: 1e-5, samples: 40, projections: 4 }, seededStreams(11));
  assert.equal(wrong.grads[0].check?.verdict, "error");
  assert.match(wrong.grads[0].check?.pattern ?? "", /is the 1\/N missing/);
});
