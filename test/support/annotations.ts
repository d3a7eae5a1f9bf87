// Inline-annotated fixtures: expected findings are written under the line they
// point at, as comments, with carets under the range:
//
//   param W: [10 = 3
//   #            ^ error: expected ']' but found '='
//
// `|` marks an empty range. The `#` sits in the column before the marks; a
// range that starts in column 0 is written `#^^^`, one column to the right. `renderAnnotated` produces the same form from real
// findings, so a fixture is checked by comparing text.
import type { Finding } from "../../server/src/analysis/diagnostic";
import { LineIndex } from "../../server/src/analysis/line-index";

const annotationLine = /^\s*#\s*[\^|]+\s+(?:error|warning|information|hint)(?:\[[\w-]+\])?: /;

export function stripAnnotations(text: string): string {
  return text
    .split("\n")
    .filter((line) => !annotationLine.test(line))
    .join("\n");
}

function marker(startColumn: number, endColumn: number): string {
  const marks = endColumn === startColumn ? "|" : "^".repeat(endColumn - startColumn);
  return startColumn === 0 ? `#${marks}` : `${" ".repeat(startColumn - 1)}#${marks}`;
}

export function renderAnnotated(source: string, findings: Finding[], withCodes = false): string {
  const lines = source.split("\n");
  const index = new LineIndex(source);
  const byLine = new Map<number, string[]>();
  for (const finding of findings) {
    const start = index.positionAt(finding.span.start);
    const end = index.positionAt(finding.span.end);
    const endColumn = end.line === start.line ? end.character : lines[start.line].length;
    const code = withCodes ? `[${finding.code}]` : "";
    const text = `${marker(start.character, Math.max(endColumn, start.character))} ${finding.severity}${code}: ${finding.message}`;
    const list = byLine.get(start.line) ?? [];
    list.push(text);
    byLine.set(start.line, list);
  }
  const output: string[] = [];
  lines.forEach((line, number) => {
    output.push(line);
    for (const annotation of byLine.get(number) ?? []) output.push(annotation);
  });
  return output.join("\n");
}
