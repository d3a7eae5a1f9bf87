// Writes an export to its folder: the script, the params' starting values and
// any examples it carries, as .npy. Nothing of ours goes with it.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ExportArray, JaxExportPlan } from "./export-plan";
import { jaxScript } from "./jax-script";
import { npyBytes } from "../train/weights";

/** The script's file name for a run. */
export function scriptName(run: string): string {
  return `train_${run}.py`;
}

/** Returns the script's path. */
export function writeJaxExport(folder: string, plan: JaxExportPlan, arrays: ExportArray[]): string {
  mkdirSync(folder, { recursive: true });
  for (const array of arrays) {
    const path = join(folder, array.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, npyBytes(array.shape, array.values));
  }
  const script = join(folder, scriptName(plan.run));
  writeFileSync(script, jaxScript(plan), { mode: 0o755 });
  return script;
}
