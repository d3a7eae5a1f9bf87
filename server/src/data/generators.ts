// Synthetic data sets from the CS231n notes, deterministic per seed so a
// .optim file gives the same numbers on every machine and every run. Rows are
// class-major: all of class 0, then all of class 1, …
import { fail, ok } from "./errors";
import { createRng } from "./random";
import { examplesBytes, formatBytes } from "./size-limit";
import type { Examples, Result } from "./types";
import { checkCount, checkFinite } from "./validate";

/**
 * The optimization notes' "three 1-dimensional points and three classes"
 * (the notes give no values, so these are ours): x = -1 in class 0, x = 0.5
 * in class 1, x = 2 in class 2. Mixed signs keep the three hinge terms of the
 * SVM loss from being parallel, so the loss along a direction is a visible bowl.
 */
export function toy(): Examples {
  return { X: Float32Array.of(-1, 0.5, 2), y: Int32Array.of(0, 1, 2), n: 3, d: 1, classes: 3 };
}

export interface SpiralOptions {
  /** Arms, one per class (K in the notes); default 3. */
  classes?: number;
  /** Points per class (N); default 100. */
  points?: number;
  /** Standard deviation of the angle noise; default 0.2. */
  noise?: number;
  seed?: number;
  maxBytes?: number;
}

function checkRows(rows: number, d: number, maxBytes: number | undefined): Result<void> {
  const bytes = examplesBytes(rows, d);
  if (maxBytes !== undefined && bytes > maxBytes) {
    return fail({ message: `${rows} generated examples need ${formatBytes(bytes)}, more than the data size limit of ${formatBytes(maxBytes)}` });
  }
  return ok(undefined);
}

/**
 * The CS231n spiral: for class j, radius r = linspace(0, 1, N) and angle
 * t = linspace(4j, 4(j+1), N) + noise·randn, point (r·sin t, r·cos t).
 * 2 features; n = classes·points.
 */
export function spiral(options: SpiralOptions = {}): Result<Examples> {
  const classes = checkCount("classes", options.classes ?? 3, 1, 1 << 20);
  if (!classes.ok) return classes;
  const points = checkCount("points", options.points ?? 100, 1);
  if (!points.ok) return points;
  const noise = checkFinite("noise", options.noise ?? 0.2, 0);
  if (!noise.ok) return noise;
  const seed = checkFinite("seed", options.seed ?? 0);
  if (!seed.ok) return seed;
  const K = classes.value;
  const N = points.value;
  const n = K * N;
  const size = checkRows(n, 2, options.maxBytes);
  if (!size.ok) return size;
  const rng = createRng(seed.value);
  const X = new Float32Array(n * 2);
  const y = new Int32Array(n);
  // linspace(a, b, 1) is [a], so a single point sits at the centre.
  const step = N > 1 ? 1 / (N - 1) : 0;
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < N; i++) {
      const row = j * N + i;
      const r = i * step;
      const t = 4 * j + 4 * i * step + rng.normal() * noise.value;
      X[row * 2] = r * Math.sin(t);
      X[row * 2 + 1] = r * Math.cos(t);
      y[row] = j;
    }
  }
  return ok({ X, y, n, d: 2, classes: K });
}

export interface BlobsOptions {
  /** Default 3. */
  classes?: number;
  /** Points per class; default 100. */
  points?: number;
  /** Features; default 2. */
  dims?: number;
  /** Standard deviation around each centre; default 1. */
  spread?: number;
  seed?: number;
  maxBytes?: number;
}

/**
 * Gaussian blobs: centres drawn uniformly in [-10, 10]^dims (all centres
 * first), then for each class `points` samples centre + spread·randn.
 */
export function blobs(options: BlobsOptions = {}): Result<Examples> {
  const classes = checkCount("classes", options.classes ?? 3, 1, 1 << 20);
  if (!classes.ok) return classes;
  const points = checkCount("points", options.points ?? 100, 1);
  if (!points.ok) return points;
  const dims = checkCount("dims", options.dims ?? 2, 1);
  if (!dims.ok) return dims;
  const spread = checkFinite("spread", options.spread ?? 1, 0);
  if (!spread.ok) return spread;
  const seed = checkFinite("seed", options.seed ?? 0);
  if (!seed.ok) return seed;
  const K = classes.value;
  const N = points.value;
  const d = dims.value;
  const n = K * N;
  const size = checkRows(n, d, options.maxBytes);
  if (!size.ok) return size;
  const rng = createRng(seed.value);
  const centres = new Float64Array(K * d);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.uniform() * 20 - 10;
  const X = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let j = 0; j < K; j++) {
    for (let i = 0; i < N; i++) {
      const row = j * N + i;
      for (let k = 0; k < d; k++) X[row * d + k] = centres[j * d + k] + spread.value * rng.normal();
      y[row] = j;
    }
  }
  return ok({ X, y, n, d, classes: K });
}
