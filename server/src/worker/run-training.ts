// One training job in the worker: prepare the document, plan the named run,
// train on the chosen executor, save the run's folder, and stream the curve.
import { numberText } from "../language/number-text";
import { join } from "node:path";
import { analyze } from "../analysis/analyze";
import { loadRuntime } from "../train/executors";
import { formatNumber } from "../engine/gradcheck";
import { runLandscape, runSweep, saveLandscape, saveSearch, saveSweep } from "../train/experiments";
import type { TrialProgress } from "../train/search";
import { planRun, type RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { savedInputs, trainAndSave } from "../train/saved-run";
import type { CurvePoint } from "../train/trainer";
import { dataLoader } from "./load-examples";
import { runSearch } from "./run-search";
import { TimeBudget } from "./budget";
import type { TrainJob, TrainOutcome } from "./messages";

export async function runTraining(job: TrainJob, wasmDirectory: string, onPoint: (point: CurvePoint) => void, cancelledByUser: () => boolean, onTrial: (progress: TrialProgress) => void = () => undefined): Promise<TrainOutcome> {
  const failed = (message: string): TrainOutcome => ({ run: job.run, status: "failed", message });
  // The time budget stops a run the way cancelling does, so what it learned so far is kept and saved.
  const budget = new TimeBudget(job.timeBudgetMs, cancelledByUser);
  const outcome = await trainJob(job, wasmDirectory, onPoint, budget, failed, onTrial);
  if (outcome.status !== "cancelled" || !budget.ranOut) return outcome;
  // A run's own message (it has steps) says it stopped at the budget; a sweep's or landscape's says what it found.
  const message = outcome.steps !== undefined ? outcome.message : `${job.run} stopped at its time budget of ${budget.text}: ${outcome.message}`;
  return { ...outcome, message: `${message}; raise the limit to let it go on longer` };
}

async function trainJob(job: TrainJob, wasmDirectory: string, onPoint: (point: CurvePoint) => void, budget: TimeBudget, failed: (message: string) => TrainOutcome, onTrial: (progress: TrialProgress) => void): Promise<TrainOutcome> {
  const cancelled = budget.stop;
  if (analyze(job.text).document.declarations.some((declaration) => declaration.kind === "search" && declaration.name.text === job.run)) return searchJob(job, wasmDirectory, cancelled, onTrial);
  const prepared = await prepareRuns(job.text, dataLoader({ baseDirectory: job.baseDirectory, maxDataBytes: job.maxDataBytes }), { maxTensorEntries: job.maxTensorEntries });
  if (!prepared.ok) return failed(prepared.message);
  const run = prepared.analysis.document.declarations.find((declaration): declaration is RunDeclaration => (declaration.kind === "run" || declaration.kind === "sweep" || declaration.kind === "landscape") && declaration.name.text === job.run);
  if (!run) return failed(`there is no run, sweep or landscape named ${job.run}`);
  const runtime = await loadRuntime(job.backend, wasmDirectory);
  if (run.kind === "sweep") {
    const done = runSweep(runtime, prepared.analysis, run, prepared.data, job.seed, cancelled);
    if (!done.ok) return failed(done.message);
    const folder = saveSweep(job.runsFolder, job.run, done.result);
    const message = done.result.suggestion ? `${job.run}: suggested step size ${done.result.suggestion.lr.toPrecision(2)}, because ${done.result.suggestion.reason}` : `${job.run}: no step size lowered the loss`;
    return { run: job.run, status: done.result.cancelled ? "cancelled" : "finished", message, folder, backend: runtime.backend, sweep: done.result };
  }
  if (run.kind === "landscape") {
    const done = runLandscape(runtime, prepared.analysis, run, prepared.data, job.seed, cancelled);
    if (!done.ok) return failed(done.message);
    const folder = saveLandscape(job.runsFolder, job.run, done.result);
    const message = `${job.run}: loss ${formatNumber(done.result.center)} at the start, from ${formatNumber(done.result.min)} to ${formatNumber(done.result.max)} over ${done.result.losses.length} points`;
    return { run: job.run, status: done.result.cancelled ? "cancelled" : "finished", message, folder, backend: runtime.backend, landscape: done.result };
  }
  // A resumed run goes on in its own folder with the seed it was run with.
  const inputs = savedInputs(job.baseDirectory, job.resume);
  if (!inputs.ok) return failed(inputs.message);
  const previous = inputs.value.previous;
  if (previous && previous.run !== job.run) return failed(`${job.resume} holds a run of ${previous.run}, not ${job.run}`);
  if (previous && job.seed !== undefined && job.seed !== previous.seed) return failed(`the saved run used seed ${previous.seed}; going on with seed ${job.seed} would not continue it`);
  const planned = planRun(prepared.analysis, run, prepared.data, job.seed ?? previous?.seed, inputs.value.saved);
  if (!planned.ok) return failed(planned.message);
  const request = { runsFolder: job.runsFolder, run: job.run, file: job.uri, text: job.text, description: planned.description, seed: planned.seed, resumeFolder: job.resume, previous };
  const { result, folder } = trainAndSave(runtime, planned.spec, request, { cancelled, onPoint });
  const final = result.final;
  const accuracy = final.evalAccuracy ?? final.trainAccuracy;
  const message =
    result.status === "diverged"
      ? `${job.run} diverged at step ${result.divergence?.step}: the loss reached ${formatNumber(result.divergence?.loss ?? NaN)} (best ${formatNumber(result.divergence?.best ?? NaN)}); the step size is probably too large`
      : `${job.run} ${result.status === "cancelled" && budget.ranOut ? `stopped at its time budget of ${budget.text}` : result.earlyStop ? `stopped early (patience ${result.earlyStop.patience})` : result.status} after ${result.steps} steps: train loss ${formatNumber(final.trainLoss)}${accuracy === undefined ? "" : `, ${final.evalAccuracy !== undefined ? "eval" : "train"} accuracy ${accuracy.toFixed(4)}`}${final.testAccuracy === undefined ? "" : `, test accuracy ${final.testAccuracy.toFixed(4)}`} (${result.reported.weights} weights, step ${result.reported.step})`;
  return { run: job.run, status: result.status, message, folder, backend: runtime.backend, description: planned.description, steps: result.steps, final: { ...final }, divergence: result.divergence, reported: result.reported, earlyStop: result.earlyStop };
}

/** A search: its trials on trial threads beside this worker, saved as sweeps are. */
async function searchJob(job: TrainJob, wasmDirectory: string, cancelled: () => boolean, onTrial: (progress: TrialProgress) => void): Promise<TrainOutcome> {
  const input = { text: job.text, baseDirectory: job.baseDirectory, maxDataBytes: job.maxDataBytes, maxTensorEntries: job.maxTensorEntries, search: job.run, seed: job.seed, backend: job.backend, wasmDirectory, trialWorkerPath: join(wasmDirectory, "trial-worker.js"), heapMegabytes: job.trialHeapMegabytes };
  const outcome = await runSearch(input, onTrial, cancelled);
  if (!outcome.ok) return { run: job.run, status: "failed", message: outcome.message };
  const { result } = outcome;
  const folder = saveSearch(job.runsFolder, job.run, { ...result, backend: outcome.backend });
  const best = result.trials[0];
  const values = best ? Object.entries(best.values).map(([name, value]) => `${name} ${numberText(value)}`).join(", ") : "";
  const figures = best?.evalAccuracy !== undefined ? `eval accuracy ${best.evalAccuracy.toFixed(4)}${best.testAccuracy === undefined ? "" : `, test accuracy ${best.testAccuracy.toFixed(4)}`}` : `eval loss ${formatNumber(best?.evalLoss ?? NaN)}`;
  const message = best && best.status !== "failed" && best.evalLoss !== undefined ? `${job.run}: best of ${result.trials.length} trials ${values}, ${figures}` : `${job.run}: no trial finished with an evaluation`;
  return { run: job.run, status: result.cancelled ? "cancelled" : "finished", message, folder, backend: outcome.backend, search: result };
}
