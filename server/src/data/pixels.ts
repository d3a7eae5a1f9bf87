// Bytes to float32: the hot loop of every image loader (47 million pixels for
// Fashion-MNIST). A 256-entry table turns the conversion and the scaling into
// one load per pixel, and 4-way unrolling lets V8 keep the loop tight.

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
