import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { estimateCsv, loadCsv, parseCsv } from "../../../server/src/data/csv";
import { expectError, expectValue, tempFolder, write } from "./write-data";

const folder = tempFolder("csv");

test("a CSV round-trips: label column anywhere, CRLF, blank lines, quotes, BOM", async () => {
  const text = '\uFEFFx1,"label",x2\r\n1.5,2,-3\r\n\r\n  .25 , 0 , 4e2\r\n';
  const path = write(folder, "data.csv", text);
  const x = expectValue(await loadCsv(path, { scale: 2 }));
  assert.deepEqual([x.n, x.d, x.classes], [2, 2, 3]);
  assert.deepEqual([...x.X], [3, -6, 0.5, 800]);
  assert.deepEqual([...x.y], [2, 0]);
  assert.equal(x.classNames, undefined);
  assert.deepEqual(await estimateCsv(path), { ok: true, value: 2 * 2 * 4 + 2 * 4 });
});

test("a label column can be named; string labels become classes in order of first appearance", () => {
  const text = "a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n7,8,versicolor\n";
  const x = expectValue(parseCsv("iris.csv", text, { labelColumn: "species" }));
  assert.deepEqual([...x.y], [0, 1, 0, 2]);
  assert.deepEqual(x.classNames, ["setosa", "virginica", "versicolor"]);
  assert.equal(x.classes, 3);
});

function rows(count: number, bad: { line: number; row: string }, columns = "x1,x2,x3,x4,label"): string {
  const lines = [columns];
  for (let line = 2; line <= count; line++) lines.push(line === bad.line ? bad.row : `${line},1,2,3,0`);
  return lines.join("\n");
}

test("a ragged row names its line and both counts", () => {
  const error = expectError(parseCsv("/data/data.csv", rows(20, { line: 17, row: "1,2,3,0" })));
  assert.equal(error.message, "data.csv line 17: 4 values, but the header has 5 columns");
  assert.equal(error.line, 17);
  assert.equal(error.file, "/data/data.csv");
});

test("non-numbers, NaN and infinities name the line and the column", () => {
  assert.equal(expectError(parseCsv("data.csv", rows(10, { line: 9, row: "1,abc,2,3,0" }))).message, "data.csv line 9: 'abc' in column 'x2' is not a number");
  assert.equal(expectError(parseCsv("data.csv", rows(5, { line: 3, row: "1,2,NaN,3,0" }))).message, "data.csv line 3: NaN in column 'x3'");
  assert.equal(expectError(parseCsv("data.csv", rows(5, { line: 4, row: "1,2,3,-inf,0" }))).message, "data.csv line 4: infinite value '-inf' in column 'x4'");
  assert.equal(expectError(parseCsv("data.csv", rows(5, { line: 2, row: "1e39,2,3,4,0" }))).message, "data.csv line 2: '1e39' in column 'x1' is too large for float32");
  assert.equal(expectError(parseCsv("data.csv", rows(5, { line: 5, row: "1,,3,4,0" }))).message, "data.csv line 5: empty value in column 'x2'");
  assert.equal(expectError(parseCsv("data.csv", rows(5, { line: 2, row: "0x10,2,3,4,0" }))).message, "data.csv line 2: '0x10' in column 'x1' is not a number");
});

test("numeric labels must be class indices; a name among them is an error", () => {
  assert.equal(expectError(parseCsv("d.csv", rows(4, { line: 3, row: "1,2,3,4,-1" }))).message, "d.csv line 3: label '-1' is not a whole number ≥ 0");
  assert.equal(expectError(parseCsv("d.csv", rows(4, { line: 4, row: "1,2,3,4,2.5" }))).message, "d.csv line 4: label '2.5' is not a whole number ≥ 0");
  assert.equal(
    expectError(parseCsv("d.csv", rows(4, { line: 4, row: "1,2,3,4,cat" }))).message,
    "d.csv line 4: label 'cat' is not a number, but the label on line 2 is, so labels are class indices",
  );
  assert.equal(expectError(parseCsv("d.csv", rows(4, { line: 3, row: "1,2,3,4, " }))).message, "d.csv line 3: empty label in column 'label'");
});

test("header problems: missing header, missing label column, duplicates, no features, empty file", async () => {
  assert.match(expectError(parseCsv("d.csv", "1,2,3\n4,5,6\n")).message, /^d\.csv line 1: the first row holds numbers, but a header row naming the columns \(one of them 'label'\) is required$/);
  assert.equal(expectError(parseCsv("d.csv", "a,b\n1,2\n")).message, "d.csv line 1: no column named 'label' (the columns are 'a', 'b')");
  assert.equal(expectError(parseCsv("d.csv", "a,a,label\n1,2,0\n")).message, "d.csv line 1: column 'a' appears twice");
  assert.match(expectError(parseCsv("d.csv", "label\n1\n")).message, /there are no feature columns/);
  assert.match(expectError(parseCsv("d.csv", "a,label\n")).message, /a header but no examples/);
  assert.equal(expectError(parseCsv("d.csv", "\n \n")).message, "d.csv: is empty; a header row naming the columns is required");
  assert.match(expectError(parseCsv("d.csv", 'a,label\n"1,0\n')).message, /^d\.csv line 2: a quoted field is not closed/);
  const missing = join(folder, "missing.csv");
  const error = expectError(await loadCsv(missing));
  assert.equal(error.file, missing);
  assert.match(error.message, /^missing\.csv: file not found/);
});

test("the size limit is checked before the matrix is allocated", () => {
  const error = expectError(parseCsv("d.csv", rows(101, { line: 0, row: "" }), { maxBytes: 1000 }));
  assert.match(error.message, /^d\.csv: 100 rows of 4 values need 2\.0 KB as float32, more than the data size limit of 1000 bytes/);
});
