// `optim gradcheck`: the editor's gradient check on the command line, for CI.
import { dirname } from "node:path";
import type { Severity } from "../analysis/diagnostic";
import { LineIndex } from "../analysis/line-index";
import type { ChanceResult } from "../engine/check-gradients";
import { pointText, whereText } from "../engine/check-findings";
import { formatNumber } from "../engine/gradcheck";
import { dataLoader } from "../worker/load-examples";
import { readSource } from "./read-source";
import { defaultCheckSettings, runCheck } from "../worker/run-check";

/** One grad in the JSON report (docs/cli.md). */
export interface JsonGrad {
  name: string;
  line: number;
  verdict: string;
  maxRelativeError: number | null;
  checked: number;
  kinks: number;
  worst: { entry: string; analytic: number; numerical: number; relativeError: number }[];
  pattern: string | null;
  problem: string | null;
  /** The notes' band for the largest relative error: good, acceptable, warning or error. */
  band: string | null;
  /** Where the error shows, in words; null when the grad passed. */
  where: string | null;
  /** The check at each point, the start first. */
  points: { label: string; verdict: string; maxRelativeError: number; sides: string | null }[];
  /** "right at the start, wrong at …" when only a later point shows the error. */
  failedAt: string | null;
}

export interface JsonGradcheckFile {
  file: string;
  examples: number;
  grads: JsonGrad[];
  autodiff: { loss: string; param: string; verdict: string; maxRelativeError: number }[];
  chance: Omit<ChanceResult, "span">[];
  diagnostics: { line: number; column: number; severity: Severity; code: string; message: string }[];
  note: string | null;
}

export interface JsonGradcheckReport {
  version: 1;
  files: JsonGradcheckFile[];
  failed: number;
}

export async function gradcheckFiles(files: string[], options: { all: boolean; seed?: number }): Promise<JsonGradcheckReport> {
  const reports: JsonGradcheckFile[] = [];
  for (const file of files) reports.push(await gradcheckFile(file, options));
  // Wrong grads, and other errors (such as unreadable data) that stopped a check.
  const failed = reports.reduce((count, report) => count + report.grads.filter((grad) => grad.verdict === "error" || grad.problem).length + report.diagnostics.filter((d) => d.severity === "error" && d.code !== "gradcheck").length, 0);
  return { version: 1, files: reports, failed };
}

async function gradcheckFile(file: string, options: { all: boolean; seed?: number }): Promise<JsonGradcheckFile> {
  const empty = { file, examples: 0, grads: [], autodiff: [], chance: [] };
  const source = await readSource(file);
  if (!source.ok) return { ...empty, diagnostics: [{ line: 1, column: 1, severity: "error", code: "io", message: source.message }], note: null };
  const text = source.text;
  const lines = new LineIndex(text);
  const settings = { ...defaultCheckSettings, all: options.all, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  const outcome = await runCheck(text, settings, dataLoader({ baseDirectory: dirname(file) }));
  const report = outcome.report;
  const position = (offset: number) => lines.positionAt(offset);
  return {
    file,
    examples: report?.examples ?? 0,
    grads: (report?.grads ?? []).map((grad) => ({
      name: grad.name,
      line: position(grad.span.start).line + 1,
      verdict: grad.check?.verdict ?? "unchecked",
      maxRelativeError: grad.check?.maxRelativeError ?? null,
      checked: grad.check?.checked ?? 0,
      kinks: grad.check?.kinks.length ?? 0,
      worst: (grad.check?.worst ?? []).map((entry) => ({ entry: `${grad.param}[${entry.index.join(",")}]`, analytic: entry.analytic, numerical: entry.numerical, relativeError: entry.relativeError })),
      pattern: grad.check?.pattern ?? null,
      problem: grad.problem ?? null,
      band: grad.check?.band ?? null,
      where: grad.check?.verdict === "error" ? whereText(grad.param, grad.check) : null,
      points: (grad.points ?? []).map((point) => ({ label: point.label, verdict: point.verdict, maxRelativeError: point.maxRelativeError, sides: point.sides ?? null })),
      failedAt: pointText(grad) ?? null,
    })),
    autodiff: (report?.autodiff ?? []).map((entry) => ({ loss: entry.loss, param: entry.check.param, verdict: entry.check.verdict, maxRelativeError: entry.check.maxRelativeError })),
    chance: (report?.chance ?? []).map(({ span: _span, ...rest }) => rest),
    diagnostics: outcome.findings.map((finding) => ({ line: position(finding.span.start).line + 1, column: position(finding.span.start).character + 1, severity: finding.severity, code: finding.code, message: finding.message })),
    note: outcome.note ?? null,
  };
}

export function formatGradcheck(report: JsonGradcheckReport): string {
  const out: string[] = [];
  for (const file of report.files) {
    out.push(`${file.file}: ${file.note ?? `checked on ${file.examples} examples`}`);
    for (const grad of file.grads) {
      const label = grad.verdict === "good" || grad.verdict === "acceptable" ? "ok" : grad.verdict;
      const detail = grad.problem
        ? `not checked: ${grad.problem}`
        : `max relative error ${formatNumber(grad.maxRelativeError ?? 0)} over ${grad.checked} entries${grad.points.length > 1 ? ` at ${grad.points.length} points` : ""}${grad.kinks ? ` (${grad.kinks} at kinks)` : ""}${[grad.where, grad.failedAt, grad.pattern].filter((part) => part).map((part) => `; ${part}`).join("")}`;
      out.push(`  ${file.file}:${grad.line}: ${grad.name.padEnd(8)} ${label.padEnd(10)} ${detail}`);
    }
    for (const autodiff of file.autodiff) out.push(`  autodiff d${autodiff.loss}/d${autodiff.param}: ${autodiff.verdict} (max relative error ${formatNumber(autodiff.maxRelativeError)})`);
    // Far from chance is a note among the diagnostics below; near it is worth a line too.
    for (const chance of file.chance.filter((entry) => !entry.far)) out.push(`  the data part of ${chance.loss} is ${formatNumber(chance.value)} at initialisation, near chance for ${chance.kind} (${chance.expectedText})`);
    for (const diagnostic of file.diagnostics.filter((d) => d.code !== "gradcheck" && d.severity !== "hint")) out.push(`  ${file.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message} [${diagnostic.code}]`);
  }
  const grads = report.files.reduce((count, file) => count + file.grads.length, 0);
  out.push(`${report.files.length} file${report.files.length === 1 ? "" : "s"}, ${grads} grad${grads === 1 ? "" : "s"} checked: ${report.failed} failed`);
  return out.join("\n") + "\n";
}
