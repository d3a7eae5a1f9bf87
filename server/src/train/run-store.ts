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

export class RunStore {
  readonly folder: string;
  private readonly points: CurvePoint[] = [];

  constructor(runsFolder: string, meta: RunMeta) {
    this.folder = join(runsFolder, `${meta.run}-${stamp(new Date(meta.started))}`);
    mkdirSync(this.folder, { recursive: true });
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
