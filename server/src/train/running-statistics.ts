// The running averages of a run's batch statistics (batch_mean, batch_var;
// engine/batch-statistics.ts), by statistic: after each training step each
// moves towards the batch's value, r ← momentum · r + (1 − momentum) · batch,
// starting from the first batch's; evaluation and test read them.
import type { Graph } from "../engine/ir";

export interface RunningStatistics {
  /** Where a training step's executor leaves the batch's values; emptied by update. */
  readonly observed: Map<string, Float32Array>;
  /** The averages, by statistic (live: copy what you keep). */
  readonly running: Map<string, Float32Array>;
  /** Folds the observed batch values into the averages. */
  update(): void;
  snapshot(): Map<string, Float32Array>;
}

/** Running averages for the statistics a loss reads, or undefined when it reads none (no work per step then). */
export function createRunningStatistics(graph: Graph, momentum: number): RunningStatistics | undefined {
  if (!graph.nodes.some((node) => node.op === "batchmean" || node.op === "batchvar")) return undefined;
  const observed = new Map<string, Float32Array>();
  const running = new Map<string, Float32Array>();
  return {
    observed,
    running,
    update: () => {
      for (const [name, batch] of observed) {
        const average = running.get(name);
        if (!average || average.length !== batch.length) running.set(name, Float32Array.from(batch));
        else for (let j = 0; j < batch.length; j++) average[j] = momentum * average[j] + (1 - momentum) * batch[j];
      }
      observed.clear();
    },
    snapshot: () => new Map([...running].map(([name, value]) => [name, value.slice()])),
  };
}
