// Writers for small data files in every format the data layer reads, and a
// temp folder per test file: the tests build their inputs instead of
// shipping binaries.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { after } from "node:test";
import type { DataError } from "../../../server/src/data/types";

/** The repository root, found upward from the bundle (tests run from out/test/unit/data/). */
export function findRepoRoot(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, "package.json")) || !existsSync(join(directory, "test", "fixtures"))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no repository root above ${__dirname}`);
    directory = parent;
  }
  return directory;
}

/** A fresh temp folder, removed when the test file finishes. */
export function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `optim-data-${prefix}-`));
  after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

export function write(folder: string, name: string, bytes: Uint8Array | string, gzip = false): string {
  const path = join(folder, name);
  const data = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  writeFileSync(path, gzip ? gzipSync(data) : data);
  return path;
}

function be32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** Deterministic pixel values that differ by position. */
export function pixelsFor(count: number, rows: number, cols: number): Uint8Array {
  const pixels = new Uint8Array(count * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + 11) & 0xff;
  return pixels;
}

export function idxImages(pixels: Uint8Array, count: number, rows: number, cols: number, magic = 0x00000803): Uint8Array {
  return Uint8Array.from([...be32(magic), ...be32(count), ...be32(rows), ...be32(cols), ...pixels]);
}

export function idxLabels(labels: number[], magic = 0x00000801): Uint8Array {
  return Uint8Array.from([...be32(magic), ...be32(labels.length), ...labels]);
}

/** CIFAR-10 records: label byte, then 3072 pixels (R plane, G plane, B plane). */
export function cifarBatch(labels: number[], pixel: (record: number, index: number) => number): Uint8Array {
  const bytes = new Uint8Array(labels.length * 3073);
  labels.forEach((label, record) => {
    bytes[record * 3073] = label;
    for (let i = 0; i < 3072; i++) bytes[record * 3073 + 1 + i] = pixel(record, i) & 0xff;
  });
  return bytes;
}

export interface NpyWriteOptions {
  version?: 1 | 2 | 3;
  fortran?: boolean;
}

/** A .npy file as np.save writes it: header padded with spaces so the data starts at a multiple of 64. */
export function npy(descr: string, shape: number[], data: ArrayBufferView, options: NpyWriteOptions = {}): Uint8Array {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortran ? "True" : "False"}, 'shape': ${shapeText}, }`;
  const preamble = version === 1 ? 10 : 12;
  const padded = dict + " ".repeat(63 - ((preamble + dict.length) % 64)) + "\n";
  const header = Buffer.from(padded, version === 3 ? "utf8" : "latin1");
  const lengthField = version === 1 ? [header.length & 0xff, header.length >> 8] : [header.length & 0xff, (header.length >> 8) & 0xff, (header.length >> 16) & 0xff, header.length >>> 24];
  const values = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return Uint8Array.from([0x93, ...Buffer.from("NUMPY"), version, 0, ...lengthField, ...header, ...values]);
}

/** The error of a failed result; fails the test when the result is a success. */
export function expectError<T>(result: { ok: true; value: T } | { ok: false; error: DataError }): DataError {
  if (result.ok) assert.fail("expected an error, got a value");
  return result.error;
}

/** The value of a successful result; fails the test with the error's message otherwise. */
export function expectValue<T>(result: { ok: true; value: T } | { ok: false; error: DataError }): T {
  if (!result.ok) assert.fail(result.error.message);
  return result.value;
}
