// NumPy .npy files (format versions 1.0, 2.0 and 3.0): "\x93NUMPY", a version,
// a header length, a Python dict literal ({'descr': '<f4', 'fortran_order':
// False, 'shape': (N, 28, 28)}), then the raw values. Inputs of any rank are
// flattened to N×D in C order (a 1-D array is N×1); labels are 1-D (or N×1).
// Only little-endian and C-order arrays are read: that is what np.save writes
// on every common machine, and converting is one call for the user
// (a.astype('<f4'), np.ascontiguousarray(a)). Gzipped files are inflated.
import { fail, fileError, ok } from "./errors";
import { readBytes, readHead } from "./read-file";
import { examplesBytes, sizeLimitError } from "./size-limit";
import type { Examples, LoadOptions, Result } from "./types";
import { describeNonFinite } from "./validate";

type Kind = "f" | "i" | "u" | "b";

export interface NpyDtype {
  /** As written in the header, e.g. '<f4'. */
  descr: string;
  kind: Kind;
  size: number;
}

export interface NpyHeader {
  version: string;
  dtype: NpyDtype;
  shape: number[];
  /** Where the values start. */
  dataOffset: number;
  gzipped: boolean;
}

const SUPPORTED = new Set(["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"]);
const PREAMBLE = 12;

function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Parses the header; `bytes` must hold at least all of it (more is fine). */
export function parseNpyHeader(path: string, bytes: Uint8Array, gzipped: boolean): Result<NpyHeader> {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (magic.some((byte, i) => i < bytes.length && bytes[i] !== byte)) return fileError(path, "is not a .npy file: no \\x93NUMPY magic string at byte 0", 0);
  if (bytes.length < 10) return fileError(path, `is ${bytes.length} bytes long, too short for a .npy file`, 0);
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) return fileError(path, `format version ${major}.${minor} at byte 6 is not supported (1.0, 2.0 and 3.0 are)`, 6);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) return fileError(path, `truncated header: ${start} bytes expected, but the file has ${bytes.length}`, bytes.length);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = start + headerLength;
  if (bytes.length < dataOffset) return fileError(path, `truncated header: ${dataOffset} bytes expected, but the file has ${bytes.length}`, bytes.length);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, dataOffset));
  const at = (index: number) => start + Math.max(index, 0);

  const descrMatch = /['"]descr['"]\s*:\s*/.exec(text);
  if (!descrMatch) return fileError(path, `the header at byte ${start} has no 'descr'`, start);
  const descrStart = descrMatch.index + descrMatch[0].length;
  const descrValue = /^(['"])([^'"]*)\1/.exec(text.slice(descrStart));
  if (!descrValue) return fileError(path, `structured data type at byte ${at(descrStart)} is not supported: save a plain numeric array`, at(descrStart));
  const descr = descrValue[2];
  const order = descr[0];
  const code = descr.slice(1);
  const kind = code[0] as Kind;
  const size = Number(code.slice(1));
  if (!"<>|=".includes(order) || !SUPPORTED.has(code)) {
    return fileError(path, `data type '${descr}' at byte ${at(descrStart)} is not supported (floats f2/f4/f8, integers i1…i8 and u1…u8, or booleans)`, at(descrStart));
  }
  if (order === ">" && size > 1) {
    return fileError(path, `big-endian data type '${descr}' at byte ${at(descrStart)} is not supported: save it little-endian, e.g. a.astype('<${code}')`, at(descrStart));
  }

  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) return fileError(path, `the header at byte ${start} has no 'fortran_order'`, start);
  if (fortran[1] === "True") {
    return fileError(path, `fortran_order is True at byte ${at(fortran.index)}: only C-order arrays are supported; save np.ascontiguousarray(a)`, at(fortran.index));
  }

  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) return fileError(path, `the header at byte ${start} has no 'shape'`, start);
  const parts = shapeMatch[1].split(",").map((part) => part.trim()).filter((part) => part !== "");
  const shape: number[] = [];
  for (const part of parts) {
    const dim = /^\d+L?$/.test(part) ? Number.parseInt(part, 10) : NaN;
    if (!Number.isSafeInteger(dim)) return fileError(path, `shape entry '${part}' at byte ${at(shapeMatch.index)} is not a size`, at(shapeMatch.index));
    shape.push(dim);
  }
  return ok({ version: `${major}.${minor}`, dtype: { descr, kind, size }, shape, dataOffset, gzipped });
}

