// `optim sweep` and `optim landscape`: step-size sweeps and loss landscapes
// from the command line, saved beside the runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { formatNumber } from "../engine/gradcheck";
import { loadTfjs, type BackendPreference, type TfjsRuntime } from "../engine/tfjs-executor";
import { landscape, type LandscapeResult } from "../train/landscape";
import { planRun, planSetup, planStrategy, readSettings, type RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { rangeTest, stepSizeTable, type SweepResult } from "../train/sweep";
import { train } from "../train/trainer";
import type { Analysis } from "../analysis/analyze";
import type { Splits } from "../data/types";
import { dataLoader } from "../worker/load-examples";
import type { CliOutput } from "./main";

export interface ExperimentOptions {
  kind: "sweep" | "landscape";
  run?: string;
  seed?: number;
  json: boolean;
  backend: BackendPreference;
  wasmDirectory: string;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function save(file: string, name: string, kind: string, result: object, csv: string): string {
  const folder = join(dirname(file), "runs", `${name}-${stamp()}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${kind}.json`), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(folder, `${kind}.csv`), csv);
  return folder;
}

export function runSweep(runtime: TfjsRuntime, analysis: Analysis, declaration: RunDeclaration, data: (name: string) => Splits | undefined, seed: number | undefined): { ok: true; result: SweepResult } | { ok: false; message: string } {
  const base = planSetup(analysis, declaration, data, seed);
  if (!base.ok) return base;
  const strategy = planStrategy(analysis, declaration);
  if (!strategy.ok) return strategy;
  if (strategy.strategy.kind !== "gradient") return { ok: false, message: "a sweep's 'by' must be an optimizer" };
  const settings = readSettings(analysis, declaration);
  const range = settings.ranges.lr ?? { from: 1e-10, to: 1e-1 };
  const method = settings.names.method === "range_test" ? "range_test" : "table";
  const steps = settings.numbers.steps ?? (method === "table" ? 1 : 100);
  const never = () => false;
  const result = method === "table" ? stepSizeTable(runtime, base.setup, strategy.strategy, { ...range, points: settings.numbers.points ?? 10 }, steps, never) : rangeTest(runtime, base.setup, strategy.strategy, range, steps, never);
  return { ok: true, result };
}

export function runLandscape(runtime: TfjsRuntime, analysis: Analysis, declaration: RunDeclaration, data: (name: string) => Splits | undefined, seed: number | undefined): { ok: true; result: LandscapeResult } | { ok: false; message: string } {
  const base = planSetup(analysis, declaration, data, seed);
  if (!base.ok) return base;
  const settings = readSettings(analysis, declaration);
  const range = settings.ranges.range ?? { from: -1, to: 1 };
  let along: Map<string, Float32Array> | undefined;
  if (settings.names.along) {
    // The line from the initial to the trained weights of that run.
    const run = analysis.document.declarations.find((candidate): candidate is RunDeclaration => candidate.kind === "run" && candidate.name.text === settings.names.along);
    if (!run) return { ok: false, message: `there is no run named ${settings.names.along}` };
    const planned = planRun(analysis, run, data, seed);
    if (!planned.ok) return planned;
    const trained = train(runtime, planned.spec, { onPoint: () => undefined, cancelled: () => false });
    along = new Map([...trained.params].map(([name, value]) => [name, Float32Array.from(value, (w, k) => w - (planned.spec.params.get(name) as Float32Array)[k])]));
    for (const [name, value] of planned.spec.params) base.setup.params.set(name, value);
  }
  const directions = settings.numbers.directions === 2 ? 2 : 1;
  const result = landscape(runtime, base.setup, { directions, ...range, points: settings.numbers.points ?? (directions === 2 ? 31 : 51), normalize: settings.names.normalize === "row" }, () => false, along);
  return { ok: true, result };
}

export async function experimentFile(file: string, options: ExperimentOptions, output: CliOutput): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    output.stderr(`optim: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (cause as Error).message}\n`);
    return 1;
  }
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory: dirname(file) }));
  if (!prepared.ok) {
    output.stderr(`${file}: ${prepared.message}\n`);
    return 1;
  }
  const declarations = prepared.analysis.document.declarations.filter((declaration): declaration is RunDeclaration => declaration.kind === options.kind && (!options.run || declaration.name.text === options.run));
  if (declarations.length === 0) {
    output.stderr(`optim: ${file} has no ${options.kind}${options.run ? ` named ${options.run}` : "s"}\n`);
    return 1;
  }
  const runtime = await loadTfjs(options.backend, options.wasmDirectory);
  if (!options.json) output.stdout(`backend: TensorFlow.js ${runtime.backend}\n`);
  const reports: object[] = [];
  let failed = 0;
  for (const declaration of declarations) {
    const name = declaration.name.text;
    if (options.kind === "sweep") {
      const done = runSweep(runtime, prepared.analysis, declaration, prepared.data, options.seed);
      if (!done.ok) {
        output.stderr(`${file}: sweep ${name}: ${done.message}\n`);
        failed++;
        continue;
      }
      const { result } = done;
      const folder = save(file, name, "sweep", result, "lr,loss,diverged\n" + result.rows.map((row) => `${row.lr},${row.loss},${row.diverged}`).join("\n") + "\n");
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
        output.stderr(`${file}: landscape ${name}: ${done.message}\n`);
        failed++;
        continue;
      }
      const { result } = done;
      const rows = result.directions === 1 ? result.axis.map((a, i) => `${a},,${result.losses[i]}`) : result.axis.flatMap((b, j) => result.axis.map((a, i) => `${a},${b},${result.losses[j * result.axis.length + i]}`));
      const folder = save(file, name, "landscape", result, "a,b,loss\n" + rows.join("\n") + "\n");
      reports.push({ name, folder, ...result });
      if (!options.json) output.stdout(`landscape ${name}: ${result.directions === 1 ? `${result.axis.length} points along a ray` : `${result.axis.length} × ${result.axis.length} points on a plane`}; loss ${formatNumber(result.center)} at the start, from ${formatNumber(result.min)} to ${formatNumber(result.max)}\n  saved in ${folder}\n`);
    }
  }
  if (options.json) output.stdout(JSON.stringify({ version: 1, file, backend: runtime.backend, [options.kind === "sweep" ? "sweeps" : "landscapes"]: reports }, null, 2) + "\n");
  return failed > 0 ? 1 : 0;
}
