// Names: each declaration's name in its table (symbols, experiments, grads),
// the declaration a name in a calculation refers to, the names offered when
// one is unknown, and the declarations nothing refers to.
import type * as ast from "../syntax/ast";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";
import type { CheckContext } from "./check-context";
import type { Fix } from "./diagnostic";
import type { CheckedModel, SymbolInfo, SymbolKind } from "./model";

const mainKinds = new Set<SymbolKind>(["data", "hyper", "param", "score", "loss", "optimizer"]);

/** Enters every declaration's name in its table; a repeated or reserved name is an error and stays out. */
export function declareNames(context: CheckContext): void {
  const model = context.model;
  for (const declaration of model.document.declarations) {
    const name = declaration.name.text;
    if (!name) continue;
    const symbol: SymbolInfo = { name, kind: declaration.kind, declaration };
    const table = declaration.kind === "grad" ? model.grads : mainKinds.has(declaration.kind) ? model.symbols : model.experiments;
    const earlier = table.get(name);
    if (earlier) {
      context.error("duplicate-name", declaration.name.span, `'${name}' is already declared (${earlier.kind} ${name} on an earlier line)`);
      continue;
    }
    if (declaration.kind !== "grad" && implicitNamesByName.has(name)) {
      context.error("reserved-name", declaration.name.span, `'${name}' is a built-in name (${implicitNamesByName.get(name)?.doc}) and cannot be declared`);
      continue;
    }
    if (name === "T" && declaration.kind !== "grad") {
      context.error("reserved-name", declaration.name.span, "'T' is reserved: W^T means the transpose of W");
      continue;
    }
    if (builtinFunctionsByName.has(name) || initialisersByName.has(name)) {
      context.error("reserved-name", declaration.name.span, `'${name}' is a built-in function and cannot be declared`);
      continue;
    }
    table.set(name, symbol);
    model.facts.set(declaration, {});
  }
}

/**
 * The declaration a name in a calculation refers to (other than X, y, N, D
 * and C), recorded as a reference; undefined, and reported, when it names none.
 */
export function resolveValueName(context: CheckContext, expr: Extract<ast.Expr, { kind: "name" }>): SymbolInfo | undefined {
  const symbol = context.model.symbols.get(expr.name);
  if (!symbol) {
    if (builtinFunctionsByName.has(expr.name)) context.error("bad-expression", expr.span, `'${expr.name}' is a function: call it, as in ${builtinFunctionsByName.get(expr.name)?.signature}`);
    else if (initialisersByName.has(expr.name)) context.error("bad-expression", expr.span, `'${expr.name}' is an initialiser; it can only start a param: param W: [10, 785] = ${expr.name} * 0.0001`);
    else context.unknownWord("unknown-name", expr.span, `unknown name '${expr.name}'`, expr.name, knownNames(context.model));
    return undefined;
  }
  context.reference(expr.name, expr.span, symbol);
  return symbol;
}

/** The grad a `dL/ds` in a calculation names, recorded as a reference; undefined, and reported, when none is declared. */
export function resolveGradReference(context: CheckContext, expr: Extract<ast.Expr, { kind: "gradRef" }>): SymbolInfo | undefined {
  const symbol = context.model.grads.get(expr.name);
  if (!symbol) {
    const division = context.model.symbols.has(`d${expr.loss.text}`) || context.model.symbols.has(`d${expr.wrt.text}`) ? `; to divide, write ${expr.name.replace("/", " / ")}` : "";
    context.unknownWord("unknown-name", expr.span, `no grad ${expr.name} is declared`, expr.name, context.model.grads.keys(), division);
    return undefined;
  }
  context.reference(expr.name, expr.span, symbol);
  return symbol;
}

function knownNames(model: CheckedModel): string[] {
  return [...model.symbols.keys(), ...implicitNamesByName.keys(), ...builtinFunctionsByName.keys()];
}

/** For suggestions only, so computed when a name is unknown. */
export function namesOfKind(table: Map<string, SymbolInfo>, kind: SymbolKind): string[] {
  return [...table.values()].filter((symbol) => symbol.kind === kind).map((symbol) => symbol.name);
}

/** Hypers are folded wherever they are used, so their inner names can be recorded more than once; keeps the first. */
export function dropRepeatedReferences(model: CheckedModel): void {
  const seen = new Set<string>();
  model.references = model.references.filter((reference) => {
    const key = `${reference.span.start}:${reference.span.end}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

export function checkUnused(context: CheckContext): void {
  const model = context.model;
  const used = new Set(model.references.map((reference) => reference.symbol));
  // Without experiments, losses are what the file is for: the roots, like runs are otherwise.
  const lossesAreRoots = model.experiments.size === 0;
  for (const symbol of model.symbols.values()) {
    if (used.has(symbol) || (lossesAreRoots && symbol.kind === "loss")) continue;
    const declaration = symbol.declaration;
    const remove: Fix = { title: `Remove ${symbol.kind} ${symbol.name}`, edits: [{ span: declaration.span, newText: "" }] };
    context.report("hint", "unused", declaration.name.span, `${symbol.kind} ${symbol.name} is never used`, { unnecessary: true, fixes: [remove] });
  }
}
