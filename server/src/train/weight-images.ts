// Weights drawn as 8-bit images, shared by the learned templates
// (templates.ts) and the first layer's filters (filters.ts): the scale from
// weights to levels, and a set of equal-sized images laid out as one grid,
// zoomed by nearest neighbour (each weight a zoom × zoom block), as a PNG's
// pixels (png.ts).
import type { PixelImage } from "./png";

export interface WeightImages {
  width: number;
  height: number;
  channels: number;
  /** Channel-planar, as the data sets store images and K stores a filter (all of red, then green, then blue), 0–255. */
  images: Uint8Array[];
}

/** The smallest and largest of `count` weights. */
export function rangeOf(count: number, weight: (j: number) => number): { low: number; high: number } {
  let low = Infinity;
  let high = -Infinity;
  for (let j = 0; j < count; j++) {
    const w = weight(j);
    if (w < low) low = w;
    if (w > high) high = w;
  }
  return { low, high };
}

/** `count` weights as levels: `low` is 0 (black), `high` 255 (white); all of them middle gray when low and high are equal. */
export function levelsOf(count: number, weight: (j: number) => number, low: number, high: number): Uint8Array {
  const span = high - low;
  if (!(span > 0)) return new Uint8Array(count).fill(128);
  return Uint8Array.from({ length: count }, (_, j) => Math.round((255 * (weight(j) - low)) / span));
}

/**
 * The images of `indices` side by side, `perRow` to a row in that order,
 * each `zoom` times as large, `gap` pixels of white between them.
 */
export function gridImage(drawn: WeightImages, indices: readonly number[], perRow: number, zoom: number, gap: number): PixelImage {
  const { width, height, channels } = drawn;
  const rows = Math.ceil(indices.length / perRow);
  const cellWidth = width * zoom;
  const cellHeight = height * zoom;
  const totalWidth = perRow * cellWidth + (perRow - 1) * gap;
  const totalHeight = rows * cellHeight + (rows - 1) * gap;
  const out = new Uint8Array(totalWidth * totalHeight * channels).fill(255);
  const plane = width * height;
  indices.forEach((index, slot) => {
    const source = drawn.images[index];
    const left = (slot % perRow) * (cellWidth + gap);
    const top = Math.floor(slot / perRow) * (cellHeight + gap);
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const at = Math.floor(y / zoom) * width + Math.floor(x / zoom);
        const target = ((top + y) * totalWidth + left + x) * channels;
        for (let c = 0; c < channels; c++) out[target + c] = source[c * plane + at];
      }
    }
  });
  return { width: totalWidth, height: totalHeight, channels: channels === 3 ? 3 : 1, pixels: out };
}

/** One image as a PNG's pixels (channels interleaved), `zoom` times as large. */
export function singleImage(drawn: WeightImages, index: number, zoom = 1): PixelImage {
  return gridImage(drawn, [index], 1, zoom, 0);
}
