// Grads: what a grad names (d<loss>/d<param> or d<loss>/d<score>, each part
// resolved to its declaration and recorded as a reference) and its shape,
// which must be its param's or score's up to axes of size 1. A grad's value is
// typed as a declaration's, so grads that use one another are followed in the
// chain where cycles are found.
import type * as ast from "../syntax/ast";
import type { CheckContext } from "./check-context";
import { dependencyOrder } from "./dependencies";
import { surround, type Fix } from "./diagnostic";
import { isOne, resolve, shapeText, unify, type Shape } from "./dims";
import type { SymbolInfo, SymbolKind } from "./model";
import { namesOfKind } from "./name-resolution";
import type { ShapeInference } from "./shape-inference";
import { withArticle } from "./suggest";

type GradDeclaration = Extract<ast.Declaration, { kind: "grad" }>;

const targetHint = "a grad is written d<loss>/d<param> or d<loss>/d<score>";

export function checkGrad(context: CheckContext, shapes: ShapeInference, declaration: GradDeclaration): void {
  const loss = resolveGradTarget(context, declaration.numerator, ["loss"]);
  const wrt = resolveGradTarget(context, declaration.denominator, ["param", "score"]);
  const typed = shapes.typeOfDeclaration(declaration);
  if (!loss || !wrt) return;
  context.facts(declaration).gradOf = { loss, wrt };
  if (wrt.kind === "score" && !dependencyOrder(context.model, loss.declaration).includes(wrt.declaration)) {
    context.error("grad-target", declaration.denominator.span, `${loss.name} does not depend on ${wrt.name}, so its gradient with respect to ${wrt.name} is zero`);
    return;
  }
  const wrtShape = wrt.kind === "param" ? context.facts(wrt.declaration).shape : shapes.typeOfDeclaration(wrt.declaration)?.shape;
  if (typed && wrtShape && !sameShape(typed.shape, wrtShape)) {
    const transposed = typed.shape.length === 2 && wrtShape.length === 2 && sameShape([typed.shape[1], typed.shape[0]], wrtShape);
    const value = declaration.value;
    const fixes: Fix[] | undefined = transposed ? [{ title: "Transpose the gradient", edits: surround(value.span, "(", ")^T") }] : undefined;
    context.error("grad-shape", value.span, `the gradient ${declaration.name.text} has shape ${shapeText(typed.shape)} but ${wrt.name} has shape ${shapeText(wrtShape)}${transposed ? ": transpose it with ^T" : ""}`, fixes);
  }
}

/** The declaration one side of `dL/dW` names (`dL` names L), recorded as a reference; undefined, and reported, when it is not of one of `kinds`. */
function resolveGradTarget(context: CheckContext, expr: ast.Expr, kinds: SymbolKind[]): SymbolInfo | undefined {
  if (expr.kind === "missing") return undefined;
  if (expr.kind !== "name" || !expr.name.startsWith("d") || expr.name.length < 2) {
    context.error("grad-target", expr.span, `${targetHint}, such as dL/dW`);
    return undefined;
  }
  const name = expr.name.slice(1);
  const span = { start: expr.span.start + 1, end: expr.span.end };
  const symbol = context.model.symbols.get(name);
  const wanted = kinds.join(" or ");
  if (!symbol) {
    context.unknownWord("unknown-name", span, `unknown ${wanted} '${name}'`, name, kinds.flatMap((kind) => namesOfKind(context.model.symbols, kind)));
    return undefined;
  }
  context.reference(name, span, symbol);
  if (!kinds.includes(symbol.kind)) {
    context.error("grad-target", span, `'${name}' is ${withArticle(symbol.kind)}, not ${kinds.map(withArticle).join(" or ")}: ${targetHint}`);
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
