import assert from "node:assert/strict";
import { test } from "node:test";
import { LineIndex } from "../../server/src/analysis/line-index";

test("offsets and positions round-trip, including line ends and the end of text", () => {
  const text = "ab\n\ncd\r\nef";
  const index = new LineIndex(text);
  for (let offset = 0; offset <= text.length; offset++) {
    assert.equal(index.offsetAt(index.positionAt(offset)), offset, `offset ${offset}`);
  }
  assert.deepEqual(index.positionAt(3), { line: 1, character: 0 });
  assert.deepEqual(index.positionAt(text.length), { line: 3, character: 2 });
});

test("positions outside the text are clamped", () => {
  const index = new LineIndex("abc\nde");
  assert.equal(index.offsetAt({ line: 0, character: 99 }), 3);
  assert.equal(index.offsetAt({ line: 9, character: 0 }), 6);
  assert.deepEqual(index.positionAt(-4), { line: 0, character: 0 });
});
