// The editor features on a grad used by name (`dL/ds` in another grad's
// expression), in-process: hover, go to definition, references, rename,
// completion, semantic tokens and inlay hints work for it as for a score.
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../../server/src/analysis/analyze";
import { shapeText } from "../../server/src/analysis/dims";
import { LineIndex } from "../../server/src/analysis/line-index";
import { completionsAt } from "../../server/src/features/completion";
import { hoverAt } from "../../server/src/features/hover";
import { inlayHints } from "../../server/src/features/inlay-hints";
import { definitionAt, prepareRenameAt, referencesAt, renameAt } from "../../server/src/features/navigation";
import { semanticTokens } from "../../server/src/features/semantic-tokens";
import { parse } from "../../server/src/syntax/parse";

const text = `data d = spiral(classes=3, points=20) { seed 0 }
param W1: [8, D] = randn * 0.5
param W2: [C, 8] = randn * 0.5
score z1 = X @ W1^T
score h = relu(z1)
score s = h @ W2^T
loss L = mean(logsumexp(s, axis=1) - s[y])
grad dL/ds = (softmax(s, axis=1) - onehot(y)) / N
grad dL/dW2 = dL/ds^T @ h
grad dL/dh = dL/ds @ W2
grad dL/dz1 = dL/dh * (z1 > 0)
grad dL/dW1 = dL/dz1^T @ X
`;
const analysis = analyze(text);

/** The offset of the `nth` occurrence of `needle`, plus `shift`. */
function offsetOf(needle: string, nth = 0, shift = 0): number {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  assert.ok(index >= 0, `${needle} (#${nth}) is in the document`);
  return index + shift;
}

const spanText = (span: { start: number; end: number }) => text.slice(span.start, span.end);
/** The line of the document a span starts on, 1-based. */
const lineOf = (span: { start: number }) => text.slice(0, span.start).split("\n").length;

test("the link-by-link two-layer net has no errors", () => {
  assert.deepEqual(analysis.findings.filter((finding) => finding.severity === "error").map((finding) => finding.message), []);
});

test("a grad of a score and a grad built from grads have the shapes of their targets", () => {
  const shapeOf = (name: string) => {
    const grad = analysis.model.grads.get(name);
    assert.ok(grad, name);
    const shape = analysis.model.facts.get(grad.declaration)?.shape;
    return shape && shapeText(shape);
  };
  assert.equal(shapeOf("dL/ds"), "[N, 3]");
  assert.equal(shapeOf("dL/dh"), "[N, 8]");
  assert.equal(shapeOf("dL/dW1"), "[8, 2]");
});

test("hover on a grad reference says what it is the gradient of, and its shape", () => {
  const hover = hoverAt(analysis, text, offsetOf("dL/ds @ W2", 0, 4));
  assert.ok(hover);
  assert.equal(spanText(hover.span), "dL/ds");
  assert.match(hover.markdown, /the gradient of L with respect to s: \[N, 3\]/);
});

test("go to definition on a grad reference goes to the grad", () => {
  const definition = definitionAt(analysis.model, offsetOf("dL/dh * (z1", 0, 1));
  assert.ok(definition);
  assert.equal(spanText(definition), "dL/dh");
  assert.equal(lineOf(definition), 10);
});

test("references of a grad are its declaration and every use", () => {
  const spans = referencesAt(analysis.model, offsetOf("dL/ds^T"), true);
  assert.deepEqual(spans.map(lineOf), [8, 9, 10]);
  assert.ok(spans.every((span) => spanText(span) === "dL/ds"));
  assert.deepEqual(referencesAt(analysis.model, offsetOf("dL/ds^T"), false).map(lineOf), [9, 10]);
});

