// A search's trials: each a short run of the search declaration itself (its
// loss, split, optimizer, length, evaluation and seed) on the document with
// the trial's values given by `--set`'s edits, analysed again so a trial's
// value is checked like the file's. The trials are ranked by their best
// evaluation accuracy. Shared by the CLI, the training worker and the trial
// threads (worker/trial-pool.ts).
import { analyze } from "../analysis/analyze";
import type { SearchSpace } from "../analysis/model";
import type { Declaration } from "../syntax/ast";
import { applyOverrides } from "../analysis/overrides";
import type { TrainingRuntime } from "./executors";
import { planRun, type RunDeclaration } from "./plan-run";
import type { Prepared } from "./prepare";
import { trialSets, type Trial } from "./search-space";
import { train } from "./trainer";

export interface TrialResult {
  index: number;
  values: Record<string, number>;
  status: "finished" | "cancelled" | "diverged" | "failed";
  /** Why a trial failed. */
  message?: string;
  steps: number;
  /** The figures of the trial's best evaluation's weights. */
  evalAccuracy?: number;
  evalLoss?: number;
  testAccuracy?: number;
  testLoss?: number;
  trainLoss?: number;
  /** The step the figures' weights are from. */
  reportedStep?: number;
  seconds: number;
}

/** A searched setting as the result describes it, for tables and plots. */
export interface SearchedAxis {
  name: string;
  scale: "log" | "linear" | "list";
  from?: number;
  to?: number;
}

export interface SearchResult {
  search: string;
  method: "random" | "grid";
  axes: SearchedAxis[];
  /** Every trial run, best first. */
  trials: TrialResult[];
  /** How many trials the search planned. */
  planned: number;
  /** Trials run at once. */
  parallel: number;
  seconds: number;
  cancelled: boolean;
  /** The trials' run, in words. */
  description: string;
}

/** A trial that finished, with how many have, of how many, and what the search varies. */
export interface TrialProgress {
  trial: TrialResult;
  done: number;
  total: number;
  axes: SearchedAxis[];
}

/** The document and its data, ready for trials: what `prepareRuns` gives. */
export type PreparedSearch = Extract<Prepared, { ok: true }> & { text: string; maxTensorEntries?: number };

export function axesOf(space: SearchSpace): SearchedAxis[] {
  return space.dimensions.map((dimension) => (dimension.range ? { name: dimension.name, scale: dimension.range.scale, from: dimension.range.from, to: dimension.range.to } : { name: dimension.name, scale: "list" }));
}


/** The search declaration named `search` in an analysis. */
export function searchDeclaration(declarations: readonly Declaration[], search: string): RunDeclaration | undefined {
  return declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "search" && declaration.name.text === search);
}

/** Runs one trial on `runtime`; never throws for what a user wrote. */
export function runTrial(runtime: TrainingRuntime, prepared: PreparedSearch, search: string, trial: Trial, seed: number | undefined, cancelled: () => boolean): TrialResult {
  const started = Date.now();
  const failed = (message: string): TrialResult => ({ index: trial.index, values: trial.values, status: "failed", message, steps: 0, seconds: (Date.now() - started) / 1000 });
  const overridden = applyOverrides(prepared.text, trialSets(trial));
  if (!overridden.ok) return failed(overridden.message);
  const analysis = analyze(overridden.text, { dataFacts: prepared.dataFacts, maxTensorEntries: prepared.maxTensorEntries });
  const error = analysis.findings.find((finding) => finding.severity === "error");
  if (error) return failed(error.message);
  const declaration = searchDeclaration(analysis.document.declarations, search);
  if (!declaration) return failed(`there is no search named ${search}`);
  const planned = planRun(analysis, declaration, prepared.data, seed);
  if (!planned.ok) return failed(planned.message);
  const result = train(runtime, planned.spec, { onPoint: () => undefined, cancelled });
  const final = result.final;
  return {
    index: trial.index,
    values: trial.values,
    status: result.status,
    steps: result.steps,
    evalAccuracy: final.evalAccuracy,
    evalLoss: final.evalLoss,
    testAccuracy: final.testAccuracy,
    testLoss: final.testLoss,
    trainLoss: final.trainLoss,
    reportedStep: result.reported.step,
    seconds: (Date.now() - started) / 1000,
  };
}