/** Reads only the header: for size estimates without loading the data. */
export async function readNpyHeader(path: string): Promise<Result<NpyHeader>> {
  const preamble = await readHead(path, PREAMBLE);
  if (!preamble.ok) return preamble;
  const bytes = preamble.value.bytes;
  // The header length field says how much more to read.
  let length = PREAMBLE;
  if (bytes.length >= 10) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    length = bytes[6] === 1 ? 10 + view.getUint16(8, true) : bytes.length >= 12 ? 12 + view.getUint32(8, true) : PREAMBLE;
  }
  const head = length > bytes.length ? await readHead(path, Math.min(length, 1 << 24)) : preamble;
  if (!head.ok) return head;
  return parseNpyHeader(path, head.value.bytes, head.value.gzipped);
}

function elementCount(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Values as a typed array of the file's own type (copied when misaligned). */
function valuesView(bytes: Uint8Array, header: NpyHeader, count: number): ArrayLike<number> | BigInt64Array | BigUint64Array {
  const { kind, size } = header.dtype;
  let offset = bytes.byteOffset + header.dataOffset;
  let buffer = bytes.buffer;
  if (offset % size !== 0) {
    // Typed arrays need aligned offsets; copying is rare (np.save aligns data to 64 bytes).
    buffer = bytes.slice(header.dataOffset, header.dataOffset + count * size).buffer;
    offset = 0;
  }
  // Typed arrays read in the machine's byte order, little-endian on every platform Node supports in practice.
  switch (`${kind}${size}`) {
    case "f2":
      return halfView(new Uint16Array(buffer, offset, count));
    case "f4":
      return new Float32Array(buffer, offset, count);
    case "f8":
      return new Float64Array(buffer, offset, count);
    case "i1":
      return new Int8Array(buffer, offset, count);
    case "i2":
      return new Int16Array(buffer, offset, count);
    case "i4":
      return new Int32Array(buffer, offset, count);
    case "i8":
      return new BigInt64Array(buffer, offset, count);
    case "u2":
      return new Uint16Array(buffer, offset, count);
    case "u4":
      return new Uint32Array(buffer, offset, count);
    case "u8":
      return new BigUint64Array(buffer, offset, count);
    default:
      return new Uint8Array(buffer, offset, count);
  }
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function halfView(bits: Uint16Array): Float32Array {
  const values = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) values[i] = halfToFloat(bits[i]);
  return values;
}

async function readArray(path: string, maxBytesFor?: (header: NpyHeader) => Result<void>): Promise<Result<{ header: NpyHeader; bytes: Uint8Array }>> {
  const header = await readNpyHeader(path);
  if (!header.ok) return header;
  if (maxBytesFor) {
    const allowed = maxBytesFor(header.value);
    if (!allowed.ok) return allowed;
  }
  const { shape, dtype, dataOffset } = header.value;
  const needed = elementCount(shape) * dtype.size;
  const contents = await readBytes(path, dataOffset + needed);
  if (!contents.ok) return contents;
  const bytes = contents.value.bytes;
  const available = bytes.length - dataOffset;
  // Bytes after the data are ignored, as np.load does.
  if (available < needed) {
    const where = contents.value.gzipped ? " (decompressed)" : "";
    return fileError(
      path,
      `truncated: shape ${shapeText(shape)} of '${dtype.descr}' needs ${needed} bytes after the header (which ends at byte ${dataOffset}), but the file has ${Math.max(available, 0)}${where}`,
      bytes.length,
    );
  }
  return ok({ header: header.value, bytes });
}

function inputsShape(path: string, shape: number[]): Result<{ n: number; d: number }> {
  if (shape.length === 0) return fileError(path, "holds a single number (shape ()), not examples");
  const n = shape[0];
  const d = shape.length === 1 ? 1 : elementCount(shape.slice(1));
  if (n === 0) return fileError(path, `holds no examples (shape ${shapeText(shape)})`);
  if (d === 0) return fileError(path, `has examples with no values (shape ${shapeText(shape)})`);
  return ok({ n, d });
}

export interface NpyInputs {
  X: Float32Array;
  n: number;
  d: number;
  /** The array's shape in the file, before flattening. */
  shape: number[];
}

/** An N-D array as N×D float32 inputs, times `options.scale`; NaN or infinity is an error naming row and column (from 0). */
export async function loadNpyInputs(path: string, options: LoadOptions = {}): Promise<Result<NpyInputs>> {
  const read = await readArray(path, (header) => {
    const dims = inputsShape(path, header.shape);
    if (!dims.ok) return dims;
    const error = sizeLimitError(path, `${dims.value.n} examples of ${dims.value.d} values`, examplesBytes(dims.value.n, dims.value.d), options.maxBytes);
    return error ? fail(error) : ok(undefined);
  });
  if (!read.ok) return read;
  const { header, bytes } = read.value;
  const dims = inputsShape(path, header.shape);
  if (!dims.ok) return dims;
  const { n, d } = dims.value;
  const count = n * d;
  const values = valuesView(bytes, header, count);
  const X = new Float32Array(count);
  const scale = options.scale ?? 1;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) X[i] = Number(values[i]) * scale;
  } else {
    for (let i = 0; i < count; i++) X[i] = values[i] * scale;
  }
  for (let i = 0; i < count; i++) {
    const value = X[i];
    if (value - value !== 0) {
      // NaN or ±Infinity: report the file's own value, which may only have overflowed float32.
      const original = values instanceof BigInt64Array || values instanceof BigUint64Array ? Number(values[i]) : values[i];
      const what = Number.isFinite(original) ? `${original}, too large for float32,` : describeNonFinite(original);
      const row = Math.floor(i / d);
      const byteOffset = header.dataOffset + i * header.dtype.size;
      return fileError(path, `${what} at row ${row}, column ${i - row * d} (byte ${byteOffset})`, byteOffset);
    }
  }
  return ok({ X, n, d, shape: header.shape });
}

