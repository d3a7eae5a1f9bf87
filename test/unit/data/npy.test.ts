import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { estimateNpy, loadNpyExamples, loadNpyInputs, loadNpyLabels, readNpyHeader } from "../../../server/src/data/npy";
import { expectError, expectValue, findRepoRoot, npy, tempFolder, write } from "./write-data";

const folder = tempFolder("npy");
// Written by NumPy itself (test/fixtures/data/npy/make.py).
const fixtures = join(findRepoRoot(), "test", "fixtures", "data", "npy");
const fixture = (name: string) => join(fixtures, name);
const expected = Array.from({ length: 24 }, (_, i) => i / 4);

test("files written by NumPy load: versions 1, 2 and 3, N-D inputs flattened, integer labels", async () => {
  for (const name of ["inputs-f4.npy", "inputs-v2.npy", "inputs-v3.npy"]) {
    const x = expectValue(await loadNpyExamples(fixture(name), fixture("labels-i8.npy")));
    assert.deepEqual([x.n, x.d, x.classes], [2, 12, 2], name);
    assert.deepEqual([...x.X], expected, name);
    assert.deepEqual([...x.y], [1, 0]);
    assert.deepEqual(x.image, { height: 3, width: 4, channels: 1 }, "3-D inputs are one-channel images");
  }
  const f8 = expectValue(await loadNpyExamples(fixture("inputs-f8-2d.npy"), fixture("labels-u1.npy")));
  assert.deepEqual([...f8.X], expected);
  assert.equal(f8.image, undefined);
  assert.equal(f8.classes, 3);
  assert.deepEqual([...expectValue(await loadNpyInputs(fixture("inputs-u1.npy"))).X], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...expectValue(await loadNpyInputs(fixture("inputs-f2.npy"))).X], [0.5, -2, 65504, 0]);
  assert.deepEqual(expectValue(await readNpyHeader(fixture("inputs-v3.npy"))).version, "3.0");
});

test("every supported dtype round-trips, plain and gzipped", async () => {
  const values = [0, 1, 2, 3, 5, 7];
  const arrays: [string, ArrayBufferView][] = [
    ["<f4", Float32Array.from(values)],
    ["<f8", Float64Array.from(values)],
    ["|u1", Uint8Array.from(values)],
    ["|i1", Int8Array.from(values)],
    ["<i2", Int16Array.from(values)],
    ["<u2", Uint16Array.from(values)],
    ["<i4", Int32Array.from(values)],
    ["<u4", Uint32Array.from(values)],
    ["<i8", BigInt64Array.from(values.map(BigInt))],
    ["<u8", BigUint64Array.from(values.map(BigInt))],
  ];
  for (const [descr, data] of arrays) {
    for (const gzip of [false, true]) {
      const name = `${descr.slice(1)}-${gzip}`;
      const inputs = write(folder, `${name}-x.npy`, npy(descr, [3, 2], data), gzip);
      const labels = write(folder, `${name}-y.npy`, npy(descr, [6], data, { version: 2 }), gzip);
      const x = expectValue(await loadNpyInputs(inputs, { scale: 0.5 }));
      assert.deepEqual([x.n, x.d, x.shape], [3, 2, [3, 2]], name);
      assert.deepEqual([...x.X], values.map((v) => v / 2), name);
      assert.deepEqual([...expectValue(await loadNpyLabels(labels))], values, name);
    }
  }
  // 1-D inputs are one feature per example; N×1 labels are accepted.
  const oneD = write(folder, "one-d.npy", npy("<f4", [3], Float32Array.of(1, 2, 3)));
  const column = write(folder, "column.npy", npy("<i4", [3, 1], Int32Array.of(0, 1, 0)));
  const x = expectValue(await loadNpyExamples(oneD, column));
  assert.deepEqual([x.n, x.d, x.classes], [3, 1, 2]);
});

test("big-endian and Fortran-order arrays are refused with the byte of the header entry", async () => {
  const big = expectError(await loadNpyInputs(fixture("inputs-big-endian.npy")));
  assert.equal(big.message, "inputs-big-endian.npy: big-endian data type '>f4' at byte 20 is not supported: save it little-endian, e.g. a.astype('<f4')");
  assert.equal(big.byteOffset, 20);
  assert.equal(big.file, fixture("inputs-big-endian.npy"));
  const fortran = expectError(await loadNpyInputs(fixture("inputs-fortran.npy")));
  assert.match(fortran.message, /^inputs-fortran\.npy: fortran_order is True at byte 27: only C-order arrays are supported; save np\.ascontiguousarray\(a\)$/);
  assert.equal(fortran.byteOffset, 27);
  // Single-byte types have no byte order to get wrong.
  const bytes = write(folder, "big-u1.npy", npy(">u1", [2, 1], Uint8Array.of(4, 5)));
  assert.deepEqual([...expectValue(await loadNpyInputs(bytes)).X], [4, 5]);
});

