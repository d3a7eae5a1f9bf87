// The losses a run's first steps take in float64 on the reference executor
// (engine/reference.ts), on the batches the trainer samples, with its dropout
// masks and batch statistics, and with the trainer's own update rules and
// schedules: what an exported script run in float64 must reproduce.
import { createBatchSampler } from "../../../server/src/data/batches";
import { evaluate, gradients } from "../../../server/src/engine/reference";
import type { Tensor } from "../../../server/src/engine/tensor";
import { createOptimizer, type OptimizerState } from "../../../server/src/train/optimizers";
import { stepSize } from "../../../server/src/train/schedules";
import { batchSamplerSeed, dropoutSeed, type TrainSpec } from "../../../server/src/train/trainer";

export function referenceLosses(spec: TrainSpec, steps: number): number[] {
  const strategy = spec.strategy;
  if (strategy.kind !== "gradient") throw new Error("only gradient runs step an optimizer");
  const optimizer = createOptimizer(strategy.rule, strategy.settings);
  const { n, d } = spec.train;
  const params = new Map<string, Tensor>([...spec.params].map(([name, value]) => [name, { shape: spec.shapes.get(name) as number[], data: Float64Array.from(value) }]));
  // The rules are loops over array entries: given float64 arrays, they update in float64.
  const states = new Map<string, OptimizerState>([...params].map(([name, value]) => [name, { first: new Float64Array(value.data.length), second: new Float64Array(value.data.length) } as unknown as OptimizerState]));
  const batch = Math.min(strategy.batch ?? n, n);
  const sampler = batch < n ? createBatchSampler(n, batchSamplerSeed(spec)) : undefined;
  if (sampler && !sampler.ok) throw new Error(sampler.error.message);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const rows = sampler?.ok ? sampler.value.nextBatch(batch) : Int32Array.from({ length: n }, (_, i) => i);
    const X: Tensor = { shape: [rows.length, d], data: new Float64Array(rows.length * d) };
    const y: Tensor = { shape: [rows.length], data: new Float64Array(rows.length) };
    rows.forEach((row, i) => {
      X.data.set(spec.train.X.subarray(row * d, (row + 1) * d), i * d);
      y.data[i] = spec.train.y[row];
    });
    // Dropout's masks of this step, and the batch's own statistics (no running averages), as a training step has them.
    const values = evaluate(spec.loss, { X, y, params, dropout: { seed: dropoutSeed(spec), step } });
    losses.push(values[spec.loss.output].data[0]);
    const grads = gradients(spec.loss, values);
    const lr = stepSize(strategy.schedule, strategy.lr, step, spec.steps);
    for (const [name, value] of params) {
      // A param the loss does not read has a zero gradient, as in the trainer's store.
      const grad = grads.get(name)?.data ?? new Float64Array(value.data.length);
      optimizer.step(value.data as unknown as Float32Array, grad as unknown as Float32Array, states.get(name) as OptimizerState, lr, step + 1);
    }
  }
  return losses;
}
