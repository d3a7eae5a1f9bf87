// The analysis entry point: text in, syntax tree and findings out. Pure and
// synchronous; it never throws on anything a user can type.
import type * as ast from "../syntax/ast";
import { parse } from "../syntax/parse";
import { error, type Finding } from "./diagnostic";

export interface Analysis {
  document: ast.Document;
  findings: Finding[];
}

export function analyze(text: string): Analysis {
  const { document, errors } = parse(text);
  const findings: Finding[] = errors.map((syntaxError) => error("syntax", syntaxError.span, syntaxError.message));
  findings.push(...checkUnterminatedStrings(document), ...checkDuplicateNames(document));
  findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { document, findings };
}

function checkDuplicateNames(document: ast.Document): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, ast.Declaration>();
  for (const declaration of document.declarations) {
    const name = declaration.name.text;
    if (!name) continue;
    // Experiments and grads live in their own namespaces.
    const key = declaration.kind === "grad" ? `grad:${name}` : isExperiment(declaration) ? `experiment:${name}` : name;
    const earlier = seen.get(key);
    if (earlier) {
      findings.push(error("duplicate-name", declaration.name.span, `'${name}' is already declared (${earlier.kind} ${name})`));
    } else {
      seen.set(key, declaration);
    }
  }
  return findings;
}

export function isExperiment(declaration: ast.Declaration): boolean {
  return declaration.kind === "run" || declaration.kind === "sweep" || declaration.kind === "landscape" || declaration.kind === "gradcheck";
}

function checkUnterminatedStrings(document: ast.Document): Finding[] {
  const findings: Finding[] = [];
  forEachExpression(document, (expr) => {
    if (expr.kind === "string" && !expr.terminated) {
      findings.push(error("syntax", expr.span, "unterminated string: add a closing '\"'"));
    }
  });
  return findings;
}

/** Visits every expression of the document, children after parents, iteratively. */
export function forEachExpression(document: ast.Document, visit: (expr: ast.Expr) => void): void {
  const stack: ast.Expr[] = [];
  for (const declaration of document.declarations) stack.push(...declarationExpressions(declaration));
  while (stack.length > 0) {
    const expr = stack.pop() as ast.Expr;
    visit(expr);
    stack.push(...childExpressions(expr));
  }
}

export function declarationExpressions(declaration: ast.Declaration): ast.Expr[] {
  switch (declaration.kind) {
    case "data":
      return [declaration.source, ...blockValues(declaration.block)];
    case "param":
      return declaration.init ? [declaration.shape, declaration.init] : [declaration.shape];
    case "grad":
      return [declaration.numerator, declaration.denominator, declaration.value];
    case "optimizer":
      return [declaration.rule, ...blockValues(declaration.block)];
    case "hyper":
    case "score":
    case "loss":
      return [declaration.value];
    default:
      return blockValues(declaration.block);
  }
}

function blockValues(block: ast.Block | undefined): ast.Expr[] {
  return (block?.settings ?? []).flatMap((setting) => (setting.value ? [setting.value] : []));
}

export function childExpressions(expr: ast.Expr): ast.Expr[] {
  switch (expr.kind) {
    case "list":
      return expr.items;
    case "call":
      return expr.args.map((argument) => argument.value);
    case "binary":
      return [expr.left, expr.right];
    case "negate":
    case "transpose":
      return [expr.operand];
    case "index":
      return [expr.target, ...expr.indices];
    case "member":
      return [expr.target];
    case "range":
      return [expr.from, expr.to];
    default:
      return [];
  }
}
