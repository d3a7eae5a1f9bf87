// Iterative walks over the syntax tree's expressions.
import type * as ast from "./ast";

/** Visits every expression of the document, parents before children, iteratively. */
export function forEachExpression(document: ast.Document, visit: (expr: ast.Expr) => void): void {
  for (const declaration of document.declarations) {
    for (const root of declarationExpressions(declaration)) forEachSubexpression(root, visit);
  }
}

/** Visits an expression and everything inside it, parents before children, iteratively. */
export function forEachSubexpression(root: ast.Expr, visit: (expr: ast.Expr) => void): void {
  const stack: ast.Expr[] = [root];
  while (stack.length > 0) {
    const expr = stack.pop() as ast.Expr;
    visit(expr);
    pushChildren(expr, stack);
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

/** childExpressions without the intermediate array: walks run on every keystroke. */
export function pushChildren(expr: ast.Expr, stack: ast.Expr[]): void {
  switch (expr.kind) {
    case "list":
      for (const item of expr.items) stack.push(item);
      return;
    case "call":
      for (const argument of expr.args) stack.push(argument.value);
      return;
    case "binary":
      stack.push(expr.left, expr.right);
      return;
    case "negate":
    case "transpose":
      stack.push(expr.operand);
      return;
    case "index":
      stack.push(expr.target);
      for (const index of expr.indices) stack.push(index);
      return;
    case "member":
      stack.push(expr.target);
      return;
    case "range":
      stack.push(expr.from, expr.to);
      return;
    default:
      return;
  }
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
