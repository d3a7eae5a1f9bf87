// Inlay hints: the inferred shape after each score, loss and grad name, and
// the parameter count after each param's shape.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { shapeText } from "../analysis/dims";
import { parameterCount } from "./hover";

export interface InlayHint {
  offset: number;
  label: string;
  tooltip?: string;
}

export function inlayHints(analysis: Analysis, range: ast.Span): InlayHint[] {
  const hints: InlayHint[] = [];
  for (const declaration of analysis.document.declarations) {
    if (declaration.span.end < range.start || declaration.span.start > range.end) continue;
    const shape = analysis.model.facts.get(declaration)?.shape;
    if (!shape) continue;
    if (declaration.kind === "score" || declaration.kind === "loss" || declaration.kind === "grad") {
      hints.push({ offset: declaration.name.span.end, label: `: ${shape.length === 0 ? "number" : shapeText(shape)}`, tooltip: "inferred shape; N is the number of examples" });
    } else if (declaration.kind === "param") {
      hints.push({ offset: declaration.shape.span.end, label: ` ${parameterCount(shape).replace(/^\[[^\]]*\] = /, "")}` });
    }
  }
  return hints;
}
