// A run's weights on disk: one NumPy .npy file per array (float32,
// little-endian, C order, format version 1.0), so NumPy loads them with
// np.load and nothing else; the export's data files are written here too. A checkpoint is a folder of such files plus a
// small JSON file; it replaces the previous one whole (written beside it,
// then renamed into place), so a run stopped at any moment leaves either the
// old checkpoint or the new one, never a mixture. The header is read back by
// the data layer's .npy parser, which knows the format.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseNpyHeader } from "../data/npy";

/** Magic string, version 1.0, then a little-endian uint16 header length. */
const PREAMBLE = 10;

/**
 * The bytes of a .npy file holding `values` with `shape` (float32, or int32
 * for labels). The header is a Python dict literal padded with spaces and
 * ended by a newline so that the values start at a multiple of 64 bytes, as
 * NumPy writes it.
 */
export function npyBytes(shape: readonly number[], values: Float32Array | Int32Array): Uint8Array {
  const count = shape.reduce((product, size) => product * size, 1);
  if (count !== values.length) throw new RangeError(`shape (${shape.join(", ")}) holds ${count} values, not ${values.length}`);
  const floats = values instanceof Float32Array;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${floats ? "<f4" : "<i4"}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = PREAMBLE + dict.length + 1;
  const headerLength = dict.length + 1 + ((64 - (unpadded % 64)) % 64);
  const bytes = new Uint8Array(PREAMBLE + headerLength + values.length * 4);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const view = new DataView(bytes.buffer);
  view.setUint16(8, headerLength, true);
  const header = dict.padEnd(headerLength - 1, " ") + "\n";
  for (let i = 0; i < header.length; i++) bytes[PREAMBLE + i] = header.charCodeAt(i);
  const start = PREAMBLE + headerLength;
  // Explicitly little-endian, whatever the machine's byte order.
  if (floats) for (let i = 0; i < values.length; i++) view.setFloat32(start + 4 * i, values[i], true);
  else for (let i = 0; i < values.length; i++) view.setInt32(start + 4 * i, values[i], true);
  return bytes;
}

export interface NamedArray {
  shape: number[];
  values: Float32Array;
}

/** A float32 .npy file's shape and values; any other type or a broken file is an error naming the file. */
export function readFloat32Npy(path: string): { ok: true; value: NamedArray } | { ok: false; message: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { ok: false, message: `${path} could not be read: ${(error as Error).message}` };
  }
  const header = parseNpyHeader(path, bytes, false);
  if (!header.ok) return { ok: false, message: header.error.message };
  const { dtype, shape, dataOffset } = header.value;
  if (dtype.kind !== "f" || dtype.size !== 4) return { ok: false, message: `${path} holds '${dtype.descr}' values; weights are float32 ('<f4'): save a.astype('<f4')` };
  const count = shape.reduce((product, size) => product * size, 1);
  if (bytes.length < dataOffset + 4 * count) return { ok: false, message: `${path} is truncated: shape (${shape.join(", ")}) needs ${4 * count} bytes after byte ${dataOffset}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(dataOffset + 4 * i, true);
  return { ok: true, value: { shape, values } };
}

/** The file a param's (or a state array's) values are saved in: its name, made safe for any file system. */
export function arrayFile(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.npy`;
}

/**
 * Writes a checkpoint folder whole: its arrays as .npy files (keyed by their
 * path inside the folder) and `json` as `jsonName`, into a fresh sibling
 * folder, then swaps it into place. A reader that finds only `folder.old` (a
 * stop between the two renames) reads that instead (`checkpointFolder`).
 */
export function writeCheckpointFolder(folder: string, arrays: ReadonlyMap<string, NamedArray>, jsonName: string, json: object): void {
  const parent = dirname(folder);
  mkdirSync(parent, { recursive: true });
  const fresh = join(parent, `.${basename(folder)}.writing-${process.pid}`);
  const old = `${folder}.old`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh);
  for (const [file, array] of arrays) {
    mkdirSync(dirname(join(fresh, file)), { recursive: true });
    writeFileSync(join(fresh, file), npyBytes(array.shape, array.values));
  }
  writeFileSync(join(fresh, jsonName), JSON.stringify(json, null, 2) + "\n");
  rmSync(old, { recursive: true, force: true });
  if (existsSync(folder)) renameSync(folder, old);
  renameSync(fresh, folder);
  rmSync(old, { recursive: true, force: true });
}

/** The checkpoint folder to read: `folder`, or what it replaced when a run stopped mid-swap. */
export function checkpointFolder(folder: string): string | undefined {
  if (existsSync(folder)) return folder;
  if (existsSync(`${folder}.old`)) return `${folder}.old`;
  return undefined;
}

/** Writes a file so that readers see the old contents or the new, never part of it. */
export function writeFileAtomically(path: string, contents: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.writing-${process.pid}`);
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