test("renaming a score renames it inside the grads that name it, declared and used", () => {
  const result = renameAt(analysis.model, offsetOf("score s =", 0, 6), "scores");
  assert.ok("edits" in result);
  let renamed = text;
  for (const edit of [...result.edits].sort((a, b) => b.span.start - a.span.start)) renamed = renamed.slice(0, edit.span.start) + edit.newText + renamed.slice(edit.span.end);
  assert.match(renamed, /grad dL\/dscores = \(softmax\(scores, axis=1\)/);
  assert.match(renamed, /grad dL\/dW2 = dL\/dscores\^T @ h/);
  assert.match(renamed, /grad dL\/dh = dL\/dscores @ W2/);
  assert.deepEqual(analyze(renamed).findings.filter((finding) => finding.severity === "error"), [], "the renamed document is still valid");
});

test("a rename on a grad reference renames the part under the cursor", () => {
  const at = offsetOf("dL/dh * (z1", 0, 4);
  const prepared = prepareRenameAt(analysis.model, at);
  assert.equal(prepared?.placeholder, "h");
  const result = renameAt(analysis.model, at, "hidden");
  assert.ok("edits" in result);
  assert.ok(result.edits.length >= 5, "the score, its uses and the grads that name it");
  assert.ok("error" in renameAt(analysis.model, offsetOf("dL/dh * (z1", 0, 3), "x"), "the d after the slash names nothing to rename");
});

test("completion in a grad's expression offers the other grads", () => {
  const draft = text.replace("grad dL/dW1 = dL/dz1^T @ X", "grad dL/dW1 = ");
  const labels = completionsAt(analyze(draft), draft, draft.length - 1).map((item) => item.label);
  for (const label of ["dL/ds", "dL/dh", "dL/dz1", "h", "softmax"]) assert.ok(labels.includes(label), label);
  assert.ok(!labels.includes("dL/dW1"), "not the grad being written");
  const inScore = `${text}score t = `;
  assert.ok(!completionsAt(analyze(inScore), inScore, inScore.length).some((item) => item.label === "dL/ds"), "grads are not offered outside grads");
});

test("completion of a half-typed grad reference inserts the part after its slash", () => {
  const draft = text.replace("grad dL/dW1 = dL/dz1^T @ X", "grad dL/dW1 = dL/dz");
  const items = completionsAt(analyze(draft), draft, draft.length - 1);
  assert.deepEqual(
    items.map((item) => [item.label, item.insertText]),
    [
      ["dL/ds", "ds"],
      ["dL/dW2", "dW2"],
      ["dL/dh", "dh"],
      ["dL/dz1", "dz1"],
    ],
  );
});

test("completion after the slash of a grad's header offers params and scores", () => {
  const draft = `${text}grad dL/`;
  const labels = completionsAt(analyze(draft), draft, draft.length).map((item) => item.label);
  for (const label of ["dW1", "dW2", "ds", "dh", "dz1"]) assert.ok(labels.includes(label), label);
  assert.ok(!labels.includes("dL"));
});

test("semantic tokens colour a grad reference as two names and a slash", () => {
  const lines = new LineIndex(text);
  const tokens = semanticTokens(analysis, text, lines);
  const at = lines.positionAt(offsetOf("dL/ds @ W2"));
  const pieces = tokens.filter((token) => token.line === at.line && token.character >= at.character && token.character < at.character + 5);
  assert.deepEqual(
    pieces.map((token) => [token.length, token.type]),
    [
      [2, "function"],
      [1, "operator"],
      [2, "function"],
    ],
  );
});

test("inlay hints show a grad's shape after its name", () => {
  const hints = inlayHints(analysis, { start: 0, end: text.length });
  const after = (needle: string) => hints.find((hint) => hint.offset === offsetOf(needle) + needle.length)?.label;
  assert.equal(after("grad dL/dh"), ": [N, 8]");
  assert.equal(after("grad dL/ds"), ": [N, 3]");
});

test("without spaces `dx/dy` is one grad name; with them it divides", () => {
  const tree = (source: string) => parse(source).document.declarations[0];
  const joined = tree("hyper r = dx/dy");
  const spaced = tree("hyper r = dx / dy");
  assert.ok(joined.kind === "hyper" && joined.value.kind === "gradRef" && joined.value.loss.text === "x" && joined.value.wrt.text === "y");
  assert.ok(spaced.kind === "hyper" && spaced.value.kind === "binary" && spaced.value.op === "/");
  // A name ending in d before a slash is still a name: a/db divides.
  const divided = tree("hyper r = a/db");
  assert.ok(divided.kind === "hyper" && divided.value.kind === "binary");
});
