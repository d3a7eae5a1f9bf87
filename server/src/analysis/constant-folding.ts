// Numbers known before anything runs: literals, hypers and arithmetic on them,
// folded where a size, a setting or an axis needs one. A hyper defined in
// terms of itself is a cycle, reported on each hyper of it.
import type * as ast from "../syntax/ast";
import type { CheckContext } from "./check-context";
import { dimValue } from "./dims";
import { namesOfKind } from "./name-resolution";
import { withArticle } from "./suggest";

export class ConstantFolder {
  private readonly hyperValues = new Map<ast.Declaration, number | undefined>();
  private cyclesMet = 0;
  private readonly reportedCycles = new Set<ast.Declaration>();

  constructor(private readonly context: CheckContext) {}

  /** Folds numbers, hypers and arithmetic; reports what cannot be folded when `report` is set. */
  fold(expr: ast.Expr, report = false): number | undefined {
    const context = this.context;
    const fail = (message: string): undefined => {
      if (report) context.error("not-constant", expr.span, message);
      return undefined;
    };
    switch (expr.kind) {
      case "number":
        return expr.value;
      case "negate": {
        const inner = this.fold(expr.operand, report);
        return inner === undefined ? undefined : -inner;
      }
      case "binary": {
        const left = this.fold(expr.left, report);
        const right = this.fold(expr.right, report);
        if (left === undefined || right === undefined) return undefined;
        switch (expr.op) {
          case "+":
            return left + right;
          case "-":
            return left - right;
          case "*":
            return left * right;
          case "/":
            return right === 0 ? fail("division by zero") : left / right;
          case "^":
            return left ** right;
          default:
            return fail(`'${expr.op}' is not allowed in a number`);
        }
      }
      case "name": {
        const symbol = context.model.symbols.get(expr.name);
        if (symbol?.kind === "hyper") {
          context.reference(expr.name, expr.span, symbol);
          return this.foldHyper(symbol.declaration as Extract<ast.Declaration, { kind: "hyper" }>, expr);
        }
        if (expr.name === "N") return fail("N is the number of examples being evaluated; it is not known until then, so it cannot be part of a number here");
        if (expr.name === "X" || expr.name === "y") return fail(`${expr.name} stands for the examples; a number is needed here`);
        if (expr.name === "D" || expr.name === "C") {
          const value = dimValue(context.model.dims[expr.name]);
          return value ?? fail(`${expr.name} is not known until the data is read`);
        }
        if (!symbol) {
          if (report) context.unknownWord("not-constant", expr.span, `unknown name '${expr.name}'`, expr.name, namesOfKind(context.model.symbols, "hyper"));
          return undefined;
        }
        context.reference(expr.name, expr.span, symbol);
        return fail(`'${expr.name}' is ${withArticle(symbol.kind)}; a number is needed here`);
      }
      case "missing":
        return undefined;
      case "gradRef":
        return fail(`${expr.name} names a grad; a number is needed here (to divide, write ${expr.name.replace("/", " / ")})`);
      default:
        return fail("a number is needed here");
    }
  }

  /** The value of the hyper `use` names, folded once and remembered. */
  private foldHyper(declaration: Extract<ast.Declaration, { kind: "hyper" }>, use: Extract<ast.Expr, { kind: "name" }>): number | undefined {
    const context = this.context;
    if (context.visiting.has(declaration)) {
      this.cyclesMet++;
      if (!this.reportedCycles.has(declaration)) {
        this.reportedCycles.add(declaration);
        context.error("cycle", declaration.name.span, `${use.name} is defined in terms of itself`);
      }
      return undefined;
    }
    // Remembered: `hyper b = a + a`, `hyper c = b + b`, … would otherwise fold in exponential time.
    if (this.hyperValues.has(declaration)) return this.hyperValues.get(declaration);
    if (context.tooManyReferences(use.span)) return undefined;
    const cyclesBefore = this.cyclesMet;
    context.visiting.add(declaration);
    const value = this.fold(declaration.value);
    context.visiting.delete(declaration);
    // A value that met a cycle is folded again from its other end, so the cycle is reported on each of its hypers.
    if (this.cyclesMet === cyclesBefore) this.hyperValues.set(declaration, value);
    return value;
  }
}
