// Checks shared by the loaders that take values from users (inline rows,
// generator options, preparation counts): the same wording everywhere.
import { fail, ok } from "./errors";
import type { Result } from "./types";

/** An integer in [min, max]; `name` is how the user wrote the option. */
export function checkCount(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): Result<number> {
  if (!Number.isInteger(value)) return fail({ message: `${name} must be a whole number, not ${value}` });
  if (value < min) return fail({ message: `${name} must be at least ${min}, not ${value}` });
  if (value > max) return fail({ message: `${name} must be at most ${max}, not ${value}` });
  return ok(value);
}

export function checkFinite(name: string, value: number, min = -Infinity): Result<number> {
  if (!Number.isFinite(value)) return fail({ message: `${name} must be a finite number, not ${value}` });
  if (value < min) return fail({ message: `${name} must be at least ${min}, not ${value}` });
  return ok(value);
}

/** "NaN" or "infinite value": how a bad float is named in messages. */
export function describeNonFinite(value: number): string {
  return Number.isNaN(value) ? "NaN" : `infinite value ${value}`;
}

/** Largest label + 1, or an error naming the first label that is not a class index. */
export function classCount(labels: ArrayLike<number>, where: (index: number) => string): Result<number> {
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label > 0x7fffffff) {
      return fail({ message: `${where(i)}: label ${label} is not a class index (a whole number ≥ 0)` });
    }
    if (label > max) max = label;
  }
  return ok(max + 1);
}
