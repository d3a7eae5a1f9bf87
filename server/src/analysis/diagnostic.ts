// Findings as plain data: what the analysis core hands to the LSP layer, the
// CLI and the tests. Ranges are character offsets into the document text.
import type { Span } from "../syntax/ast";

export type Severity = "error" | "warning" | "information" | "hint";

export interface TextEdit {
  span: Span;
  newText: string;
}

/** A change that resolves a finding, offered as a quick fix. */
export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  span: Span;
  severity: Severity;
  message: string;
  /** Stable identifier of the check that produced it, e.g. `syntax` or `duplicate-name`. */
  code: string;
  /** Marks code that is unused, for editors that fade it. */
  unnecessary?: boolean;
  fixes?: Fix[];
}

export function error(code: string, span: Span, message: string): Finding {
  return { span, severity: "error", message, code };
}

/** Edits that put `before` and `after` around a span: a call, brackets. */
export function surround(span: Span, before: string, after: string): TextEdit[] {
  return [
    { span: { start: span.start, end: span.start }, newText: before },
    { span: { start: span.end, end: span.end }, newText: after },
  ];
}
