// A run's folder under runs/: what was run (meta.json), its curve as it grows
// (curve.csv, appended point by point, so a cancelled or crashed run keeps
// what it had; curve.json rewritten at each evaluation) and how it ended
// (final.json).
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CurvePoint, TrainResult } from "./trainer";

const columns: (keyof CurvePoint)[] = ["step", "epoch", "seconds", "loss", "lr", "gradNorm", "updateRatio", "evalLoss", "evalAccuracy"];

export interface RunMeta {
  run: string;
  file: string;
  description: string;
  seed: number;
  backend: string;
  /** sha256 of the document the run was started from. */
  specHash: string;
  started: string;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export function specHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * A folder of its own for a run: `name`, or `name-2`, `name-3`, ... when a
 * run of the same name started in the same second already has one (its
 * files are never written over).
 */
function newFolder(runsFolder: string, name: string): string {
  mkdirSync(runsFolder, { recursive: true });
  for (let count = 1; ; count++) {
    const folder = join(runsFolder, count === 1 ? name : `${name}-${count}`);
    try {
      mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

export class RunStore {
  readonly folder: string;
  private readonly points: CurvePoint[] = [];

  constructor(runsFolder: string, meta: RunMeta) {
    this.folder = newFolder(runsFolder, `${meta.run}-${stamp(new Date(meta.started))}`);
    writeFileSync(join(this.folder, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
    writeFileSync(join(this.folder, "curve.csv"), columns.join(",") + "\n");
  }

  add(point: CurvePoint): void {
    this.points.push(point);
    appendFileSync(join(this.folder, "curve.csv"), columns.map((column) => (point[column] === undefined ? "" : String(point[column]))).join(",") + "\n");
    if (point.evalLoss !== undefined) this.writeCurve();
  }

  private writeCurve(): void {
    writeFileSync(join(this.folder, "curve.json"), JSON.stringify(this.points) + "\n");
  }

  finish(result: Omit<TrainResult, "params">): void {
    this.writeCurve();
    writeFileSync(join(this.folder, "final.json"), JSON.stringify(result, null, 2) + "\n");
  }
}
