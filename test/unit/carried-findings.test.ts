// A check's findings carried to a newer version of the document: kept (and
// moved) when nothing the declaration's check reads has changed, dropped
// otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import type { Finding } from "../../server/src/analysis/diagnostic";
import { carryFindings, CarriedFindings, type DocumentVersion } from "../../server/src/lsp/carried-findings";

const model = `# a softmax classifier
data d = blobs(classes=3, points=20, dims=4) { bias_trick }
hyper reg = 0.01
hyper unused = 1
param W: [C, D] = randn * 0.01
score s = X @ W^T
loss L = mean(logsumexp(s, axis=1) - s[y]) + 0.5 * reg * sum(W^2)
loss R = sum(W^2)
grad dL/dW = (softmax(s, axis=1) - onehot(y))^T @ X + reg * W
`;

function version(text: string): DocumentVersion {
  return { text, analysis: analyze(text) };
}

/** What a check reports on the grad: an error on its `dL/dW`. */
function gradError(text: string): Finding {
  const start = text.indexOf("dL/dW");
  return { span: { start, end: start + "dL/dW".length }, severity: "error", code: "gradcheck", message: "analytic dL/dW disagrees with the numerical gradient" };
}

/** The text each carried finding covers in the new version. */
function carriedText(before: string, after: string): string[] {
  return carryFindings(version(before), version(after), [gradError(before)]).map((finding) => after.slice(finding.span.start, finding.span.end));
}

test("an edit that the grad does not depend on keeps its finding, moved to its new offset", () => {
  assert.deepEqual(carriedText(model, model.replace("# a softmax classifier", "# a softmax classifier\n# on three blobs, with more words")), ["dL/dW"]);
  assert.deepEqual(carriedText(model, model.replace("hyper unused = 1", "hyper unused = 12345")), ["dL/dW"]);
  assert.deepEqual(carriedText(model, model.replace("loss R = sum(W^2)", "loss R = 2 * sum(W^2)")), ["dL/dW"], "another loss on the same param");
  assert.deepEqual(carriedText(model, `${model}hyper later = 3\n`), ["dL/dW"]);
});

test("an edit to the grad or to anything it depends on drops its finding", () => {
  const edits: Array<[string, string]> = [
    ["the grad itself", model.replace("@ X + reg * W", "@ X / N + reg * W")],
    ["the loss it targets", model.replace("0.5 * reg", "0.25 * reg")],
    ["a hyper under the loss", model.replace("hyper reg = 0.01", "hyper reg = 0.02")],
    ["a score under the loss", model.replace("score s = X @ W^T", "score s = 2 * X @ W^T")],
    ["the param's init", model.replace("randn * 0.01", "randn * 0.001")],
    ["the data", model.replace("points=20", "points=30")],
    ["a gradcheck declaration", `${model}gradcheck g { of L; on d.train; first 5 }\n`],
  ];
  for (const [what, after] of edits) assert.deepEqual(carriedText(model, after), [], what);
});

test("a finding outside any declaration is dropped, and moved findings keep their quick fixes' place", () => {
  const inComment: Finding = { span: { start: 2, end: 4 }, severity: "warning", code: "gradcheck", message: "x" };
  assert.deepEqual(carryFindings(version(model), version(model), [inComment]), []);
  const start = model.indexOf("hyper unused");
  const withFix: Finding = { span: { start, end: start + 5 }, severity: "hint", code: "c", message: "m", fixes: [{ title: "t", edits: [{ span: { start, end: start + 5 }, newText: "" }] }] };
  const after = `\n\n${model}`;
  const [moved] = carryFindings(version(model), version(after), [withFix]);
  assert.deepEqual(moved.span, { start: start + 2, end: start + 7 });
  assert.deepEqual(moved.fixes?.[0].edits[0].span, { start: start + 2, end: start + 7 });
});

test("the carrier remembers the last checked version per document and carries from it until a new one is kept", () => {
  const carrier = new CarriedFindings();
  const checked = version(model);
  const findings = [gradError(model)];
  assert.deepEqual(carrier.carry("file:///a.optim", checked), [], "nothing checked yet");
  assert.equal(carrier.keep("file:///a.optim", checked, findings), findings);
  const commentEdit = version(`# edited\n${model}`);
  assert.equal(carrier.carry("file:///a.optim", commentEdit).length, 1);
  assert.equal(carrier.carry("file:///b.optim", commentEdit).length, 0, "another document");
  const fixed = version(model.replace("@ X + reg * W", "@ X / N + reg * W"));
  assert.deepEqual(carrier.carry("file:///a.optim", fixed), []);
  carrier.keep("file:///a.optim", fixed, []);
  assert.deepEqual(carrier.carry("file:///a.optim", version(`# edited\n${fixed.text}`)), [], "the newer check replaced the old findings");
  carrier.forget("file:///a.optim");
  assert.deepEqual(carrier.carry("file:///a.optim", commentEdit), []);
});
