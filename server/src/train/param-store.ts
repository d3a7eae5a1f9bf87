// Where a run's params live while it trains, and their update. Each step the
// executor writes the gradients into `gradients`, then `step` updates every
// param in place by the optimizer's rule and returns the sums of squares the
// curves plot (gradient norm, update ratio).
//
// On TensorFlow.js the params are ordinary arrays, updated by the rules of
// optimizers.ts. On the kernel executor they live in the kernel memory for
// the whole run, with their gradients and the optimizer's state: no param is
// copied in for a product and no gradient copied out, and the update with its
// sums is one pass in WebAssembly (update in kernels/kernels.c).
import type { Kernels } from "../engine/kernels/kernels";
import type { TrainingRuntime } from "./executors";
import type { Optimizer } from "./optimizers";

export interface Squares {
  gradient: number;
  update: number;
  weight: number;
}

/** The arrays an optimizer keeps for one param between steps (optimizers.ts names them); absent where its rule keeps none. */
export interface OptimizerArrays {
  first?: Float32Array;
  second?: Float32Array;
}

export interface ParamStore {
  /** The live values, updated in place by `step`. Copy what you keep. */
  readonly params: Map<string, Float32Array>;
  /** The optimizer's live state per param, for checkpoints. Copy what you keep. */
  readonly states: Map<string, OptimizerArrays>;
  /** Where the executor writes each param's gradient. */
  readonly gradients: Map<string, Float32Array>;
  /** Updates every param from its gradient at step size `lr`; `t` counts updates from 1. */
  step(lr: number, t: number): Squares;
  /** Frees what the store holds; `params` must not be read after. */
  release(): void;
}

/** `state`, where given, is the optimizer's state to go on from (a resumed run's); else it starts at zeros. */
export function createParamStore(runtime: TrainingRuntime, optimizer: Optimizer, initial: ReadonlyMap<string, Float32Array>, state?: ReadonlyMap<string, OptimizerArrays>): ParamStore {
  const store = runtime.backend === "kernels" ? kernelStore(runtime.kernels, optimizer, initial) : arrayStore(optimizer, initial);
  for (const [name, arrays] of state ?? []) {
    const live = store.states.get(name);
    if (!live) throw new RangeError(`the optimizer state names ${name}, which is no param`);
    for (const slot of ["first", "second"] as const) {
      const saved = arrays[slot];
      const target = live[slot];
      if (!saved && !target) continue;
      if (!saved || !target || saved.length !== target.length) throw new RangeError(`the ${slot} optimizer state of ${name} has ${saved?.length ?? 0} entries where ${optimizer.name} keeps ${target?.length ?? 0}`);
      target.set(saved);
    }
  }
  return store;
}

function arrayStore(optimizer: Optimizer, initial: ReadonlyMap<string, Float32Array>): ParamStore {
  const params = new Map([...initial].map(([name, value]) => [name, value.slice()]));
  const gradients = new Map([...initial].map(([name, value]) => [name, new Float32Array(value.length)]));
  const states = new Map([...initial].map(([name, value]) => [name, optimizer.newState(value.length)]));
  const visible = new Map([...states].map(([name, state]) => [name, { first: state.first.length > 0 ? state.first : undefined, second: state.second.length > 0 ? state.second : undefined }]));
  // Each param's values before its update, for the update ratio; reused every step.
  const previous = new Map([...initial].map(([name, value]) => [name, new Float32Array(value.length)]));
  return {
    params,
    states: visible,
    gradients,
    step(lr, t) {
      const squares = { gradient: 0, update: 0, weight: 0 };
      for (const [name, value] of params) {
        const gradient = gradients.get(name) as Float32Array;
        const before = previous.get(name) as Float32Array;
        before.set(value);
        optimizer.step(value, gradient, states.get(name) as never, lr, t);
        addSquares(squares, gradient, before, value);
      }
      return squares;
    },
    release: () => undefined,
  };
}

