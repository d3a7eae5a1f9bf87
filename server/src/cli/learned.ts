// `optim learned FOLDER`: what a saved run's model learned, from its folder
// alone: the confusion matrices and per-class accuracies final.json holds,
// printed, a linear classifier's templates and a convolutional network's
// first-layer filters drawn again as PNG files from its best or final weights. `optim train` prints the same matrix after each
// classifier's run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Confusion, RunConfusion } from "../train/confusion";
import { reportedWeights, writeFilters, writeTemplates } from "../train/learned";
import type { CliOutput } from "./main";

function fit(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 1) + "…" : text.padEnd(width);
}

/**
 * One split's confusion, compactly: the accuracy and each class's on one
 * line, then the matrix (rows: the true class, columns: the predicted one,
 * headed by the class's number).
 */
export function formatConfusion(split: string, confusion: Confusion, classes: readonly string[], indent = "  "): string {
  const correct = confusion.matrix.reduce((sum, row, k) => sum + row[k], 0);
  const perClass = confusion.perClass.map((accuracy, k) => `${classes[k] ?? `class ${k}`} ${accuracy === null ? "-" : accuracy.toFixed(2)}`).join(", ");
  const lines = [`${indent}${split} accuracy ${confusion.accuracy.toFixed(4)} (${correct} of ${confusion.total}); by class: ${perClass}`];
  const labelWidth = Math.min(14, Math.max(...confusion.matrix.map((_, k) => `${k} ${classes[k] ?? ""}`.length)));
  const cell = Math.max(String(confusion.matrix.length - 1).length, ...confusion.matrix.flat().map((count) => String(count).length)) + 1;
  lines.push(`${indent}${split} confusion (rows: true class, columns: predicted):`);
  lines.push(`${indent}  ${" ".repeat(labelWidth)}${confusion.matrix.map((_, k) => String(k).padStart(cell)).join("")}`);
  confusion.matrix.forEach((row, k) => lines.push(`${indent}  ${fit(`${k} ${classes[k] ?? ""}`, labelWidth)}${row.map((count) => String(count).padStart(cell)).join("")}`));
  return lines.join("\n") + "\n";
}

export interface LearnedOptions {
  weights?: string;
  json: boolean;
}

export function learnedFolder(folder: string, options: LearnedOptions, output: CliOutput): number {
  if (options.weights !== undefined && options.weights !== "best" && options.weights !== "final") {
    output.stderr(`optim learned: --weights is best or final, not '${options.weights}'\n`);
    return 2;
  }
  let final: { status?: string; confusion?: RunConfusion };
  let meta: { run?: string };
  try {
    meta = JSON.parse(readFileSync(join(folder, "meta.json"), "utf8")) as typeof meta;
  } catch (error) {
    output.stderr(`optim learned: ${folder} is not a run's folder: its meta.json could not be read (${(error as Error).message})\n`);
    return 1;
  }
  try {
    final = JSON.parse(readFileSync(join(folder, "final.json"), "utf8")) as typeof final;
  } catch {
    // A run that stopped without finishing has no final.json, hence no confusion; its templates can still be drawn.
    final = {};
  }
  const kind = (options.weights as "best" | "final" | undefined) ?? reportedWeights(folder);
  const templates = writeTemplates(folder, kind);
  const filters = writeFilters(folder, kind);
  const confusion = final.confusion;
  if (options.json) {
    output.stdout(JSON.stringify({ version: 1, folder, run: meta.run, templates: templates.ok ? { weights: kind, files: templates.value.files.map((file) => join(folder, file)) } : { problem: templates.message }, filters: filters.ok ? { weights: kind, files: filters.value.files.map((file) => join(folder, file)) } : { problem: filters.message }, confusion: confusion ?? null }, null, 2) + "\n");
    return 0;
  }
  output.stdout(`run ${meta.run ?? "?"} (${folder})\n`);
  if (templates.ok) output.stdout(`  templates of the ${kind} weights: ${join(folder, "templates.png")}, one per class in ${join(folder, "templates")}\n`);
  else output.stdout(`  templates not drawn: ${templates.message}\n`);
  if (filters.ok) output.stdout(`  first-layer filters of the ${kind} weights: ${join(folder, "filters.png")} (${filters.value.contents.filters.length} filters of ${filters.value.contents.param})\n`);
  else output.stdout(`  filters not drawn: ${filters.message}\n`);
  if (!confusion) output.stdout(`  no confusion matrix: ${final.status === undefined ? "the run did not finish" : "the run's loss has no class scores, or it has no eval or test split"}\n`);
  else {
    output.stdout(`  confusion from the ${confusion.weights} weights${options.weights && options.weights !== confusion.weights ? ` (the run's reported weights; --weights chose only the templates and filters)` : ""}\n`);
    if (confusion.evaluation) output.stdout(formatConfusion("eval", confusion.evaluation, confusion.classes));
    if (confusion.test) output.stdout(formatConfusion("test", confusion.test, confusion.classes));
  }
  return 0;
}
