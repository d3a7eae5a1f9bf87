// A search's trials on several threads at once (trial-worker.ts), each with
// its own executor and its own copy of the data: on two cores, two trials at
// once on the kernels' one-thread products finish sooner than one trial at a
// time on their two-thread products (docs/performance.md). Each thread is
// handed the next trial when it finishes one; a thread that dies fails its
// trial and the others go on with the rest.
import { Worker } from "node:worker_threads";
import type { Trial } from "../train/search-space";
import type { TrialResult } from "../train/search";
import type { SearchInput } from "./run-search";

/** What each trial thread starts with: the search's own input, without what only the search's thread uses. */
export type TrialThreadData = Omit<SearchInput, "trialWorkerPath" | "heapMegabytes"> & {
  /** Set to 1 to cancel: the trials under way stop as a cancelled run does. */
  cancelFlag: Int32Array;
};

export type FromTrialThread = { type: "trial"; result: TrialResult };

export interface TrialPoolOptions {
  /** The trial thread's bundle. */
  workerPath: string;
  threads: number;
  /** Each thread's heap cap, in megabytes. */
  heapMegabytes?: number;
}

/** Runs `trials` on `options.threads` threads; `onTrial` as each finishes, in the order they finish. */
export function runTrialsInThreads(trials: readonly Trial[], data: Omit<TrialThreadData, "cancelFlag">, options: TrialPoolOptions, onTrial: (result: TrialResult) => void, cancelled: () => boolean): Promise<TrialResult[]> {
  const cancelFlag = new Int32Array(new SharedArrayBuffer(4));
  const queue = [...trials];
  const results: TrialResult[] = [];
  return new Promise((resolve) => {
    let running = 0;
    const poll = setInterval(() => {
      if (cancelled()) Atomics.store(cancelFlag, 0, 1);
    }, 50);
    const finish = () => {
      if (running > 0) return;
      clearInterval(poll);
      resolve(results);
    };
    const record = (result: TrialResult) => {
      results.push(result);
      onTrial(result);
    };
    const start = () => {
      running++;
      // One thread per core: the kernels' products stay on the trial's own thread.
      const worker = new Worker(options.workerPath, { workerData: { ...data, cancelFlag } satisfies TrialThreadData, env: { ...process.env, OPTIM_KERNEL_THREADS: "1" }, ...(options.heapMegabytes ? { resourceLimits: { maxOldGenerationSizeMb: options.heapMegabytes } } : {}) });
      let current: Trial | undefined;
      const next = () => {
        current = Atomics.load(cancelFlag, 0) === 1 ? undefined : queue.shift();
        if (current) worker.postMessage(current);
        else void worker.terminate();
      };
      worker.on("message", (message: FromTrialThread) => {
        if (message.type === "trial") record(message.result);
        next();
      });
      worker.on("error", (error) => {
        if (current) record({ index: current.index, values: current.values, status: "failed", message: `its thread failed: ${error.message}`, steps: 0, seconds: 0 });
        current = undefined;
      });
      worker.on("exit", () => {
        running--;
        // A thread that died leaves its queue to the others; the last one standing fails what is left.
        if (running === 0) for (const trial of queue.splice(0)) if (Atomics.load(cancelFlag, 0) !== 1) record({ index: trial.index, values: trial.values, status: "failed", message: "no trial thread was left to run it", steps: 0, seconds: 0 });
        finish();
      });
      next();
    };
    const threads = Math.max(1, Math.min(options.threads, queue.length));
    if (queue.length === 0) return finish();
    for (let i = 0; i < threads; i++) start();
  });
}
