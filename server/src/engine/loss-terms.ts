// A loss read as the notes read it: its additive terms split into the data
// term (what reads the examples) and the rest (the regularisation), the SVM's
// margin Δ, and constants folded from hypers. Every walk is iterative: a sum
// of 50,000 terms is a tree 50,000 deep.
import type * as ast from "../syntax/ast";
import type { Analysis } from "../analysis/analyze";
import { forEachSubexpression } from "../syntax/walk";

/** Folds an expression of numbers and hypers to a number, or undefined. */
export function constantFolder(analysis: Analysis): (expr: ast.Expr) => number | undefined {
  return (root) => {
    // Post-order over an explicit stack: each node's value once its operands have one.
    const values = new Map<ast.Expr, number | undefined>();
    const stack: { expr: ast.Expr; expanded: boolean }[] = [{ expr: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const expr = top.expr;
      if (expr.kind === "binary" || expr.kind === "negate") {
        if (!top.expanded) {
          top.expanded = true;
          if (expr.kind === "binary") stack.push({ expr: expr.left, expanded: false }, { expr: expr.right, expanded: false });
          else stack.push({ expr: expr.operand, expanded: false });
          continue;
        }
      }
      stack.pop();
      values.set(expr, foldOne(expr, values, analysis));
    }
    return values.get(root);
  };
}

function foldOne(expr: ast.Expr, values: Map<ast.Expr, number | undefined>, analysis: Analysis): number | undefined {
  switch (expr.kind) {
    case "number":
      return expr.value;
    case "negate": {
      const inner = values.get(expr.operand);
      return inner === undefined ? undefined : -inner;
    }
    case "name": {
      const symbol = analysis.model.symbols.get(expr.name);
      return symbol?.kind === "hyper" ? analysis.model.facts.get(symbol.declaration)?.value : undefined;
    }
    case "binary": {
      const a = values.get(expr.left);
      const b = values.get(expr.right);
      if (a === undefined || b === undefined) return undefined;
      return expr.op === "+" ? a + b : expr.op === "-" ? a - b : expr.op === "*" ? a * b : expr.op === "/" ? a / b : expr.op === "^" ? a ** b : undefined;
    }
    default:
      return undefined;
  }
}

/** The SVM margin Δ: the constant added inside max(0, …), 1 if none is found; undefined without a hinge. */
export function svmMargin(expr: ast.Expr, constant: (expr: ast.Expr) => number | undefined): number | undefined {
  let hinge: ast.Expr | undefined;
  forEachSubexpression(expr, (node) => {
    if (!hinge && node.kind === "call" && node.callee.text === "max" && node.args.length === 2 && constant(node.args[0].value) === 0) hinge = node.args[1].value;
  });
  if (!hinge) return undefined;
  let margin = 0;
  const terms = [hinge];
  while (terms.length > 0) {
    const term = terms.pop() as ast.Expr;
    if (term.kind === "binary" && term.op === "+") terms.push(term.left, term.right);
    else margin += constant(term) ?? 0;
  }
  return margin || 1;
}

function dependsOnData(analysis: Analysis, root: ast.Expr): boolean {
  const seen = new Set<ast.Declaration>();
  const roots = [root];
  let found = false;
  while (roots.length > 0 && !found) {
    forEachSubexpression(roots.pop() as ast.Expr, (node) => {
      if (found || node.kind !== "name") return;
      if (node.name === "X" || node.name === "y") found = true;
      const declaration = analysis.model.symbols.get(node.name)?.declaration;
      if (declaration && (declaration.kind === "score" || declaration.kind === "loss") && !seen.has(declaration)) {
        seen.add(declaration);
        roots.push(declaration.value);
      }
    });
  }
  return found;
}

/**
 * A loss's additive terms, named losses opened up, split into those that read
 * the examples (X or y) and the rest, each summed back into one expression.
 * The notes' chance check is about the data term alone; a gradient check
 * explains a wrong gradient against the rest.
 */
export function splitTerms(analysis: Analysis, expr: ast.Expr): { data?: ast.Expr; rest?: ast.Expr } {
  const data: ast.Expr[] = [];
  const rest: ast.Expr[] = [];
  const pending: { node: ast.Expr; negative: boolean }[] = [{ node: expr, negative: false }];
  const opened = new Set<ast.Declaration>();
  while (pending.length > 0) {
    const { node, negative } = pending.pop() as { node: ast.Expr; negative: boolean };
    const declaration = node.kind === "name" ? analysis.model.symbols.get(node.name)?.declaration : undefined;
    if (declaration?.kind === "loss" && !opened.has(declaration)) {
      opened.add(declaration);
      pending.push({ node: declaration.value, negative });
      continue;
    }
    if (node.kind === "binary" && (node.op === "+" || node.op === "-")) {
      pending.push({ node: node.right, negative: node.op === "-" ? !negative : negative }, { node: node.left, negative });
      continue;
    }
    const term: ast.Expr = negative ? { kind: "negate", operand: node, span: node.span } : node;
    (dependsOnData(analysis, node) ? data : rest).push(term);
  }
  const sum = (terms: ast.Expr[]) => (terms.length === 0 ? undefined : terms.reduce((total, term): ast.Expr => ({ kind: "binary", op: "+", left: total, right: term, opSpan: term.span, span: term.span })));
  return { data: sum(data), rest: sum(rest) };
}
