// Examples whose inputs stay bytes, as an image file stores them, until
// something reads X: a quarter of float32's memory, and a prepared copy
// (scaled, centred, with the bias column) that costs nothing until used.
// Opening a Fashion-MNIST file then reads the bytes, takes the training
// split's mean and checks gradients on a hundred rows; the 190 MB float32
// copy, slow to allocate, is made only when a run trains on all of it.
//
// Each value is table[byte] - offsets[column], rounded to float32, with a
// column of ones after the stored ones when `bias` is set: exactly what
// scaling, mean subtraction and the bias trick give on float32 inputs.
import type { Examples, StoredBytes } from "./types";

type Fields = Omit<Examples, "X" | "stored">;

/** Examples over `bytes` (a row of `width` bytes each); X is made on its first read and kept. */
export function examplesFromBytes(fields: Fields, bytes: Uint8Array, table: Float32Array, layout: { offsets?: Float32Array; bias?: boolean } = {}): Examples {
  const stored: StoredBytes = {
    // A plain view: a Buffer (what files and zlib give) would make every loop over the bytes polymorphic and several times slower.
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    width: layout.bias ? fields.d - 1 : fields.d,
    table,
    ...(layout.offsets ? { offsets: layout.offsets } : {}),
    bias: layout.bias ?? false,
  };
  let X: Float32Array | undefined;
  const examples = { ...fields, stored } as Examples;
  Object.defineProperty(examples, "X", {
    enumerable: true,
    get(): Float32Array {
      X ??= storedRows(stored, 0, fields.n);
      return X;
    },
  });
  return examples;
}

/** The first `count` rows as float32: made from the bytes for byte-backed examples (X is not made), a view for others. */
export function leadingRows(x: Examples, count: number): Float32Array {
  return x.stored ? storedRows(x.stored, 0, count) : x.X.subarray(0, count * x.d);
}

function storedRows(stored: StoredBytes, start: number, count: number, into?: Float32Array): Float32Array {
  const { bytes, width, table, offsets, bias } = stored;
  const d = bias ? width + 1 : width;
  const X = into ?? new Float32Array(count * d);
  for (let row = 0; row < count; row++) {
    const from = (start + row) * width;
    const to = row * d;
    if (offsets) for (let column = 0; column < width; column++) X[to + column] = table[bytes[from + column]] - offsets[column];
    else for (let column = 0; column < width; column++) X[to + column] = table[bytes[from + column]];
    if (bias) X[to + width] = 1;
  }
  return X;
}

/** Every field but the inputs, without reading X (reading it would make the float32 copy). */
function fieldsOf(x: Examples): Fields {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(x)) if (key !== "X" && key !== "stored") fields[key] = (x as unknown as Record<string, unknown>)[key];
  return fields as Fields;
}

function layoutOf(stored: StoredBytes): { offsets?: Float32Array; bias: boolean } {
  return { ...(stored.offsets ? { offsets: stored.offsets } : {}), bias: stored.bias };
}

/** The same inputs with other fields changed; inputs still bytes stay bytes. */
export function withFields(x: Examples, changes: Partial<Fields>): Examples {
  if (!x.stored) return { ...x, ...changes };
  return examplesFromBytes({ ...fieldsOf(x), ...changes }, x.stored.bytes, x.stored.table, layoutOf(x.stored));
}

/** Consecutive rows of byte-backed examples, sharing their bytes. */
export function storedRowRange(x: Examples, stored: StoredBytes, start: number, count: number): Examples {
  const bytes = stored.bytes.subarray(start * stored.width, (start + count) * stored.width);
  return examplesFromBytes({ ...fieldsOf(x), y: x.y.subarray(start, start + count), n: count }, bytes, stored.table, layoutOf(stored));
}

/** Each byte value's value times the factor, rounded to float32 as a scaled float32 input would be. */
function scaledTable(table: Float32Array, factor: number): Float32Array {
  return table.map((value) => Math.fround(value * factor));
}

/** Raw bytes, scaled, less `mean`, with the bias column if asked: the same bytes, a new recipe; `fields` describe the result. */
export function transformStored(fields: Fields, stored: StoredBytes, factor: number, mean: Float32Array | undefined, bias: boolean): Examples {
  return examplesFromBytes(fields, stored.bytes, scaledTable(stored.table, factor), { ...(mean ? { offsets: mean } : {}), bias });
}

/** Calls `use` with consecutive blocks of rows as float32 (a view of X, or made from the bytes into one reused buffer), never making all of X. */
export function forEachRowBlock(x: Examples, use: (values: Float32Array, rows: number) => void, blockRows = 1024): void {
  if (!x.stored) {
    use(x.X.subarray(0, x.n * x.d), x.n);
    return;
  }
  const buffer = new Float32Array(Math.min(blockRows, x.n) * x.d);
  for (let start = 0; start < x.n; start += blockRows) {
    const rows = Math.min(blockRows, x.n - start);
    use(storedRows(x.stored, start, rows, buffer).subarray(0, rows * x.d), rows);
  }
}