/** The update rules of kernels.c by the names of optimizers.ts, and which state arrays each keeps (as optimizers.ts does). */
const kernelRules: Record<string, { code: number; first: boolean; second: boolean }> = {
  sgd: { code: 0, first: false, second: false },
  momentum: { code: 1, first: true, second: false },
  nesterov: { code: 2, first: true, second: false },
  adagrad: { code: 3, first: false, second: true },
  rmsprop: { code: 4, first: false, second: true },
  adam: { code: 5, first: true, second: true },
};

function kernelStore(kernels: Kernels, optimizer: Optimizer, initial: ReadonlyMap<string, Float32Array>): ParamStore {
  const rule = kernelRules[optimizer.name];
  // A rule without a kernel keeps to ordinary arrays.
  if (!rule) return arrayStore(optimizer, initial);
  const settings = optimizer.settings;
  const mark = kernels.mark();
  // Padded with zeros to a multiple of 4 entries, which the update keeps at zero.
  const padded = (length: number) => kernels.allocate((length + 3) & ~3).subarray(0, length);
  const params = new Map<string, Float32Array>();
  const gradients = new Map<string, Float32Array>();
  const states = new Map<string, { first?: Float32Array; second?: Float32Array }>();
  for (const [name, value] of initial) {
    const param = padded(value.length);
    param.set(value);
    params.set(name, param);
    gradients.set(name, padded(value.length));
    states.set(name, { first: rule.first ? padded(value.length) : undefined, second: rule.second ? padded(value.length) : undefined });
  }
  let released = false;
  return {
    params,
    states,
    gradients,
    step(lr, t) {
      const hyper = ruleSettings(optimizer.name, settings, t);
      const squares = { gradient: 0, update: 0, weight: 0 };
      for (const [name, param] of params) {
        const state = states.get(name) as { first?: Float32Array; second?: Float32Array };
        const sums = kernels.update(rule.code, param, gradients.get(name) as Float32Array, state.first, state.second, lr, hyper);
        squares.gradient += sums.gradient;
        squares.update += sums.update;
        squares.weight += sums.weight;
      }
      return squares;
    },
    release() {
      if (released) return;
      released = true;
      kernels.release(mark);
    },
  };
}

/** The settings update() in kernels.c reads for a rule, in its order. */
function ruleSettings(rule: string, settings: Readonly<Record<string, number>>, t: number): number[] {
  switch (rule) {
    case "momentum":
    case "nesterov":
      return [settings.mu];
    case "adagrad":
      return [settings.eps];
    case "rmsprop":
      return [settings.decay, settings.eps];
    case "adam":
      if (!(t >= 1)) throw new RangeError(`adam counts steps from 1, got ${t}`);
      return [settings.beta1, settings.beta2, settings.eps, 1 - Math.pow(settings.beta1, t), 1 - Math.pow(settings.beta2, t)];
    default:
      return [];
  }
}

/**
 * Adds the squares of a param's gradient, of its update and of its weights
 * before the update. Two elements a turn, each sum split in two, so the
 * additions do not all wait for one another.
 */
function addSquares(squares: Squares, gradient: Float32Array, before: Float32Array, after: Float32Array): void {
  let gradient0 = 0;
  let gradient1 = 0;
  let update0 = 0;
  let update1 = 0;
  let weight0 = 0;
  let weight1 = 0;
  const even = after.length & ~1;
  for (let i = 0; i < even; i += 2) {
    const b0 = before[i];
    const b1 = before[i + 1];
    const change0 = after[i] - b0;
    const change1 = after[i + 1] - b1;
    gradient0 += gradient[i] * gradient[i];
    gradient1 += gradient[i + 1] * gradient[i + 1];
    update0 += change0 * change0;
    update1 += change1 * change1;
    weight0 += b0 * b0;
    weight1 += b1 * b1;
  }
  if (even < after.length) {
    const change = after[even] - before[even];
    gradient0 += gradient[even] * gradient[even];
    update0 += change * change;
    weight0 += before[even] * before[even];
  }
  squares.gradient += gradient0 + gradient1;
  squares.update += update0 + update1;
  squares.weight += weight0 + weight1;
}
