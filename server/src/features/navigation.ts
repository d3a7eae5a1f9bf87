// Go to definition, find references and rename, over the checked model.
import type * as ast from "../syntax/ast";
import type { CheckedModel, SymbolInfo } from "../analysis/model";
import type { TextEdit } from "../analysis/diagnostic";
import { builtinFunctionsByName, implicitNamesByName, initialisersByName } from "../language/builtins";
import { contains, occurrences, symbolAt } from "./locate";

export function definitionAt(model: CheckedModel, offset: number): ast.Span | undefined {
  return symbolAt(model, offset)?.symbol.declaration.name.span;
}

export function referencesAt(model: CheckedModel, offset: number, includeDeclaration: boolean): ast.Span[] {
  const found = symbolAt(model, offset);
  if (!found) return [];
  const spans = occurrences(model, found.symbol);
  return includeDeclaration ? spans : spans.filter((span) => span !== found.symbol.declaration.name.span);
}

/**
 * What a rename at `offset` renames: on a grad's `dL/ds`, in its header or
 * where it is used, the loss or the param or score under the cursor (a grad
 * has no name of its own); elsewhere the symbol there.
 */
function renamedAt(model: CheckedModel, offset: number): { symbol: SymbolInfo; span: ast.Span } | undefined {
  const found = symbolAt(model, offset);
  if (found?.symbol.kind !== "grad") return found;
  const gradOf = model.facts.get(found.symbol.declaration)?.gradOf;
  if (!gradOf) return undefined;
  const { loss, wrt } = gradParts(found.span, found.symbol.name);
  if (contains(loss, offset)) return { symbol: gradOf.loss, span: loss };
  if (contains(wrt, offset)) return { symbol: gradOf.wrt, span: wrt };
  return undefined;
}

/** Where the L and the s of a grad's `dL/ds` lie, given where the whole is. */
function gradParts(span: ast.Span, name: string): { loss: ast.Span; wrt: ast.Span } {
  const slash = name.indexOf("/");
  return { loss: { start: span.start + 1, end: span.start + slash }, wrt: { start: span.start + slash + 2, end: span.end } };
}

/** The range of the name that a rename at `offset` would change. */
export function prepareRenameAt(model: CheckedModel, offset: number): { span: ast.Span; placeholder: string } | undefined {
  const found = renamedAt(model, offset);
  if (!found) return undefined;
  return { span: found.span, placeholder: found.symbol.name };
}

export type RenameResult = { edits: TextEdit[] } | { error: string };

export function renameAt(model: CheckedModel, offset: number, newName: string): RenameResult {
  const found = renamedAt(model, offset);
  if (!found) return { error: symbolAt(model, offset) ? "a grad is named by its loss and its param or score: rename those instead" : "nothing to rename here" };
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return { error: `'${newName}' is not a valid name` };
  if (implicitNamesByName.has(newName) || builtinFunctionsByName.has(newName) || initialisersByName.has(newName)) {
    return { error: `'${newName}' is a built-in name` };
  }
  const table = found.symbol.kind === "run" || found.symbol.kind === "sweep" || found.symbol.kind === "landscape" || found.symbol.kind === "gradcheck" ? model.experiments : model.symbols;
  if (table.has(newName) && newName !== found.symbol.name) return { error: `'${newName}' is already declared` };
  const edits: TextEdit[] = occurrences(model, found.symbol).map((span) => ({ span, newText: newName }));
  // Grads name their loss and param or score as dL/dW: rename inside them too, where they are declared and where they are used.
  for (const grad of model.grads.values()) {
    if (grad.declaration.kind !== "grad") continue;
    for (const part of [grad.declaration.numerator, grad.declaration.denominator]) {
      if (part.kind === "name" && part.name.slice(1) === found.symbol.name) {
        const span = { start: part.span.start + 1, end: part.span.end };
        if (!edits.some((edit) => edit.span.start === span.start)) edits.push({ span, newText: newName });
      }
    }
  }
  for (const reference of model.references) {
    const gradOf = reference.symbol.kind === "grad" ? model.facts.get(reference.symbol.declaration)?.gradOf : undefined;
    if (!gradOf) continue;
    const parts = gradParts(reference.span, reference.name);
    if (gradOf.loss === found.symbol) edits.push({ span: parts.loss, newText: newName });
    if (gradOf.wrt === found.symbol) edits.push({ span: parts.wrt, newText: newName });
  }
  return { edits: edits.sort((a, b) => a.span.start - b.span.start) };
}
