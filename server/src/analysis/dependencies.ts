// The declarations a declaration is computed from, in an order where each
// comes after those it names. Passes that follow names from declaration to
// declaration (curvature, the params a loss depends on, compilation) take
// them in this order, so each finds what it names already done and none
// recurses along a chain of declarations as long as the user cares to write.
import type * as ast from "../syntax/ast";
import { forEachSubexpression } from "../syntax/walk";
import type { CheckedModel } from "./model";

/** The expression a declaration's value is computed by, for those that have one. */
export function valueOf(declaration: ast.Declaration): ast.Expr | undefined {
  switch (declaration.kind) {
    case "hyper":
    case "score":
    case "loss":
    case "grad":
      return declaration.value;
    default:
      return undefined;
  }
}

/** The declarations a declaration's value names directly: values by name, grads by their dL/dW. */
export function namedDeclarations(model: CheckedModel, declaration: ast.Declaration): ast.Declaration[] {
  const value = valueOf(declaration);
  if (!value) return [];
  const named = new Set<ast.Declaration>();
  forEachSubexpression(value, (expr) => {
    const symbol = expr.kind === "name" ? model.symbols.get(expr.name) : expr.kind === "gradRef" ? model.grads.get(expr.name) : undefined;
    if (symbol) named.add(symbol.declaration);
  });
  return [...named];
}

/**
 * `root` and every declaration it is computed from, each after those it
 * names, `root` last: a depth-first walk with an explicit stack. A cycle is
 * cut where it closes (the checker reports it). What `held` holds is taken as
 * given: in the order, but not what it is computed from.
 */
export function dependencyOrder(model: CheckedModel, root: ast.Declaration, held?: ReadonlySet<ast.Declaration>): ast.Declaration[] {
  const order: ast.Declaration[] = [];
  const entered = new Set<ast.Declaration>([root]);
  const named = (declaration: ast.Declaration) => (held?.has(declaration) ? [] : namedDeclarations(model, declaration));
  const stack: { declaration: ast.Declaration; pending: ast.Declaration[] }[] = [{ declaration: root, pending: named(root) }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const next = top.pending.pop();
    if (next === undefined) {
      order.push(top.declaration);
      stack.pop();
    } else if (!entered.has(next)) {
      entered.add(next);
      stack.push({ declaration: next, pending: named(next) });
    }
  }
  return order;
}
