// Which saved run of a declaration can be gone on with: the newest folder of
// that run under runs/, when it has a checkpoint with optimizer state and did
// not finish (cancelled, stopped by a crash or a closed editor). Plain file
// reads; the editor's Resume lens and the server's resume command use it.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RunMeta } from "./run-store";
import { checkpointFolder } from "./weights";

export interface ResumableRun {
  folder: string;
  /** Steps the checkpoint holds. */
  steps: number;
  /** How the run ended: cancelled, or no final.json (the process stopped). */
  ended: "cancelled" | "stopped";
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** The newest saved folder of `run` under `runsFolder`, if it can be resumed. */
export function latestResumableRun(runsFolder: string, run: string): ResumableRun | undefined {
  let names: string[];
  try {
    names = readdirSync(runsFolder);
  } catch {
    return undefined;
  }
  // Folders are `RUN-YYYYMMDD-HHMMSS`, with `-2`, `-3` for runs started in the same second.
  const pattern = new RegExp(`^${run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d{8}-\\d{6})(?:-(\\d+))?$`);
  const newest = names
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .sort((a, b) => b.match[1].localeCompare(a.match[1]) || Number(b.match[2] ?? 1) - Number(a.match[2] ?? 1))[0];
  if (!newest) return undefined;
  const folder = join(runsFolder, newest.name);
  const meta = readJson(join(folder, "meta.json")) as RunMeta | undefined;
  if (meta?.run !== run) return undefined;
  const final = checkpointFolder(join(folder, "weights", "final"));
  if (!final || !existsSync(join(final, "weights.json"))) return undefined;
  const weights = readJson(join(final, "weights.json")) as { steps?: number; resume?: unknown } | undefined;
  if (!weights?.resume || typeof weights.steps !== "number") return undefined;
  const ending = readJson(join(folder, "final.json")) as { status?: string } | undefined;
  if (ending && ending.status !== "cancelled") return undefined;
  return { folder, steps: weights.steps, ended: ending ? "cancelled" : "stopped" };
}
