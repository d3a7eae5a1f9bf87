// `optim runs`: the saved runs of a folder side by side, to compare them.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { formatNumber } from "../engine/gradcheck";
import type { CliOutput } from "./main";

interface SavedRun {
  folder: string;
  run?: string;
  kind: "run" | "sweep" | "search" | "landscape";
  status?: string;
  steps?: number;
  trainLoss?: number;
  evalAccuracy?: number;
  testAccuracy?: number;
  backend?: string;
  seed?: number;
  description?: string;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function listRuns(runsFolder: string, json: boolean, output: CliOutput): Promise<number> {
  let entries: string[];
  try {
    entries = (await readdir(runsFolder)).sort();
  } catch {
    output.stderr(`optim: no runs in ${runsFolder}\n`);
    return 1;
  }
  const runs: SavedRun[] = [];
  for (const entry of entries) {
    const folder = join(runsFolder, entry);
    let search: Record<string, unknown> | undefined;
    const meta = await readJson(join(folder, "meta.json"));
    const final = await readJson(join(folder, "final.json"));
    if (meta) {
      const metrics = (final?.final ?? {}) as Record<string, number | undefined>;
      runs.push({ folder: entry, run: meta.run as string, kind: "run", status: (final?.status as string | undefined) ?? "unfinished", steps: final?.steps as number | undefined, trainLoss: metrics.trainLoss, evalAccuracy: metrics.evalAccuracy, testAccuracy: metrics.testAccuracy, backend: meta.backend as string, seed: meta.seed as number, description: meta.description as string });
    } else if (await readJson(join(folder, "sweep.json"))) runs.push({ folder: entry, kind: "sweep" });
    else if ((search = await readJson(join(folder, "search.json")))) {
      // A search's figures are its best trial's.
      const best = (search.trials as Record<string, number | undefined>[] | undefined)?.[0];
      runs.push({ folder: entry, run: search.search as string, kind: "search", status: search.cancelled ? "cancelled" : "finished", steps: best?.steps, trainLoss: best?.trainLoss, evalAccuracy: best?.evalAccuracy, testAccuracy: best?.testAccuracy, seed: search.seed as number | undefined, description: search.description as string | undefined });
    }
    else if (await readJson(join(folder, "landscape.json"))) runs.push({ folder: entry, kind: "landscape" });
  }
  if (json) {
    output.stdout(JSON.stringify({ version: 1, folder: runsFolder, runs }, null, 2) + "\n");
    return 0;
  }
  const cell = (value: number | undefined, digits = 4) => (value === undefined ? "-" : digits === 0 ? String(value) : formatNumber(value));
  const accuracy = (value: number | undefined) => (value === undefined ? "-" : `${(100 * value).toFixed(1)}%`);
  const rows = runs.map((run) => [run.folder, run.kind, run.status ?? "", cell(run.steps, 0), cell(run.trainLoss), accuracy(run.evalAccuracy), accuracy(run.testAccuracy), run.backend ?? "", run.seed === undefined ? "" : String(run.seed)]);
  const header = ["folder", "kind", "status", "steps", "train loss", "eval acc", "test acc", "backend", "seed"];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) output.stdout(row.map((text, i) => text.padEnd(widths[i])).join("  ").trimEnd() + "\n");
  return 0;
}
