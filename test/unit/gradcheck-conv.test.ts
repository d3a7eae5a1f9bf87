// The gradient check on hand-written backward passes of convolution and
// pooling, with grads of intermediate scores: the correct ones (max pooling's
// mask, the kernel's gradient as a convolution of transposes, the input's as a
// convolution with the flipped kernel) raise no alarm; the wrong ones (a
// kernel not flipped or flipped twice, the pooling gradient sent to every
// element of the window or spread evenly over it, or to every tied element
// on ties) are errors, and a wrong padding or stride is a static shape error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { checkFindings } from "../../server/src/engine/check-findings";
import { checkGradients } from "../../server/src/engine/check-gradients";
import { seededStreams } from "../../server/src/engine/random";
import { checkExamples } from "../support/check-examples";

const settings = { h: 1e-5, samples: 30, projections: 4 };

// 36 features read as one 6×6 image per example; 3 classes.
const header = `data d = blobs(classes=3, points=10, dims=36)
param K: [4, 1, 3, 3] = randn * 0.5
param c: [4, 1, 1] = randn * 0.1
param W: [C, 36] = randn * 0.3
score x = reshape(X, [N, 1, 6, 6])
score z = conv2d(x, K, stride=1, pad=1) + c
score a = tanh(z)
score p = maxpool(a, size=2, stride=2)
score s = flatten(p) @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/ds = (softmax(s, axis=1) - onehot(y)) / N
grad dL/dp = reshape(dL/ds @ W, [N, 4, 3, 3])
`;
const poolBackward = "grad dL/da = upsample(dL/dp, size=2) * (a == upsample(p, size=2))\n";
const tanhBackward = "grad dL/dz = dL/da * (1 - a^2)\n";

function run(source: string) {
  const analysis = analyze(source);
  const errors = analysis.findings.filter((finding) => finding.severity === "error");
  assert.deepEqual(errors.map((finding) => finding.message), [], "the document itself is valid");
  const report = checkGradients(analysis, checkExamples(5, 36, 3, 1), settings, seededStreams(7));
  return { report, findings: checkFindings(report) };
}

const correct: Record<string, string> = {
  "max pooling by its mask, and the scores before it": header + poolBackward,
  "the kernel as a convolution of transposes": `${header}${poolBackward}${tanhBackward}grad dL/dK = transpose(conv2d(transpose(x, [1, 0, 2, 3]), transpose(dL/dz, [1, 0, 2, 3]), stride=1, pad=1), [1, 0, 2, 3])\n`,
  "the input as a convolution with the flipped kernel": `${header}${poolBackward}${tanhBackward}grad dL/dx = conv2d(dL/dz, transpose(flip(K, axes=[2, 3]), [1, 0, 2, 3]), stride=1, pad=1)\n`,
  "the bias summed over the batch and the image": `${header}${poolBackward}${tanhBackward}grad dL/dc = reshape(sum(sum(sum(dL/dz, axis=0), axis=2), axis=3), [4, 1, 1])\n`,
};

for (const [name, source] of Object.entries(correct)) {
  test(`a correct convolution or pooling backward pass raises no alarm: ${name}`, () => {
    const { report, findings } = run(source);
    assert.ok(report.grads.length >= 3);
    for (const grad of report.grads) {
      assert.equal(grad.problem, undefined, `${grad.name}: ${grad.problem}`);
      assert.ok(grad.check && (grad.check.verdict === "good" || grad.check.verdict === "acceptable"), `${grad.name}: ${grad.check?.verdict} ${grad.check?.maxRelativeError}`);
    }
    assert.deepEqual(findings.filter((finding) => finding.code === "gradcheck").map((finding) => finding.message), []);
  });
}

const wrong: Record<string, { grads: string; name: string; pattern?: RegExp }> = {
  "the kernel not flipped": { grads: `${poolBackward}${tanhBackward}grad dL/dx = conv2d(dL/dz, transpose(K, [1, 0, 2, 3]), stride=1, pad=1)\n`, name: "dL/dx", pattern: /flipped|turned/ },
  "the kernel's gradient flipped": { grads: `${poolBackward}${tanhBackward}grad dL/dK = flip(transpose(conv2d(transpose(x, [1, 0, 2, 3]), transpose(dL/dz, [1, 0, 2, 3]), stride=1, pad=1), [1, 0, 2, 3]), axes=[2, 3])\n`, name: "dL/dK", pattern: /turned by 180°/ },
  "the pooling gradient sent to every element of the window": { grads: "grad dL/da = upsample(dL/dp, size=2)\n", name: "dL/da", pattern: /every element of its window/ },
  "the pooling gradient spread evenly, as average pooling's": { grads: "grad dL/da = upsample(dL/dp, size=2) / 4\n", name: "dL/da", pattern: /spread evenly/ },
};

for (const [name, { grads, name: gradName, pattern }] of Object.entries(wrong)) {
  test(`a wrong convolution or pooling backward pass is an error: ${name}`, () => {
    const { report, findings } = run(header + grads);
    const grad = report.grads.find((each) => each.name === gradName);
    assert.ok(grad, `${gradName} was checked`);
    assert.equal(grad.check?.verdict, "error", `verdict ${grad.check?.verdict}, max error ${grad.check?.maxRelativeError}`);
    const finding = findings.find((candidate) => candidate.code === "gradcheck" && candidate.message.includes(gradName));
    assert.ok(finding && finding.severity === "error", `a finding names ${gradName}`);
    if (pattern) assert.match(finding.message, pattern);
  });
}

test("a wrong padding or stride in a convolution's backward pass is a static shape error", () => {
  for (const wrongConv of ["conv2d(dL/dz, transpose(flip(K, axes=[2, 3]), [1, 0, 2, 3]), stride=1, pad=0)", "conv2d(dL/dz, transpose(flip(K, axes=[2, 3]), [1, 0, 2, 3]), stride=2, pad=1)"]) {
    const analysis = analyze(`${header}${poolBackward}${tanhBackward}grad dL/dx = ${wrongConv}\n`);
    const finding = analysis.findings.find((candidate) => candidate.code === "grad-shape");
    assert.ok(finding, `${wrongConv}: ${analysis.findings.map((each) => each.message).join("; ")}`);
    assert.match(finding.message, /\[N, 1, 6, 6\]/);
  }
});

test("max pooling's mask on ties sends the gradient to every tied element: the link below it is an error, off by the window's size", () => {
  // Blank images (every pixel relu(X − 100) = 0): each window's four activations are tanh(c), tied, and
  // `a == upsample(p)` marks all four, where the maximum moves with one of them. The check at ties
  // skips dL/da's own entries (kinks), and the bias's gradient, summed over the windows, is 4 times the true one.
  const blank = header.replace("param c: [4, 1, 1] = randn * 0.1", "param c: [4, 1, 1] = ones").replace("score x = reshape(X, [N, 1, 6, 6])", "score x = reshape(relu(X - 100), [N, 1, 6, 6])");
  assert.notEqual(blank, header);
  const { report, findings } = run(`${blank}${poolBackward}${tanhBackward}grad dL/dc = reshape(sum(sum(sum(dL/dz, axis=0), axis=2), axis=3), [4, 1, 1])\n`);
  assert.ok((report.grads.find((grad) => grad.name === "dL/da")?.check?.kinks.length ?? 0) > 0, "dL/da has entries at ties");
  const finding = findings.find((candidate) => candidate.code === "gradcheck" && candidate.message.includes("dL/dc"));
  assert.ok(finding && finding.severity === "error", findings.map((each) => each.message).join("\n"));
  assert.match(finding.message, /4 × numerical/);
});
