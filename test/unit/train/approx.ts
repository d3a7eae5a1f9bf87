// Comparison of computed numbers with hand-computed ones, with an explicit
// tolerance: float32 parameters carry about 7 significant digits.
import assert from "node:assert/strict";

export function assertClose(actual: number, expected: number, tolerance: number, what = ""): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`.trim());
}

export function assertAllClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number, what = ""): void {
  assert.equal(actual.length, expected.length, `${what} length`.trim());
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tolerance, `${what}[${i}]`);
}
