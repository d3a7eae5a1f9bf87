// PNG files of 8-bit pixels (grayscale or RGB), for the learned templates: a
// signature, an IHDR chunk, one IDAT chunk of the zlib-deflated scanlines
// (each led by filter type 0, none) and IEND; each chunk ends with the CRC-32
// of its type and data (ISO 3309, the polynomial 0xEDB88320, as the PNG
// specification gives it). Node's zlib does the deflating.
import { deflateSync } from "node:zlib";

export interface PixelImage {
  width: number;
  height: number;
  /** 1: gray; 3: red, green, blue. */
  channels: 1 | 3;
  /** Row-major, a pixel's channels side by side (interleaved), 0–255. */
  pixels: Uint8Array;
}

const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function encodePng(image: PixelImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new RangeError(`a PNG is at least 1 × 1 pixels, not ${width} × ${height}`);
  if (pixels.length !== width * height * channels) throw new RangeError(`${width} × ${height} × ${channels} pixels are ${width * height * channels} bytes, not ${pixels.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  // Bit depth 8; colour type 0 (gray) or 2 (RGB); deflate, adaptive filtering, no interlace.
  header.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8);
  const stride = width * channels;
  const scanlines = new Uint8Array(height * (stride + 1));
  for (let row = 0; row < height; row++) scanlines.set(pixels.subarray(row * stride, (row + 1) * stride), row * (stride + 1) + 1);
  const parts = [signature, chunk("IHDR", header), chunk("IDAT", deflateSync(scanlines)), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
