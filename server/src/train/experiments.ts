// Sweeps and landscapes from their declarations: the setup and strategy they
// name, read from their settings, and where their results are saved. Shared
// by the CLI and the training worker.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Analysis } from "../analysis/analyze";
import type { Splits } from "../data/types";
import type { TrainingRuntime } from "./executors";
import { landscape, type LandscapeResult } from "./landscape";
import { planRun, planSetup, planStrategy, readSettings, type RunDeclaration } from "./plan-run";
import type { SearchResult } from "./search";
import { rangeTest, stepSizeTable, type SweepResult } from "./sweep";
import { train } from "./trainer";

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** A sweep's or landscape's folder under runs/: its result as JSON and as CSV. */
function saveExperiment(runsFolder: string, name: string, kind: string, result: object, csv: string): string {
  const folder = join(runsFolder, `${name}-${stamp()}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${kind}.json`), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(folder, `${kind}.csv`), csv);
  return folder;
}

export function runSweep(runtime: TrainingRuntime, analysis: Analysis, declaration: RunDeclaration, data: (name: string) => Splits | undefined, seed: number | undefined, cancelled: () => boolean = () => false): { ok: true; result: SweepResult } | { ok: false; message: string } {
  const base = planSetup(analysis, declaration, data, seed);
  if (!base.ok) return base;
  const strategy = planStrategy(analysis, declaration);
  if (!strategy.ok) return strategy;
  if (strategy.strategy.kind !== "gradient") return { ok: false, message: "a sweep's 'by' must be an optimizer" };
  const settings = readSettings(analysis, declaration);
  const range = settings.ranges.lr ?? { from: 1e-10, to: 1e-1 };
  const method = settings.names.method === "range_test" ? "range_test" : "table";
  const steps = settings.numbers.steps ?? (method === "table" ? 1 : 100);
  const result = method === "table" ? stepSizeTable(runtime, base.setup, strategy.strategy, { ...range, points: settings.numbers.points ?? 10 }, steps, cancelled) : rangeTest(runtime, base.setup, strategy.strategy, range, steps, cancelled);
  return { ok: true, result };
}

export function runLandscape(runtime: TrainingRuntime, analysis: Analysis, declaration: RunDeclaration, data: (name: string) => Splits | undefined, seed: number | undefined, cancelled: () => boolean = () => false): { ok: true; result: LandscapeResult } | { ok: false; message: string } {
  const base = planSetup(analysis, declaration, data, seed);
  if (!base.ok) return base;
  const settings = readSettings(analysis, declaration);
  const range = settings.ranges.range ?? { from: -1, to: 1 };
  let along: Map<string, Float32Array> | undefined;
  let snapshots: { step: number; params: Map<string, Float32Array> }[] | undefined;
  // `along RUN`: the line from the initial to the trained weights. `trajectory RUN`: that run's path, projected.
  const runName = settings.names.along ?? settings.names.trajectory;
  if (runName) {
    const run = analysis.document.declarations.find((candidate): candidate is RunDeclaration => candidate.kind === "run" && candidate.name.text === runName);
    if (!run) return { ok: false, message: `there is no run named ${runName}` };
    const planned = planRun(analysis, run, data, seed);
    if (!planned.ok) return planned;
    const every = Math.max(1, Math.floor(planned.spec.steps / 50));
    const path: { step: number; params: Map<string, Float32Array> }[] = [{ step: 0, params: planned.spec.params }];
    const trained = train(runtime, planned.spec, { onPoint: () => undefined, cancelled, onParams: (step, params) => step % every === 0 && path.push({ step, params: new Map([...params].map(([name, value]) => [name, value.slice()])) }) });
    path.push({ step: trained.steps, params: trained.params });
    // Random directions are nearly orthogonal to any path in many dimensions, so the
    // first direction is the run's own displacement: a = 1 is where it ended.
    along = new Map([...trained.params].map(([name, value]) => [name, Float32Array.from(value, (w, k) => w - (planned.spec.params.get(name) as Float32Array)[k])]));
    if (settings.names.trajectory) snapshots = path;
    // The slice goes through the run's starting point.
    for (const [name, value] of planned.spec.params) base.setup.params.set(name, value);
  }
  const directions = settings.numbers.directions === 2 ? 2 : 1;
  const result = landscape(runtime, base.setup, { directions, ...range, points: settings.numbers.points ?? (directions === 2 ? 31 : 51), normalize: settings.names.normalize === "row" }, cancelled, along, snapshots);
  return { ok: true, result };
}


export function saveSweep(runsFolder: string, name: string, result: SweepResult): string {
  return saveExperiment(runsFolder, name, "sweep", result, "lr,loss,diverged\n" + result.rows.map((row) => `${row.lr},${row.loss},${row.diverged}`).join("\n") + "\n");
}

export function saveLandscape(runsFolder: string, name: string, result: LandscapeResult): string {
  const rows = result.directions === 1 ? result.axis.map((a, i) => `${a},,${result.losses[i]}`) : result.axis.flatMap((b, j) => result.axis.map((a, i) => `${a},${b},${result.losses[j * result.axis.length + i]}`));
  return saveExperiment(runsFolder, name, "landscape", result, "a,b,loss\n" + rows.join("\n") + "\n");
}

/** A search's folder: its trials best first, as JSON and as CSV (one column per searched setting). */
export function saveSearch(runsFolder: string, name: string, result: SearchResult & { seed?: number; backend?: string }): string {
  const names = result.axes.map((axis) => axis.name);
  const figure = (value: number | undefined) => (value === undefined ? "" : String(value));
  const rows = result.trials.map((trial, rank) => [rank + 1, trial.index, ...names.map((name) => trial.values[name]), trial.status, trial.steps, figure(trial.evalAccuracy), figure(trial.evalLoss), figure(trial.testAccuracy), figure(trial.testLoss), figure(trial.trainLoss)].join(","));
  return saveExperiment(runsFolder, name, "search", result, ["rank,trial", ...names, "status,steps,eval_accuracy,eval_loss,test_accuracy,test_loss,train_loss"].join(",") + "\n" + rows.map((row) => row + "\n").join(""));
}
