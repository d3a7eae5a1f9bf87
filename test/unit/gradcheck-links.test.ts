// Backprop written link by link: grads of scores (dL/ds, dL/dh, dL/dz1) and
// grads that use other grads by name. A corpus of derivations (softmax and
// SVM heads, ReLU and tanh, weights laid out [out, in] with s = X @ W^T and
// [in, out] with s = X @ W): the right ones stay quiet, a wrong link is an
// error on its own line, and the links after it that are wrong only through
// it say so without being errors of their own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { checkFindings } from "../../server/src/engine/check-findings";
import { checkGradients } from "../../server/src/engine/check-gradients";
import { gradLensTitle } from "../../server/src/features/code-lens";
import { seededStreams } from "../../server/src/engine/random";
import { checkExamples } from "../support/check-examples";

const settings = { h: 1e-5, samples: 30, projections: 4 };

// blobs(dims=4) with the bias trick: D = 5; 3 classes.
const header = `data d = blobs(classes=3, points=10, dims=4) { bias_trick }
hyper reg = 0.1
`;

const softmaxLoss = "mean(logsumexp(s, axis=1) - s[y])";
const softmaxHead = "(softmax(s, axis=1) - onehot(y)) / N";
const svmScores = `score margins = s - s[y] + 1
score active = (margins > 0) * (1 - onehot(y))
`;
const svmLoss = "mean(sum(max(0, margins) * (1 - onehot(y)), axis=1))";
const svmHead = "(active - onehot(y) * sum(active, axis=1)) / N";

interface Derivation {
  /** Everything but the grads. */
  model: string;
  /** The backward pass, link by link, by the grad each line declares. */
  links: Record<string, string>;
}

/** Weights [out, in]: s = h @ W2^T. */
function rowsLayout(activation: "relu" | "tanh", head: "softmax" | "svm"): Derivation {
  const gate = activation === "relu" ? "(z1 > 0)" : "(1 - h^2)";
  return {
    model: `${header}param W1: [6, D] = randn * 2
param W2: [C, 6] = randn * 2
score z1 = X @ W1^T
score h = ${activation}(z1)
score s = h @ W2^T
${head === "svm" ? svmScores : ""}loss L = ${head === "svm" ? svmLoss : softmaxLoss} + reg * (sum(W1^2) + sum(W2^2))
`,
    links: {
      "dL/ds": head === "svm" ? svmHead : softmaxHead,
      "dL/dW2": "dL/ds^T @ h + 2 * reg * W2",
      "dL/dh": "dL/ds @ W2",
      "dL/dz1": `dL/dh * ${gate}`,
      "dL/dW1": "dL/dz1^T @ X + 2 * reg * W1",
    },
  };
}

/** Weights [in, out]: s = h @ W2. */
function columnsLayout(activation: "relu" | "tanh", head: "softmax" | "svm"): Derivation {
  const gate = activation === "relu" ? "(z1 > 0)" : "(1 - h^2)";
  return {
    model: `${header}param W1: [D, 6] = randn * 2
param W2: [6, C] = randn * 2
score z1 = X @ W1
score h = ${activation}(z1)
score s = h @ W2
${head === "svm" ? svmScores : ""}loss L = ${head === "svm" ? svmLoss : softmaxLoss} + reg * (sum(W1^2) + sum(W2^2))
`,
    links: {
      "dL/ds": head === "svm" ? svmHead : softmaxHead,
      "dL/dW2": "h^T @ dL/ds + 2 * reg * W2",
      "dL/dh": "dL/ds @ W2^T",
      "dL/dz1": `dL/dh * ${gate}`,
      "dL/dW1": "X^T @ dL/dz1 + 2 * reg * W1",
    },
  };
}

const derivations: Record<string, Derivation> = {
  "softmax, relu, W [out, in]": rowsLayout("relu", "softmax"),
  "softmax, tanh, W [out, in]": rowsLayout("tanh", "softmax"),
  "svm, relu, W [out, in]": rowsLayout("relu", "svm"),
  "softmax, relu, W [in, out]": columnsLayout("relu", "softmax"),
  "svm, tanh, W [in, out]": columnsLayout("tanh", "svm"),
};

