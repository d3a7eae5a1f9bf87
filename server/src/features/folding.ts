// Folding ranges: multi-line declarations and blocks, and runs of comment lines.
import type { Analysis } from "../analysis/analyze";
import type { LineIndex } from "../analysis/line-index";

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: "comment";
}

export function foldingRanges(analysis: Analysis, lines: LineIndex): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  for (const declaration of analysis.document.declarations) {
    const start = lines.positionAt(declaration.span.start).line;
    const end = lines.positionAt(declaration.span.end).line;
    if (end > start) ranges.push({ startLine: start, endLine: end });
  }
  let runStart = -1;
  let previous = -2;
  for (const comment of analysis.document.comments) {
    const line = lines.positionAt(comment.span.start).line;
    if (line !== previous + 1) {
      if (previous - runStart >= 1) ranges.push({ startLine: runStart, endLine: previous, kind: "comment" });
      runStart = line;
    }
    previous = line;
  }
  if (previous - runStart >= 1 && runStart >= 0) ranges.push({ startLine: runStart, endLine: previous, kind: "comment" });
  return ranges.sort((a, b) => a.startLine - b.startLine);
}
