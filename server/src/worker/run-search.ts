// A whole search from a document's text: its data read, its trials drawn,
// run two at a time on trial threads where the kernels train (one at a time
// in this thread otherwise, or where the trial threads' bundle is not
// there), ranked and described. Shared by the CLI and the training worker.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Finding } from "../analysis/diagnostic";
import type { Span } from "../syntax/ast";
import { loadRuntime, type BackendName, type BackendPreference } from "../train/executors";
import { planRun, readSettings } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { searchTrials } from "../train/search-space";
import { rankTrials } from "../train/rank-trials";
import { axesOf, runTrial, searchDeclaration, type SearchResult, type TrialProgress, type TrialResult } from "../train/search";
import { dataLoader } from "./load-examples";
import { runTrialsInThreads } from "./trial-pool";

export interface SearchInput {
  text: string;
  baseDirectory: string;
  maxDataBytes?: number;
  maxTensorEntries?: number;
  search: string;
  seed?: number;
  backend: BackendPreference;
  wasmDirectory: string;
  /** The trial threads' bundle; without it the trials run one at a time here. */
  trialWorkerPath?: string;
  /** Each trial thread's heap cap, in megabytes. */
  heapMegabytes?: number;
}

export type SearchOutcome = { ok: true; result: SearchResult; backend: BackendName } | { ok: false; message: string; span?: Span; errors?: Finding[] };

/** The most trials run at once: one per core, on two cores. */
const maxParallel = 2;

export async function runSearch(input: SearchInput, onTrial: (progress: TrialProgress) => void, cancelled: () => boolean): Promise<SearchOutcome> {
  const started = Date.now();
  const prepared = await prepareRuns(input.text, dataLoader({ baseDirectory: input.baseDirectory, maxDataBytes: input.maxDataBytes }), { maxTensorEntries: input.maxTensorEntries });
  if (!prepared.ok) return prepared;
  const declaration = searchDeclaration(prepared.analysis.document.declarations, input.search);
  if (!declaration) return { ok: false, message: `there is no search named ${input.search}` };
  const space = prepared.analysis.model.facts.get(declaration)?.search;
  if (!space) return { ok: false, message: `search ${input.search} has nothing to search`, span: declaration.name.span };
  // The trials' plan, as the file has it: its description, and that it can be planned at all.
  const planned = planRun(prepared.analysis, declaration, prepared.data, input.seed);
  if (!planned.ok) return planned;
  const seed = input.seed ?? readSettings(prepared.analysis, declaration).numbers.seed ?? 0;
  const trials = searchTrials(space, seed);
  const axes = axesOf(space);
  const runtime = await loadRuntime(input.backend, input.wasmDirectory);
  const threads = Math.min(maxParallel, availableParallelism(), trials.length);
  const parallel = runtime.backend === "kernels" && threads > 1 && input.trialWorkerPath !== undefined && existsSync(input.trialWorkerPath);
  const results: TrialResult[] = [];
  const record = (result: TrialResult) => {
    results.push(result);
    onTrial({ trial: result, done: results.length, total: trials.length, axes });
  };
  if (parallel) {
    const { text, baseDirectory, maxDataBytes, maxTensorEntries, search, backend, wasmDirectory } = input;
    await runTrialsInThreads(trials, { text, baseDirectory, maxDataBytes, maxTensorEntries, search, seed: input.seed, backend, wasmDirectory }, { workerPath: input.trialWorkerPath as string, threads, heapMegabytes: input.heapMegabytes }, record, cancelled);
  } else {
    for (const trial of trials) {
      if (cancelled()) break;
      record(runTrial(runtime, { ...prepared, text: input.text, maxTensorEntries: input.maxTensorEntries }, input.search, trial, input.seed, cancelled));
    }
  }
  const wasCancelled = cancelled() || results.some((result) => result.status === "cancelled");
  return {
    ok: true,
    backend: runtime.backend,
    result: {
      search: input.search,
      method: space.method,
      axes,
      trials: rankTrials(results),
      planned: trials.length,
      parallel: parallel ? threads : 1,
      seconds: (Date.now() - started) / 1000,
      cancelled: wasCancelled,
      // A trial's step size is its own, not the file's.
      description: planned.description.replace(/ by (\w+), lr [^,]+,/, " by $1,"),
    },
  };
}
