// Semantic tokens: the lexer's tokens, classified with what analysis knows
// (a name's declaration kind, a setting key, a builtin).
import type * as ast from "../syntax/ast";
import { optimLexer } from "../syntax/tokens";
import type { Analysis } from "../analysis/analyze";
import type { LineIndex } from "../analysis/line-index";
import type { SymbolKind } from "../analysis/model";
import { forEachExpression } from "../syntax/walk";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";

export const tokenTypes = ["keyword", "function", "variable", "parameter", "property", "number", "string", "comment", "operator", "type", "class", "namespace", "event"] as const;
export const tokenModifiers = ["declaration", "readonly", "defaultLibrary"] as const;

export type TokenType = (typeof tokenTypes)[number];
export type TokenModifier = (typeof tokenModifiers)[number];

export interface SemanticToken {
  line: number;
  character: number;
  length: number;
  type: TokenType;
  modifiers: TokenModifier[];
}

interface Classification {
  type: TokenType;
  modifiers: TokenModifier[];
}

const symbolTypes: Record<SymbolKind, Classification> = {
  data: { type: "namespace", modifiers: [] },
  hyper: { type: "variable", modifiers: ["readonly"] },
  param: { type: "variable", modifiers: [] },
  score: { type: "function", modifiers: [] },
  loss: { type: "function", modifiers: [] },
  optimizer: { type: "class", modifiers: [] },
  run: { type: "event", modifiers: [] },
  sweep: { type: "event", modifiers: [] },
  search: { type: "event", modifiers: [] },
  landscape: { type: "event", modifiers: [] },
  gradcheck: { type: "event", modifiers: [] },
  grad: { type: "function", modifiers: [] },
};

function classifyNames(analysis: Analysis): Map<number, Classification> {
  const byOffset = new Map<number, Classification>();
  const { model, document } = analysis;
  for (const table of [model.symbols, model.experiments]) {
    for (const symbol of table.values()) {
      const base = symbolTypes[symbol.kind];
      byOffset.set(symbol.declaration.name.span.start, { type: base.type, modifiers: [...base.modifiers, "declaration"] });
    }
  }
  for (const reference of model.references) byOffset.set(reference.span.start, symbolTypes[reference.symbol.kind]);
  const settingKeys = (block: ast.Block | undefined) => {
    for (const setting of block?.settings ?? []) byOffset.set(setting.key.span.start, { type: "property", modifiers: [] });
  };
  for (const declaration of document.declarations) {
    if ("block" in declaration) settingKeys(declaration.block);
    if (declaration.kind === "grad") {
      for (const part of [declaration.numerator, declaration.denominator]) {
        if (part.kind === "name" && !byOffset.has(part.span.start)) byOffset.set(part.span.start, { type: "function", modifiers: [] });
      }
    }
  }
  const library: Classification = { type: "function", modifiers: ["defaultLibrary"] };
  forEachExpression(document, (expr) => {
    if (expr.kind === "call") {
      if (!byOffset.has(expr.callee.span.start)) byOffset.set(expr.callee.span.start, library);
      for (const argument of expr.args) if (argument.name) byOffset.set(argument.name.span.start, { type: "parameter", modifiers: [] });
    } else if (expr.kind === "name" && !byOffset.has(expr.span.start)) {
      if (implicitNamesByName.has(expr.name)) byOffset.set(expr.span.start, { type: "variable", modifiers: ["readonly", "defaultLibrary"] });
      else if (initialisersByName.has(expr.name) || builtinFunctionsByName.has(expr.name)) byOffset.set(expr.span.start, library);
    } else if (expr.kind === "member") {
      byOffset.set(expr.member.span.start, { type: "property", modifiers: [] });
    } else if (expr.kind === "transpose") {
      byOffset.set(expr.span.end - 1, { type: "operator", modifiers: [] });
    }
  });
  return byOffset;
}

export function semanticTokens(analysis: Analysis, text: string, lines: LineIndex): SemanticToken[] {
  const names = classifyNames(analysis);
  const lexed = optimLexer.tokenize(text);
  const all = [...lexed.tokens, ...(lexed.groups.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  const result: SemanticToken[] = [];
  for (const token of all) {
    let classification: Classification | undefined;
    const kind = token.tokenType.name;
    if (kind === "Comment") classification = { type: "comment", modifiers: [] };
    else if (kind === "NumberLiteral") classification = { type: "number", modifiers: [] };
    else if (kind === "StringLiteral" || kind === "UnterminatedString") classification = { type: "string", modifiers: [] };
    else if (kind === "Identifier") classification = names.get(token.startOffset);
    else if (kind === "GradName") {
      // `dL/ds` is one token but reads as two names and a slash, as the grammar colours it.
      const known = names.get(token.startOffset);
      if (known) result.push(...gradNamePieces(token.startOffset, token.image, known, lines));
      continue;
    }
    else if (token.tokenType.CATEGORIES?.some((category) => category.name === "DeclarationKeyword")) classification = { type: "keyword", modifiers: [] };
    else if (/Operator$|^(Plus|Minus|Star|Slash|At|Caret|DotDot)$/.test(kind) || token.tokenType.CATEGORIES?.some((category) => /Operator$/.test(category.name))) classification = { type: "operator", modifiers: [] };
    if (!classification) continue;
    const start = lines.positionAt(token.startOffset);
    result.push({ line: start.line, character: start.character, length: token.image.length, ...classification });
  }
  return result;
}

function gradNamePieces(start: number, image: string, name: Classification, lines: LineIndex): SemanticToken[] {
  const slash = image.indexOf("/");
  const pieces: [number, number, Classification][] = [
    [start, slash, name],
    [start + slash, 1, { type: "operator", modifiers: [] }],
    [start + slash + 1, image.length - slash - 1, name],
  ];
  return pieces.map(([offset, length, classification]) => ({ ...lines.positionAt(offset), length, ...classification }));
}
