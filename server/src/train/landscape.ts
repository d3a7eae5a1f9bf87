// Loss landscapes: the loss along a ray, L(W + a·W₁), or across a plane,
// L(W + a·W₁ + b·W₂), through the initial weights, with random directions
// (optionally scaled row by row to the norm of the weights' rows, so the
// picture does not depend on each row's scale).
import type { RandomSource } from "../engine/gradcheck";
import { bindExamples, type TrainingRuntime } from "./executors";
import { evaluateOn, type RunSetup } from "./trainer";

export interface LandscapeResult {
  directions: 1 | 2;
  /** The values of a (and of b). */
  axis: number[];
  /** losses[i] for a ray; losses[j * points + i] (b = axis[j], a = axis[i]) for a plane. */
  losses: number[];
  /** The loss at a = b = 0. */
  center: number;
  min: number;
  max: number;
  cancelled: boolean;
  /** A run's weights along its training, as (a, b) coordinates in the plane. */
  trajectory?: { step: number; a: number; b: number }[];
}

function randomDirection(params: Map<string, Float32Array>, shapes: Map<string, number[]>, random: RandomSource, normalize: boolean): Map<string, Float32Array> {
  const direction = new Map<string, Float32Array>();
  for (const [name, value] of params) {
    const step = Float32Array.from(value, () => random.normal());
    const shape = shapes.get(name) ?? [value.length];
    if (normalize) {
      // Filter normalisation: each row of the direction gets the norm of the same row of W.
      const columns = shape.length === 2 ? shape[1] : value.length;
      for (let row = 0; row < value.length / columns; row++) {
        let weights = 0;
        let steps = 0;
        for (let k = row * columns; k < (row + 1) * columns; k++) {
          weights += value[k] * value[k];
          steps += step[k] * step[k];
        }
        const factor = steps > 0 ? Math.sqrt(weights / steps) : 0;
        for (let k = row * columns; k < (row + 1) * columns; k++) step[k] *= factor;
      }
    }
    direction.set(name, step);
  }
  return direction;
}

function linspace(from: number, to: number, points: number): number[] {
  return Array.from({ length: points }, (_, i) => (points === 1 ? from : from + ((to - from) * i) / (points - 1)));
}

/**
 * Where each snapshot lies in the plane through `origin` spanned by d1 and d2:
 * the (a, b) whose W + a·d1 + b·d2 is nearest (least squares, as the two
 * random directions need not be orthogonal).
 */
export function project(origin: Map<string, Float32Array>, d1: Map<string, Float32Array>, d2: Map<string, Float32Array>, snapshots: { step: number; params: Map<string, Float32Array> }[]): { step: number; a: number; b: number }[] {
  let g11 = 0;
  let g12 = 0;
  let g22 = 0;
  for (const [name, u] of d1) {
    const v = d2.get(name) as Float32Array;
    for (let k = 0; k < u.length; k++) {
      g11 += u[k] * u[k];
      g12 += u[k] * v[k];
      g22 += v[k] * v[k];
    }
  }
  const det = g11 * g22 - g12 * g12;
  return snapshots.map(({ step, params }) => {
    let r1 = 0;
    let r2 = 0;
    for (const [name, value] of params) {
      const start = origin.get(name) as Float32Array;
      const u = d1.get(name) as Float32Array;
      const v = d2.get(name) as Float32Array;
      for (let k = 0; k < value.length; k++) {
        const delta = value[k] - start[k];
        r1 += delta * u[k];
        r2 += delta * v[k];
      }
    }
    return { step, a: det === 0 ? 0 : (g22 * r1 - g12 * r2) / det, b: det === 0 ? 0 : (g11 * r2 - g12 * r1) / det };
  });
}

export function landscape(runtime: TrainingRuntime, setup: RunSetup, options: { directions: 1 | 2; from: number; to: number; points: number; normalize: boolean }, cancelled: () => boolean, along?: Map<string, Float32Array>, snapshots?: { step: number; params: Map<string, Float32Array> }[]): LandscapeResult {
  const random = setup.random("landscape");
  const first = along ?? randomDirection(setup.params, setup.shapes, random, options.normalize);
  const second = options.directions === 2 ? randomDirection(setup.params, setup.shapes, random, options.normalize) : undefined;
  const axis = linspace(options.from, options.to, options.points);
  const losses: number[] = [];
  const at = (a: number, b: number): number => {
    const moved = new Map<string, Float32Array>();
    for (const [name, value] of setup.params) {
      const d1 = first.get(name) as Float32Array;
      const d2 = second?.get(name);
      moved.set(name, Float32Array.from(value, (w, k) => w + a * d1[k] + (d2 ? b * d2[k] : 0)));
    }
    return evaluateOn(runtime, { ...setup, score: undefined }, moved, setup.train, bound).loss;
  };
  // The examples are bound once for every point.
  const bound = bindExamples(runtime, setup.train, setup.shapes);
  try {
    let wasCancelled = false;
    outer: for (const b of second ? axis : [0]) {
      for (const a of axis) {
        if (cancelled()) {
          wasCancelled = true;
          break outer;
        }
        losses.push(at(a, b));
      }
    }
    const finite = losses.filter(Number.isFinite);
    const trajectory = snapshots && second ? project(setup.params, first, second, snapshots) : undefined;
    return { directions: options.directions, axis, losses, center: at(0, 0), min: Math.min(...finite), max: Math.max(...finite), cancelled: wasCancelled, ...(trajectory ? { trajectory } : {}) };
  } finally {
    bound.release();
  }
}
