// Bytes to float32: the hot loop of every image loader (47 million pixels for
// Fashion-MNIST). A 256-entry table turns the conversion and the scaling into
// one load per pixel, and 4-way unrolling lets V8 keep the loop tight.

import type { Examples, StoredBytes } from "./types";

/**
 * Examples whose inputs stay bytes until X is read: a quarter of the memory
 * of float32, and no conversion at all when only a prepared copy is used.
 * X, once made, is kept.
 */
export function examplesFromBytes(fields: Omit<Examples, "X" | "stored">, bytes: Uint8Array, table: Float32Array): Examples {
  let X: Float32Array | undefined;
  const examples = { ...fields, stored: { bytes, table } } as Examples;
  Object.defineProperty(examples, "X", {
    enumerable: true,
    get(): Float32Array {
      if (!X) {
        X = new Float32Array(bytes.length);
        bytesToFloat32(bytes, X, 0, table);
      }
      return X;
    },
  });
  return examples;
}

/** Every field but the inputs, without reading X (reading it would make the float32 copy). */
function fieldsOf(x: Examples): Omit<Examples, "X" | "stored"> {
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(x)) if (key !== "X" && key !== "stored") fields[key] = (x as unknown as Record<string, unknown>)[key];
  return fields as Omit<Examples, "X" | "stored">;
}

/** The same inputs with other fields changed; inputs still bytes stay bytes. */
export function withFields(x: Examples, changes: Partial<Omit<Examples, "X" | "stored">>): Examples {
  if (!x.stored) return { ...x, ...changes };
  return examplesFromBytes({ ...fieldsOf(x), ...changes }, x.stored.bytes, x.stored.table);
}

/** Consecutive rows of examples whose inputs are still bytes, sharing those bytes. */
export function storedRowRange(x: Examples, stored: StoredBytes, start: number, count: number): Examples {
  return examplesFromBytes({ ...fieldsOf(x), y: x.y.subarray(start, start + count), n: count }, stored.bytes.subarray(start * x.d, (start + count) * x.d), stored.table);
}

/** value·scale for every byte value: build once per load, not per record. */
export function pixelTable(scale: number): Float32Array {
  const table = new Float32Array(256);
  for (let value = 0; value < 256; value++) table[value] = value * scale;
  return table;
}

/** Writes table[src[i]] into dst[dstOffset + i] for every byte of src. */
export function bytesToFloat32(src: Uint8Array, dst: Float32Array, dstOffset: number, table: Float32Array): void {
  // Plain views: a Buffer here would make the loop below polymorphic and slower.
  const bytes = new Uint8Array(src.buffer, src.byteOffset, src.length);
  const out = new Float32Array(dst.buffer, dst.byteOffset + dstOffset * 4, src.length);
  convert(bytes, out, table);
}

function convert(src: Uint8Array, out: Float32Array, table: Float32Array): void {
  const count = src.length;
  const whole = count - (count & 3);
  let i = 0;
  for (; i < whole; i += 4) {
    out[i] = table[src[i]];
    out[i + 1] = table[src[i + 1]];
    out[i + 2] = table[src[i + 2]];
    out[i + 3] = table[src[i + 3]];
  }
  for (; i < count; i++) out[i] = table[src[i]];
}
