// Plain findings -> LSP types. The only place where the two meet.
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic, type Range } from "vscode-languageserver";
import type { Finding, Severity } from "../analysis/diagnostic";
import type { LineIndex } from "../analysis/line-index";
import type { Span } from "../syntax/ast";

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.positionAt(span.start), end: lines.positionAt(span.end) };
}

export function toDiagnostic(lines: LineIndex, finding: Finding): Diagnostic {
  return {
    range: toRange(lines, finding.span),
    severity: severities[finding.severity],
    message: finding.message,
    code: finding.code,
    source: "optim",
    tags: finding.unnecessary ? [DiagnosticTag.Unnecessary] : undefined,
  };
}
