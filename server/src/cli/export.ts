// `optim export FILE --run NAME --to jax [--out FOLDER]`: one run as a
// self-contained JAX script (server/src/export/), with the weights it starts
// from and, for generated data, its examples, in FOLDER (default jax-NAME/
// beside the file).
import { dirname, isAbsolute, join, resolve } from "node:path";
import { analyze } from "../analysis/analyze";
import { planJaxExport } from "../export/export-plan";
import { writeJaxExport } from "../export/write-export";
import type { RunDeclaration } from "../train/plan-run";
import { prepareRuns } from "../train/prepare";
import { specHash } from "../train/run-store";
import { dataLoader } from "../worker/load-examples";
import { errorLine, errorLines } from "./error-line";
import type { CliOutput } from "./main";
import { readSource } from "./read-source";

export interface ExportOptions {
  run?: string;
  to?: string;
  out?: string;
  seed?: number;
}

export const exportTargets = ["jax"];

export async function exportFile(file: string, options: ExportOptions, output: CliOutput): Promise<number> {
  if (!options.run) {
    output.stderr("optim export: name the run to export with --run NAME\n");
    return 2;
  }
  if (!options.to || !exportTargets.includes(options.to)) {
    output.stderr(`optim export: --to is ${exportTargets.join(", ")}${options.to ? `, not '${options.to}'` : ""}\n`);
    return 2;
  }
  const source = await readSource(file);
  if (!source.ok) {
    output.stderr(errorLine(file, undefined, 0, source.message));
    return 1;
  }
  const text = source.text;
  const run = analyze(text).document.declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "run" && declaration.name.text === options.run);
  if (!run) {
    output.stderr(errorLine(file, undefined, 0, `no run named ${options.run}`));
    return 1;
  }
  const baseDirectory = dirname(file);
  const prepared = await prepareRuns(text, dataLoader({ baseDirectory }));
  if (!prepared.ok) {
    output.stderr(prepared.errors ? errorLines(file, text, prepared.errors) : errorLine(file, text, prepared.span.start, prepared.message));
    return 1;
  }
  // The run as the second analysis holds it (with the data's real shapes).
  const analysed = prepared.analysis.document.declarations.find((declaration): declaration is RunDeclaration => declaration.kind === "run" && declaration.name.text === options.run) as RunDeclaration;
  const exported = planJaxExport({
    analysis: prepared.analysis,
    run: analysed,
    data: prepared.data,
    file,
    specHash: specHash(text),
    resolvePath: (path) => (isAbsolute(path) ? path : resolve(baseDirectory, path)),
    seed: options.seed,
  });
  if (!exported.ok) {
    output.stderr(errorLine(file, text, exported.span.start, `run ${options.run}: ${exported.message}`));
    return 1;
  }
  const folder = options.out ?? join(baseDirectory, `jax-${options.run}`);
  const script = writeJaxExport(folder, exported.plan, exported.arrays);
  output.stdout(`run ${options.run}: ${exported.plan.description}\n  wrote ${script}\n  run it with: python3 ${script} [--x64] [--steps N]  (needs jax and numpy; docs/export.md)\n`);
  return 0;
}