function source(derivation: Derivation, replaced: Record<string, string> = {}): string {
  const links = Object.entries({ ...derivation.links, ...replaced }).map(([grad, value]) => `grad ${grad} = ${value}`);
  return `${derivation.model}${links.join("\n")}\n`;
}

function run(text: string) {
  const analysis = analyze(text);
  const errors = analysis.findings.filter((finding) => finding.severity === "error");
  assert.deepEqual(errors.map((finding) => finding.message), [], "the document itself is valid");
  const report = checkGradients(analysis, checkExamples(6, 5, 3, 1), settings, seededStreams(7));
  const findings = checkFindings(report, (offset) => text.slice(0, offset).split("\n").length);
  /** The grad each finding is on, by the text under its range. */
  const on = (code: string, severity?: string) =>
    findings.filter((finding) => finding.code === code && (!severity || finding.severity === severity)).map((finding) => text.slice(finding.span.start, finding.span.end));
  return { report, findings, on };
}

for (const [name, derivation] of Object.entries(derivations)) {
  test(`a right backward pass, link by link, stays quiet: ${name}`, () => {
    const { report, findings } = run(source(derivation));
    assert.deepEqual(report.grads.map((grad) => grad.name), Object.keys(derivation.links));
    for (const grad of report.grads) {
      assert.equal(grad.problem, undefined, `${grad.name}: ${grad.problem}`);
      assert.ok(grad.check && (grad.check.verdict === "good" || grad.check.verdict === "acceptable"), `${grad.name}: ${grad.check?.verdict} ${grad.check?.maxRelativeError}`);
      assert.deepEqual(grad.points?.map((point) => point.label.replace(/×[\d.,]+/, "×k")), ["the start", "weights scaled ×k (class scores of spread 1)"], `${grad.name} is checked at the start and at the scaled point`);
    }
    assert.deepEqual(findings.filter((finding) => finding.severity === "error" || finding.code === "gradcheck"), []);
  });
}

/** One wrong link in each derivation, and the links after it that are wrong only through it. */
const wrongLinks: { derivation: string; link: string; value: string; inheritedBy: string[] }[] = [
  { derivation: "softmax, relu, W [out, in]", link: "dL/dz1", value: "dL/dh * (z1 < 0)", inheritedBy: ["dL/dW1"] },
  { derivation: "softmax, relu, W [out, in]", link: "dL/ds", value: "(softmax(s, axis=1) - onehot(y))", inheritedBy: ["dL/dW2", "dL/dh", "dL/dz1", "dL/dW1"] },
  { derivation: "softmax, tanh, W [out, in]", link: "dL/dz1", value: "dL/dh * (1 - h)", inheritedBy: ["dL/dW1"] },
  { derivation: "svm, relu, W [out, in]", link: "dL/ds", value: "active / N", inheritedBy: ["dL/dW2", "dL/dh", "dL/dz1", "dL/dW1"] },
  { derivation: "softmax, relu, W [in, out]", link: "dL/dh", value: "dL/ds @ W2^T * 2", inheritedBy: ["dL/dz1", "dL/dW1"] },
  { derivation: "svm, tanh, W [in, out]", link: "dL/dW2", value: "h^T @ dL/ds + reg * W2", inheritedBy: [] },
];

for (const { derivation, link, value, inheritedBy } of wrongLinks) {
  test(`a wrong link is the one error, and the links after it inherit it: ${link} = ${value} (${derivation})`, () => {
    const text = source(derivations[derivation], { [link]: value });
    const { report, findings, on } = run(text);
    const wrong = report.grads.find((grad) => grad.name === link);
    assert.equal(wrong?.check?.verdict, "error", `verdict ${wrong?.check?.verdict}, max error ${wrong?.check?.maxRelativeError}`);
    assert.deepEqual(on("gradcheck", "error"), [link], "only the first wrong link is an error");
    assert.deepEqual(on("gradcheck-inherited", "information"), inheritedBy);
    const line = text.slice(0, text.indexOf(`grad ${link} =`)).split("\n").length;
    for (const name of inheritedBy) {
      const grad = report.grads.find((candidate) => candidate.name === name);
      assert.equal(grad?.check?.verdict, "error", `${name} is numerically wrong too`);
      assert.equal(grad?.wrongUses?.inherits, true, `${name} inherits`);
      assert.match(gradLensTitle({ checking: false, result: grad }), /^✗ wrong through dL\/d\w+(, dL\/d\w+)*, which it uses/, "its code lens says so");
      const message = findings.find((finding) => finding.code === "gradcheck-inherited" && text.slice(finding.span.start, finding.span.end) === name)?.message;
      assert.match(message ?? "", new RegExp(`^${name.replace("/", "\\/")} is wrong because .*, which it uses, (is|are) wrong`));
      if (grad?.wrongUses?.grads.some((use) => use.name === link)) assert.ok(message?.includes(`${link} (line ${line})`), `${message} names ${link} and its line`);
    }
  });
}

