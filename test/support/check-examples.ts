// Examples for gradient-check tests: seeded, with a constant last feature (the bias trick).
import type { CheckExamples } from "../../server/src/engine/check-gradients";
import { randomSource } from "../../server/src/engine/random";

/** Random examples with labels in 0..classes−1 and a constant last feature. */
export function checkExamples(n: number, d: number, classes: number, seed: number): CheckExamples {
  const random = randomSource(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d - 1; j++) X[i * d + j] = random.normal();
    X[i * d + d - 1] = 1;
    y[i] = i % classes;
  }
  return { X, y, n, d };
}
