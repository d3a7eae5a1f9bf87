// `optim gradcheck`: the editor's gradient check on the command line, for CI.
// A file passes only when every grad was checked and is right: a file with
// errors (syntax, names, unreadable data) or a grad that could not be checked
// fails, and says why.
import { dirname } from "node:path";
import { analyze, type Analysis } from "../analysis/analyze";
import type { Severity } from "../analysis/diagnostic";
import { LineIndex } from "../analysis/line-index";
import type { ChanceResult } from "../engine/check-gradients";
import { pointText, usesText, whereText } from "../engine/check-findings";
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
  /** For a wrong grad that uses wrong grads: "dL/dz1 (line 14), which it uses, is wrong". */
  wrongUses: string | null;
  /** Whether it is wrong only through those grads (right with their true values in their place). */
  inherits: boolean;
}

/**
 * `passed`: every grad checked and right; `failed`: a grad is wrong; `error`:
 * the file has errors or a grad could not be checked; `skipped`: the file has
 * no grads, and nothing stopped a check.
 */
export type GradcheckStatus = "passed" | "failed" | "error" | "skipped";

export interface JsonGradcheckFile {
  file: string;
  status: GradcheckStatus;
  /** Why the status is not `passed`. */
  reason: string | null;
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
  // Wrong grads, grads not checked, and the errors (such as unreadable data) that stopped a check.
  const failed = reports.reduce((count, report) => count + report.grads.filter((grad) => (grad.verdict === "error" && !grad.inherits) || grad.problem).length + fileErrors(report).length, 0);
  return { version: 1, files: reports, failed };
}