/** A 1-D (or N×1) array of class indices: whole numbers ≥ 0 of any integer or float type. */
export async function loadNpyLabels(path: string): Promise<Result<Int32Array>> {
  const read = await readArray(path);
  if (!read.ok) return read;
  const { header, bytes } = read.value;
  const { shape } = header;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    return fileError(path, `labels must be a 1-D array, but the shape is ${shapeText(shape)}`);
  }
  const count = shape[0];
  const values = valuesView(bytes, header, count);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = typeof values[i] === "bigint" ? Number(values[i]) : (values[i] as number);
    if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
      const byteOffset = header.dataOffset + i * header.dtype.size;
      return fileError(path, `label ${label} at index ${i} (byte ${byteOffset}) is not a class index (a whole number ≥ 0)`, byteOffset);
    }
    y[i] = label;
  }
  return ok(y);
}

/**
 * Inputs and labels from two .npy files. classes = max label + 1; a 3-D input
 * (N, H, W) is recorded as one-channel images.
 */
export async function loadNpyExamples(inputsPath: string, labelsPath: string, options: LoadOptions = {}): Promise<Result<Examples>> {
  const [inputs, labels] = await Promise.all([loadNpyInputs(inputsPath, options), loadNpyLabels(labelsPath)]);
  if (!inputs.ok) return inputs;
  if (!labels.ok) return labels;
  const { X, n, d, shape } = inputs.value;
  const y = labels.value;
  if (y.length !== n) return fileError(labelsPath, `${y.length} labels, but ${inputsPath.split(/[\\/]/).pop()} has ${n} examples`);
  let max = 0;
  for (let i = 0; i < n; i++) if (y[i] > max) max = y[i];
  const examples: Examples = { X, y, n, d, classes: max + 1 };
  if (shape.length === 3) examples.image = { height: shape[1], width: shape[2], channels: 1 };
  return ok(examples);
}

/** Bytes the examples will take, from the inputs header alone. */
export async function estimateNpy(inputsPath: string): Promise<Result<number>> {
  const header = await readNpyHeader(inputsPath);
  if (!header.ok) return header;
  const dims = inputsShape(inputsPath, header.value.shape);
  if (!dims.ok) return dims;
  return ok(examplesBytes(dims.value.n, dims.value.d));
}
