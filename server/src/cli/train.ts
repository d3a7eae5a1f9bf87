// `optim train` and `optim search`: run the file's `run` declarations from the
// command line, with the same engine as the editor, saving each under runs/.
import { dirname, join } from "node:path";
import { analyze } from "../analysis/analyze";
import { formatNumber } from "../engine/gradcheck";
import { describeBackend, loadRuntime, type BackendPreference } from "../train/executors";
import { planRun, type RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { RunStore, specHash } from "../train/run-store";
import { train, type TrainResult } from "../train/trainer";
import { strategiesByName } from "../language/settings";
import { dataLoader } from "../worker/load-examples";
import type { CliOutput } from "./main";
import { errorLine, errorLines } from "./error-line";
import { readSource } from "./read-source";

export interface TrainOptions {
  kind: "train" | "search";
  run?: string;
  seed?: number;
  json: boolean;
  backend: BackendPreference;
  /** The .wasm files' folder (beside the bundle). */
  wasmDirectory: string;
}

function isSearch(run: RunDeclaration): boolean {
  const by = run.block.settings.find((setting) => setting.key.text === "by")?.value;
  const name = by?.kind === "call" ? by.callee.text : by?.kind === "name" ? by.name : "";
  return strategiesByName.has(name);
}

export async function trainFile(file: string, options: TrainOptions, output: CliOutput): Promise<number> {
  const source = await readSource(file);
  if (!source.ok) {
    output.stderr(errorLine(file, undefined, 0, source.message));
    return 1;
  }
  const text = source.text;
  const first = analyze(text);
  const runs = first.document.declarations.filter((declaration): declaration is RunDeclaration => declaration.kind === "run" && (options.run ? declaration.name.text === options.run : options.kind === "search" ? isSearch(declaration) : !isSearch(declaration)));
  if (runs.length === 0) {
    output.stderr(errorLine(file, undefined, 0, options.run ? `no run named ${options.run}` : `no ${options.kind === "search" ? "search" : "training"} runs`));
    return 1;
  }
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: dirname(file) }));
  if (!prepared.ok) {
    output.stderr(prepared.errors ? errorLines(file, text, prepared.errors) : errorLine(file, text, prepared.span.start, prepared.message));
    return 1;
  }
  const { analysis, data } = prepared;
  const runtime = await loadRuntime(options.backend, options.wasmDirectory);
  if (!options.json) output.stdout(`backend: ${describeBackend(runtime.backend)}${runtime.notes.length ? ` (${runtime.notes.join("; ")})` : ""}\n`);
  const results: (Omit<TrainResult, "params"> & { run: string; folder: string; description: string })[] = [];
  let failed = 0;
  for (const run of runs) {
    const planned = planRun(analysis, run, data, options.seed);
    if (!planned.ok) {
      output.stderr(errorLine(file, text, planned.span.start, `run ${run.name.text}: ${planned.message}`));
      failed++;
      continue;
    }
    const store = new RunStore(join(dirname(file), "runs"), { run: run.name.text, file, description: planned.description, seed: options.seed ?? 0, backend: runtime.backend, specHash: specHash(text), started: new Date().toISOString() });
    if (!options.json) output.stdout(`run ${run.name.text}: ${planned.description}\n`);
    const result = train(runtime, planned.spec, {
      cancelled: () => false,
      onPoint: (point) => {
        store.add(point);
        if (!options.json && point.evalLoss !== undefined) {
          output.stdout(`  step ${String(point.step).padStart(6)}  loss ${formatNumber(point.loss).padEnd(9)}  ${planned.spec.evaluation ? `eval loss ${formatNumber(point.evalLoss).padEnd(9)}  eval accuracy ${point.evalAccuracy === undefined ? "-" : point.evalAccuracy.toFixed(4)}` : ""}\n`);
        }
      },
    });
    // Params and running averages are weights, not a summary.
    const { params: _params, statistics: _statistics, ...summary } = result;
    store.finish(summary);
    results.push({ run: run.name.text, folder: store.folder, description: planned.description, ...summary });
    if (result.status === "diverged") {
      failed++;
      if (!options.json) output.stdout(`  diverged at step ${result.divergence?.step}: loss ${formatNumber(result.divergence?.loss ?? NaN)} (best ${formatNumber(result.divergence?.best ?? NaN)}); the step size is probably too large\n`);
    }
    if (!options.json) {
      const final = result.final;
      const part = (name: string, loss?: number, accuracy?: number) => (loss === undefined ? "" : `  ${name} loss ${formatNumber(loss)}${accuracy === undefined ? "" : ` accuracy ${accuracy.toFixed(4)}`}`);
      output.stdout(`  ${result.status} after ${result.steps} steps:${part("train", final.trainLoss, final.trainAccuracy)}${part("eval", final.evalLoss, final.evalAccuracy)}${part("test", final.testLoss, final.testAccuracy)}\n  saved in ${store.folder}\n`);
    }
  }
  if (options.json) output.stdout(JSON.stringify({ version: 1, file, backend: runtime.backend, runs: results }, null, 2) + "\n");
  return failed > 0 ? 1 : 0;
}