test("NaN and infinities name row, column and byte", async () => {
  const data = Float32Array.from({ length: 20 * 5 }, (_, i) => i);
  data[12 * 5 + 3] = NaN;
  const path = write(folder, "nan.npy", npy("<f4", [20, 5], data));
  const error = expectError(await loadNpyInputs(path));
  assert.equal(error.message, `nan.npy: NaN at row 12, column 3 (byte ${128 + 63 * 4})`);
  assert.equal(error.byteOffset, 128 + 63 * 4);
  const huge = write(folder, "huge.npy", npy("<f8", [1, 2], Float64Array.of(1, 1e300)));
  assert.match(expectError(await loadNpyInputs(huge)).message, /^huge\.npy: 1e\+300, too large for float32, at row 0, column 1/);
  const inf = write(folder, "inf.npy", npy("<f8", [2, 1], Float64Array.of(1, -Infinity)));
  assert.match(expectError(await loadNpyInputs(inf)).message, /^inf\.npy: infinite value -Infinity at row 1, column 0/);
});

test("bad headers, truncation, bad labels and mismatched counts are errors", async () => {
  const cut = npy("<f4", [4, 4], new Float32Array(16));
  const truncated = write(folder, "cut.npy", cut.subarray(0, cut.length - 8));
  const error = expectError(await loadNpyInputs(truncated));
  assert.equal(error.message, "cut.npy: truncated: shape (4, 4) of '<f4' needs 64 bytes after the header (which ends at byte 128), but the file has 56");
  assert.equal(error.byteOffset, 184);
  assert.match(expectError(await loadNpyInputs(write(folder, "text.npy", "not numpy at all"))).message, /^text\.npy: is not a \.npy file: no \\x93NUMPY magic string at byte 0$/);
  assert.match(expectError(await loadNpyInputs(write(folder, "c8.npy", npy("<c8", [1], new Float32Array(2))))).message, /data type '<c8' at byte 20 is not supported/);
  const structured = Buffer.from("\x93NUMPY\x01\x00\x46\x00{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }      \n", "latin1");
  assert.match(expectError(await loadNpyInputs(write(folder, "structured.npy", structured))).message, /structured data type at byte 20 is not supported/);
  assert.match(expectError(await loadNpyInputs(write(folder, "scalar.npy", npy("<f4", [], Float32Array.of(1))))).message, /holds a single number \(shape \(\)\)/);

  const labels2d = write(folder, "labels-2d.npy", npy("<i4", [2, 2], new Int32Array(4)));
  assert.match(expectError(await loadNpyLabels(labels2d)).message, /labels must be a 1-D array, but the shape is \(2, 2\)/);
  const negative = write(folder, "negative.npy", npy("<i4", [3], Int32Array.of(0, -1, 2)));
  const bad = expectError(await loadNpyLabels(negative));
  assert.equal(bad.message, "negative.npy: label -1 at index 1 (byte 132) is not a class index (a whole number ≥ 0)");
  const fractional = write(folder, "fractional.npy", npy("<f4", [2], Float32Array.of(0, 1.5)));
  assert.match(expectError(await loadNpyLabels(fractional)).message, /label 1\.5 at index 1/);

  const three = write(folder, "three.npy", npy("<i4", [3], Int32Array.of(0, 1, 2)));
  assert.equal(expectError(await loadNpyExamples(fixture("inputs-f4.npy"), three)).message, "three.npy: 3 labels, but inputs-f4.npy has 2 examples");
  const missing = expectError(await loadNpyInputs(join(folder, "absent.npy")));
  assert.match(missing.message, /^absent\.npy: file not found/);
});

test("the size limit is checked from the header shape before reading the data", async () => {
  const liar = write(folder, "liar.npy", npy("<f8", [1000000, 1000], new Float64Array(0)));
  assert.deepEqual(await estimateNpy(liar), { ok: true, value: 1000000 * 1000 * 4 + 1000000 * 4 });
  const error = expectError(await loadNpyInputs(liar, { maxBytes: 1 << 30 }));
  assert.match(error.message, /^liar\.npy: 1000000 examples of 1000 values need 3\.7 GB as float32, more than the data size limit of 1\.0 GB/);
});