/** Errors of the file itself, not of one grad's check. */
function fileErrors(report: Pick<JsonGradcheckFile, "diagnostics">): JsonGradcheckFile["diagnostics"] {
  return report.diagnostics.filter((d) => d.severity === "error" && d.code !== "gradcheck");
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The file's status and its reason, from its grads and its errors. */
function verdictOf(report: Omit<JsonGradcheckFile, "file" | "status" | "reason">): Pick<JsonGradcheckFile, "status" | "reason"> {
  const errors = fileErrors(report);
  if (errors.length > 0) return { status: "error", reason: `${plural(errors.length, "error")} to fix first; the first, at ${errors[0].line}:${errors[0].column}: ${errors[0].message}` };
  const unchecked = report.grads.filter((grad) => grad.problem);
  if (unchecked.length > 0) return { status: "error", reason: `${unchecked.map((grad) => grad.name).join(", ")} not checked: ${unchecked[0].problem}` };
  const wrong = report.grads.filter((grad) => grad.verdict === "error" && !grad.inherits);
  if (wrong.length > 0) return { status: "failed", reason: `${wrong.map((grad) => grad.name).join(", ")} ${wrong.length === 1 ? "disagrees" : "disagree"} with the numerical gradient` };
  if (report.grads.length === 0) return { status: "skipped", reason: report.note ?? "no grads to check" };
  return { status: "passed", reason: null };
}

async function gradcheckFile(file: string, options: { all: boolean; seed?: number }): Promise<JsonGradcheckFile> {
  const source = await readSource(file);
  if (!source.ok) {
    const unread = { examples: 0, grads: [], autodiff: [], chance: [], diagnostics: [{ line: 1, column: 1, severity: "error" as const, code: "io", message: source.message }], note: null };
    return { file, ...verdictOf(unread), ...unread };
  }
  const text = source.text;
  const lines = new LineIndex(text);
  const settings = { ...defaultCheckSettings, all: options.all, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  const outcome = await runCheck(text, settings, dataLoader({ baseDirectory: dirname(file) }));
  // The check reports what it found beyond the static findings; the file's own errors count too.
  const analysis = analyze(text);
  const findings = [...analysis.findings, ...outcome.findings].sort((a, b) => a.span.start - b.span.start);
  const report = outcome.report;
  const position = (offset: number) => lines.positionAt(offset);
  const diagnostics = findings.map((finding) => ({ line: position(finding.span.start).line + 1, column: position(finding.span.start).character + 1, severity: finding.severity, code: finding.code, message: finding.message }));
  const checked: JsonGrad[] = (report?.grads ?? []).map((grad) => ({
    name: grad.name,
    line: position(grad.span.start).line + 1,
    verdict: grad.check?.verdict ?? "unchecked",
    maxRelativeError: grad.check?.maxRelativeError ?? null,
    checked: grad.check?.checked ?? 0,
    kinks: grad.check?.kinks.length ?? 0,
    worst: (grad.check?.worst ?? []).map((entry) => ({ entry: `${grad.param}[${entry.index.join(",")}]`, analytic: entry.analytic, numerical: entry.numerical, relativeError: entry.relativeError })),
    pattern: grad.check?.pattern ?? null,
    problem: grad.problem ?? (grad.check ? null : "the check did not reach it"),
    band: grad.check?.band ?? null,
    where: grad.check?.verdict === "error" ? whereText(grad.param, grad.check) : null,
    points: (grad.points ?? []).map((point) => ({ label: point.label, verdict: point.verdict, maxRelativeError: point.maxRelativeError, sides: point.sides ?? null })),
    failedAt: pointText(grad) ?? null,
    wrongUses: usesText(grad, (offset) => position(offset).line + 1) ?? null,
    inherits: grad.wrongUses?.inherits ?? false,
  }));
  const errors = fileErrors({ diagnostics });
  const whyNot = errors.length > 0 ? `the file has ${plural(errors.length, "error")} to fix first` : (outcome.note ?? "the check did not run");
  const body = {
    examples: report?.examples ?? 0,
    grads: report ? checked : unchecked(analysis, lines, whyNot),
    autodiff: (report?.autodiff ?? []).map((entry) => ({ loss: entry.loss, param: entry.check.param, verdict: entry.check.verdict, maxRelativeError: entry.check.maxRelativeError })),
    chance: (report?.chance ?? []).map(({ span: _span, ...rest }) => rest),
    diagnostics,
    note: outcome.note ?? null,
  };
  return { file, ...verdictOf(body), ...body };
}

/** The file's grads when no check ran, each with the reason. */
function unchecked(analysis: Analysis, lines: LineIndex, problem: string): JsonGrad[] {
  return [...analysis.model.grads.values()].map((grad) => ({
    name: grad.name,
    line: lines.positionAt(grad.declaration.span.start).line + 1,
    verdict: "unchecked",
    maxRelativeError: null,
    checked: 0,
    kinks: 0,
    worst: [],
    pattern: null,
    problem,
    band: null,
    where: null,
    points: [],
    failedAt: null,
    wrongUses: null,
    inherits: false,
  }));
}

/** line:col of what stopped a file's check: its first error, else its first grad not checked. */
function errorPlace(file: JsonGradcheckFile): string {
  const [error] = fileErrors(file);
  if (error) return `${error.line}:${error.column}`;
  const unchecked = file.grads.find((grad) => grad.problem);
  return unchecked ? `${unchecked.line}:1` : "1:1";
}

export function formatGradcheck(report: JsonGradcheckReport): string {
  const out: string[] = [];
  for (const file of report.files) {
    const stopped = file.status === "error" || file.status === "skipped";
    out.push(file.status === "error" ? `${file.file}:${errorPlace(file)}: error: ${file.reason}` : `${file.file}: ${stopped ? file.reason : (file.note ?? `checked on ${file.examples} examples`)}`);
    for (const grad of file.grads) {
      const label = grad.inherits ? "inherited" : grad.verdict === "good" || grad.verdict === "acceptable" ? "ok" : grad.verdict;
      const why = grad.wrongUses ? (grad.inherits ? `wrong because ${grad.wrongUses}` : `its own expression is wrong, not only because ${grad.wrongUses}`) : undefined;
      const detail = grad.problem
        ? `not checked: ${grad.problem}`
        : `max relative error ${formatNumber(grad.maxRelativeError ?? 0)} over ${grad.checked} entries${grad.points.length > 1 ? ` at ${grad.points.length} points` : ""}${grad.kinks ? ` (${grad.kinks} at kinks)` : ""}${[why, grad.where, grad.failedAt, grad.pattern].filter((part) => part).map((part) => `; ${part}`).join("")}`;
      out.push(`  ${file.file}:${grad.line}: ${grad.name.padEnd(8)} ${label.padEnd(10)} ${detail}`);
    }
    for (const autodiff of file.autodiff) out.push(`  autodiff d${autodiff.loss}/d${autodiff.param}: ${autodiff.verdict} (max relative error ${formatNumber(autodiff.maxRelativeError)})`);
    // Far from chance is a note among the diagnostics below; near it is worth a line too.
    for (const chance of file.chance.filter((entry) => !entry.far)) out.push(`  the data part of ${chance.loss} is ${formatNumber(chance.value)} at initialisation, near chance for ${chance.kind} (${chance.expectedText})`);
    for (const diagnostic of file.diagnostics.filter((d) => !d.code.startsWith("gradcheck") && d.severity !== "hint")) out.push(`  ${file.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message} [${diagnostic.code}]`);
  }
  const grads = report.files.reduce((count, file) => count + file.grads.filter((grad) => grad.verdict !== "unchecked").length, 0);
  out.push(`${report.files.length} file${report.files.length === 1 ? "" : "s"}, ${grads} grad${grads === 1 ? "" : "s"} checked: ${report.failed} failed`);
  return out.join("\n") + "\n";
}
