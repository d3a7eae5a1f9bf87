// `optim search`: the file's `search` declarations (or the one --search
// names), each a set of short runs over hypers and optimizer settings,
// printed best first and saved under runs/. A file without searches runs its
// runs that search for weights (`by random_search`), as `optim train` would.
import { dirname, join } from "node:path";
import { analyze } from "../analysis/analyze";
import { formatNumber } from "../engine/gradcheck";
import { numberText } from "../language/number-text";
import { describeBackend } from "../train/executors";
import { saveSearch } from "../train/experiments";
import type { SearchResult, TrialResult } from "../train/search";
import { runSearch } from "../worker/run-search";
import { errorLine, errorLines } from "./error-line";
import type { CliOutput } from "./main";
import { readWithOverrides } from "./read-source";
import { trainFile, type TrainOptions } from "./train";

export interface SearchOptions extends Omit<TrainOptions, "kind"> {
  /** Only the search of this name. */
  search?: string;
}

export async function searchFile(file: string, options: SearchOptions, output: CliOutput): Promise<number> {
  if (options.run !== undefined || options.resume !== undefined) return trainFile(file, { ...options, kind: "search" }, output);
  const read = await readWithOverrides(file, options.set ?? [], output);
  if (!read.ok) return read.code;
  const text = read.text;
  const searches = analyze(text).document.declarations.filter((declaration) => declaration.kind === "search" && (options.search === undefined || declaration.name.text === options.search));
  if (searches.length === 0) {
    if (options.search === undefined) return trainFile(file, { ...options, kind: "search" }, output);
    output.stderr(errorLine(file, undefined, 0, `no search named ${options.search}`));
    return 1;
  }
  const reports: object[] = [];
  let failed = 0;
  let backendShown = false;
  for (const declaration of searches) {
    const name = declaration.name.text;
    const outcome = await runSearch(
      { text, baseDirectory: dirname(file), search: name, seed: options.seed, backend: options.backend, wasmDirectory: options.wasmDirectory, trialWorkerPath: join(options.wasmDirectory, "trial-worker.js") },
      ({ trial, done, total }) => {
        if (!options.json) output.stdout(`  trial ${String(done).padStart(String(total).length)}/${total}  ${valuesText(trial.values)}  ${trialFigures(trial)}\n`);
      },
      () => false,
    );
    if (!outcome.ok) {
      output.stderr(outcome.errors ? errorLines(file, text, outcome.errors) : errorLine(file, text, outcome.span?.start ?? declaration.name.span.start, `search ${name}: ${outcome.message}`));
      failed++;
      continue;
    }
    const { result } = outcome;
    const folder = saveSearch(join(dirname(file), "runs"), name, { ...result, backend: outcome.backend, ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    reports.push({ name, folder, ...result });
    if (!options.json) {
      if (!backendShown) output.stdout(`backend: ${describeBackend(outcome.backend)}\n`);
      backendShown = true;
      output.stdout(formatSearch(result));
      output.stdout(`  saved in ${folder}\n`);
    }
    if (result.trials.every((trial) => trial.status === "failed")) failed++;
  }
  if (options.json) output.stdout(JSON.stringify({ version: 1, file, searches: reports }, null, 2) + "\n");
  return failed > 0 ? 1 : 0;
}

function valuesText(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name} ${numberText(value)}`)
    .join(", ");
}

function trialFigures(trial: TrialResult): string {
  if (trial.status === "failed") return `failed: ${trial.message ?? ""}`;
  const accuracy = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(4));
  return `eval accuracy ${accuracy(trial.evalAccuracy)}${trial.testAccuracy === undefined ? "" : `, test accuracy ${accuracy(trial.testAccuracy)}`}${trial.status === "finished" ? "" : ` (${trial.status})`}, ${trial.seconds.toFixed(1)} s`;
}

/** The trials best first as a table, and the best trial's values. */
export function formatSearch(result: SearchResult): string {
  const names = result.axes.map((axis) => axis.name);
  const cell = (value: number | undefined, digits = 4) => (value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits));
  const header = ["rank", ...names, "eval acc", "eval loss", "test acc", "test loss", "status"];
  const rows = result.trials.map((trial, rank) => [String(rank + 1), ...names.map((name) => numberText(trial.values[name])), cell(trial.evalAccuracy), trial.evalLoss === undefined ? "-" : formatNumber(trial.evalLoss), cell(trial.testAccuracy), trial.testLoss === undefined ? "-" : formatNumber(trial.testLoss), trial.status]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const lines = [header, ...rows].map((row) => "  " + row.map((text, i) => text.padEnd(widths[i])).join("  ").trimEnd());
  const best = result.trials[0];
  // Without a score there is no accuracy: the trials rank by their evaluation loss.
  const figures = (trial: TrialResult) => (trial.evalAccuracy !== undefined ? `eval accuracy ${cell(trial.evalAccuracy)}${trial.testAccuracy === undefined ? "" : `, test accuracy ${cell(trial.testAccuracy)}`}` : `eval loss ${formatNumber(trial.evalLoss as number)}${trial.testLoss === undefined ? "" : `, test loss ${formatNumber(trial.testLoss)}`}`);
  const verdict = best && best.status !== "failed" && best.evalLoss !== undefined ? `  best: ${valuesText(best.values)} (${figures(best)})` : "  no trial finished with an evaluation";
  const head = `search ${result.search} (${result.method}, ${result.trials.length} of ${result.planned} trials, ${result.parallel} at a time, ${result.seconds.toFixed(1)} s${result.cancelled ? ", cancelled" : ""}): each trial ${result.description}`;
  return [head, ...lines, verdict].join("\n") + "\n";
}
