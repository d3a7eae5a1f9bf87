// Each update rule's first steps on a 3-vector against values worked out by
// hand (the arithmetic is in the comments), the defaults against the
// optimizerRules table, and Adam's first step against lr·sign(g).
import assert from "node:assert/strict";
import { test } from "node:test";
import { optimizerRules, optimizerRulesByName } from "../../../server/src/language/settings";
import { createOptimizer, type Optimizer } from "../../../server/src/train/optimizers";
import { assertAllClose, assertClose } from "./approx";

// float32 parameters: about 7 significant digits on values near 1.
const tolerance = 1e-6;
const start = [1, -2, 0.5];

/** Runs `optimizer` from `start` over the gradients, with step numbers 1, 2, …; returns W after each step. */
function trajectory(optimizer: Optimizer, lr: number, gradients: number[][]): number[][] {
  const param = Float32Array.from(start);
  const state = optimizer.newState(param.length);
  return gradients.map((gradient, index) => {
    optimizer.step(param, Float32Array.from(gradient), state, lr, index + 1);
    return Array.from(param);
  });
}

/** The table's default for one setting of a rule, parsed from its defaultText. */
function tableDefault(rule: string, setting: string): number {
  const text = optimizerRulesByName.get(rule)?.settings.find((spec) => spec.name === setting)?.defaultText;
  assert.ok(text !== undefined, `${rule}.${setting} has a default in the table`);
  return Number(text);
}

test("sgd: W ← W − lr·∇L", () => {
  const [w1, w2] = trajectory(createOptimizer("sgd", {}), 0.1, [[3, -4, 1], [4, 3, 0]]);
  // W₁ = [1, −2, 0.5] − 0.1·[3, −4, 1] = [1 − 0.3, −2 + 0.4, 0.5 − 0.1] = [0.7, −1.6, 0.4]
  assertAllClose(w1, [0.7, -1.6, 0.4], tolerance, "W1");
  // W₂ = [0.7, −1.6, 0.4] − 0.1·[4, 3, 0] = [0.3, −1.9, 0.4]
  assertAllClose(w2, [0.3, -1.9, 0.4], tolerance, "W2");
});

test("momentum: the velocity keeps moving W after the gradient vanishes", () => {
  const [w1, w2, w3] = trajectory(createOptimizer("momentum", { mu: 0.5 }), 0.1, [[3, -4, 1], [4, 3, 0], [0, 0, 0]]);
  // v₁ = 0.5·0 − 0.1·[3, −4, 1] = [−0.3, 0.4, −0.1];  W₁ = [1 − 0.3, −2 + 0.4, 0.5 − 0.1] = [0.7, −1.6, 0.4]
  assertAllClose(w1, [0.7, -1.6, 0.4], tolerance, "W1");
  // v₂ = 0.5·[−0.3, 0.4, −0.1] − 0.1·[4, 3, 0] = [−0.15 − 0.4, 0.2 − 0.3, −0.05 − 0] = [−0.55, −0.1, −0.05]
  // W₂ = [0.7 − 0.55, −1.6 − 0.1, 0.4 − 0.05] = [0.15, −1.7, 0.35]
  assertAllClose(w2, [0.15, -1.7, 0.35], tolerance, "W2");
  // v₃ = 0.5·[−0.55, −0.1, −0.05] − 0 = [−0.275, −0.05, −0.025]
  // W₃ = [0.15 − 0.275, −1.7 − 0.05, 0.35 − 0.025] = [−0.125, −1.75, 0.325]
  assertAllClose(w3, [-0.125, -1.75, 0.325], tolerance, "W3");
});

test("nesterov: v_prev ← v; v ← μv − lr·∇L; W ← W − μ·v_prev + (1 + μ)·v", () => {
  const [w1, w2] = trajectory(createOptimizer("nesterov", { mu: 0.5 }), 0.1, [[3, -4, 1], [4, 3, 0]]);
  // v_prev = 0;  v₁ = −0.1·[3, −4, 1] = [−0.3, 0.4, −0.1]
  // W₁ = W₀ − 0.5·0 + 1.5·[−0.3, 0.4, −0.1] = [1 − 0.45, −2 + 0.6, 0.5 − 0.15] = [0.55, −1.4, 0.35]
  assertAllClose(w1, [0.55, -1.4, 0.35], tolerance, "W1");
  // v_prev = [−0.3, 0.4, −0.1];  v₂ = 0.5·v_prev − 0.1·[4, 3, 0] = [−0.55, −0.1, −0.05]
  // ΔW = −0.5·[−0.3, 0.4, −0.1] + 1.5·[−0.55, −0.1, −0.05]
  //    = [0.15 − 0.825, −0.2 − 0.15, 0.05 − 0.075] = [−0.675, −0.35, −0.025]
  // W₂ = [0.55 − 0.675, −1.4 − 0.35, 0.35 − 0.025] = [−0.125, −1.75, 0.325]
  assertAllClose(w2, [-0.125, -1.75, 0.325], tolerance, "W2");
});

