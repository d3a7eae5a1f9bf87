// Finding what is under the cursor: a declared name, a reference to one, a
// setting key, a call, or the innermost expression.
import type * as ast from "../syntax/ast";
import type { CheckedModel, SymbolInfo } from "../analysis/model";
import { childExpressions, declarationExpressions } from "../syntax/walk";

export function contains(span: ast.Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** The declared symbol whose name, or a reference to it, is at `offset`. */
export function symbolAt(model: CheckedModel, offset: number): { symbol: SymbolInfo; span: ast.Span } | undefined {
  for (const reference of model.references) {
    if (contains(reference.span, offset)) return { symbol: reference.symbol, span: reference.span };
  }
  for (const table of [model.symbols, model.experiments, model.grads]) {
    for (const symbol of table.values()) {
      if (contains(symbol.declaration.name.span, offset)) return { symbol, span: symbol.declaration.name.span };
    }
  }
  return undefined;
}

export function declarationAt(document: ast.Document, offset: number): ast.Declaration | undefined {
  return document.declarations.find((declaration) => contains(declaration.span, offset));
}

/** The chain of expressions containing `offset`, outermost first. */
export function expressionPath(declaration: ast.Declaration, offset: number): ast.Expr[] {
  const path: ast.Expr[] = [];
  let candidates = declarationExpressions(declaration);
  for (;;) {
    const next = candidates.find((expr) => expr.kind !== "missing" && contains(expr.span, offset));
    if (!next) return path;
    path.push(next);
    candidates = childExpressions(next);
  }
}

export function settingAt(declaration: ast.Declaration, offset: number): ast.Setting | undefined {
  const block = "block" in declaration ? declaration.block : undefined;
  return block?.settings.find((setting) => contains(setting.span, offset));
}

/** Every place a symbol is named: its declaration and its references. */
export function occurrences(model: CheckedModel, symbol: SymbolInfo): ast.Span[] {
  const spans = [symbol.declaration.name.span];
  for (const reference of model.references) if (reference.symbol === symbol) spans.push(reference.span);
  return spans.sort((a, b) => a.start - b.start);
}
