// `optim check`: analyse files and report findings like a compiler does. The
// data sets are read as the editor reads them (so a missing folder or a
// truncated file is an error on its declaration, and shapes are checked
// against the files), unless the check is asked to stay static.
import { dirname } from "node:path";
import { analyze } from "../analysis/analyze";
import type { Finding, Severity } from "../analysis/diagnostic";
import { LineIndex } from "../analysis/line-index";
import { dataLoader } from "../worker/load-examples";
import { analyseWithData } from "../worker/run-check";
import { readSource } from "./read-source";

/** One finding in the documented JSON form (docs/cli.md); lines and columns are 1-based. */
export interface JsonDiagnostic {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
}

export interface JsonFileReport {
  file: string;
  diagnostics: JsonDiagnostic[];
}

export interface JsonCheckReport {
  version: 1;
  files: JsonFileReport[];
  errors: number;
  warnings: number;
}

export interface CheckOptions {
  /** Read each file's data sets (the default), or only analyse the text. */
  data: boolean;
}

export async function checkFiles(files: string[], options: CheckOptions = { data: true }): Promise<JsonCheckReport> {
  const reports: JsonFileReport[] = [];
  for (const file of files) reports.push(await checkFile(file, options));
  const all = reports.flatMap((report) => report.diagnostics);
  return {
    version: 1,
    files: reports,
    errors: all.filter((diagnostic) => diagnostic.severity === "error").length,
    warnings: all.filter((diagnostic) => diagnostic.severity === "warning").length,
  };
}

async function checkFile(file: string, options: CheckOptions): Promise<JsonFileReport> {
  const source = await readSource(file);
  if (!source.ok) return { file, diagnostics: [{ line: 1, column: 1, endLine: 1, endColumn: 1, severity: "error", code: "io", message: source.message }] };
  const text = source.text;
  const lines = new LineIndex(text);
  return { file, diagnostics: (await findingsOf(text, dirname(file), options)).map((finding) => toJson(lines, finding)) };
}

/** The static findings, and with the data read, its errors and the shape errors against the files, in document order. */
async function findingsOf(text: string, baseDirectory: string, options: CheckOptions): Promise<Finding[]> {
  if (!options.data) return analyze(text).findings;
  const read = await analyseWithData(text, dataLoader({ baseDirectory }));
  return [...read.first.findings, ...read.findings].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
}

function toJson(lines: LineIndex, finding: Finding): JsonDiagnostic {
  const start = lines.positionAt(finding.span.start);
  const end = lines.positionAt(finding.span.end);
  return {
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    severity: finding.severity,
    code: finding.code,
    message: finding.message,
  };
}

/** Compiler-style lines; hints (such as unused names) only when asked for. */
export function formatReport(report: JsonCheckReport, withHints = false): string {
  const lines = report.files.flatMap((file) =>
    file.diagnostics
      .filter((d) => withHints || d.severity !== "hint")
      .map((d) => `${file.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`),
  );
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  lines.push(`${plural(report.files.length, "file")} checked: ${plural(report.errors, "error")}, ${plural(report.warnings, "warning")}`);
  return lines.join("\n") + "\n";
}