test("adagrad: the cache sums squared gradients; eps is added outside the square root", () => {
  // eps = 1, far above its default, so that √c + eps and √(c + eps) differ visibly.
  const [w1, w2] = trajectory(createOptimizer("adagrad", { eps: 1 }), 0.1, [[3, -4, 1], [4, 3, 0]]);
  // c₁ = [9, 16, 1];  √c₁ + 1 = [4, 5, 2]
  // W₁ = W₀ − 0.1·[3/4, −4/5, 1/2] = [1 − 0.075, −2 + 0.08, 0.5 − 0.05] = [0.925, −1.92, 0.45]
  assertAllClose(w1, [0.925, -1.92, 0.45], tolerance, "W1");
  // c₂ = [9 + 16, 16 + 9, 1 + 0] = [25, 25, 1];  √c₂ + 1 = [6, 6, 2]
  // W₂ = W₁ − 0.1·[4/6, 3/6, 0/2] = [0.925 − 1/15, −1.92 − 0.05, 0.45]
  assertAllClose(w2, [0.925 - 1 / 15, -1.97, 0.45], tolerance, "W2");
});

test("rmsprop: a leaky average of squared gradients", () => {
  // ρ = 0.75 keeps the square roots whole; eps is the table's 1e-8, below the tolerance.
  const [w1, w2] = trajectory(createOptimizer("rmsprop", { decay: 0.75 }), 0.1, [[2, -6, 4], [-1, 13, 2]]);
  // c₁ = 0.75·0 + 0.25·[4, 36, 16] = [1, 9, 4];  √c₁ = [1, 3, 2]
  // W₁ = W₀ − 0.1·[2/1, −6/3, 4/2] = [1 − 0.2, −2 + 0.2, 0.5 − 0.2] = [0.8, −1.8, 0.3]
  assertAllClose(w1, [0.8, -1.8, 0.3], tolerance, "W1");
  // c₂ = 0.75·[1, 9, 4] + 0.25·[1, 169, 4] = [0.75 + 0.25, 6.75 + 42.25, 3 + 1] = [1, 49, 4];  √c₂ = [1, 7, 2]
  // W₂ = W₁ − 0.1·[−1/1, 13/7, 2/2] = [0.8 + 0.1, −1.8 − 1.3/7, 0.3 − 0.1] = [0.9, −1.9857142…, 0.2]
  assertAllClose(w2, [0.9, -1.8 - 1.3 / 7, 0.2], tolerance, "W2");
});

test("adam: moments with bias correction, t counting from 1", () => {
  // β₁ = 0.9, β₂ = 0.999 (the table's defaults, written out here); eps = 1e-8 is below the tolerance.
  const [w1, w2] = trajectory(createOptimizer("adam", { beta1: 0.9, beta2: 0.999 }), 0.1, [[3, -4, 1], [1, -4, -1]]);
  // m₁ = 0.1·[3, −4, 1] = [0.3, −0.4, 0.1];  m̂₁ = m₁ / (1 − 0.9) = [3, −4, 1]
  // v₁ = 0.001·[9, 16, 1] = [0.009, 0.016, 0.001];  v̂₁ = v₁ / (1 − 0.999) = [9, 16, 1];  √v̂₁ = [3, 4, 1]
  // W₁ = W₀ − 0.1·[3/3, −4/4, 1/1] = [0.9, −1.9, 0.4]
  assertAllClose(w1, [0.9, -1.9, 0.4], tolerance, "W1");
  // m₂ = 0.9·[0.3, −0.4, 0.1] + 0.1·[1, −4, −1] = [0.27 + 0.1, −0.36 − 0.4, 0.09 − 0.1] = [0.37, −0.76, −0.01]
  // m̂₂ = m₂ / (1 − 0.81) = m₂ / 0.19 = [0.37/0.19, −4, −1/19]
  // v₂ = 0.999·[0.009, 0.016, 0.001] + 0.001·[1, 16, 1] = [0.009991, 0.031984, 0.001999]
  // v̂₂ = v₂ / (1 − 0.998001) = v₂ / 0.001999 = [0.009991/0.001999, 16, 1];  √v̂₂ = [√4.997999…, 4, 1]
  // W₂ = W₁ − 0.1·m̂₂/√v̂₂ = [0.9 − 0.1·(0.37/0.19)/√(0.009991/0.001999), −1.9 + 0.1, 0.4 + 0.1/19]
  const first = 0.9 - (0.1 * (0.37 / 0.19)) / Math.sqrt(0.009991 / 0.001999); // ≈ 0.812894
  assertAllClose(w2, [first, -1.8, 0.4 + 0.1 / 19], tolerance, "W2");
});

