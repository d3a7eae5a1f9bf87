// The compute worker: runs gradient checks (and, later, training) off the
// language server's thread. One job at a time; a job polls its cancellation
// flag between evaluations.
import { parentPort, workerData } from "node:worker_threads";
import { loadRuntime } from "../train/executors";
import { dataLoader } from "./load-examples";
import { analyze } from "../analysis/analyze";
import { previewData } from "./preview-data";
import type { DataDeclaration } from "./run-check";
import { runTraining } from "./run-training";
import type { FromWorker, ToWorker } from "./messages";
import { runCheck } from "./run-check";

const cancelFlags = (workerData as { cancelFlags: Int32Array }).cancelFlags;
import type { CurvePoint } from "../train/trainer";

const port = parentPort;
if (!port) throw new Error("the compute worker must run in a worker thread");

let queue = Promise.resolve();

port.on("message", (job: ToWorker) => {
  queue = queue.then(async () => {
    if (job.type === "train") {
      const cancelled = () => Atomics.load(cancelFlags, job.slot) === 1;
      let lastPost = 0;
      let points: CurvePoint[] = [];
      const post = () => {
        if (points.length > 0) port.postMessage({ type: "trainProgress", id: job.id, points } satisfies FromWorker);
        points = [];
        lastPost = Date.now();
      };
      try {
        const outcome = await runTraining(job, __dirname, (point) => {
          // Every point reaches the panels, in batches: at each evaluation and otherwise every 50 ms.
          points.push(point);
          if (point.evalLoss !== undefined || Date.now() - lastPost >= 50) post();
        }, cancelled, (progress) => port.postMessage({ type: "trialProgress", id: job.id, progress } satisfies FromWorker));
        post();
        port.postMessage({ type: "trained", id: job.id, outcome } satisfies FromWorker);
      } catch (failure) {
        port.postMessage({ type: "trained", id: job.id, outcome: { run: job.run, status: "failed", message: `the run failed: ${failure instanceof Error ? failure.message : String(failure)}` } } satisfies FromWorker);
      }
      return;
    }
    if (job.type === "preview") {
      const declaration = analyze(job.text).document.declarations.find((candidate): candidate is DataDeclaration => candidate.kind === "data" && candidate.name.text === job.name);
      const result = declaration ? await previewData(declaration, dataLoader({ baseDirectory: job.baseDirectory, maxDataBytes: job.maxDataBytes }), dataLoader({ baseDirectory: job.baseDirectory, maxDataBytes: job.maxDataBytes, asStored: true })) : { name: job.name, problem: `there is no data set named ${job.name}`, splits: [] };
      port.postMessage({ type: "preview", id: job.id, result } satisfies FromWorker);
      return;
    }
    if (job.type === "backend") {
      // The .wasm files are copied beside the bundles.
      const runtime = await loadRuntime(job.preference, __dirname);
      port.postMessage({ type: "backend", id: job.id, backend: runtime.backend, notes: runtime.notes } satisfies FromWorker);
      return;
    }
    const cancelled = () => Atomics.load(cancelFlags, job.slot) === 1;
    if (cancelled()) {
      port.postMessage({ type: "result", id: job.id, findings: [], report: { grads: [], autodiff: [], chance: [], problems: [], examples: 0, cancelled: true } } satisfies FromWorker);
      return;
    }
    let lastProgress = 0;
    const startedAt = performance.now();
    try {
      const outcome = await runCheck(job.text, job.settings, dataLoader({ baseDirectory: job.baseDirectory, maxDataBytes: job.maxDataBytes }), {
        cancelled,
        progress: job.withProgress
          ? (done, total) => {
              const now = Date.now();
              if (now - lastProgress < 100 && done < total) return;
              lastProgress = now;
              port.postMessage({ type: "progress", id: job.id, done, total } satisfies FromWorker);
            }
          : undefined,
      });
      port.postMessage({ type: "result", id: job.id, findings: outcome.findings, report: outcome.report, note: outcome.note, data: outcome.data, facts: outcome.facts, durationMs: performance.now() - startedAt } satisfies FromWorker);
    } catch (failure) {
      port.postMessage({ type: "failed", id: job.id, message: `the check failed: ${failure instanceof Error ? failure.message : String(failure)}` } satisfies FromWorker);
    }
  });
});
