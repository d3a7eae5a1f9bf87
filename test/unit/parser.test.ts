// Parser snapshots: each fixtures/parser/NAME.optim has NAME.tree beside it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "../../server/src/syntax/parse";
import { printTree } from "../../server/src/syntax/print-tree";
import { assertSnapshot, fixtureFiles, readText } from "../support/fixtures";

for (const file of fixtureFiles("parser", ".optim")) {
  test(`parser snapshot: ${file.split("/").pop()}`, () => {
    assertSnapshot(file.replace(/\.optim$/, ".tree"), printTree(parse(readText(file))));
  });
}

test("several errors give several diagnostics and keep the declarations between them", () => {
  const result = parse("param W: [10 = 3\nhyper reg = 1e-3\nloss L = a + * b\nscore s = X @ W^T\n");
  assert.deepEqual(
    result.errors.map((error) => error.message),
    ["expected ']' but found '='", "expected an expression but found '*'"],
  );
  assert.deepEqual(
    result.document.declarations.map((declaration) => `${declaration.kind} ${declaration.name.text}`),
    ["param W", "hyper reg", "loss L", "score s"],
  );
});

test("a missing token at the end of a line is reported where it is missing", () => {
  const text = "hyper reg\nhyper delta = 1\n";
  const [error] = parse(text).errors;
  assert.equal(error.message, "expected '=' but found the end of the declaration");
  assert.deepEqual(error.span, { start: "hyper reg".length, end: "hyper reg".length });
});

test("text before the first declaration is one error covering it", () => {
  const result = parse("oops 1 2\nhyper a = 1\n");
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0].message, /^expected a declaration \(data, hyper, param/);
  assert.deepEqual(result.errors[0].span, { start: 0, end: 8 });
  assert.equal(result.document.declarations.length, 1);
});

test("W^T is a transpose and W^2 a power", () => {
  const result = parse("score s = W^T\nloss L = W^2\n");
  const [score, loss] = result.document.declarations;
  assert.equal(score.kind === "score" && score.value.kind, "transpose");
  assert.equal(loss.kind === "loss" && loss.value.kind === "binary" && loss.value.op, "^");
});

test("a setting takes a value only from its own line", () => {
  const result = parse("run r {\n  center\n  steps 10\n}\n");
  const [run] = result.document.declarations;
  assert.equal(run.kind, "run");
  if (run.kind !== "run") return;
  assert.deepEqual(
    run.block.settings.map((setting) => [setting.key.text, setting.value?.kind ?? null]),
    [
      ["center", null],
      ["steps", "number"],
    ],
  );
});

test("the parser never throws on arbitrary bytes", () => {
  const alphabet = 'data hyper param score loss grad run { } [ ] ( ) , ; : = == .. . ^ T @ + - * / > "x 1e-3 W X \n';
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let round = 0; round < 300; round++) {
    let text = "";
    const length = Math.floor(random() * 80);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    const result = parse(text);
    for (const error of result.errors) {
      assert.ok(error.span.start >= 0 && error.span.end <= text.length && error.span.start <= error.span.end, `bad range in ${JSON.stringify(text)}`);
    }
  }
});
