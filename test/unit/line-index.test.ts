import assert from "node:assert/strict";
import { test } from "node:test";
import { LineIndex } from "../../server/src/analysis/line-index";

test("offsets and positions round-trip, including line ends and the end of text", () => {
  const text = "ab\n\ncd\r\nef\rg";
  const index = new LineIndex(text);
  for (let offset = 0; offset <= text.length; offset++) {
    // Between \r and \n is no position of its own.
    if (text[offset - 1] === "\r" && text[offset] === "\n") continue;
    assert.equal(index.offsetAt(index.positionAt(offset)), offset, `offset ${offset}`);
  }
  assert.deepEqual(index.positionAt(3), { line: 1, character: 0 });
  assert.deepEqual(index.positionAt(text.length), { line: 4, character: 1 });
});

test("\\r\\n and a lone \\r end lines as \\n does, as the protocol counts them", () => {
  const index = new LineIndex("ab\r\ncd\ref");
  assert.deepEqual(index.positionAt(4), { line: 1, character: 0 });
  assert.deepEqual(index.positionAt(7), { line: 2, character: 0 });
  // The end of a line is before its \r.
  assert.equal(index.offsetAt({ line: 0, character: 99 }), 2);
  assert.equal(index.offsetAt({ line: 1, character: 99 }), 6);
  assert.deepEqual(index.positionAt(3), { line: 0, character: 2 });
});

test("positions outside the text are clamped", () => {
  const index = new LineIndex("abc\nde");
  assert.equal(index.offsetAt({ line: 0, character: 99 }), 3);
  assert.equal(index.offsetAt({ line: 9, character: 0 }), 6);
  assert.deepEqual(index.positionAt(-4), { line: 0, character: 0 });
});
