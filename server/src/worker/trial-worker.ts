// A trial thread of a search: reads the document's data once, then runs the
// trials it is handed one at a time on its own executor (the kernels on one
// thread: the search runs a trial on each core instead), and posts each
// result. Started by trial-pool.ts.
import { parentPort, workerData } from "node:worker_threads";
import { loadRuntime } from "../train/executors";
import { prepareRuns } from "../train/prepare";
import type { Trial } from "../train/search-space";
import { runTrial } from "../train/search";
import { dataLoader } from "./load-examples";
import type { TrialThreadData, FromTrialThread } from "./trial-pool";

const port = parentPort;
if (!port) throw new Error("a trial thread must run in a worker thread");
const setup = workerData as TrialThreadData;
const cancelled = () => Atomics.load(setup.cancelFlag, 0) === 1;

const ready = (async () => {
  const prepared = await prepareRuns(setup.text, dataLoader({ baseDirectory: setup.baseDirectory, maxDataBytes: setup.maxDataBytes }), { maxTensorEntries: setup.maxTensorEntries });
  const runtime = await loadRuntime(setup.backend, setup.wasmDirectory);
  return { prepared, runtime };
})();

port.on("message", (trial: Trial) => {
  void ready.then(({ prepared, runtime }) => {
    const result = prepared.ok
      ? runTrial(runtime, { ...prepared, text: setup.text, maxTensorEntries: setup.maxTensorEntries }, setup.search, trial, setup.seed, cancelled)
      : { index: trial.index, values: trial.values, status: "failed" as const, message: prepared.message, steps: 0, seconds: 0 };
    port.postMessage({ type: "trial", result } satisfies FromTrialThread);
  });
});
