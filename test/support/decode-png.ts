// A PNG read back for the tests: each chunk's CRC checked, the pixels of its
// IDAT inflated with node:zlib, each scanline's filter byte checked and
// removed. The writer (server/src/train/png.ts) uses filter type none only.
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { crc32 } from "../../server/src/train/png";

/** A PNG's chunks, each CRC checked; the pixels of its IDAT inflated, with each scanline's filter byte checked and removed. */
export function decodePng(bytes: Uint8Array): { width: number; height: number; colourType: number; pixels: Uint8Array; types: string[] } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const types: string[] = [];
  let header: Uint8Array | undefined;
  const data: Uint8Array[] = [];
  for (let offset = 8; offset < bytes.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    assert.equal(view.getUint32(offset + 8 + length), crc32(bytes.subarray(offset + 4, offset + 8 + length)), `${type}'s CRC`);
    types.push(type);
    if (type === "IHDR") header = body;
    if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  assert.ok(header);
  const headerView = new DataView(header.buffer, header.byteOffset, header.length);
  const width = headerView.getUint32(0);
  const height = headerView.getUint32(4);
  const colourType = header[9];
  assert.equal(header[8], 8, "8 bits a channel");
  const channels = colourType === 2 ? 3 : 1;
  const raw = inflateSync(Buffer.concat(data));
  assert.equal(raw.length, height * (width * channels + 1));
  const pixels = new Uint8Array(width * height * channels);
  for (let row = 0; row < height; row++) {
    assert.equal(raw[row * (width * channels + 1)], 0, "filter type none");
    pixels.set(raw.subarray(row * (width * channels + 1) + 1, (row + 1) * (width * channels + 1)), row * width * channels);
  }
  return { width, height, colourType, pixels, types };
}
