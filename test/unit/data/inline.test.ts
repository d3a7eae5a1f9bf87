import assert from "node:assert/strict";
import { test } from "node:test";
import { fromRows } from "../../../server/src/data/inline";
import { expectError, expectValue } from "./write-data";

test("literal rows and labels become examples", () => {
  const x = expectValue(fromRows([[1, 2], [3, 4], [5, 6]], [0, 2, 1]));
  assert.deepEqual([x.n, x.d, x.classes], [3, 2, 3]);
  assert.deepEqual([...x.X], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...x.y], [0, 2, 1]);
  assert.equal(expectValue(fromRows([[1]], [0], { classes: 10 })).classes, 10);
});

test("inline data is validated with row and column from 0", () => {
  const rows = Array.from({ length: 14 }, () => [0, 1, 2, 3, 4]);
  rows[12] = [0, 1, 2, NaN, 4];
  assert.equal(expectError(fromRows(rows, new Array(14).fill(0))).message, "NaN at row 12, column 3");
  assert.equal(expectError(fromRows([[1, 2], [Infinity, 0]], [0, 0])).message, "infinite value Infinity at row 1, column 0");
  assert.equal(expectError(fromRows([[1, 2], [3]], [0, 1])).message, "row 1 has 1 values, but row 0 has 2");
  assert.equal(expectError(fromRows([[1], [2]], [0])).message, "2 rows, but 1 labels");
  assert.equal(expectError(fromRows([], [])).message, "no rows: inline data needs at least one example");
  assert.equal(expectError(fromRows([[1], [2]], [0, -1])).message, "row 1: label -1 is not a class index (a whole number ≥ 0)");
  assert.equal(expectError(fromRows([[1], [2]], [0, 0.5])).message, "row 1: label 0.5 is not a class index (a whole number ≥ 0)");
  assert.equal(expectError(fromRows([[1]], [3], { classes: 2 })).message, "classes = 2, but the labels go up to 3");
  assert.equal(expectError(fromRows([[1e39]], [0])).message, "1e+39 at row 0, column 0 is too large for float32");
});
