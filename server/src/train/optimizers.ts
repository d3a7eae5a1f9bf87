// The update rules of `optimizerRules` (language/settings.ts) as in-place
// updates of Float32Array parameters. Each parameter has its own state; the
// step size arrives per step (already scheduled, see schedules.ts), the
// rule's other settings are fixed when the optimizer is created, with
// defaults read from the table. Each step is one tight loop and allocates
// nothing. Sums are computed in float64 and stored as float32.
import { optimizerRulesByName } from "../language/settings";
import { numericDefaults } from "./schedules";

/** The memory one parameter keeps between steps; arrays a rule does not use are empty. */
export interface OptimizerState {
  /** Momentum's and Nesterov's velocity v, or Adam's first moment m. */
  readonly first: Float32Array;
  /** Adagrad's and RMSprop's cache c, or Adam's second moment v. */
  readonly second: Float32Array;
}

export interface Optimizer {
  readonly name: string;
  /** The settings in use: the given ones over the table's defaults. */
  readonly settings: Readonly<Record<string, number>>;
  /**
   * Updates `param` in place from `grad` at step size `lr`. `t` is the
   * update's number, counting from 1 (Adam's bias correction uses it).
   */
  step(param: Float32Array, grad: Float32Array, state: OptimizerState, lr: number, t: number): void;
  /** Fresh state for a parameter of `size` entries: zeros. */
  newState(size: number): OptimizerState;
}

type StepFunction = Optimizer["step"];

const empty = new Float32Array(0);

/**
 * The optimizer for a rule of the table. Throws on an unknown rule; the
 * checker reports that as a finding before anything runs.
 */
export function createOptimizer(rule: string, settings: Record<string, number> = {}): Optimizer {
  const entry = optimizerRulesByName.get(rule);
  if (!entry) throw new Error(`unknown optimizer rule '${rule}'`);
  const resolved: Record<string, number> = { ...numericDefaults(entry.settings), ...settings };
  const [step, slots] = updateRule(rule, resolved);
  return {
    name: rule,
    settings: resolved,
    step(param, grad, state, lr, t) {
      if (grad.length !== param.length) throw new RangeError(`gradient has ${grad.length} entries, parameter ${param.length}`);
      step(param, grad, state, lr, t);
    },
    newState(size) {
      return {
        first: slots >= 1 ? new Float32Array(size) : empty,
        second: slots >= 2 ? new Float32Array(size) : empty,
      };
    },
  };
}

/** The step function of a rule and how many state arrays it needs (first, then second). */
function updateRule(rule: string, settings: Record<string, number>): [StepFunction, 0 | 1 | 2] {
  switch (rule) {
    case "sgd":
      return [sgd, 0];
    case "momentum":
      return [momentum(settings.mu), 1];
    case "nesterov":
      return [nesterov(settings.mu), 1];
    case "adagrad":
      return [adagrad(settings.eps), 2];
    case "rmsprop":
      return [rmsprop(settings.decay, settings.eps), 2];
    case "adam":
      return [adam(settings.beta1, settings.beta2, settings.eps), 2];
    default:
      throw new Error(`optimizer rule '${rule}' has no update`);
  }
}

// W ← W − lr·∇L
const sgd: StepFunction = (param, grad, _state, lr) => {
  for (let i = 0; i < param.length; i++) param[i] -= lr * grad[i];
};

// v ← μ·v − lr·∇L;  W ← W + v
function momentum(mu: number): StepFunction {
  return (param, grad, state, lr) => {
    const v = state.first;
    for (let i = 0; i < param.length; i++) {
      const velocity = mu * v[i] - lr * grad[i];
      v[i] = velocity;
      param[i] += velocity;
    }
  };
}

// v_prev ← v;  v ← μ·v − lr·∇L;  W ← W − μ·v_prev + (1 + μ)·v
function nesterov(mu: number): StepFunction {
  return (param, grad, state, lr) => {
    const v = state.first;
    for (let i = 0; i < param.length; i++) {
      const previous = v[i];
      const velocity = mu * previous - lr * grad[i];
      v[i] = velocity;
      param[i] += -mu * previous + (1 + mu) * velocity;
    }
  };
}

// c ← c + (∇L)²;  W ← W − lr·∇L / (√c + eps)
function adagrad(eps: number): StepFunction {
  return (param, grad, state, lr) => {
    const cache = state.second;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i];
      const c = cache[i] + g * g;
      cache[i] = c;
      param[i] -= (lr * g) / (Math.sqrt(c) + eps);
    }
  };
}

// c ← ρ·c + (1 − ρ)·(∇L)²;  W ← W − lr·∇L / (√c + eps)
function rmsprop(decay: number, eps: number): StepFunction {
  return (param, grad, state, lr) => {
    const cache = state.second;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i];
      const c = decay * cache[i] + (1 - decay) * g * g;
      cache[i] = c;
      param[i] -= (lr * g) / (Math.sqrt(c) + eps);
    }
  };
}

// m ← β₁m + (1−β₁)∇L;  v ← β₂v + (1−β₂)(∇L)²;
// m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  W ← W − lr·m̂ / (√v̂ + eps)
function adam(beta1: number, beta2: number, eps: number): StepFunction {
  return (param, grad, state, lr, t) => {
    if (!(t >= 1)) throw new RangeError(`adam counts steps from 1, got ${t}`);
    const m = state.first;
    const v = state.second;
    const correction1 = 1 - Math.pow(beta1, t);
    const correction2 = 1 - Math.pow(beta2, t);
    for (let i = 0; i < param.length; i++) {
      const g = grad[i];
      const first = beta1 * m[i] + (1 - beta1) * g;
      const second = beta2 * v[i] + (1 - beta2) * g * g;
      m[i] = first;
      v[i] = second;
      param[i] -= (lr * (first / correction1)) / (Math.sqrt(second / correction2) + eps);
    }
  };
}
