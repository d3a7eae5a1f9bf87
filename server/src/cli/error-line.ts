// An error as the CLI prints it: file:line:col first, like a compiler, so
// editors and terminals can jump to it. A problem with the file as a whole
// (it cannot be read, it has no such run) is placed at 1:1.
import { LineIndex } from "../analysis/line-index";
import type { Finding } from "../analysis/diagnostic";

export function errorLine(file: string, text: string | undefined, offset: number, message: string, code?: string): string {
  const position = text === undefined ? { line: 0, character: 0 } : new LineIndex(text).positionAt(offset);
  return `${file}:${position.line + 1}:${position.character + 1}: error: ${message}${code ? ` [${code}]` : ""}\n`;
}

/** Each error finding, one line each. */
export function errorLines(file: string, text: string, findings: Finding[]): string {
  const lines = new LineIndex(text);
  return findings
    .filter((finding) => finding.severity === "error")
    .map((finding) => {
      const position = lines.positionAt(finding.span.start);
      return `${file}:${position.line + 1}:${position.character + 1}: error: ${finding.message} [${finding.code}]\n`;
    })
    .join("");
}