test("adam's first step moves each weight by about lr·sign(g), whatever the gradient's size", () => {
  const adam = createOptimizer("adam", {});
  const gradient = Float32Array.from([1e-3, -50, 0.2, -7e-4, 3e4]);
  const param = new Float32Array(gradient.length);
  const lr = 0.01;
  adam.step(param, gradient, adam.newState(param.length), lr, 1);
  // m̂₁ = g and √v̂₁ = |g|, so ΔW = −lr·g / (|g| + eps) ≈ −lr·sign(g) when |g| ≫ eps.
  for (let i = 0; i < gradient.length; i++) assertClose(param[i], -lr * Math.sign(gradient[i]), lr * 1e-4, `W[${i}]`);
});

test("adam rejects step number 0: its bias correction would divide by zero", () => {
  const adam = createOptimizer("adam", {});
  const param = new Float32Array(2);
  assert.throws(() => adam.step(param, new Float32Array([1, 1]), adam.newState(2), 0.1, 0), RangeError);
});

test("every rule of the table has an optimizer, and the table's numeric defaults are its settings", () => {
  for (const rule of optimizerRules) {
    const optimizer = createOptimizer(rule.name, {});
    assert.equal(optimizer.name, rule.name);
    for (const spec of rule.settings) {
      const value = Number(spec.defaultText);
      if (spec.defaultText !== undefined && Number.isFinite(value)) assert.equal(optimizer.settings[spec.name], value, `${rule.name}.${spec.name}`);
      else assert.equal(optimizer.settings[spec.name], undefined, `${rule.name}.${spec.name} has no numeric default`);
    }
  }
});

test("an optimizer built without settings steps exactly as one given the table's defaults", () => {
  const gradients = [[3, -4, 1], [4, 3, 0], [-1, 2, 5]];
  const cases: [string, Record<string, number>][] = [
    ["momentum", { mu: tableDefault("momentum", "mu") }],
    ["nesterov", { mu: tableDefault("nesterov", "mu") }],
    ["adagrad", { eps: tableDefault("adagrad", "eps") }],
    ["rmsprop", { decay: tableDefault("rmsprop", "decay"), eps: tableDefault("rmsprop", "eps") }],
    ["adam", { beta1: tableDefault("adam", "beta1"), beta2: tableDefault("adam", "beta2"), eps: tableDefault("adam", "eps") }],
  ];
  for (const [rule, explicit] of cases) {
    assert.deepEqual(trajectory(createOptimizer(rule, {}), 0.05, gradients), trajectory(createOptimizer(rule, explicit), 0.05, gradients), rule);
  }
  // And a given setting wins over the default.
  assert.notDeepEqual(
    trajectory(createOptimizer("momentum", {}), 0.05, gradients),
    trajectory(createOptimizer("momentum", { mu: 0.5 }), 0.05, gradients),
  );
});

test("each parameter keeps its own state", () => {
  const momentum = createOptimizer("momentum", { mu: 0.5 });
  const a = Float32Array.from([0, 0]);
  const b = Float32Array.from([0, 0]);
  const stateA = momentum.newState(2);
  const stateB = momentum.newState(2);
  momentum.step(a, Float32Array.from([1, 1]), stateA, 1, 1);
  momentum.step(a, Float32Array.from([1, 1]), stateA, 1, 2);
  momentum.step(b, Float32Array.from([1, 1]), stateB, 1, 1);
  // a: v = −1, then 0.5·(−1) − 1 = −1.5, so W = −2.5;  b: one step, v = −1, W = −1
  assertAllClose(a, [-2.5, -2.5], tolerance, "a");
  assertAllClose(b, [-1, -1], tolerance, "b");
  assert.equal(createOptimizer("sgd", {}).newState(5).first.length, 0, "sgd keeps no state");
});

test("unknown rules and mismatched sizes are refused", () => {
  assert.throws(() => createOptimizer("lbfgs", {}), /unknown optimizer rule 'lbfgs'/);
  const sgd = createOptimizer("sgd", {});
  assert.throws(() => sgd.step(new Float32Array(3), new Float32Array(2), sgd.newState(3), 0.1, 1), RangeError);
});