test("a link wrong in its own expression is an error even when a link it uses is wrong too", () => {
  const derivation = derivations["softmax, relu, W [out, in]"];
  const text = source(derivation, { "dL/dz1": "dL/dh * (z1 < 0)", "dL/dW1": "dL/dz1^T @ X + reg * W1" });
  const { report, findings, on } = run(text);
  assert.deepEqual(on("gradcheck", "error"), ["dL/dz1", "dL/dW1"]);
  assert.equal(report.grads.find((grad) => grad.name === "dL/dW1")?.wrongUses?.inherits, false);
  const message = findings.find((finding) => finding.severity === "error" && finding.message.startsWith("analytic dL/dW1"))?.message ?? "";
  assert.match(message, /dL\/dW1's own expression is wrong, not only because dL\/dz1 \(line \d+\), which it uses, is wrong/);
});

test("a link wrong in its own expression, with the links it uses right, is an error of its own", () => {
  const derivation = derivations["softmax, relu, W [out, in]"];
  const { report, on } = run(source(derivation, { "dL/dW1": "dL/dz1^T @ X" }));
  assert.deepEqual(on("gradcheck", "error"), ["dL/dW1"]);
  assert.equal(report.grads.find((grad) => grad.name === "dL/dW1")?.wrongUses, undefined, "no link it uses is wrong");
});

test("a score's grad is checked as the loss of that score alone, its entries named after the score", () => {
  const derivation = derivations["softmax, relu, W [out, in]"];
  const { report, findings } = run(source(derivation, { "dL/dh": "dL/ds @ W2 * 2" }));
  const grad = report.grads.find((candidate) => candidate.name === "dL/dh");
  assert.equal(grad?.param, "h");
  assert.equal(grad?.check?.param, "h");
  const message = findings.find((finding) => finding.code === "gradcheck" && finding.message.startsWith("analytic dL/dh"))?.message ?? "";
  assert.match(message, /at h\[\d+,\d+\]/);
  // The patterns of param grads apply to a score's grad as they are.
  assert.match(message, /twice the numerical one/);
});

test("a check of one score (a gradcheck's wrt) checks only the grads with respect to it", () => {
  const analysis = analyze(source(derivations["softmax, relu, W [out, in]"]));
  const report = checkGradients(analysis, checkExamples(6, 5, 3, 1), { ...settings, only: { param: "h" } }, seededStreams(7));
  assert.deepEqual(report.grads.map((grad) => [grad.name, grad.check?.verdict === "error"]), [["dL/dh", false]]);
  assert.deepEqual(report.autodiff, []);
});

test("a grad checked alone brings the grads it uses, and still says it is wrong only through them", () => {
  const text = source(derivations["softmax, relu, W [out, in]"], { "dL/dz1": "dL/dh * (z1 < 0)" });
  const analysis = analyze(text);
  const report = checkGradients(analysis, checkExamples(6, 5, 3, 1), { ...settings, only: { grad: "dL/dW1" } }, seededStreams(7));
  assert.deepEqual(report.grads.map((grad) => grad.name), ["dL/ds", "dL/dh", "dL/dz1", "dL/dW1"], "dL/dW2 is not needed");
  assert.equal(report.grads.find((grad) => grad.name === "dL/dW1")?.wrongUses?.inherits, true);
});
