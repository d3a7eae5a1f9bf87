// Go to definition, find references and rename, over the checked model.
import type * as ast from "../syntax/ast";
import type { CheckedModel } from "../analysis/model";
import type { TextEdit } from "../analysis/diagnostic";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";
import { occurrences, symbolAt } from "./locate";

export function definitionAt(model: CheckedModel, offset: number): ast.Span | undefined {
  return symbolAt(model, offset)?.symbol.declaration.name.span;
}

export function referencesAt(model: CheckedModel, offset: number, includeDeclaration: boolean): ast.Span[] {
  const found = symbolAt(model, offset);
  if (!found) return [];
  const spans = occurrences(model, found.symbol);
  return includeDeclaration ? spans : spans.filter((span) => span !== found.symbol.declaration.name.span);
}

/** The range of the name that a rename at `offset` would change. */
export function prepareRenameAt(model: CheckedModel, offset: number): { span: ast.Span; placeholder: string } | undefined {
  const found = symbolAt(model, offset);
  if (!found || found.symbol.kind === "grad") return undefined;
  return { span: found.span, placeholder: found.symbol.name };
}

export type RenameResult = { edits: TextEdit[] } | { error: string };

export function renameAt(model: CheckedModel, offset: number, newName: string): RenameResult {
  const found = symbolAt(model, offset);
  if (!found) return { error: "nothing to rename here" };
  if (found.symbol.kind === "grad") return { error: "a grad is named by its loss and parameter: rename those instead" };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return { error: `'${newName}' is not a valid name` };
  if (implicitNamesByName.has(newName) || builtinFunctionsByName.has(newName) || initialisersByName.has(newName)) {
    return { error: `'${newName}' is a built-in name` };
  }
  const table = found.symbol.kind === "run" || found.symbol.kind === "sweep" || found.symbol.kind === "landscape" || found.symbol.kind === "gradcheck" ? model.experiments : model.symbols;
  if (table.has(newName) && newName !== found.symbol.name) return { error: `'${newName}' is already declared` };
  const edits: TextEdit[] = occurrences(model, found.symbol).map((span) => ({ span, newText: newName }));
  // Grads name their loss and param as dL/dW: rename inside them too.
  for (const grad of model.grads.values()) {
    if (grad.declaration.kind !== "grad") continue;
    for (const part of [grad.declaration.numerator, grad.declaration.denominator]) {
      if (part.kind === "name" && part.name.slice(1) === found.symbol.name) {
        const span = { start: part.span.start + 1, end: part.span.end };
        if (!edits.some((edit) => edit.span.start === span.start)) edits.push({ span, newText: newName });
      }
    }
  }
  return { edits: edits.sort((a, b) => a.span.start - b.span.start) };
}
