// `optim train` and `optim search`: run the file's `run` declarations from the
// command line, with the same engine as the editor, saving each under runs/
// (or going on with a saved one, `--resume`).
import { basename, dirname, join } from "node:path";
import { analyze } from "../analysis/analyze";
import { formatNumber } from "../engine/gradcheck";
import { describeBackend, loadRuntime, type BackendPreference } from "../train/executors";
import { planRun, type RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { savedInputs, trainAndSave } from "../train/saved-run";
import { specHash } from "../train/run-store";
import type { TrainResult } from "../train/trainer";
import { strategiesByName } from "../language/settings";
import { dataLoader } from "../worker/load-examples";
import type { CliOutput } from "./main";
import { errorLine, errorLines } from "./error-line";
import { readWithOverrides } from "./read-source";
import { formatConfusion } from "./learned";

export interface TrainOptions {
  kind: "train" | "search";
  run?: string;
  seed?: number;
  json: boolean;
  backend: BackendPreference;
  /** The .wasm files' folder (beside the bundle). */
  wasmDirectory: string;
  /** `--set NAME=VALUE`s. */
  set?: string[];
  /** A saved run's folder to go on with. */
  resume?: string;
}

function isSearch(run: RunDeclaration): boolean {
  const by = run.block.settings.find((setting) => setting.key.text === "by")?.value;
  const name = by?.kind === "call" ? by.callee.text : by?.kind === "name" ? by.name : "";
  return strategiesByName.has(name);
}

export async function trainFile(file: string, options: TrainOptions, output: CliOutput): Promise<number> {
  const read = await readWithOverrides(file, options.set ?? [], output);
  if (!read.ok) return read.code;
  const text = read.text;
  // A resumed run is the one its folder saved, with the seed it was run with.
  const inputs = savedInputs(dirname(file), options.resume);
  if (!inputs.ok) {
    output.stderr(`optim: --resume: ${inputs.message}\n`);
    return 1;
  }
  const previous = inputs.value.previous;
  const only = options.run ?? previous?.run;
  if (previous && options.run && options.run !== previous.run) {
    output.stderr(`optim: --resume: ${options.resume} holds a run of ${previous.run}, not ${options.run}\n`);
    return 2;
  }
  if (previous && options.seed !== undefined && options.seed !== previous.seed) {
    output.stderr(`optim: --resume: the saved run used seed ${previous.seed}; going on with seed ${options.seed} would not continue it\n`);
    return 2;
  }
  const seed = options.seed ?? previous?.seed;
  const first = analyze(text);
  const runs = first.document.declarations.filter((declaration): declaration is RunDeclaration => declaration.kind === "run" && (only ? declaration.name.text === only : options.kind === "search" ? isSearch(declaration) : !isSearch(declaration)));
  if (runs.length === 0) {
    output.stderr(errorLine(file, undefined, 0, only ? `no run named ${only}` : `no ${options.kind === "search" ? "search" : "training"} runs`));
    return 1;
  }
  if (previous && (previous.specHash !== specHash(read.source) || JSON.stringify(previous.overrides ?? {}) !== JSON.stringify(read.overrides))) {
    output.stderr(`optim: warning: ${basename(file)}${Object.keys(read.overrides).length || previous.overrides ? " or its --set values" : ""} changed since ${options.resume} was saved; the run goes on with them as they are now\n`);
  }
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: dirname(file) }));
  if (!prepared.ok) {
    output.stderr(prepared.errors ? errorLines(file, text, prepared.errors) : errorLine(file, text, prepared.span.start, prepared.message));
    return 1;
  }
  const { analysis, data } = prepared;
  const runtime = await loadRuntime(options.backend, options.wasmDirectory);
  if (!options.json) output.stdout(`backend: ${describeBackend(runtime.backend)}${runtime.notes.length ? ` (${runtime.notes.join("; ")})` : ""}\n`);
  const results: (Omit<TrainResult, "params"> & { run: string; folder: string; description: string; reportedWeights: "best" | "final"; reportedStep: number })[] = [];
  let failed = 0;
  for (const run of runs) {
    const planned = planRun(analysis, run, data, seed, inputs.value.saved);
    if (!planned.ok) {
      output.stderr(errorLine(file, text, planned.span.start, `run ${run.name.text}: ${planned.message}`));
      failed++;
      continue;
    }
    if (!options.json) output.stdout(`run ${run.name.text}: ${planned.description}\n`);
    const request = { runsFolder: join(dirname(file), "runs"), run: run.name.text, file, text: read.source, description: planned.description, seed: planned.seed, overrides: read.overrides, resumeFolder: options.resume, previous };
    const { result, folder, templates, filters } = trainAndSave(runtime, planned.spec, request, {
      cancelled: () => false,
      onPoint: (point) => {
        if (!options.json && point.evalLoss !== undefined) {
          output.stdout(`  step ${String(point.step).padStart(6)}  loss ${formatNumber(point.loss).padEnd(9)}  ${planned.spec.evaluation ? `eval loss ${formatNumber(point.evalLoss).padEnd(9)}  eval accuracy ${point.evalAccuracy === undefined ? "-" : point.evalAccuracy.toFixed(4)}` : ""}\n`);
        }
      },
    });
    // Params and running averages are weights, not a summary.
    const { params: _params, statistics: _statistics, ...summary } = result;
    results.push({ run: run.name.text, folder, description: planned.description, ...summary, reportedWeights: result.reported.weights, reportedStep: result.reported.step });
    if (result.status === "diverged") {
      failed++;
      if (!options.json) output.stdout(`  diverged at step ${result.divergence?.step}: loss ${formatNumber(result.divergence?.loss ?? NaN)} (best ${formatNumber(result.divergence?.best ?? NaN)}); the step size is probably too large\n`);
    }
    if (!options.json) {
      const final = result.final;
      const part = (name: string, loss?: number, accuracy?: number) => (loss === undefined ? "" : `  ${name} loss ${formatNumber(loss)}${accuracy === undefined ? "" : ` accuracy ${accuracy.toFixed(4)}`}`);
      if (result.earlyStop) output.stdout(`  stopped early at step ${result.earlyStop.step}: ${result.earlyStop.patience} evaluations without a better one than step ${result.best?.step}\n`);
      output.stdout(`  ${result.status} after ${result.steps} steps:${part("train", final.trainLoss, final.trainAccuracy)}${part("eval", final.evalLoss, final.evalAccuracy)}${part("test", final.testLoss, final.testAccuracy)}\n`);
      output.stdout(`  figures from the ${result.reported.weights} weights (step ${result.reported.step}); saved in ${folder} (weights in weights/best and weights/final)\n`);
      // A classifier's confusion on its test split (else its evaluation split); `optim learned` prints both.
      const confusion = result.confusion;
      const shown = confusion?.test ? ["test", confusion.test] as const : confusion?.evaluation ? ["eval", confusion.evaluation] as const : undefined;
      if (confusion && shown) output.stdout(formatConfusion(shown[0], shown[1], confusion.classes));
      if (templates?.ok) output.stdout(`  templates of the ${result.reported.weights} weights in ${join(folder, "templates.png")}\n`);
      else if (templates) output.stdout(`  templates not drawn: ${templates.message}\n`);
      if (filters?.ok) output.stdout(`  first-layer filters of the ${result.reported.weights} weights in ${join(folder, "filters.png")}\n`);
      else if (filters) output.stdout(`  filters not drawn: ${filters.message}\n`);
    }
  }
  if (options.json) output.stdout(JSON.stringify({ version: 1, file, backend: runtime.backend, runs: results }, null, 2) + "\n");
  return failed > 0 ? 1 : 0;
}
