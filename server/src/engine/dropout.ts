// Dropout's masks, the same on every executor. A mask entry is drawn by a
// counter-based generator: a hash of the run's seed, the training step, the
// dropout call (its salt, from the declaration that writes it) and the
// entry's index gives a uniform number, so each executor makes the same mask
// from (seed, step) alone, with integer arithmetic only, and a gradient check
// sees one mask in f(x+h), f(x−h) and the analytic gradient.

/** The draw of one training step: absent at evaluation and test, where every mask is 1. */
export interface DropoutDraw {
  seed: number;
  step: number;
}

/** The step a gradient check draws its masks at: one fixed training step. */
export const checkDraw: DropoutDraw = { seed: 0x5eed, step: 0 };

/** A 32-bit avalanche: every input bit moves about half the output bits. */
function mix(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) with 24 bits, exact in float32, for one entry of one mask. */
export function dropoutUniform(draw: DropoutDraw, salt: number, index: number): number {
  const h = mix(mix(mix(mix(draw.seed) ^ draw.step) ^ salt) ^ index);
  return (h >>> 8) / 16777216;
}

/** The salt of a dropout call: a hash of its declaration's name and its place among that declaration's dropout calls. */
export function dropoutSalt(declaration: string, ordinal: number): number {
  let hash = 2166136261;
  const text = `${declaration}#${ordinal}`;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * Fills `out` with a mask: entries kept with probability `keep` hold 1/keep
 * (in `out`'s precision), the others 0; every entry is 1 without a draw.
 */
export function fillDropoutMask(out: Float64Array | Float32Array, keep: number, salt: number, draw: DropoutDraw | undefined): void {
  if (!draw) {
    out.fill(1);
    return;
  }
  const kept = 1 / keep;
  for (let i = 0; i < out.length; i++) out[i] = dropoutUniform(draw, salt, i) < keep ? kept : 0;
}
