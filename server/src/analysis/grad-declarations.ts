// Grads: what a grad names (d<loss>/d<param>, each part resolved to its
// declaration and recorded as a reference) and its shape, which must be its
// param's up to axes of size 1.
import type * as ast from "../syntax/ast";
import type { CheckContext } from "./check-context";
import { surround, type Fix } from "./diagnostic";
import { isOne, resolve, shapeText, unify, type Shape } from "./dims";
import type { SymbolInfo } from "./model";
import { namesOfKind } from "./name-resolution";
import type { ShapeInference } from "./shape-inference";
import { withArticle } from "./suggest";

type GradDeclaration = Extract<ast.Declaration, { kind: "grad" }>;

export function checkGrad(context: CheckContext, shapes: ShapeInference, declaration: GradDeclaration): void {
  const loss = resolveGradTarget(context, declaration.numerator, "loss");
  const param = resolveGradTarget(context, declaration.denominator, "param");
  const typed = shapes.typeOf(declaration.value);
  if (loss && param) {
    context.facts(declaration).gradOf = { loss, param };
    const paramShape = context.facts(param.declaration).shape;
    if (typed) context.facts(declaration).shape = typed.shape;
    if (typed && paramShape && !sameShape(typed.shape, paramShape)) {
      const transposed = typed.shape.length === 2 && paramShape.length === 2 && sameShape([typed.shape[1], typed.shape[0]], paramShape);
      const value = declaration.value;
      const fixes: Fix[] | undefined = transposed ? [{ title: "Transpose the gradient", edits: surround(value.span, "(", ")^T") }] : undefined;
      context.error("grad-shape", value.span, `the gradient ${declaration.name.text} has shape ${shapeText(typed.shape)} but ${param.name} has shape ${shapeText(paramShape)}${transposed ? ": transpose it with ^T" : ""}`, fixes);
    }
  }
}

/** The declaration one side of `dL/dW` names (`dL` names L), recorded as a reference; undefined, and reported, when it is not of `kind`. */
function resolveGradTarget(context: CheckContext, expr: ast.Expr, kind: "loss" | "param"): SymbolInfo | undefined {
  if (expr.kind === "missing") return undefined;
  if (expr.kind !== "name" || !expr.name.startsWith("d") || expr.name.length < 2) {
    context.error("grad-target", expr.span, "a grad is written d<loss>/d<param>, such as dL/dW");
    return undefined;
  }
  const name = expr.name.slice(1);
  const span = { start: expr.span.start + 1, end: expr.span.end };
  const symbol = context.model.symbols.get(name);
  if (!symbol) {
    context.unknownWord("unknown-name", span, `unknown ${kind} '${name}'`, name, namesOfKind(context.model.symbols, kind));
    return undefined;
  }
  context.reference(name, span, symbol);
  if (symbol.kind !== kind) {
    context.error("grad-target", span, `'${name}' is ${withArticle(symbol.kind)}, not ${withArticle(kind)}: a grad is written d<loss>/d<param>`);
    return undefined;
  }
  return symbol;
}

/** Equal shapes, ignoring axes of size 1 (so sum(d, axis=0) : [1, C] is a gradient for b : [C]). */
function sameShape(left: Shape, right: Shape): boolean {
  const a = left.filter((dim) => !isOne(dim));
  const b = right.filter((dim) => !isOne(dim));
  if (a.length !== b.length) return false;
  // Equal known sizes or the same symbol match; an unknown size is bound to its counterpart.
  return a.every((dim, i) => {
    const left = resolve(dim);
    const right = resolve(b[i]);
    if (left === right) return true;
    if (left.kind === "const" && right.kind === "const") return left.value === right.value;
    if (left.kind === "var" || right.kind === "var") return unify(left, right);
    return false;
  });
}
