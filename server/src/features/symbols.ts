// Document symbols (the outline) and the entries for workspace symbol search.
import type * as ast from "../syntax/ast";
import type { SymbolKind } from "../analysis/model";
import { shapeText } from "../analysis/dims";
import type { Analysis } from "../analysis/analyze";

export interface OutlineSymbol {
  name: string;
  kind: SymbolKind;
  detail: string;
  span: ast.Span;
  selectionSpan: ast.Span;
  children: OutlineSymbol[];
}

export function documentSymbols(analysis: Analysis): OutlineSymbol[] {
  return analysis.document.declarations
    .filter((declaration) => declaration.name.text)
    .map((declaration) => {
      const shape = analysis.model.facts.get(declaration)?.shape;
      const block = "block" in declaration ? declaration.block : undefined;
      return {
        name: declaration.name.text,
        kind: declaration.kind,
        detail: shape ? (shape.length === 0 ? `${declaration.kind}` : `${declaration.kind} ${shapeText(shape)}`) : declaration.kind,
        span: declaration.span,
        selectionSpan: declaration.name.span,
        children: (block?.settings ?? [])
          .filter((setting) => setting.key.text)
          .map((setting) => ({ name: setting.key.text, kind: declaration.kind, detail: "setting", span: setting.span, selectionSpan: setting.key.span, children: [] })),
      };
    });
}

/** Case-insensitive subsequence match, as editors do for symbol search. */
export function matchesQuery(name: string, query: string): boolean {
  let position = 0;
  const lower = name.toLowerCase();
  for (const character of query.toLowerCase()) {
    position = lower.indexOf(character, position);
    if (position < 0) return false;
    position++;
  }
  return true;
}
