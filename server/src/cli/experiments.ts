// `optim sweep` and `optim landscape`: step-size sweeps and loss landscapes
// from the command line, saved beside the runs.
import { dirname, join } from "node:path";
import { formatNumber } from "../engine/gradcheck";
import { describeBackend, loadRuntime, type BackendPreference } from "../train/executors";
import { runLandscape, runSweep, saveLandscape, saveSweep } from "../train/experiments";
import type { RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { dataLoader } from "../worker/load-examples";
import type { CliOutput } from "./main";
import { errorLine, errorLines } from "./error-line";
import { readWithOverrides } from "./read-source";

export interface ExperimentOptions {
  kind: "sweep" | "landscape";
  run?: string;
  seed?: number;
  json: boolean;
  backend: BackendPreference;
  wasmDirectory: string;
  /** `--set NAME=VALUE`s. */
  set?: string[];
}

export async function experimentFile(file: string, options: ExperimentOptions, output: CliOutput): Promise<number> {
  const read = await readWithOverrides(file, options.set ?? [], output);
  if (!read.ok) return read.code;
  const text = read.text;
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: dirname(file) }));
  if (!prepared.ok) {
    output.stderr(prepared.errors ? errorLines(file, text, prepared.errors) : errorLine(file, text, prepared.span.start, prepared.message));
    return 1;
  }
  const declarations = prepared.analysis.document.declarations.filter((declaration): declaration is RunDeclaration => declaration.kind === options.kind && (!options.run || declaration.name.text === options.run));
  if (declarations.length === 0) {
    output.stderr(errorLine(file, text, 0, `no ${options.kind}${options.run ? ` named ${options.run}` : "s"}`));
    return 1;
  }
  const runtime = await loadRuntime(options.backend, options.wasmDirectory);
  if (!options.json) output.stdout(`backend: ${describeBackend(runtime.backend)}\n`);
  const reports: object[] = [];
  let failed = 0;
  for (const declaration of declarations) {
    const name = declaration.name.text;
    if (options.kind === "sweep") {
      const done = runSweep(runtime, prepared.analysis, declaration, prepared.data, options.seed);
      if (!done.ok) {
        output.stderr(errorLine(file, text, declaration.name.span.start, `sweep ${name}: ${done.message}`));
        failed++;
        continue;
      }
      const { result } = done;
      const folder = saveSweep(join(dirname(file), "runs"), name, result);
      reports.push({ name, folder, ...result });
      if (!options.json) {
        output.stdout(`sweep ${name} (${result.method === "table" ? "the loss after the steps, from the same start" : "range test"}): start ${formatNumber(result.start)}\n`);
        if (result.method === "table") for (const row of result.rows) output.stdout(`  lr ${row.lr.toExponential(0).padEnd(7)} loss ${row.diverged ? "diverged" : formatNumber(row.loss)}\n`);
        else output.stdout(`  ${result.rows.length} steps from lr ${formatNumber(result.rows[0]?.lr ?? NaN)} to ${formatNumber(result.rows[result.rows.length - 1]?.lr ?? NaN)}\n`);
        output.stdout(result.suggestion ? `  suggested lr ${result.suggestion.lr.toPrecision(2)}: ${result.suggestion.reason}\n` : "  no step size lowered the loss\n");
        output.stdout(`  saved in ${folder}\n`);
      }
    } else {
      const done = runLandscape(runtime, prepared.analysis, declaration, prepared.data, options.seed);
      if (!done.ok) {
        output.stderr(errorLine(file, text, declaration.name.span.start, `landscape ${name}: ${done.message}`));
        failed++;
        continue;
      }
      const { result } = done;
      const folder = saveLandscape(join(dirname(file), "runs"), name, result);
      reports.push({ name, folder, ...result });
      if (!options.json) output.stdout(`landscape ${name}: ${result.directions === 1 ? `${result.axis.length} points along a ray` : `${result.axis.length} × ${result.axis.length} points on a plane`}; loss ${formatNumber(result.center)} at the start, from ${formatNumber(result.min)} to ${formatNumber(result.max)}\n  saved in ${folder}\n`);
    }
  }
  if (options.json) output.stdout(JSON.stringify({ version: 1, file, backend: runtime.backend, [options.kind === "sweep" ? "sweeps" : "landscapes"]: reports }, null, 2) + "\n");
  return failed > 0 ? 1 : 0;
}
