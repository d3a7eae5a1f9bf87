// Minibatches: a seeded permutation per epoch, handed out in order, so every
// row is used exactly once per epoch and a seed replays the same batches.
import { ok } from "./errors";
import { createRng, permutation } from "./random";
import type { Result } from "./types";
import { checkCount, checkFinite } from "./validate";

export interface BatchSampler {
  /**
   * Row indices of the next batch. The last batch of an epoch is shorter when
   * fewer than `size` rows are left (no row repeats within an epoch); the call
   * after it starts a new epoch with a new order. `size` is rounded down and
   * kept between 1 and n.
   */
  nextBatch(size: number): Int32Array;
  /** Epochs started so far, counting the current one (1 after the first batch). */
  readonly epoch: number;
}

export function createBatchSampler(n: number, seed: number): Result<BatchSampler> {
  const rows = checkCount("the number of examples", n, 1);
  if (!rows.ok) return rows;
  const seedChecked = checkFinite("seed", seed);
  if (!seedChecked.ok) return seedChecked;
  const rng = createRng(seed);
  let order: Int32Array = new Int32Array(0);
  let position = 0;
  let epoch = 0;
  return ok({
    nextBatch(size: number): Int32Array {
      if (position >= order.length) {
        order = permutation(n, rng);
        position = 0;
        epoch++;
      }
      const wanted = Number.isFinite(size) ? Math.min(Math.max(Math.floor(size), 1), n) : 1;
      const end = Math.min(position + wanted, order.length);
      const batch = order.slice(position, end);
      position = end;
      return batch;
    },
    get epoch() {
      return epoch;
    },
  });
}
