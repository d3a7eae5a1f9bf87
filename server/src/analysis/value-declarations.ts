// Hypers, params, scores and losses: a hyper's value, a param's shape (its
// sizes, its rank, the entry limit) and initialiser, and a loss that must be
// a number. Their shapes themselves are shape-inference.ts's.
import type * as ast from "../syntax/ast";
import { initialisersByName } from "../language/builtins";
import type { CheckContext } from "./check-context";
import type { ConstantFolder } from "./constant-folding";
import { surround, type Fix } from "./diagnostic";
import { constDim, dimValue, shapeText, type Dim, type Shape } from "./dims";
import type { ShapeInference } from "./shape-inference";

export function checkHyper(context: CheckContext, constants: ConstantFolder, declaration: Extract<ast.Declaration, { kind: "hyper" }>): void {
  const value = constants.fold(declaration.value, true);
  if (value !== undefined) context.facts(declaration).value = value;
}

export function checkParam(context: CheckContext, constants: ConstantFolder, declaration: Extract<ast.Declaration, { kind: "param" }>): void {
  const shapeExpr = declaration.shape;
  let shape: Shape | undefined;
  if (shapeExpr.kind === "list") {
    shape = [];
    for (const item of shapeExpr.items) {
      const dim = shapeDim(context, constants, item);
      if (!dim) {
        shape = undefined;
        break;
      }
      shape.push(dim);
    }
    if (shape && shape.length > 4) {
      context.error("shape-rank", shapeExpr.span, `a param has at most 4 dimensions, but this shape has ${shape.length}`);
      shape = undefined;
    }
  } else if (shapeExpr.kind !== "missing") {
    context.error("param-shape", shapeExpr.span, "a param's shape is a list of sizes, such as [10, 785] or [C, D]");
  }
  // Refused here, before any executor allocates it.
  const entries = shape?.reduce((product, dim) => product * (dimValue(dim) ?? 1), 1) ?? 0;
  if (shape && entries > context.maxTensorEntries) {
    context.error("too-large", shapeExpr.span, `${declaration.name.text} would have ${entries.toLocaleString("en-US")} entries, more than the limit of ${context.maxTensorEntries.toLocaleString("en-US")}`);
    shape = undefined;
  }
  if (shape) context.facts(declaration).shape = shape;
  if (declaration.init) checkInitialiser(context, constants, declaration.init);
}

function shapeDim(context: CheckContext, constants: ConstantFolder, expr: ast.Expr): Dim | undefined {
  if (expr.kind === "name" && (expr.name === "D" || expr.name === "C")) return context.model.dims[expr.name];
  if (expr.kind === "name" && expr.name === "N") {
    context.error("param-shape", expr.span, "a param cannot depend on the batch size N");
    return undefined;
  }
  const value = constants.fold(expr, true);
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    context.error("param-shape", expr.span, `a size must be a positive whole number, not ${value}`);
    return undefined;
  }
  return constDim(value);
}

/** randn, zeros, xavier, ... optionally scaled by a number: `randn * 0.0001`. */
function checkInitialiser(context: CheckContext, constants: ConstantFolder, expr: ast.Expr): void {
  const names = [...initialisersByName.keys()];
  const visit = (node: ast.Expr): boolean => {
    if (node.kind === "name" && initialisersByName.has(node.name)) return true;
    if (node.kind === "call" && initialisersByName.has(node.callee.text) && node.args.length === 0) return true;
    if (node.kind === "binary" && (node.op === "*" || node.op === "/")) {
      // c * init, init * c and init / c, with c a number.
      if (node.op === "*" && constants.fold(node.left) !== undefined) return visit(node.right);
      return visit(node.left) && constants.fold(node.right, true) !== undefined;
    }
    if (node.kind === "number") return true;
    if (node.kind === "name") {
      context.unknownWord("unknown-initialiser", node.span, `unknown initialiser '${node.name}'`, node.name, names, ` (one of ${names.join(", ")})`);
      return false;
    }
    if (node.kind !== "missing") context.error("bad-initialiser", node.span, `an initialiser is one of ${names.join(", ")}, optionally scaled: randn * 0.0001`);
    return false;
  };
  visit(expr);
}

/** A score's shape is inferred here if nothing used it earlier; a loss's must be a number. */
export function checkScoreOrLoss(context: CheckContext, shapes: ShapeInference, declaration: Extract<ast.Declaration, { kind: "score" | "loss" }>): void {
  const typed = shapes.typeOfDeclaration(declaration);
  if (declaration.kind === "loss" && typed && typed.shape.length > 0) {
    const value = declaration.value;
    const wrap = (fn: string): Fix => ({ title: `Reduce with ${fn}(...)`, edits: surround(value.span, `${fn}(`, ")") });
    context.error("loss-not-scalar", value.span, `a loss must be a number, but ${declaration.name.text} has shape ${shapeText(typed.shape)}: reduce it with sum(...) or mean(...)`, [wrap("mean"), wrap("sum")]);
  }
}
